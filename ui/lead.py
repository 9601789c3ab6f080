"""The teacher leads the class: every student's tab follows the teacher's page.

On the dashboard (behind the key) the teacher switches **Lead the class** on. From then on, after
each run of a page in the teacher's session, ``after_page`` writes where the teacher is — the
page, its kept settings (what its link carries, ``ui.state.kept``) and the section on screen in
presentation view — to the class store (``Store.lead_to``), only when that changed. The store,
not this process, holds it: every app server behind HAProxy reads the same row.

Every other tab runs ``follow`` before its page: a small fragment that reads the lead (one row;
one read per process per ``CACHE_S`` at most, however many tabs ask) every ``FOLLOW_S`` while the
class is led, every ``IDLE_S`` otherwise. When the lead's version is newer than the one the tab
last followed, the tab moves: it forgets its own values of the kept settings and opens the
teacher's page with the teacher's settings as its query string (``st.switch_page``), which is
exactly opening the teacher's link — checked the same way (``ui.state``), no reload of the
browser's page. What is the student's own stays theirs: their picture (and which one they use:
``PERSONAL``), their runs, their guesses, their language. A late student's tab has followed no
version yet: it lands where the teacher is.

A student can step away ("Explore on my own", or simply opening another page than the teacher's)
and come back with one click ("Follow the teacher again"). A session that holds the teacher's
key never follows: the teacher is never moved by their own lead.
"""

from __future__ import annotations

import functools
import logging

import streamlit as st

from models.runtime.memo import Recent
from models.store import database
from models.store.database import Lead
from ui import identity
from ui.i18n import lang, t
from ui.state import FROM_URL, KEPT, REFUSED, URL_OFF, WANTED

log = logging.getLogger(__name__)

TEACHER = "_teacher.unlocked"  # set once this session gave the teacher's key (ui/lessons/teacher.py)
LEADING = "_lead.leading"  # this session leads: its pages are written to the store
WRITTEN = "_lead.written"  # what this session last wrote: (page, settings, step)
SEEN = "_lead.seen"  # the lead's version this tab last followed
ARRIVED = "_lead.arrived"  # the lead's version this tab has been on the teacher's page with, settings and all
MOVES = "_lead.moves"  # how many times this tab moved to the version it follows (``SEEN``)
MAX_MOVES = 3  # a move whose settings never came is made again, this many times in all
AWAY = "_lead.away"  # the student chose to explore on their own
_DRAWN = "_lead.drawn"  # the page around the fragment has run: a fragment's own run redraws it to change the bar
PERSONAL = ("lang", "picture.")  # in a page's link, but the student's own (prefixes): never followed
DASHBOARD = "teacher"  # the teacher's own page: never led to
FOLLOW_S, IDLE_S = 0.5, 3.0  # how often a tab asks: while the class is led, while it is not
CACHE_S = 0.25  # one read of the store per process in this time, however many tabs ask

STAY, MOVE, STEPPED_AWAY = "stay", "move", "away"

_LEAD = Recent(CACHE_S)  # by store: one read of the lead per process per CACHE_S


def read(fresh: bool = False) -> Lead | None:
    """The lead as the store holds it (at most ``CACHE_S`` old); when the store cannot be read, the
    lead read last (not "the lead ended", which would pull exploring students back), or None."""
    store = identity.store()

    def from_store(last: Lead | None) -> Lead | None:
        try:
            return store.lead()
        except database.StoreFailed as err:  # a tab that cannot follow goes on working
            log.warning("the lead cannot be read from the class store: %s", err.__class__.__name__)
            return last

    return _LEAD.get(store, from_store, fresh)


def decide(lead: Lead | None, here: str, seen: int | None, arrived: int | None, away: bool) -> str:
    """What a student's tab on page ``here`` does, having followed version ``seen`` and been on the
    teacher's page with version ``arrived``: ``MOVE`` to the teacher's page, ``STEPPED_AWAY`` (the
    student left the teacher's page on their own), or ``STAY``.

    A tab that followed a version to another page but never arrived there (its move was overtaken
    by another run of its page, as happens to a busy server) moves again: only a student who was on
    the teacher's page can have stepped away from it. A lost move to new settings on the same page
    is seen as the page's run begins, by its link (``_arrival``)."""
    if lead is None or not lead.leading or lead.page is None or away:
        return STAY
    if seen == lead.version and here == lead.page:
        return STAY
    if seen == lead.version and arrived == lead.version:
        return STEPPED_AWAY
    return MOVE  # the teacher changed something, this tab arrived late, or its move was lost


def is_teacher() -> bool:
    return bool(st.session_state.get(TEACHER) or st.session_state.get(LEADING))


# --- the teacher's side ----------------------------------------------------------------------

def followed_settings() -> dict[str, str]:
    """This run's kept settings as its link writes them, less each student's own (``PERSONAL``)."""
    return {k: v for k, v in st.session_state.get(WANTED, {}).items() if not k.startswith(PERSONAL)}


def own_settings() -> dict[str, str]:
    """This tab's own settings in its link (language, which picture): they go with it when it moves."""
    return {k: v for k, v in st.session_state.get(WANTED, {}).items() if k.startswith(PERSONAL)}


