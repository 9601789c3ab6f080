"""AppTests of the lesson pages: both languages, main widgets moved, impossible settings."""


import pytest
from streamlit.testing.v1 import AppTest

from tests.support import eventually, lesson_tables, pipeline_rows


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_arithmetic_page_computes_the_lecture_example_and_the_real_networks(lang, open_page):
    at = open_page("conv_arithmetic", lang=lang)
    assert not at.exception
    assert [m.value for m in at.metric][:2] == ["28×28×4", "304"]
    assert any("11,689,512" in m.value for m in at.markdown)
    at.radio(key="_arith.model").set_value("densenet121").run()
    assert any("7,978,856" in m.value for m in at.markdown)
    assert not at.exception


@pytest.mark.parametrize("field, value, phrase", [
    ("s", 0, "stride"), ("k", 40, "kernel spans"), ("p", -1, "negative"), ("groups", 2, "Groups must divide"),
])
def test_impossible_arithmetic_is_a_sentence_not_an_exception(field, value, phrase, open_page):
    at = open_page("conv_arithmetic")
    at.number_input(key=f"_arith.{field}").set_value(value).run()
    assert not at.exception
    assert any(phrase in w.value for w in at.warning)


def test_the_floor_is_made_visible(open_page):
    at = open_page("conv_arithmetic")
    at.number_input(key="_arith.w").set_value(8).run()
    at.number_input(key="_arith.k").set_value(3).run()
    at.number_input(key="_arith.s").set_value(2).run()
    assert any("drops 1 input row" in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_receptive_field_page_compares_stacks_and_measures_the_real_network(lang, open_page):
    at = open_page("receptive_fields", lang=lang)
    assert not at.exception
    assert any("110,592" in m.value and "200,704" in m.value for m in at.markdown)  # 3·9·64² vs 49·64²
    at.select_slider(key="_rf.s").set_value(2).run()
    at.slider(key="_rf.n").set_value(5).run()
    at.select_slider(key="_rf.stage").set_value("layer4").run()
    assert not at.exception
    assert at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_operation_page_steps_through_the_lecture_example(lang, open_page):
    at = open_page("conv_operation", lang=lang)
    assert not at.exception
    assert at.get("latex")[0].value.strip("$\n").endswith("= 15")
    at.slider(key="_conv.step").set_value(2).run()
    assert at.get("latex")[0].value.strip("$\n").endswith("= 16")
    at.number_input(key="_conv.p").set_value(1).run()
    at.number_input(key="_conv.s").set_value(2).run()
    at.selectbox(key="_conv.classic").set_value("blur").run()
    at.number_input(key="_conv.fc_units").set_value(1000).run()
    assert not at.exception


def test_operation_page_explains_a_kernel_too_large_and_plays(open_page):
    at = open_page("conv_operation")
    at.number_input(key="_conv.n").set_value(2).run()
    assert any("nowhere to place it" in w.value for w in at.warning)
    at.number_input(key="_conv.n").set_value(4).run()
    next(b for b in at.button if b.key == "conv.play_button").click().run()
    assert not at.exception


def _run_demo(at: AppTest, key: str, timeout: float = 150):
    """Start the page's task, wait for it, and return its row in the class store."""
    from models.store import database

    next(b for b in at.button if b.key == f"{key}.start").click().run()
    assert not at.exception
    student = at.session_state["_identity.student"]
    stored = eventually(lambda: database.store().runs(student.id, tag=key)[0], timeout_s=timeout, every_s=1,
                        between=at.run)  # the task finished
    at.run()
    assert not at.exception
    return stored[-1]


def test_receptive_field_demo_trains_both_networks_and_compares_them(open_page):
    at = open_page("receptive_fields")
    stored = _run_demo(at, "demo.stack")
    results = stored.summary["runs"]
    assert list(results) == ["7×7", "3×3 → 3×3 → 3×3"]
    assert results["7×7"]["params"] > results["3×3 → 3×3 → 3×3"]["params"]
    assert {label for label, _ in stored.history} == set(results)  # both curves kept
    table = lesson_tables(at)[-1]
    assert len(table) == 2 and set(table.iloc[:, 0]) == set(results)


def test_kernel_demo_learns_the_kernel_on_the_page(open_page):
    at = open_page("conv_operation")
    stored = _run_demo(at, "demo.kernel")
    points = stored.summary["points"]
    assert points[-1]["loss"] < points[0]["loss"]
    assert any("Gradient descent found" in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_overfitting_page_runs_its_experiment_and_says_what_the_curves_show(open_page, lang):
    from lessons import strings
    from models.maths import fitting

    at = open_page("overfitting", lang=lang)
    assert not at.exception
    stored = _run_demo(at, "demo.overfit")
    (_label, row), = stored.summary["runs"].items()
    assert row["train images"] == 300 and row["dropout"] == 0.0 and row["augment"] == "none"
    verdict = fitting.diagnose(row["train acc"], row["val acc"]).verdict
    said = strings(lang)[f"ov.verdict_{verdict}"].split("**")[1]  # the verdict's bold words
    assert any(said in m.value for m in at.markdown), said
    recorded = [m.value for m in at.markdown if strings(lang)["ov.verdict_degradation"].split("**")[1] in m.value]
    assert recorded  # the recorded plain-56 run is told apart as degradation


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_classic_networks_page_shows_alexnet_and_vgg_from_torchvision(open_page, lang):
    at = open_page("classic_networks", lang=lang)
    assert not at.exception
    assert any("61,100,840" in m.value for m in at.markdown)  # the share sentence, computed
    assert len(lesson_tables(at)[0]) == 8 and len(lesson_tables(at)[1]) == 5  # AlexNet's layers, VGG's stages


def test_the_alexnet_recipe_trains_beside_the_default(open_page):
    at = open_page("classic_networks")
    stored = _run_demo(at, "demo.alexnet")
    rows = stored.summary["runs"]
    assert [row["optimizer"] for row in rows.values()] == ["adam", "sgd"]
    assert list(rows.values())[1]["dropout"] == 0.5


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_pooling_page_steps_through_a_window_and_measures_a_shift(open_page, lang):
    from lessons import strings

    at = open_page("pooling", lang=lang)
    assert not at.exception
    size = strings(lang)["pool.size_sentence"].split("{")[0]
    assert any(m.value.startswith(size) for m in at.markdown)  # the size sentence, computed
    shift = "픽셀 옮기면" if lang == "ko" else "Moved by"
    assert sum(shift in m.value for m in at.markdown) == 2  # one and two pixels, measured


def test_the_pipeline_runs_the_students_own_trained_network_on_their_picture(open_page):
    at = open_page("pooling")
    assert any("pre-trained network" in c.value for c in at.caption)  # none yet: the class's walks the picture
    _run_demo(at, "train")
    at.run()
    assert not at.exception
    assert any("Your network from the training lab: plain_cnn" in c.value for c in at.caption)
    assert not any("pre-trained network" in c.value for c in at.caption)  # once trained, the student's own
    rows, classes = pipeline_rows(at)  # every step's maps or values, and the softmax over the ten classes
    assert [row.split(" · ")[0].split(". ")[1] for row in rows] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear"]
    assert classes == 6  # the generated shapes' classes, which the test's run trained on
