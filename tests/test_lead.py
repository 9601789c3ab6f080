"""The teacher leads the class (``ui.lead``): the lead in the class store, and tabs that follow it.

The store's half runs on SQLite and PostgreSQL (``tests/test_store.py``'s ``url``); the pages'
half is AppTest sessions of one class store: a teacher's session that holds the key and leads,
students' sessions whose runs are what their fragment does every second. A Chromium test with
real tabs is in ``tests/test_browser.py``.
"""

import time

import pytest

from lessons import strings
from models.store import database
from models.store.database import Lead
from tests.test_store import taken_back, url  # noqa: F401 — the fixture: SQLite, and PostgreSQL when given
from ui import lead
from ui.lead import MOVE, STAY, STEPPED_AWAY
from ui.state import URL_OFF


def _lead(page="pooling", version=3, leading=True) -> Lead:
    return Lead(leading, page, {}, 0, version, 0.0)


def test_a_tab_moves_when_the_teacher_changed_stays_otherwise_and_a_tab_that_left_has_stepped_away():
    assert lead.decide(_lead(), "home", seen=2, arrived=2, away=False) == MOVE  # the teacher changed something
    assert lead.decide(_lead(), "home", seen=None, arrived=None, away=False) == MOVE  # a late student
    assert lead.decide(_lead(), "pooling", seen=3, arrived=None, away=False) == STAY  # arrived now
    assert lead.decide(_lead(), "pooling", seen=3, arrived=3, away=False) == STAY
    assert lead.decide(_lead(), "quiz", seen=3, arrived=3, away=False) == STEPPED_AWAY  # opened another page
    assert lead.decide(_lead(), "home", seen=3, arrived=2, away=False) == MOVE  # its move was lost: again
    assert lead.decide(_lead(), "home", seen=2, arrived=2, away=True) == STAY  # exploring on their own
    assert lead.decide(_lead(leading=False), "home", seen=2, arrived=2, away=False) == STAY
    assert lead.decide(_lead(page=None), "home", seen=None, arrived=None, away=False) == STAY  # no page led to yet
    assert lead.decide(None, "home", seen=None, arrived=None, away=False) == STAY  # the store cannot be read


def test_the_lead_goes_round_the_store_and_only_while_leading(url):  # noqa: F811
    store = database.Store(url)
    first = store.lead()
    assert not first.leading and first.page is None and first.version == 0
    assert not store.lead_to("pooling", {"pool.mode": "avg"}, 0)  # not leading: nothing written
    assert store.lead() == first
    on = store.set_leading(True)
    assert on.leading and on.page is None and on.version == 1
    assert store.lead_to("receptive_fields", {"rf.n": "5", "present": "true"}, 2)
    now = database.Store(url).lead()  # another app server on the same store sees it
    assert (now.page, now.step, now.version) == ("receptive_fields", 2, 2)
    assert now.settings == {"rf.n": "5", "present": "true"}
    off = store.set_leading(False)
    assert not off.leading and off.version == 3 and off.page is None
    store.engine.dispose()


def test_a_version_5_database_gains_the_lead_and_keeps_its_class(url):  # noqa: F811
    alice = taken_back(url, 5, "lead")  # version 5: no lead
    again = database.Store(url)
    assert again.student(alice.id) == alice
    assert not again.lead().leading and again.set_leading(True).leading
    again.engine.dispose()


# --- the pages ------------------------------------------------------------------------------

@pytest.fixture
def cls(store_in, tmp_path):
    """A class store of this test's own (the lead is the whole class's), left not leading."""
    store = store_in(tmp_path)
    yield store
    store.set_leading(False)


def _teacher(open_page):
    at = open_page("teacher")
    at.session_state[lead.TEACHER] = True  # as after the key was given (tests/test_teacher.py gives it)
    at.run()
    return at


def _tick(at):
    """The tab's next run (its fragment's tick, or a click), of the page its last run ended on, as a
    browser's is (an AppTest otherwise runs again the page it was last switched to)."""
    return at.switch_page(f"app_pages/{at.session_state['_present.page'] or 'home'}.py").run()


def _click(at, key: str):
    at.button(key=key).click()
    return _tick(at)


def _shows(at, page: str) -> bool:
    return at.session_state["_present.page"] == page


def test_students_follow_the_teachers_page_and_settings_and_a_late_one_lands_there(open_page, cls):
    teacher = _teacher(open_page)
    early = open_page("home")
    assert not early.exception and not _bar(early)  # no lead: no bar
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    assert cls.lead().leading and not teacher.exception
    _tick(early)  # its fragment's next tick
    assert _bar(early) == ["following"] and _shows(early, "home")  # no page led to yet (home, the default page, at /)
    teacher.switch_page("app_pages/receptive_fields.py").run()
    teacher.slider(key="_rf.n").set_value(5).run()
    assert (cls.lead().page, cls.lead().settings) == ("receptive_fields", {"rf.n": "5"})
    version = cls.lead().version
    teacher.run()
    assert cls.lead().version == version  # nothing changed: nothing written
    assert _shows(teacher, "receptive_fields")  # the teacher never follows their own lead
    _tick(early)
    assert _shows(early, "receptive_fields") and early.slider(key="_rf.n").value == 5
    assert early.query_params["rf.n"] == "5" and not early.exception
    late = open_page("quiz")  # arrives now, on another page
    assert _shows(late, "receptive_fields") and late.slider(key="_rf.n").value == 5


