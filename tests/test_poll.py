"""The class answers together (``ui.poll``): predict-before-reveal and pushed quiz questions as
class polls while the teacher leads.

The store's half runs on SQLite and PostgreSQL (``tests/test_store.py``'s ``url``); the pages'
half is AppTest sessions of one class store (``store_in``): a teacher's session that holds the key
and leads, students' sessions whose runs are what their fragment does every second or two.
"""

import json

from sqlalchemy import select
from streamlit.proto.WidgetStates_pb2 import WidgetStates

from lessons import strings
from models.store import database, schema
from tests.test_lead import _teacher, _tick, cls  # noqa: F401 — cls: the fixture, a class store of the test's own
from tests.test_store import taken_back, url  # noqa: F401 — the fixture: SQLite, and PostgreSQL when given

KEY = "arith.32.5.0.1.1"  # the conv arithmetic page's guess, at its default settings
COMMIT = f"FormSubmitter:predict.form.{KEY}-Commit my guess"
SHOW, REVEAL, AGAIN = (f"poll.{KEY}.{b}" for b in ("show", "reveal", "again"))


# --- the store -------------------------------------------------------------------------------

def test_a_poll_takes_one_answer_per_student_until_revealed_and_a_new_lead_closes_it(url):  # noqa: F811
    store = database.Store(url)
    alice, bob = (store.arrive(database.new_token()) for _ in range(2))
    first = store.open_poll(KEY)
    assert store.open_poll(KEY) == first and store.poll(KEY) == first  # the teacher's page again: the same poll
    assert store.answer_poll(first.id, alice.id, "28")
    assert not store.answer_poll(first.id, alice.id, "30")  # one answer per student per poll
    assert store.answer_poll(first.id, bob.id, "28")
    assert store.poll_answer(first.id, alice.id) == "28" and store.poll_tally(first.id) == [("28", None, 2)]
    store.reveal_poll(first.id)
    revealed = store.poll(KEY)
    assert revealed.revealed and revealed.shown  # revealing shows the answers too
    late = store.arrive(database.new_token())
    assert not store.answer_poll(first.id, late.id, "30")  # after the reveal: not taken
    again = store.open_poll(KEY, again=True)
    assert again.id != first.id and store.poll(KEY) == again and store.poll_tally(again.id) == []
    assert [(s.id, a) for s, a, _, _ in store.named_answers(first.id)] == [(alice.id, "28"), (bob.id, "28")]
    store.set_leading(True)  # a new lead asks afresh
    assert store.poll(KEY) is None and not store.answer_poll(again.id, late.id, "30")
    assert [p.id for p in store.polls()] == [again.id, first.id]  # the dashboard keeps them
    store.forget(alice.id)
    assert [s.id for s, *_ in store.named_answers(first.id)] == [bob.id]
    store.reset_class()
    assert store.polls() == []
    store.set_leading(False)
    store.engine.dispose()


def test_asking_again_closes_the_keys_earlier_poll_and_a_reset_ends_the_lead(url):  # noqa: F811
    store = database.Store(url)
    alice = store.arrive(database.new_token())
    store.set_leading(True)
    assert store.lead_to("conv_arithmetic", {"n": "5"}, 2)
    first = store.open_poll(KEY)  # not revealed: "Ask again" (or a second Push) before the reveal
    again = store.open_poll(KEY, again=True)
    assert not store.answer_poll(first.id, alice.id, "28")  # the earlier one is closed, not a second open poll
    assert store.answer_poll(again.id, alice.id, "28")
    with store.engine.connect() as conn:
        opened = conn.execute(select(schema.polls.c.id).where(schema.polls.c.key == KEY,
                                                              schema.polls.c.closed.is_(False))).scalars().all()
    assert opened == [again.id]
    before = store.lead()
    store.reset_class()  # a new class: nobody is led to the old class's page
    after = store.lead()
    assert (after.leading, after.page, after.settings, after.step) == (False, None, {}, 0)
    assert after.version > before.version
    store.engine.dispose()


