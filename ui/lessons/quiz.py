"""The quiz page: every lesson's questions, instant feedback, scores, and the results as CSV.

Every answer checked goes into the class store (``models.store``) with its correctness and the
time the student took, so scores survive a reload, a second tab and a server restart, and the
teacher's dashboard sees the class. ``st.session_state["quiz.results"]`` holds this student's
latest answer per question, read from the store once per session. A generated question keeps
its numbers until the student asks for new ones.

A multiple-choice question shows its choices in this student's own order
(``quiz.display_order``, seeded by the student's id and the question's), and the store keeps the
id of the choice given (``"c2"``), never its place on screen; ``quiz.given_text`` says a stored
answer in the reader's language, an answer stored before ids (the choice's text) included.

While the teacher leads the class, Push to the class beside a question makes it a class poll
(``ui.poll``) with numbers shared by the class: following students find it on top ("The teacher
asks: …"), answer once in the usual form (stored as a quiz answer and as the poll's answer), and
see the result and explanation when the teacher reveals it.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from lessons import course, sections
from models.content import quiz
from models.store import csv_file
from ui import identity, lead, poll, saving
from ui.i18n import lang, t
from ui.lesson import fill
from ui.state import FROM_URL, REFUSED, kept

RESULTS = "quiz.results"  # "lesson/id" → {"lesson", "question", "given", "correct", "answered_at", "seed"}
# ("given": as stored — a choice's id, or a numeric answer as text)
SEEDS = "quiz.seeds"  # "lesson/id" → the seed of a generated question's numbers
SHOWN = "quiz.shown"  # "lesson/id" → when the question was first shown (time.monotonic), for its time
PUSHED = "quiz.pushed"  # "lesson/id" of the question the teacher pushed to the class (kept: in the link)


def _lessons() -> list[str]:
    """The lessons with a quiz, in the order of the course."""
    with_quiz = set(quiz.quiz_lessons())
    return [lesson.id for lesson in course() if lesson.id in with_quiz]


def _results() -> dict:
    if RESULTS not in st.session_state:  # once per session: this student's answers so far
        st.session_state[RESULTS] = {
            f"{a.lesson}/{a.question}": {"lesson": a.lesson, "question": a.question, "given": a.given,
                                         "correct": a.correct, "seconds": a.seconds,
                                         "answered_at": datetime.fromtimestamp(a.answered_at, UTC)
                                         .isoformat(timespec="seconds"), "seed": None}
            for a in identity.store().answers(identity.current().id)}
    return st.session_state[RESULTS]


def _seed(key: str) -> int:
    return st.session_state.setdefault(SEEDS, {}).setdefault(key, random.randrange(1_000_000))


def _new_numbers(key: str) -> None:
    st.session_state[SEEDS][key] = random.randrange(1_000_000)
    _results().pop(key, None)


def score(lesson: str) -> tuple[int, int, int]:
    """(right, answered, questions) for one lesson. Only answers to the lesson's questions count:
    one stored when its question was in another lesson (``ensemble`` moved from residual_block to
    residual_depth) would make answered exceed the questions."""
    ids = quiz.question_ids(lesson)
    answered = [r for r in _results().values() if r["lesson"] == lesson and r["question"] in ids]
    return sum(r["correct"] for r in answered), len(answered), len(ids)


def scores() -> None:
    rows = []
    for lesson in _lessons():
        right, answered, total = score(lesson)
        rows.append({t("quiz.col_lesson"): t(f"page.{lesson}"), t("quiz.col_right"): right,
                     t("quiz.col_answered"): answered, t("quiz.col_questions"): total})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if _results():
        table = pd.DataFrame([{**r, "given": quiz.given_text(r["lesson"], r["question"], r["given"], lang())}
                              for r in _results().values()]).drop(columns=["seed"])
        st.download_button(t("quiz.download"), csv_file.dataframe_csv(table), "quiz_results.csv", "text/csv",
                           key="quiz.download")


def lesson_quiz(pushed: str = "") -> None:
    """The chosen lesson's questions (less the one pushed to the class, shown on top), each with
    the teacher's Push to the class beside it while they lead."""
    lessons = _lessons()
    names = {lesson: t(f"page.{lesson}") for lesson in lessons}
    lesson = st.selectbox(t("quiz.lesson"), lessons, format_func=names.__getitem__, **kept("quiz.lesson", lessons[0]))
    right, answered, total = score(lesson)
    st.progress(answered / total, text=t("quiz.score", right=right, answered=answered, total=total))
    pushing = lead.is_teacher() and poll.leading()
    for number, qid in enumerate(quiz.question_ids(lesson), start=1):
        if f"{lesson}/{qid}" != pushed:
            _question(lesson, qid, number, pushing=pushing)


def _stored(q: quiz.Question, given) -> str:
    """What the store keeps of an answer: the choice's id, or the numbers with their labels."""
    if q.numeric:
        return ", ".join(f"{q.fields[name]} = {value:g}" for name, value in given.items())
    return given


# --- a question pushed to the class ------------------------------------------------------------

def _poll_key(key: str) -> str:
    return "quiz." + key.replace("/", ".")


