"""AppTests of the residual block and dense connectivity pages, in both languages."""

import pytest


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_residual_page_counts_draws_and_switches_blocks_off(lang, open_page):
    at = open_page("residual_block", lang=lang)
    assert not at.exception
    tables = [d.value for d in at.dataframe]
    counts = tables[0]
    assert (counts.iloc[:, 2] == counts.iloc[:, 3]).all()  # formula == torchvision, row by row
    assert int(counts.iloc[0, 2]) == 73984  # 2·(9·64² + 2·64)
    family = tables[-1]
    assert list(family.iloc[:, 0]) == ["ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152"]
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # block, gradients, top-5 pair, deletion sweep
    at.radio(key="_res.off").set_value("shortcut").run()
    at.selectbox(key="_res.block").set_value("layer1.0").run()
    at.toggle(key="_res.grad_bn").set_value(False).run()
    at.radio(key="_res.kind").set_value("bottleneck").run()
    assert not at.exception


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_dense_page_reads_the_bookkeeping_and_the_reuse_map(lang, open_page):
    at = open_page("dense_connectivity", lang=lang)
    assert not at.exception
    bookkeeping = at.dataframe[0].value
    assert list(bookkeeping.iloc[:, 4]) == ["64 + 6·32 = 256", "128 + 12·32 = 512", "256 + 24·32 = 1024",
                                            "512 + 16·32 = 1024"]
    compare = at.dataframe[1].value
    assert list(compare.iloc[:, 1]) == ["11.69 M", "7.98 M"]
    assert any('"ResNet18"' in c.proto.spec and '"DenseNet121"' in c.proto.spec for c in at.get("plotly_chart"))
    at.select_slider(key="_dense.reuse_block").set_value(3).run()
    at.select_slider(key="_dense.stage").set_value("features.transition1").run()
    assert any("128" in c.value and "28×28" in c.value for c in at.caption)
    assert not at.exception