def test_a_version_7_database_gains_the_polls_and_keeps_its_class(url):  # noqa: F811
    alice = taken_back(url, 7, "poll_answers", "polls")  # version 7: no polls
    again = database.Store(url)
    assert again.student(alice.id) == alice and again.poll(KEY) is None
    assert again.answer_poll(again.open_poll(KEY, seed=7).id, alice.id, "28")
    with again.engine.connect() as conn:
        assert conn.execute(schema.schema_version.select()).scalar() == schema.VERSION == 8
    again.engine.dispose()


# --- the pages -------------------------------------------------------------------------------

def _leading_teacher(open_page, page: str, predict: bool = False):
    at = _teacher(open_page)
    next(w for w in at.toggle if w.key == "_lead.toggle").set_value(True).run()
    at.switch_page(f"app_pages/{page}.py").run()
    return at.toggle(key="_predict").set_value(True).run() if predict else at


def _press(at, key: str):
    at.button(key=key).click()
    return _tick(at)


def _said(at, key: str, where: str = "caption") -> bool:
    return any(strings("en")[key].split("{")[0] in e.value for e in getattr(at, where))


def _count(at) -> int | None:
    return next((int(m.value) for m in at.metric if m.label == strings("en")["poll.answered"]), None)


def _chart(at) -> dict | None:
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(f"poll.{KEY}.chart"):
            return json.loads(chart.proto.spec)
    return None


def _output_shown(at) -> bool:
    return any(m.label == strings("en")["arith.output"] for m in at.metric)


def test_two_students_answer_a_poll_the_teacher_counts_shows_without_names_and_reveals(open_page, cls):  # noqa: F811
    teacher = _leading_teacher(open_page, "conv_arithmetic", predict=True)
    assert cls.poll(KEY) is not None and _count(teacher) == 0  # opened by the teacher's page
    assert not _output_shown(teacher) and {SHOW, REVEAL, AGAIN} <= {b.key for b in teacher.button}
    students = [open_page("home"), open_page("home")]  # they follow, predict-before-reveal on
    for student, guess in zip(students, ("28", "<b>30</b> :smile:")):
        student.text_input(key=f"predict.{KEY}").input(guess)
        _press(student, COMMIT)
        assert not _output_shown(student) and _said(student, "poll.waiting") and not student.exception
        assert {SHOW, REVEAL} & {b.key for b in student.button} == set()
    cls.rename(students[0].session_state["_identity.student"].id, "Alice Kim")
    assert _count(teacher.run()) == 2 and _chart(teacher) is None  # the count, live; the answers not yet
    teacher.button(key=SHOW).click().run()
    chart = _chart(teacher)
    assert chart is not None and sorted(chart["data"][0]["x"]) == [1, 1]
    ticks = chart["layout"]["yaxis"]["ticktext"]
    assert set(ticks) == {"28", "&lt;b&gt;30&lt;/b&gt; :smile:"}  # the typed text, escaped: no HTML
    page = json.dumps(chart) + " ".join(str(e.value) for e in teacher.main if hasattr(e, "value"))
    assert "Alice" not in page and "Student 2" not in page  # no names on the projector
    assert not _output_shown(teacher)
    teacher.button(key=REVEAL).click().run()
    assert _output_shown(teacher)
    for student in students:
        _tick(student)
        assert _output_shown(student) and not student.exception  # the result, with their guess beside it
    assert any("28" in i.value for i in students[0].info)


def test_a_forged_reveal_from_a_student_reveals_nothing(open_page, cls):  # noqa: F811
    teacher = _leading_teacher(open_page, "conv_arithmetic", predict=True)
    student = open_page("home")
    student.text_input(key=f"predict.{KEY}").input("28")
    _press(student, COMMIT)
    for button in (REVEAL, SHOW, AGAIN):
        forged = WidgetStates()
        click = forged.widgets.add()
        click.id, click.trigger_value = teacher.button(key=button).id, True  # the teacher's button, sent by a student
        student._run(forged)
        assert not student.exception
    current = cls.poll(KEY)
    assert not current.revealed and not current.shown and len(cls.polls()) == 1
    assert not _output_shown(_tick(student)) and _said(student, "poll.waiting")