def pushed() -> str:
    """On top of the page: the question the teacher pushed to the class (``PUSHED``, which the
    lead's settings carry to every following student), with the class's numbers. Returns its
    "lesson/id", or "" when none is pushed (or the link names no question of the quiz)."""
    kept(PUSHED, "")  # in the link, and so in the lead's settings
    value = st.session_state[PUSHED]
    lesson, _, qid = value.partition("/")
    if lesson not in _lessons() or qid not in quiz.question_ids(lesson):
        if PUSHED in st.session_state.get(FROM_URL, ()):  # a link naming no question of the quiz: refused
            st.session_state.setdefault(REFUSED, set()).add(PUSHED)  # (ui.frame says so, and opens the defaults)
        return ""
    current = poll.read(_poll_key(value)) if poll.leading() else None
    if current is None or current.seed is None:
        return ""
    st.session_state.setdefault(SEEDS, {})[value] = current.seed  # everyone's numbers: the class's
    _question(lesson, qid, 0, class_poll=current)
    return value


def _push(lesson: str, qid: str) -> None:
    """The teacher's Push to the class (``poll.push`` refuses any other session)."""
    key = f"{lesson}/{qid}"
    if poll.push(_poll_key(key), random.randrange(1_000_000)) is not None:
        st.session_state[PUSHED] = key


def _right_answer(q: quiz.Question) -> None:
    right = (", ".join(f"{q.fields[name]} = {value:g}" for name, value in q.answers.items()) if q.numeric
             else q.choices[q.answer])
    st.success(t("poll.right_answer", answer=right))
    st.markdown(q.explanation)


def _class_answer(q: quiz.Question, key: str, current) -> None:
    """A student's side of a pushed question: their one answer, then waiting, then the result."""
    answer = poll.mine(current)
    if answer is None and not current.revealed:
        result = _form(q, key)
        if result is not None and poll.submit(current, result["given"], list(q.choices) or None, result["correct"]):
            st.rerun()
    elif not current.revealed:
        st.info(t("poll.your_answer", answer=quiz.given_text(q.lesson, q.id, answer, lang())), icon="🤔")
        st.caption(f"⏳ {t('poll.waiting')}")
    elif not _result(q, key):  # revealed, and not answered here with these numbers
        _right_answer(q)
    if not current.revealed:
        poll.wait(_poll_key(key), current)


# --- one question ------------------------------------------------------------------------------

def _question(lesson: str, qid: str, number: int, pushing: bool = False, class_poll=None) -> None:
    """Question ``number`` of the lesson (0: the one pushed to the class, ``class_poll``)."""
    key = f"{lesson}/{qid}"
    q = quiz.question(lesson, qid, lang(), _seed(key))
    with st.container(border=True):
        if class_poll is None:
            text, button = st.columns([5, 1]) if pushing else (st, None)
            text.markdown(f"**{number}.** {q.text}")
            if button is not None:
                button.button(t("poll.push"), key=f"quiz.push.{key}", on_click=_push, args=(lesson, qid), icon="📣")
        else:
            st.markdown(f"📣 **{t('poll.teacher_asks')}** {q.text}")
            if lead.is_teacher():
                current = poll.teacher_view(_poll_key(key), lambda given: quiz.given_text(lesson, qid, given, lang()))
                if current is not None and current.revealed:
                    _right_answer(q)
            else:
                _class_answer(q, key, class_poll)
            return
        _form(q, key)
        _result(q, key)
        if q.numeric:
            st.button(t("quiz.new_numbers"), key=f"quiz.new.{key}", on_click=_new_numbers, args=(key,))


def _form(q: quiz.Question, key: str) -> dict | None:
    """The question's answer form; the answer checked on this run (stored as a quiz answer), or None."""
    shown = st.session_state.setdefault(SHOWN, {}).setdefault(key, time.monotonic())
    with st.form(key=f"quiz.form.{key}", border=False):
        if q.numeric:
            columns = st.columns(len(q.fields))
            given = {name: column.number_input(label, value=None, format="%g", key=f"quiz.{key}.{name}")
                     for column, (name, label) in zip(columns, q.fields.items())}
            complete = all(v is not None for v in given.values())
        else:
            order = quiz.display_order(q, identity.current().id)
            given = st.radio(t("quiz.your_answer"), order, format_func=q.choices.__getitem__, index=None,
                             key=f"quiz.{key}.choice", label_visibility="collapsed")
            complete = given is not None
        submitted = st.form_submit_button(t("quiz.check"))
    if not submitted:
        return None
    if not complete:
        st.warning(t("quiz.answer_first"))
        return None
    seconds = round(time.monotonic() - shown, 1)
    result = {"lesson": q.lesson, "question": q.id, "given": _stored(q, given), "correct": q.check(given),
              "seconds": seconds, "answered_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": _seed(key)}
    with saving.attempt("a quiz answer"):  # the answer is checked and shown all the same
        identity.store().save_answer(identity.current().id, q.lesson, q.id, result["given"], result["correct"],
                                     seconds)
    _results()[key] = result
    st.session_state[SHOWN][key] = time.monotonic()  # a second try is timed from now
    return result


def _result(q: quiz.Question, key: str) -> bool:
    """This student's latest answer to the question, checked, with the explanation; False if none."""
    result = _results().get(key)
    if result and q.numeric and result["seed"] != _seed(key):
        result = None  # answered before, with other numbers (another session): it counts, but is not shown here
    if not result:
        return False
    (st.success if result["correct"] else st.error)(
        t("quiz.right" if result["correct"] else "quiz.wrong",
          given=quiz.given_text(q.lesson, q.id, result["given"], lang())))
    st.markdown(q.explanation)
    title = fill(sections(q.lesson, lang())[q.section].title)
    st.page_link(f"app_pages/{q.lesson}.py", label=t("quiz.read", section=title), icon="📖")
    return True
