"""The whole app under Streamlit's AppTest: every page in both languages, no exception."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons import course

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120


def _open(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_page_renders_without_exception(lang):
    at = _open(lang)
    assert not at.exception
    for lesson in [lesson.id for lesson in course()]:
        at.switch_page(f"app_pages/{lesson}.py").run()
        assert not at.exception, f"{lesson} ({lang}): {at.exception}"
        assert at.header or at.title, f"{lesson} ({lang}) rendered no heading"


def test_lang_query_parameter_opens_korean_and_toggle_keeps_it_across_pages():
    at = _open("ko")
    assert at.sidebar.radio[0].value == "ko"
    assert "실행 장치" in at.sidebar.caption[0].value
    at.switch_page("app_pages/training_lab.py").run()
    assert at.title[0].value == "학습 실험실"
    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == "Training lab"
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    at.switch_page("app_pages/conv_operation.py").run()
    assert at.sidebar.radio[0].value == "en"


def test_sidebar_says_the_device_and_that_weights_are_unavailable_offline():
    at = _open("en")
    captions = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Running on: **CPU ·") for c in captions)
    assert sum("unavailable offline" in c for c in captions) == 2
    assert any("python -m models.weights fetch" in c.value for c in at.sidebar.code)


def test_unknown_language_in_the_url_falls_back_to_english():
    at = _open("xx")
    assert not at.exception
    assert at.sidebar.radio[0].value == "en"


@pytest.mark.parametrize("lesson", ["home", "training_lab"])
def test_a_page_opened_first_on_a_fresh_server_still_has_the_frame(lesson):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(f"app_pages/{lesson}.py").run()
    assert not at.exception
    assert at.sidebar.radio, "the page ran without app.py's frame"
    assert any("Running on" in c.value for c in at.sidebar.caption)
