"""Lesson settings live in the URL: a link reproduces the state; a bad link never breaks a page."""

import math

import pytest

from lessons import course, strings
from ui import state


def test_a_link_with_settings_reproduces_them(open_page):
    at = open_page("training_lab", **{"train.optimizer": "sgd", "train.lr": "0.01", "train.epochs": "3", "lang": "ko"})
    assert not at.exception
    assert at.radio(key="_train.optimizer").value == "sgd"
    assert at.select_slider(key="_train.lr").value == 0.01
    assert at.slider(key="_train.epochs").value == 3
    assert any("학습" in h.value for h in at.title)  # and in the link's language


def test_changing_a_setting_writes_it_into_the_url_and_the_default_leaves_it(open_page):
    at = open_page("receptive_fields")
    at.slider(key="_rf.n").set_value(5).run()
    assert at.query_params["rf.n"] == "5"
    at.slider(key="_rf.n").set_value(3).run()  # the default again: the link stays short
    assert "rf.n" not in at.query_params


def test_a_copied_link_opens_the_same_state_in_a_new_session(open_page):
    teacher = open_page("receptive_fields")
    teacher.slider(key="_rf.n").set_value(5).run()
    teacher.select_slider(key="_rf.k").set_value(5).run()
    link = dict(teacher.query_params)
    student = open_page("receptive_fields", **link)
    assert student.slider(key="_rf.n").value == 5 and student.select_slider(key="_rf.k").value == 5


def test_a_value_of_the_wrong_type_is_refused_with_a_sentence(open_page):
    at = open_page("receptive_fields", **{"rf.n": "lots", "rf.k": "5"})
    assert not at.exception
    assert at.slider(key="_rf.n").value == 3 and at.select_slider(key="_rf.k").value == 3
    assert any("link" in w.value for w in at.warning)


def test_a_value_its_widget_would_quietly_change_is_refused(open_page):
    # Streamlit clamps -1 to the slider's 1 without a word; the link's value is refused instead
    at = open_page("receptive_fields", **{"rf.n": "-1", "rf.k": "5"})
    assert not at.exception
    assert at.slider(key="_rf.n").value == 3 and at.session_state["rf.n"] == 3
    assert "rf.n" not in at.query_params and any("link" in w.value for w in at.warning)


def test_a_value_a_widget_refuses_restarts_the_page_from_its_defaults(open_page):
    at = open_page("receptive_fields", **{"rf.n": "999", "rf.k": "5"})
    assert not at.exception
    assert at.slider(key="_rf.n").value == 3 and at.select_slider(key="_rf.k").value == 3
    assert any("link" in w.value for w in at.warning)


@pytest.mark.parametrize("page, params", [
    ("classify", {"picture.source": "bogus", "picture.example": "nothing"}),
    ("dense_connectivity", {"picture.source": "source", "present": "true", "present.step.dense_connectivity": "3"}),
    ("training_lab", {"train.network": "bogus", "train.lr": "7"}),
    ("residual_block", {"res.kind": "triangle"}),
    ("residual_depth", {"res.block": "layer9.9", "res.off": "everything", "res.grad_depth": "3"}),
    ("quiz", {"quiz.lesson": "nope"}),
    ("dense_connectivity", {"dense.reuse_block": "42", "dense.stage": "nowhere"}),
    ("conv_arithmetic", {"arith.w": "-5", "arith.k": "1e9"}),
])
def test_no_link_can_break_a_page(open_page, page, params):
    at = open_page(page, **params)
    assert not at.exception  # Streamlit falls back for some widgets itself; ui.frame catches the rest
    at.run()
    assert not at.exception


# --- every setting a link can carry, every kind of hostile value, every page ---------------------

PAGES = [lesson.id for lesson in course()]
# Each is refused for every kind of setting: a switch, a whole number, a number, a choice.
HOSTILE = {
    "nan": "nan", "inf": "inf", "minus-inf": "-inf", "Infinity": "Infinity",
    "huge": "1e308", "beyond-float": "1e400", "ten-to-the-400": str(10**400),
    "100k-digits": "9" * 100_000, "100k-characters": "x" * 100_000,
    "far-below": "-99999999", "far-above": "99999999", "a-word": "lots", "empty": "",
}
# Streamlit ignores a query string over 512 Ki characters whole, so a link with every setting
# carries the long kinds cut to this; each setting alone gets them whole (the slow sweep).
LONG_IN_ONE_LINK = 5_000


