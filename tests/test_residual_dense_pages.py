"""AppTests of the two residual lessons and the dense connectivity page, in both languages."""

import json

import pytest

from lessons import sections, strings
from models.content.facts import GRADIENT_FACTS, facts
from tests.support import lesson_tables


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_residual_page_counts_and_draws_the_blocks_and_the_family(lang, open_page):
    at = open_page("residual_block", lang=lang)
    assert not at.exception
    tables = lesson_tables(at)
    counts = tables[0]
    assert (counts.iloc[:, 2] == counts.iloc[:, 3]).all()  # formula == torchvision, row by row
    assert int(counts.iloc[0, 2]) == 73984  # 2·(9·64² + 2·64)
    family = tables[-1]
    assert list(family.iloc[:, 0]) == ["ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152"]
    assert at.get("plotly_chart")  # the block
    assert not _gradient_chart(at, lang)  # the gradients are the next lesson's
    at.radio(key="_res.kind").set_value("bottleneck").run()
    assert not at.exception


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_residual_depth_page_measures_gradients_and_switches_blocks_off(lang, open_page):
    at = open_page("residual_depth", lang=lang)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3  # gradients, top-5 pair, deletion sweep
    assert _gradient_chart(at, lang) and _measured_text(at)  # no guess asked: shown at once
    at.radio(key="_res.off").set_value("shortcut").run()
    at.selectbox(key="_res.block").set_value("layer1.0").run()
    at.toggle(key="_res.grad_bn").set_value(False).run()
    at.radio(key="_res.grad_init").set_value("default").run()
    assert any("10⁻²³" in c.value for c in at.caption)  # the chart's words: the vanished gradients' size
    assert not at.exception


def _gradient_chart(at, lang: str) -> bool:
    title = strings(lang)["figure.grad_norm"]
    return any(json.loads(c.proto.spec)["layout"].get("yaxis", {}).get("title", {}).get("text") == title
               for c in at.get("plotly_chart"))


def _measured_text(at) -> bool:
    """The lesson's paragraph after ``<!-- reveal -->``, with its computed ratio."""
    return any(f"{facts()['grad_plain_bn']}×" in m.value or f"{facts()['grad_plain_bn']}배" in m.value
               for m in at.markdown)


@pytest.mark.parametrize("lang, guess, right", [("en", "similar", False), ("ko", "larger", True)])
def test_the_gradient_chart_waits_for_a_guess_then_compares_it(lang, guess, right, open_page):
    at = open_page("residual_depth", predict="true", lang=lang)
    assert not at.exception and not _gradient_chart(at, lang) and not _measured_text(at)
    at.radio(key="predict.res.gradients").set_value(guess)
    commit = strings(lang)["predict.commit"]
    at.button(key=f"FormSubmitter:predict.form.res.gradients-{commit}").click().run()
    assert not at.exception and _gradient_chart(at, lang) and _measured_text(at)
    word, measured = strings(lang)[f"res.grad_word_{guess}"], strings(lang)["res.grad_word_larger"]
    sentences = [s.value for s in (at.success if right else at.info) if facts()["grad_plain_bn"] in s.value]
    assert sentences and word in sentences[0] and measured in sentences[0]
    at.toggle(key="_res.grad_bn").set_value(False).run()  # the chart's settings come with it
    assert not at.exception and _gradient_chart(at, lang)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_measured_gradients_are_told_only_after_the_reveal_line(lang):
    """Before ``<!-- reveal -->`` the section sets the question; the measured facts come after it."""
    from ui.lesson import REVEAL

    before, marker, after = sections("residual_depth", lang)["gradients"].body.partition(REVEAL)
    assert marker and "기울기 소실 문제" in before  # the lecture notes' claim, quoted
    assert not any(f"{{{{{name}}}}}" in before for name in GRADIENT_FACTS)
    assert all(f"{{{{{name}}}}}" in after for name in GRADIENT_FACTS)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_dense_page_reads_the_bookkeeping_and_the_reuse_map(lang, open_page):
    at = open_page("dense_connectivity", lang=lang)
    assert not at.exception
    bookkeeping = lesson_tables(at)[0]
    assert list(bookkeeping.iloc[:, 4]) == ["64 + 6·32 = 256", "128 + 12·32 = 512", "256 + 24·32 = 1024",
                                            "512 + 16·32 = 1024"]
    compare = lesson_tables(at)[1]
    assert list(compare.iloc[:, 1]) == ["11.69 M", "7.98 M"]
    assert any('"ResNet18"' in c.proto.spec and '"DenseNet121"' in c.proto.spec for c in at.get("plotly_chart"))
    at.select_slider(key="_dense.reuse_block").set_value(3).run()
    at.select_slider(key="_dense.stage").set_value("features.transition1").run()
    assert any("128" in c.value and "28×28" in c.value for c in at.caption)
    assert not at.exception