def _callbacks(poll_id: int, teacher: bool) -> None:
    """The teacher's callbacks run in a session (``teacher``: one that gave the key), as a widget
    message that reached them would run them."""
    import streamlit as st

    from ui import lead, poll

    st.session_state[lead.TEACHER] = teacher
    poll._show(poll_id)
    poll._again("arith.32.5.0.1.1", None)
    poll._reveal(poll_id)


def test_the_teachers_callbacks_refuse_a_session_without_the_key(cls):  # noqa: F811
    from streamlit.testing.v1 import AppTest

    cls.set_leading(True)
    first = cls.open_poll(KEY)
    AppTest.from_function(_callbacks, args=(first.id, False)).run()
    assert cls.poll(KEY) == first and not first.shown and not first.revealed  # nothing changed
    AppTest.from_function(_callbacks, args=(first.id, True)).run()  # the same calls with the key: they act
    assert cls.poll(KEY).id != first.id and {p.id: p.revealed for p in cls.polls()}[first.id]


def test_a_pushed_quiz_question_gives_the_class_the_same_numbers_and_stores_every_answer(open_page, cls):  # noqa: F811
    lesson, qid = "conv_arithmetic", "conv-output"
    teacher = _leading_teacher(open_page, "quiz")
    teacher.selectbox(key="_quiz.lesson").set_value(lesson).run()
    push = f"quiz.push.{lesson}/{qid}"
    assert push in {b.key for b in teacher.button}
    students = [open_page("home"), open_page("home")]
    assert all(push not in {b.key for b in s.button} for s in students)  # the teacher's only
    teacher.button(key=push).click().run()
    assert cls.lead().settings.get("quiz.pushed") == f"{lesson}/{qid}"
    current = cls.poll(f"quiz.{lesson}.{qid}")
    assert current is not None and current.seed is not None and current.shown
    asked = strings("en")["poll.teacher_asks"]
    texts = []
    for student in students:
        _tick(student)
        texts.append(next(m.value for m in student.markdown if asked in m.value))
    assert texts[0] == texts[1]  # the same numbers for the whole class
    from models.content import quiz
    q = quiz.question(lesson, qid, "en", current.seed)
    assert q.text in texts[0]
    right, wrong = dict(q.answers), {name: value + 1 for name, value in q.answers.items()}
    for student, given in zip(students, (right, wrong)):
        form = f"quiz.form.{lesson}/{qid}"
        for name, value in given.items():
            student.number_input(key=f"quiz.{lesson}/{qid}.{name}").set_value(value)
        _press(student, f"FormSubmitter:{form}-{strings('en')['quiz.check']}")
        assert _said(student, "poll.waiting") and not student.success and not student.exception  # no result yet
    ids = [s.session_state["_identity.student"].id for s in students]
    assert [[(a.question, a.correct) for a in cls.answers(sid)] for sid in ids] == [[(qid, True)], [(qid, False)]]
    assert sorted(c for _, c, _ in cls.poll_tally(current.id)) == [False, True]
    teacher.run()
    chart = next(c for c in teacher.get("plotly_chart") if c.proto.id.endswith(f"poll.quiz.{lesson}.{qid}.chart"))
    assert not any("✓" in tick for tick in json.loads(chart.proto.spec)["layout"]["yaxis"]["ticktext"])
    teacher.button(key=f"poll.quiz.{lesson}.{qid}.reveal").click().run()
    chart = next(c for c in teacher.get("plotly_chart") if c.proto.id.endswith(f"poll.quiz.{lesson}.{qid}.chart"))
    assert sum("✓" in tick for tick in json.loads(chart.proto.spec)["layout"]["yaxis"]["ticktext"]) == 1
    assert _said(teacher, "poll.right_answer", "success")
    first, second = (_tick(s) for s in students)
    assert first.success and second.error and not first.exception  # each their own result, and the explanation
    teacher.button(key=f"poll.quiz.{lesson}.{qid}.again").click().run()
    again = cls.poll(f"quiz.{lesson}.{qid}")
    assert again.id != current.id and again.seed == current.seed  # the vote after a discussion: the same numbers