@pytest.fixture(scope="module")
def defaults():
    """Every page opened with no link: the settings it keeps (``ui.state.KEPT``) and their values.
    Opening the pages fills the registry, so a setting added to any page is swept from then on."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    shown = {}
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=180).switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        shown[page] = {key: at.session_state[key] for key in state.KEPT if key in at.session_state}
    return shown


def test_the_registry_holds_the_settings_of_every_lesson(defaults):
    assert {"present", "predict", "conv.step", "train.lr", "rf.opacity", "quiz.lesson"} <= set(state.KEPT)
    assert all(defaults[page] for page in PAGES)  # at least the frame's switches on every page


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_value_no_widget_can_hold_is_refused_as_text(kind):
    for default in (False, 3, 0.5, "cat"):
        parsed = state._parse(HOSTILE[kind], default)
        if isinstance(default, str):  # any short text is a choice's name: its widget decides
            assert parsed is None if len(HOSTILE[kind]) > state.MAX_TEXT else parsed == HOSTILE[kind]
        elif parsed is not None:  # a finite number (an integer the browser holds exactly): its widget decides
            assert type(parsed) is type(default) and math.isfinite(parsed) and abs(parsed) <= 1e308
            assert isinstance(parsed, float) or abs(parsed) <= state.MAX_INT
            assert kind in ("huge", "far-below", "far-above")


def opened_at_defaults(at, page: str, defaults: dict, lang: str = "en") -> list[str]:
    """What is wrong with a page opened from a hostile link (nothing: an empty list)."""
    wrong = [f"exception: {e.message}" for e in at.exception]
    if strings(lang)["frame.url_refused"] not in [w.value for w in at.warning]:
        wrong.append("no sentence about the link")
    wrong += [f"{key} = {at.session_state[key]!r}" for key, value in defaults[page].items()
              if at.session_state[key] != value]
    wrong += [f"{key} still in the address" for key in set(at.query_params) & set(state.KEPT)]
    return wrong


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("page", PAGES)
def test_a_hostile_link_opens_every_page_at_its_defaults_with_a_sentence(defaults, open_page, page, kind):
    lang = "ko" if len(kind) % 2 else "en"  # half the kinds in each language
    link = dict.fromkeys(state.KEPT, HOSTILE[kind][:LONG_IN_ONE_LINK])  # every setting any page keeps
    at = open_page(page, lang=lang, **link)
    assert opened_at_defaults(at, page, defaults, lang) == []
    # the tab goes on working: the next page opens as usual, without the link or the sentence
    following = PAGES[(PAGES.index(page) + 1) % len(PAGES)]
    at.switch_page(f"app_pages/{following}.py").run()
    assert not at.exception
    assert strings(lang)["frame.url_refused"] not in [w.value for w in at.warning]
    assert {key: at.session_state[key] for key in defaults[following]} == defaults[following]


# Settings a page checks itself, saying why in its own words: the training lab's data set, which
# may name one this server lacks (CIFAR-10; tests/test_errors.py checks the sentence).
SAYS_WHY_ITSELF = {"train.dataset"}


# One kind of each class that ``state._parse`` tells apart (non-finite, too many digits, too long,
# out of range either way, not a number, nothing): the parse of every kind is checked above, and
# the kinds of one class reach a page's widgets alike.
ONE_OF_EACH = ("nan", "ten-to-the-400", "100k-characters", "far-below", "far-above", "a-word", "empty")


@pytest.mark.slow  # ~500 page runs
@pytest.mark.parametrize("page", PAGES)
def test_each_setting_alone_refuses_each_hostile_value(defaults, open_page, page):
    """No setting lets a hostile value through while another's refusal restarts the page (which
    the sweep above, all settings at once, cannot tell): each setting the page shows, alone."""
    wrong = []
    for key in defaults[page]:
        for kind in ONE_OF_EACH:
            at = open_page(page, **{key: HOSTILE[kind]})
            problems = opened_at_defaults(at, page, defaults)
            if key in SAYS_WHY_ITSELF and key not in at.session_state[state.REFUSED]:
                problems.remove("no sentence about the link")  # the page's own sentence instead
            elif key not in at.session_state[state.REFUSED]:
                problems.append("not refused")
            wrong += [f"{key}={kind}: {problem}" for problem in problems]
    assert wrong == []
