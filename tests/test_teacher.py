"""The teacher's dashboard behind its key, and the key's slowdown (AppTest and unit)."""

import html
import json

import pytest

from models.store import database, teacher
from tests.support import HOSTILE_NAMES as HOSTILE
from tests.support import hostile_class
from ui import literal


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("CNNLAB_TEACHER_KEY", "open sesame, please")
    return "open sesame, please"


def test_without_the_key_the_dashboard_shows_nothing_about_students(open_page, key):
    store = database.store()
    ada = store.arrive(database.new_token())
    store.rename(ada.id, "Ada the student")
    at = open_page("teacher")
    assert not at.exception
    everything = " ".join(str(e.value) for e in at.main if hasattr(e, "value"))
    assert "Ada the student" not in everything
    _unlock(at, "a wrong key")
    assert any("not the key" in e.value for e in at.error)
    _unlock(at, key)
    assert not at.exception
    assert any("Ada the student" in str(table.value) for table in at.table)


def _unlock(at, with_key: str) -> None:
    next(ti for ti in at.text_input if ti.label == "Teacher's key").input(with_key)
    next(b for b in at.button if b.label == "Open the dashboard").click()
    at.run()


def test_students_names_are_shown_as_typed_on_the_dashboard_never_rendered(open_page, key, store_in, tmp_path):
    run_ids = hostile_class(store_in(tmp_path))  # a class of its own: the leaderboard shows the top few
    at = open_page("teacher")
    _unlock(at, key)
    assert not at.exception
    (here,) = at.table  # st.table renders its cells as Markdown: each name escaped, character by character
    shown = set(here.value.index)
    assert {literal.markdown(name) for name in HOSTILE} <= shown and not set(HOSTILE) & shown
    leaderboard = at.dataframe[0].value  # a data grid: plain text
    assert set(HOSTILE) <= set(leaderboard.iloc[:, 0])
    # Plotly reads a trace's name as HTML: the legend gets the name's entities, never its tags
    (chart,) = at.get("plotly_chart")
    legend = {trace["name"] for trace in json.loads(chart.proto.spec)["data"] if trace.get("showlegend", True)}
    assert {f"{html.escape(name, quote=False)} · #{run_id}" for name, run_id in zip(HOSTILE, run_ids)} <= legend
    assert not any("<" in name for name in legend)


def test_every_try_of_the_key_waits_for_its_turn_and_a_wrong_one_is_logged(key, tmp_path, caplog):
    store = database.Store(f"sqlite:///{tmp_path / 'class.sqlite'}")
    waits = []
    answers = [teacher.check(f"guess {i}", address="10.0.0.7", store=store, sleep=waits.append) for i in range(8)]
    # nobody really waits here (sleep is recorded), so the turns are booked ahead: 0, 1, 2 … 5 s
    assert answers == [False] * 6 + [None] * 2  # beyond MAX_WAIT_S: refused, the key not even compared
    assert [round(w) for w in waits] == [0, 1, 2, 3, 4, 5]
    assert teacher.check(key, store=store, sleep=waits.append) is None  # the right key waits its turn too
    assert [address for _, address in store.misses()] == ["10.0.0.7"] * 6
    assert sum("wrong teacher's key from 10.0.0.7" in r.getMessage() for r in caplog.records) == 6
    store.engine.dispose()


def test_a_short_key_is_refused_with_a_sentence_that_does_not_say_it():
    from models import settings

    read = settings.read({"CNNLAB_TEACHER_KEY": "hunter22"})  # 8 characters: guessable
    assert read.teacher_key is None
    (problem,) = read.problems
    assert "CNNLAB_TEACHER_KEY" in problem and "at least 16 characters" in problem and "hunter22" not in problem
    assert settings.read({"CNNLAB_TEACHER_KEY": "sixteen chars ok"}).teacher_key == "sixteen chars ok"


def test_a_key_is_drawn_and_said_once_when_none_is_set(monkeypatch, caplog):
    monkeypatch.delenv("CNNLAB_TEACHER_KEY", raising=False)
    monkeypatch.setattr(teacher, "_drawn", None)
    first, again = teacher.key(), teacher.key()
    assert first == again and len(first) >= 24  # 144 random bits
    assert sum(first in r.getMessage() for r in caplog.records) == 1
    monkeypatch.setattr(teacher, "_drawn", None)
    assert teacher.key() != first  # drawn, not derived