def test_a_move_whose_new_settings_never_came_is_made_again_a_few_times_at_most(open_page, cls):
    """A move to new settings on the same page, lost on a busy server: Streamlit merged its rerun
    with a request the browser sent, and the page ran with the tab's old link. Here, the tab has
    taken the new version (as ``_move`` does) but its page runs with its old link."""
    teacher = _teacher(open_page)
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    teacher.switch_page("app_pages/receptive_fields.py").run()
    teacher.slider(key="_rf.n").set_value(5).run()
    student = open_page("home")
    assert student.slider(key="_rf.n").value == 5 and student.session_state[lead.ARRIVED] == cls.lead().version

    def lost_move(setting: int, moves: int):
        teacher.slider(key="_rf.n").set_value(setting).run()
        version = cls.lead().version
        student.session_state[lead.SEEN] = version
        student.session_state[lead.MOVES] = moves
        _tick(student)
        return version

    version = lost_move(2, moves=1)
    assert student.slider(key="_rf.n").value == 2 and student.query_params["rf.n"] == "2"  # moved again
    assert student.session_state[lead.ARRIVED] == version and student.session_state[lead.MOVES] == 2
    version = lost_move(6, moves=lead.MAX_MOVES)  # as often as a move that keeps being lost would be
    assert student.slider(key="_rf.n").value == 2 and student.session_state[lead.ARRIVED] == version
    assert not student.exception and _bar(student) == ["following"]

    # A move that came is not made again, whatever the page then does with its settings: here the
    # teacher's link holds one this page does not draw, so the student's page leaves it out of its own.
    cls.lead_to("receptive_fields", {"rf.n": "4", "pool.k": "3"}, 0)
    time.sleep(lead.CACHE_S)  # the app's copy of the lead is that old at most
    _tick(student)
    version = cls.lead().version
    assert student.slider(key="_rf.n").value == 4 and "pool.k" not in student.query_params
    assert student.session_state[lead.MOVES] == 1 and student.session_state[lead.ARRIVED] == version


def test_a_student_whose_link_was_refused_once_follows_the_teacher_afterwards(open_page, cls):
    teacher = _teacher(open_page)
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    student = open_page("receptive_fields", **{"rf.n": "99"})  # out of the slider's range: refused
    assert student.session_state[URL_OFF] and student.slider(key="_rf.n").value != 99
    refused = strings("en")["frame.url_refused"]
    assert any(w.value == refused for w in student.warning)  # said once, and the page's defaults
    teacher.switch_page("app_pages/receptive_fields.py").run()
    teacher.slider(key="_rf.n").set_value(5).run()
    _tick(student)
    assert student.slider(key="_rf.n").value == 5 and student.query_params["rf.n"] == "5"
    assert not any(w.value == refused for w in student.warning)  # the teacher's link, read afresh
    assert student.session_state[lead.MOVES] == 1


def _bar(at) -> list[str]:
    """Which of the lead's bars the page shows: "following", "away" (none: [])."""
    return [name for name, key in (("following", "_lead.explore"), ("away", "_lead.back"))
            if any(b.key == key for b in at.button)]


def test_a_student_steps_away_and_comes_back_with_one_click(open_page, cls):
    teacher = _teacher(open_page)
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    teacher.switch_page("app_pages/pooling.py").run()
    student = open_page("home")
    assert _shows(student, "pooling")
    _click(student, "_lead.explore")
    assert _bar(student) == ["away"]
    teacher.switch_page("app_pages/receptive_fields.py").run()
    _tick(student)
    assert _shows(student, "pooling")  # exploring on their own: stays
    _click(student, "_lead.back")
    assert _shows(student, "receptive_fields") and _bar(student) == ["following"]
    student.switch_page("app_pages/quiz.py").run()  # opening another page themselves is stepping away too
    assert _shows(student, "quiz") and _bar(student) == ["away"]
    _click(student, "_lead.back")
    teacher.switch_page("app_pages/home.py").run()  # the first page, at "/": led to by its id
    assert cls.lead().page == "home"
    _tick(student)
    assert _shows(student, "home") and _bar(student) == ["following"] and not student.exception


def test_the_section_is_followed_on_the_first_lesson_too(open_page, cls):
    """The first lesson is the default page, at "/": its section is kept under its lesson's id,
    as ui.lead reads and writes it, not under the empty url path."""
    teacher = _teacher(open_page)
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    student = open_page("home")
    teacher.switch_page("app_pages/home.py").run()
    teacher.toggle(key="_present").set_value(True).run()
    assert _shows(teacher, "home") and cls.lead().page == "home"  # the sections count under "present.step.home"
    _tick(student)
    assert _shows(student, "home") and student.session_state["present"] is True and not student.exception
    for at in (teacher, student):  # the key ui.lead writes and reads, not "present.step." of the url path ""
        assert at.session_state["_present.page"] == "home"


def test_students_follow_the_section_in_presentation_view_and_keep_their_language(open_page, cls):
    teacher = _teacher(open_page)
    next(w for w in teacher.toggle if w.key == "_lead.toggle").set_value(True).run()
    student = open_page("home", lang="ko")
    teacher.switch_page("app_pages/receptive_fields.py").run()
    teacher.toggle(key="_present").set_value(True).run()
    teacher.button(key="present.next").click().run()
    assert cls.lead().step == 1 and cls.lead().settings.get("present") == "true"
    _tick(student)
    assert _shows(student, "receptive_fields") and student.session_state["present"] is True
    assert student.session_state["present.step.receptive_fields"] == 1
    assert student.session_state["lang"] == "ko" and not student.exception
    next(w for w in teacher.switch_page("app_pages/teacher.py").run().toggle
         if w.key == "_lead.toggle").set_value(False).run()
    _tick(student)
    assert not _bar(student) and _shows(student, "receptive_fields")  # the lead ended: stays, no bar
