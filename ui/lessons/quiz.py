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
from ui import identity, saving
from ui.i18n import lang, t
from ui.lesson import fill
from ui.state import kept

RESULTS = "quiz.results"  # "lesson/id" → {"lesson", "question", "given", "correct", "answered_at", "seed"}
# ("given": as stored — a choice's id, or a numeric answer as text)
SEEDS = "quiz.seeds"  # "lesson/id" → the seed of a generated question's numbers
SHOWN = "quiz.shown"  # "lesson/id" → when the question was first shown (time.monotonic), for its time


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
    """(right, answered, questions) for one lesson."""
    answered = [r for r in _results().values() if r["lesson"] == lesson]
    return sum(r["correct"] for r in answered), len(answered), len(quiz.question_ids(lesson))


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


def lesson_quiz() -> None:
    lessons = _lessons()
    names = {lesson: t(f"page.{lesson}") for lesson in lessons}
    lesson = st.selectbox(t("quiz.lesson"), lessons, format_func=names.__getitem__, **kept("quiz.lesson", lessons[0]))
    right, answered, total = score(lesson)
    st.progress(answered / total, text=t("quiz.score", right=right, answered=answered, total=total))
    for number, qid in enumerate(quiz.question_ids(lesson), start=1):
        _question(lesson, qid, number)


def _stored(q: quiz.Question, given) -> str:
    """What the store keeps of an answer: the choice's id, or the numbers with their labels."""
    if q.numeric:
        return ", ".join(f"{q.fields[name]} = {value:g}" for name, value in given.items())
    return given


def _question(lesson: str, qid: str, number: int) -> None:
    key = f"{lesson}/{qid}"
    q = quiz.question(lesson, qid, lang(), _seed(key))
    shown = st.session_state.setdefault(SHOWN, {}).setdefault(key, time.monotonic())
    with st.container(border=True):
        st.markdown(f"**{number}.** {q.text}")
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
        if submitted:
            if not complete:
                st.warning(t("quiz.answer_first"))
            else:
                seconds = round(time.monotonic() - shown, 1)
                result = {"lesson": lesson, "question": qid, "given": _stored(q, given), "correct": q.check(given),
                          "seconds": seconds, "answered_at": datetime.now(UTC).isoformat(timespec="seconds"),
                          "seed": _seed(key)}
                with saving.attempt("a quiz answer"):  # the answer is checked and shown all the same
                    identity.store().save_answer(identity.current().id, lesson, qid, result["given"],
                                                 result["correct"], seconds)
                _results()[key] = result
                st.session_state[SHOWN][key] = time.monotonic()  # a second try is timed from now
        result = _results().get(key)
        if result and q.numeric and result["seed"] != _seed(key):
            result = None  # answered before, with other numbers (another session): it counts, but is not shown here
        if result:
            (st.success if result["correct"] else st.error)(
                t("quiz.right" if result["correct"] else "quiz.wrong",
                  given=quiz.given_text(lesson, qid, result["given"], lang())))
            st.markdown(q.explanation)
            title = fill(sections(lesson, lang())[q.section].title)
            st.page_link(f"app_pages/{lesson}.py", label=t("quiz.read", section=title), icon="📖")
        if q.numeric:
            st.button(t("quiz.new_numbers"), key=f"quiz.new.{key}", on_click=_new_numbers, args=(key,))
