"""The training lab page under AppTest: a short run starts, shows progress, lands in the table."""

import html
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lessons import LANGUAGES, strings
from models.training import train
from tests.support import eventually, lesson_tables

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _lab(lang="en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    return at.switch_page("app_pages/training_lab.py").run()


def _short_run(at: AppTest, seconds: int, timeout: float = 90) -> None:
    """Start a run of ``seconds`` and wait until its row is in the results table."""
    at.slider(key="_train.time_limit").set_value(seconds).run()
    next(b for b in at.button if b.key == "train.start").click().run()
    eventually(lambda: lesson_tables(at), timeout_s=timeout, every_s=0.5, between=at.run)


def test_a_short_run_shows_progress_then_a_row_in_the_results_table():
    at = _lab()
    assert not at.exception
    at.slider(key="_train.time_limit").set_value(3).run()
    start = next(b for b in at.button if b.label == "Start training")
    start.click().run()
    assert not at.exception
    progress = [bool(at.get("progress"))]
    eventually(lambda: lesson_tables(at), timeout_s=60, every_s=0.5,
               between=lambda: progress.append(bool(at.run().get("progress"))))
    saw_progress = any(progress)
    assert not at.exception
    assert saw_progress, "no progress bar was shown while the run was live"
    table = lesson_tables(at)[0]
    assert len(table) == 1
    assert table.iloc[0]["stopped by"] in ("time limit", "finished")
    assert 0 <= table.iloc[0]["val acc"] <= 1
    assert any(b.label == "Save the weights (.safetensors)" for b in at.get("download_button"))


def test_settings_survive_a_page_switch_and_the_page_works_in_korean():
    at = _lab("ko")
    assert not at.exception
    assert at.title[0].value == "학습 실험실"
    at.selectbox(key="_train.network").set_value("resnet").run()
    at.select_slider(key="_train.depth").set_value(32).run()
    assert "," in at.caption[0].value  # the parameter count of the chosen network
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/training_lab.py").run()
    assert at.selectbox(key="_train.network").value == "resnet"
    assert at.select_slider(key="_train.depth").value == 32
    assert not at.exception


def test_changing_a_setting_after_a_finished_run_does_not_break_the_page():
    at = _lab()
    _short_run(at, 2)
    assert at.selectbox(key="train.try_which").value is not None
    at.selectbox(key="_train.network").set_value("resnet").run()
    at.slider(key="_train.epochs").set_value(2).run()
    assert not at.exception


def test_the_results_table_speaks_korean_on_the_korean_page():
    at = _lab("ko")
    at.slider(key="_train.time_limit").set_value(2).run()
    # every AppTest session has the same id, so an earlier test's run may still be this "student's"
    # live run, and Start stays disabled until it ends, as it would in a browser
    eventually(lambda: not next(b for b in at.button if b.label == "학습 시작").disabled, timeout_s=60, every_s=0.5,
               between=at.run)
    next(b for b in at.button if b.label == "학습 시작").click().run()
    eventually(lambda: lesson_tables(at), timeout_s=60, every_s=0.5, between=at.run)
    table = lesson_tables(at)[0]
    assert {"실행", "검증 정확도", "테스트 정확도 (한 번)", "곡선을 잰 데이터", "멈춘 이유"} <= set(table.columns)
    assert table.iloc[0]["곡선을 잰 데이터"] == "검증 분할"
    assert table.iloc[0]["멈춘 이유"] in ("시간 제한", "끝까지 학습")
    assert not at.exception


def test_a_preset_sets_its_knobs_and_the_run_carries_them_into_the_table():
    at = _lab()
    next(b for b in at.button if b.key == "train.preset.overfit").click().run()
    assert not at.exception
    assert at.session_state["train.train_size"] == 300 and at.session_state["train.epochs"] == 20
    next(b for b in at.button if b.key == "train.preset.alexnet").click().run()
    assert at.session_state["train.optimizer"] == "sgd" and at.session_state["train.dropout"] == 0.5
    assert at.session_state["train.aug_flip"] and at.session_state["train.aug_shift"]
    assert not at.session_state["train.aug_rotate"]
    _short_run(at, 3)
    row = lesson_tables(at)[0].iloc[-1]
    assert row["dropout"] == 0.5 and row["augmentation"] == "flip+shift" and row["training images"] == 300
    assert row["optimizer"] == "sgd"


def test_every_run_has_a_validation_split_which_cannot_be_turned_off():
    at = _lab()
    split = at.slider(key="_train.val_split")
    assert split.value == train.VAL_SPLIT and split.min == train.MIN_VAL_SPLIT > 0
    assert "test set is looked at once" in split.help


def test_after_a_run_the_lab_shows_what_the_network_gets_wrong():
    at = _lab("ko")
    at.slider(key="_train.time_limit").set_value(3).run()
    next(b for b in at.button if b.key == "train.start").click().run()
    eventually(lambda: any(s.key == "train.mistakes_which" for s in at.selectbox), timeout_s=90, every_s=0.5,
               between=at.run)
    assert not at.exception
    assert any(s.key == "train.mistakes_which" for s in at.selectbox)
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"heatmap"' in spec for spec in charts)  # the confusion matrix
    assert any(c.value.startswith("검증 이미지") for c in at.caption)  # per-class accuracy, in Korean


def _snapshot_figures(at: AppTest) -> list[tuple[str, str]]:
    """The snapshot pictures on the page (ui.figures.inline_image): (PNG data URI, caption) each;
    the other inline pictures (the mistakes gallery, the input) have other captions."""
    starts = tuple(strings(lang)[f"train.{key}"].split("{")[0] for lang in LANGUAGES
                   for key in ("filters_caption", "maps_caption"))
    return [(m["src"], caption) for h in at.get("html")
            for m in re.finditer(r'<img src="(?P<src>data:image/png;base64,[^"]+)".*?'
                                 r'<figcaption[^>]*>(?P<caption>.*?)</figcaption>', h.value, re.S)
            if (caption := html.unescape(m["caption"])).startswith(starts)]


def _pictures(at: AppTest) -> list[str]:
    """The snapshot pictures' data URIs: they change with their pixels."""
    return [src for src, _ in _snapshot_figures(at)]


def _captions(at: AppTest) -> str:
    return " ".join(caption for _, caption in _snapshot_figures(at))


def test_after_a_run_its_snapshots_can_be_scrubbed_from_the_random_start_to_the_end():
    at = _lab()
    _short_run(at, 3)
    assert not at.exception
    slider = next(s for s in at.select_slider if s.key and s.key.startswith("train.learned_moment."))
    assert slider.value == 0 and slider.options[0].startswith("step 0 ")  # the random start first
    first = _pictures(at)
    assert len(first) == 3  # the filters and the two stages' maps
    slider.set_value(len(slider.options) - 1).run()
    assert not at.exception
    assert _pictures(at) != first  # another moment, other pictures
    captions = _captions(at)
    assert "The first layer's 16 filters, 3×3 each" in captions and "Stage 2: feature maps" in captions


def test_the_snapshots_are_explained_in_korean_on_the_korean_page():
    at = _lab("ko")
    _short_run(at, 3)
    assert not at.exception
    captions = _captions(at)
    assert "첫 층의 필터 16개" in captions and "스테이지 2: 검증 이미지의 특징 맵" in captions
    assert any(s.options[0].startswith("0스텝") for s in at.select_slider if s.key.startswith("train.learned_moment."))


def test_the_optimizer_race_overlays_three_curves_and_says_who_got_there_first():
    at = _lab()
    at.slider(key="_train.time_limit").set_value(6).run()
    next(b for b in at.button if b.key == "train.race.start").click().run()
    eventually(lambda: any("reached" in m.value for m in at.markdown), timeout_s=90, every_s=0.5, between=at.run)
    assert not at.exception
    verdict = next(m.value for m in at.markdown if "reached" in m.value)
    assert any(name in verdict for name in ("SGD", "Adam"))
    chart = next(c.proto.spec for c in at.get("plotly_chart") if "SGD + momentum 0.9" in c.proto.spec)
    assert '"Adam"' in chart and '"SGD"' in chart


def test_the_fast_and_good_preset_sets_the_recipe_the_benchmark_measures():
    from models.training import tasks, train

    at = _lab()
    next(b for b in at.button if b.key == "train.preset.overfit").click().run()  # far from the recipe first
    next(b for b in at.button if b.key == "train.preset.fast").click().run()
    assert not at.exception
    for knob, value in {**tasks.FAST_RECIPE, "train_size": 0, "dropout": 0.0}.items():
        assert at.session_state[f"train.{knob}"] == value, knob
    assert {k: getattr(tasks.fast_recipe(), k) for k in tasks.FAST_RECIPE} == tasks.FAST_RECIPE
    assert tasks.fast_recipe(train.TrainConfig(train_size=300, augment=("flip",))).train_size is None
    # the button's help names the recipe's own numbers, not numbers typed into the sentence
    help_text = next(b for b in at.button if b.key == "train.preset.fast").help
    assert f"over {tasks.FAST_RECIPE['epochs']} epochs" in help_text and "from 0.003 " in help_text


def test_every_network_the_lab_offers_has_a_title_and_a_widget_for_each_of_its_knobs():
    from lessons import strings
    from models.training import nets

    at = _lab()
    for name in nets.lab_networks():
        assert all(f"train.net_{name}" in strings(lang) for lang in ("en", "ko")), name
        at.selectbox(key="_train.network").set_value(name).run()
        assert not at.exception, name
        shown = {w.key for kind in ("slider", "selectbox", "select_slider") for w in at.get(kind)}
        assert {f"_train.{knob}" for knob in nets.get(name).knobs} <= shown, name


def test_the_form_shows_the_widgets_of_the_chosen_networks_knobs():
    at = _lab()
    at.selectbox(key="_train.network").set_value("densenet").run()
    shown = {w.key for kind in ("slider", "selectbox", "select_slider") for w in at.get(kind)}
    assert {"_train.growth_rate", "_train.block_config"} <= shown and "_train.depth" not in shown
    at.selectbox(key="_train.network").set_value("plain").run()
    shown = {w.key for kind in ("slider", "selectbox", "select_slider") for w in at.get(kind)}
    assert "_train.depth" in shown and "_train.growth_rate" not in shown
    assert not at.exception


def test_a_preset_is_a_partial_config_that_the_form_reads_back_into_the_run():
    from models.training import augment, tasks

    at = _lab()
    from ui.lessons import training_lab as lab  # after the app ran: the drawing canvas's component is declared

    for name, preset in lab.PRESETS.items():
        next(b for b in at.button if b.key == f"train.preset.{name}").click().run()
        assert not at.exception, name
        values = {field: at.session_state[s.key] for field, s in lab.SETTINGS.items() if s.key in at.session_state}
        values["augment"] = tuple(kind for kind in augment.KINDS if at.session_state[lab.AUGMENT.format(kind)])
        config = lab.config_of(values)
        for field, value in preset.items():
            assert getattr(config.net if field in lab.NET_FIELDS else config, field) == value, (name, field)
    assert lab.config_of({}).momentum == tasks.ALEXNET_RECIPE["momentum"]  # the one field of the recipe with no widget