def after_page(page: str) -> None:
    """After a page ran in the leading teacher's session: write where the teacher is, if that
    changed (one comparison otherwise). The dashboard itself is not written: students stay."""
    if not st.session_state.get(LEADING) or page == DASHBOARD:
        return
    view = (page, followed_settings(), int(st.session_state.get(f"present.step.{page}", 0)))
    if st.session_state.get(WRITTEN) == view:
        return
    try:
        still = identity.store().lead_to(*view)
    except database.StoreFailed as err:
        log.error("the lead cannot be written to the class store: %s", err.__class__.__name__)
        return
    st.session_state[WRITTEN] = view
    read(fresh=True)  # this process's tabs see it at their next tick
    if not still:  # switched off from another tab
        st.session_state[LEADING] = False


def _switch() -> None:
    on = bool(st.session_state.get("_lead.toggle"))
    identity.store().set_leading(on)
    st.session_state[LEADING] = on
    st.session_state.pop(WRITTEN, None)
    read(fresh=True)


def dashboard_toggle() -> None:
    """The dashboard's switch, showing the store's state (another teacher's tab may have set it)."""
    lead = read(fresh=True)
    leading = bool(lead and lead.leading)
    if "_lead.toggle" not in st.session_state:
        st.session_state[LEADING] = leading  # an unlocked tab of the teacher's joins a running lead
    st.toggle(t("lead.toggle"), value=leading, key="_lead.toggle", help=t("lead.help"), on_change=_switch)
    if st.session_state.get(LEADING):
        st.caption(t("lead.leading"))


# --- the students' side ----------------------------------------------------------------------

def _move(lead: Lead) -> None:
    """Open the teacher's page with the teacher's settings, as opening the teacher's link would."""
    again = st.session_state.get(SEEN) == lead.version
    st.session_state[MOVES] = st.session_state.get(MOVES, 0) + 1 if again else 1
    st.session_state[SEEN] = lead.version
    st.session_state.pop(ARRIVED, None)  # until the move's run begins (``_arrival``)
    for key in KEPT:
        if not key.startswith(PERSONAL):
            st.session_state.pop(key, None)  # kept() reads it from the query string again
    for key in (URL_OFF, FROM_URL, REFUSED):  # the link is read afresh, as a new tab would read it
        st.session_state.pop(key, None)
    st.session_state[f"present.step.{lead.page}"] = lead.step
    st.switch_page(f"app_pages/{lead.page}.py", query_params={**lead.settings, **own_settings(), "lang": lang()})


def _tick(here: str, every: float) -> None:
    """A fragment's run, every ``every`` seconds: the move when one is due. It draws nothing, so
    that thirty tabs asking every half second cost the server little; when what the bar says
    changes (the lead began or ended, the student left the teacher's page), the whole page runs
    again and draws it."""
    lead = read()
    leading = lead is not None and lead.leading
    if leading != (every == FOLLOW_S):  # the lead began (everyone follows) or ended (no bar, ask less often)
        if leading:
            st.session_state.pop(AWAY, None)
        st.rerun(scope="app")
    if not leading:
        return
    what = decide(lead, here, st.session_state.get(SEEN), st.session_state.get(ARRIVED),
                  bool(st.session_state.get(AWAY)))
    if what == MOVE:
        _move(lead)
    elif what == STEPPED_AWAY:
        st.session_state[AWAY] = True
        if st.session_state.get(_DRAWN):  # a fragment's own run: the page's bar must say so
            st.rerun(scope="app")


def _arrival(lead: Lead, here: str) -> None:
    """As a following tab's page run begins on the page it moved to: it has arrived if the run
    carries the teacher's settings in its link, as the move's own run does. If it does not, the
    run that came is not the move's (on a busy server Streamlit can merge the move's rerun with a
    request the browser sent at the same moment, and the page would run with the tab's old
    settings): the tab moves again, ``MAX_MOVES`` times in all (a move that keeps being lost, or
    a link the tab cannot follow, then leaves it as it is)."""
    seen = st.session_state.get(SEEN)
    if seen is None or st.session_state.get(ARRIVED) == seen or st.session_state.get(AWAY):
        return
    if lead.version != seen or lead.page != here:
        return  # the teacher moved on, or the tab is not there yet: its tick decides
    given = {key: value for key, value in st.query_params.items() if not key.startswith(PERSONAL)}
    if given != lead.settings and st.session_state.get(MOVES, 0) < MAX_MOVES:
        _move(lead)
    st.session_state[ARRIVED] = seen


def _bar() -> None:
    """The "following the teacher" bar, with the button that steps away or comes back."""
    text, button = st.columns([4, 1], vertical_alignment="center")
    if st.session_state.get(AWAY):
        text.caption(f"🧭 {t('lead.away')}")
        button.button(t("lead.back"), key="_lead.back", width="stretch", on_click=_come_back)
    else:
        text.caption(f"👀 {t('lead.following')}")
        button.button(t("lead.explore"), key="_lead.explore", width="stretch", on_click=_step_away)


def _step_away() -> None:
    st.session_state[AWAY] = True


def _come_back() -> None:
    """Follow where the teacher is now: the fragment's run that follows the click moves the tab."""
    st.session_state[AWAY] = False
    st.session_state[SEEN] = None


def follow(page: str) -> None:
    """Before a student's page runs: the move with the teacher, and the bar while the class is led."""
    if is_teacher():
        return
    lead = read()
    leading = lead is not None and lead.leading
    every = FOLLOW_S if leading else IDLE_S
    if leading:
        _arrival(lead, page)
    st.session_state[_DRAWN] = False  # the fragment's first run is part of this page run
    st.fragment(functools.partial(_tick, page, every), run_every=every)()
    st.session_state[_DRAWN] = True  # from now on its runs are its own
    if leading:
        _bar()
