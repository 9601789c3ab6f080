"""The teacher's dashboard: the whole class, live, behind the teacher's key.

Without the key the page shows nothing about students. With it: who is here, the runs queued
and running (each can be stopped), the finished runs as a leaderboard with their curves, the quiz
per question (how many got it right, the most common wrong answer), each class poll with who
answered what (the one place names go with answers), the class as CSV, and a reset
for the next lesson. Everything is read from the class store (``models.store``), so a dashboard
on one app server sees the students of every server that shares the database.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from models.content import quiz
from models.store import teacher
from ui import charts, figures, identity, lead, literal, runs, saving
from ui.i18n import lang, t

UNLOCKED = lead.TEACHER
HERE_S = 300  # "here": seen in the last five minutes
SHOWN_CURVES = 8


def unlocked() -> bool:
    """The key form, until the right key has been given in this session."""
    if st.session_state.get(UNLOCKED):
        return True
    with st.form("_teacher.key_form"):
        given = st.text_input(t("teacher.key"), type="password")
        if st.form_submit_button(t("teacher.unlock")):
            # the class's one try a second, shared with every session and server (models.store.teacher)
            right = teacher.check(given, address=identity.address() or "this machine", store=identity.store())
            if right:
                st.session_state[UNLOCKED] = True
                st.rerun()
            st.error(t("teacher.wrong_key") if right is False else t("teacher.key_busy"))
    st.caption(t("teacher.key_help"))
    return False


def lead_the_class() -> None:
    """The "Lead the class" switch (``ui.lead``): every student's tab follows the teacher's pages."""
    lead.dashboard_toggle()


def _names() -> dict[str, str]:
    return {s.id: s.name for s, _ in identity.store().class_students()}


def _here() -> None:
    now = time.time()
    everyone = identity.store().class_students()
    here = [(s, seen) for s, seen in everyone if now - seen < HERE_S]
    st.metric(t("teacher.here"), len(here), help=t("teacher.here_help", total=len(everyone)))
    if here:  # st.table renders each cell as Markdown: a name is escaped to read as typed
        st.table(pd.DataFrame([{t("teacher.col_student"): literal.markdown(s.name),
                                t("teacher.col_seen"): round(now - seen)}
                               for s, seen in here]).set_index(t("teacher.col_student")))


def _live_runs() -> None:
    jobs_ = runs.runner().live_jobs()
    st.header(t("teacher.live_runs"))
    if not jobs_:
        st.caption(t("teacher.no_live_runs"))
        return
    names = _names()
    for job in jobs_:
        left, right = st.columns([5, 1])
        where = t("page.training_lab") if job.tag == "train" else t("teacher.lesson_task", tag=job.tag)
        position = job.queue_position()
        state = t("teacher.running") if position == 0 else t("teacher.queued", position=position)
        left.text(f"{names.get(job.owner, '?')} · {where} · {state}")  # st.text: the name as typed
        right.button(t("train.stop"), key=f"_teacher.stop.{job.id}", on_click=runs.runner().cancel, args=(job,))


def live() -> None:
    """Who is here and what runs now: refreshed every five seconds."""
    def view() -> None:
        _here()
        _live_runs()

    st.fragment(view, run_every=5.0)()


def leaderboard() -> None:
    st.header(t("teacher.leaderboard"))
    finished = [(s, r) for s, r in identity.store().class_runs() if r.kind == "train"]
    if not finished:
        st.caption(t("teacher.no_runs"))
        return
    rows = [{t("teacher.col_student"): s.name, t("train.col_network"): r.label,
             t("train.col_val_acc"): r.summary.get("val acc"),
             t("train.col_best_val_acc"): r.summary.get("best val acc"),
             t("train.col_test_acc"): r.summary.get("test acc"),
             t("train.col_heldout"): t(f"train.heldout_{r.heldout}"),
             t("train.col_time"): r.summary.get("time (s)"), t("train.col_optimizer"): r.summary.get("optimizer"),
             t("train.col_lr"): r.summary.get("lr"), t("train.col_schedule"): r.summary.get("schedule"),
             t("train.col_batch"): r.summary.get("batch"), t("train.col_epochs"): r.summary.get("epochs")}
            for s, r in finished]
    st.dataframe(pd.DataFrame(rows), hide_index=True)  # a data grid shows cells as plain text
    curves = {f"{s.name} · #{r.id}": r.history for s, r in finished[:SHOWN_CURVES]}  # the legend escapes them
    charts.show(figures.training_curves(curves), key="_teacher.curves")


def quiz_results() -> None:
    st.header(t("teacher.quiz"))
    # answers stored before choice ids are the choice's text: counted with the same choice's id
    summary = identity.store().quiz_summary(same=lambda lesson, q, given: quiz.choice_for(lesson, q, given) or given)
    if not summary:
        st.caption(t("teacher.no_answers"))
        return
    rows = [{t("quiz.col_lesson"): t(f"page.{q['lesson']}"), t("teacher.col_question"): q["question"],
             t("quiz.col_answered"): q["answered"], t("quiz.col_right"): q["right"],
             t("teacher.col_right_share"): f"{q['right'] / q['answered']:.0%}",
             t("teacher.col_common_wrong"): q["common_wrong"] and
             f"{quiz.given_text(q['lesson'], q['question'], q['common_wrong'], lang())} (×{q['common_wrong_count']})"}
            for q in sorted(summary, key=lambda q: q["right"] / q["answered"])]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(t("teacher.quiz_caption"))


def poll_results() -> None:
    """The class polls one by one, with who answered what: names only here, behind the key, never
    on the projector (``ui.poll``)."""
    st.header(t("teacher.polls"))
    polls = identity.store().polls()
    if not polls:
        st.caption(t("teacher.no_polls"))
        return
    chosen = st.selectbox(t("teacher.poll"), polls, key="_teacher.poll",
                          format_func=lambda p: f"{p.key} · {time.strftime('%H:%M', time.localtime(p.opened_at))}"
                                                f"{' · ' + t('teacher.poll_revealed') if p.revealed else ''}")
    answers = identity.store().named_answers(chosen.id)
    if not answers:
        st.caption(t("teacher.no_poll_answers"))
        return
    lesson, _, question = chosen.key.removeprefix("quiz.").partition(".")
    pushed = chosen.key.startswith("quiz.") and question in quiz.question_ids(lesson)
    rows = [{t("teacher.col_student"): s.name,
             t("poll.col_answer"): quiz.given_text(lesson, question, answer, lang()) if pushed else answer,
             t("poll.col_right"): "" if correct is None else ("✓" if correct else "✗"),
             t("teacher.col_seconds"): round(at - chosen.opened_at, 1)} for s, answer, correct, at in answers]
    st.dataframe(pd.DataFrame(rows), hide_index=True)  # a data grid shows names and typed answers as plain text


def export_and_reset() -> None:
    st.header(t("teacher.export"))
    columns = st.columns(3)
    for column, (name, data) in zip(columns, identity.store().export_csv().items()):
        column.download_button(name, data, name, "text/csv", key=f"_teacher.export.{name}")
    st.header(t("teacher.reset"))
    st.caption(t("teacher.reset_help"))
    sure = st.checkbox(t("teacher.reset_confirm"), key="_teacher.reset_sure")
    st.button(t("teacher.reset_button"), disabled=not sure, key="_teacher.reset", type="primary", on_click=_reset)
    if st.session_state.pop("_teacher.reset_done", False):
        st.success(t("teacher.reset_done"))


@saving.guard
def _reset() -> None:
    identity.store().reset_class()
    st.session_state["_teacher.reset_sure"] = False
    st.session_state["_teacher.reset_done"] = True
