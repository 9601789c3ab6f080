"""The class answers together: a guess or a quiz question as a class poll while the teacher leads.

While the teacher leads the class (``ui.lead``) and predict-before-reveal is on,
``classroom.guess_first`` asks the class, not one student: the teacher's page opens the key's poll
the first time it shows it (``Store.open_poll``), each student's committed guess is their one
answer to it (``submit``), and their result stays hidden until the teacher reveals it. A quiz
question the teacher pushes (``ui.lessons.quiz``) is a poll too, with the class's shared seed.

    teacher's page ──open_poll(key)──▶ polls (current: latest not closed) ◀── read(key), every WAIT_S
    student's commit ──submit──▶ poll_answers (one per student)            │   by each waiting tab
    teacher: count + chart (no names) every COUNT_S; Show / Reveal / Ask again ──▶ polls row

The store, not this process, holds every poll: a teacher on one app server and students on
another see the same. Nothing here ever shows a name: the tally is answers and counts only; who
answered what is the dashboard's (``Store.named_answers``, behind the key). What a student sends
is checked here, on the server: one of the options offered, or typed text cleaned as names are
(``models.store.names.clean``, at most ``TEXT_LENGTH`` characters). Show, Reveal and Ask again
are refused in their callbacks to any session without the teacher's key, whatever it sent.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import streamlit as st

from models.runtime.memo import Recent
from models.store import database, names
from models.store.database import Poll
from ui import charts, figures, identity, lead, saving
from ui.i18n import t

log = logging.getLogger(__name__)

WAIT_S = 1.5  # a student's tab waiting for the question or the reveal asks this often
COUNT_S = 1.0  # the teacher's count and chart refresh this often
CACHE_S = 0.5  # one read of a poll per process in this time, however many tabs ask
TEXT_LENGTH = 80  # a typed guess, cleaned, at most this long

_POLLS = Recent(CACHE_S)  # by (store, key): one read of a poll per process per CACHE_S


def leading() -> bool:
    """Whether this tab's guesses are class polls: the teacher leads, and this is the teacher's tab
    or a student's that follows (a student exploring on their own guesses privately)."""
    now = lead.read()
    return bool(now and now.leading) and (lead.is_teacher() or not st.session_state.get(lead.AWAY))


def read(key: str) -> Poll | None:
    """The current poll of ``key`` (``Store.poll``), at most ``CACHE_S`` old; None when there is
    none or the store cannot be read."""
    store = identity.store()

    def from_store(_last) -> Poll | None:
        try:
            return store.poll(key)
        except database.StoreFailed as err:
            log.warning("a class poll cannot be read from the class store: %s", database.first_line(err))
            return None

    return _POLLS.get((store, key), from_store)


def _forget() -> None:
    _POLLS.clear()


def accepted(answer, options: list | None) -> str | None:
    """What a student's answer is stored as: one of ``options`` (as text), or typed text cleaned
    (``names.clean``, ``TEXT_LENGTH``); None for anything else, or nothing left."""
    if options is not None:
        return next((str(o) for o in options if str(o) == str(answer)), None)
    return names.clean(str(answer), TEXT_LENGTH) or None


def submit(current: Poll, answer, options: list | None, correct: bool | None = None) -> bool:
    """This student's answer to ``current``, checked (``accepted``); False if refused or not kept
    (answered already, revealed meanwhile, or the store failed)."""
    stored = accepted(answer, options)
    if stored is None:
        st.warning(t("poll.refused"), icon="✋")
        return False
    with saving.attempt("a poll answer"):
        return identity.store().answer_poll(current.id, identity.current().id, stored, correct)
    return False


def mine(current: Poll) -> str | None:
    """This student's answer to ``current``, as stored, or None."""
    try:
        return identity.store().poll_answer(current.id, identity.current().id)
    except database.StoreFailed as err:
        saving.failed("a poll answer", err)
        return None


def wait(key: str, shown: Poll | None) -> None:
    """A student's tab waits: a small fragment that runs the page again when the poll of ``key``
    opens, is asked again, or is revealed."""
    def tick() -> None:
        now = read(key)
        if (now and (now.id, now.revealed)) != (shown and (shown.id, shown.revealed)):
            st.rerun(scope="app")

    st.fragment(tick, run_every=WAIT_S)()


# --- the teacher's side ----------------------------------------------------------------------

def _teacher_only(what: str) -> bool:
    if lead.is_teacher():
        return True
    log.warning("%s was asked for by a session without the teacher's key: refused", what)
    return False


@saving.guard
def _show(poll_id: int) -> None:
    if _teacher_only("a poll's answers"):
        identity.store().show_poll(poll_id)
        _forget()


@saving.guard
def _reveal(poll_id: int) -> None:
    if _teacher_only("a poll's reveal"):
        identity.store().reveal_poll(poll_id)
        _forget()


@saving.guard
def _again(key: str, seed: int | None) -> None:
    if _teacher_only("a poll asked again"):
        identity.store().open_poll(key, seed=seed, again=True)
        _forget()


def push(key: str, seed: int) -> Poll | None:
    """The teacher pushes a quiz question: a new poll of ``key`` with the class's ``seed``, its
    answers shown as they arrive. None (and nothing opened) for any other session."""
    if not _teacher_only("a question pushed to the class") or not leading():
        return None
    with saving.attempt("a question pushed to the class"):
        current = identity.store().open_poll(key, seed=seed, again=True)
        identity.store().show_poll(current.id)
        _forget()
        return current
    return None


def _count(key: str, poll_id: int, label: Callable[[str], str]) -> None:
    """The teacher's fragment: how many have answered and, once shown, how (never who)."""
    current = read(key)
    if current is None or current.id != poll_id:
        st.rerun(scope="app")
    try:
        tally = identity.store().poll_tally(poll_id)
    except database.StoreFailed as err:  # the projector goes on; the count comes back at the next tick
        log.warning("a class poll's answers cannot be read from the class store: %s", database.first_line(err))
        return
    total = sum(n for *_, n in tally)
    st.metric(t("poll.answered"), total)
    if current.shown and total:
        right = [c is True for _, c, _ in tally] if current.revealed else None
        charts.show(figures.poll_answers([label(a) for a, _, _ in tally], [n for *_, n in tally], right),
                    key=f"poll.{key}.chart")


def teacher_view(key: str, label: Callable[[str], str] = str) -> Poll | None:
    """In place of the question on the teacher's screen (the projector): the poll of ``key``,
    opened now if none is, its live count, and Show the answers / Reveal to the class / Ask
    again. ``label`` says a stored answer in the reader's language. Returns the poll."""
    current = read(key)
    if current is None:
        with saving.attempt("a class poll"):
            current = identity.store().open_poll(key)
            _forget()
    if current is None:
        return None
    st.fragment(functools.partial(_count, key, current.id, label), run_every=COUNT_S)()
    show, reveal, again = st.columns(3)
    show.button(t("poll.show"), key=f"poll.{key}.show", on_click=_show, args=(current.id,), disabled=current.shown,
                width="stretch")
    reveal.button(t("poll.reveal"), key=f"poll.{key}.reveal", on_click=_reveal, args=(current.id,),
                  disabled=current.revealed, type="primary", width="stretch")
    again.button(t("poll.again"), key=f"poll.{key}.again", on_click=_again, args=(key, current.seed),
                 width="stretch")
    st.caption(t("poll.no_names"))
    return current
