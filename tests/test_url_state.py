"""Lesson settings live in the URL: a link reproduces the state; a bad link never breaks a page."""

import pytest


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


def test_a_value_of_the_wrong_type_is_ignored(open_page):
    at = open_page("receptive_fields", **{"rf.n": "lots"})
    assert not at.exception
    assert at.slider(key="_rf.n").value == 3


def test_a_value_a_widget_refuses_restarts_the_page_from_its_defaults(open_page):
    at = open_page("receptive_fields", **{"rf.n": "999", "rf.k": "5"})
    assert not at.exception
    assert at.slider(key="_rf.n").value == 3 and at.select_slider(key="_rf.k").value == 3
    assert any("link" in w.value for w in at.warning)


@pytest.mark.parametrize("page, params", [
    ("classify", {"picture.source": "bogus", "picture.example": "nothing"}),
    ("dense_connectivity", {"picture.source": "source", "present": "true", "present.step.dense_connectivity": "3"}),
    ("training_lab", {"train.network": "bogus", "train.lr": "7"}),
    ("residual_block", {"res.block": "layer9.9", "res.off": "everything", "res.grad_depth": "3"}),
    ("quiz", {"quiz.lesson": "nope"}),
    ("dense_connectivity", {"dense.reuse_block": "42", "dense.stage": "nowhere"}),
    ("conv_arithmetic", {"arith.w": "-5", "arith.k": "1e9"}),
])
def test_no_link_can_break_a_page(open_page, page, params):
    at = open_page(page, **params)
    assert not at.exception  # Streamlit falls back for some widgets itself; ui.frame catches the rest
    at.run()
    assert not at.exception
