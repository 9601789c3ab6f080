"""When the class store cannot save: the page goes on and says so.

The README promises an app that works without its store, and says when nothing is being saved.
That holds for every write, the first included: a full disk, a database server gone, or a store
file deleted during the class (``database.StoreGone``) make a write fail, and then

* the page goes on (the write is the only thing that did not happen);
* the student is told, in their language, in the sidebar (``notice``), on that run and while the
  store stays unable to save;
* the teacher's console gets one line naming what could not be saved and why (no traceback: a
  full disk is a state of the machine, not a bug).

Every write a page makes goes through ``attempt``; a widget's callback, which Streamlit runs
before the page, through ``guard``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable

import streamlit as st

from models.store import database
from ui.i18n import t

log = logging.getLogger(__name__)
FAILED = "_saving.failed"  # a write of this session failed during this run (or its callbacks)
_NOTICE = "_saving.notice"  # the sidebar's place for the sentence, filled at the end of the run


def failed(what: str, err: Exception) -> None:
    """A write (or the read it needed) failed: one line in the console, the sentence on the page."""
    log.error("The class store could not save %s: %s", what, database.first_line(err))
    st.session_state[FAILED] = True


@contextlib.contextmanager
def attempt(what: str):
    """Around a write to the class store: if it fails, the rest of the page still runs."""
    try:
        yield
    except database.StoreFailed as err:
        failed(what, err)


def guard(callback: Callable) -> Callable:
    """A widget's callback whose store writes may fail (see ``attempt``)."""
    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        with attempt(callback.__name__.strip("_").replace("_", " ")):
            return callback(*args, **kwargs)

    return guarded


def place() -> None:
    """Keep a place in the sidebar for the sentence (the frame calls it while drawing the sidebar)."""
    st.session_state[_NOTICE] = st.sidebar.empty()


def notice() -> None:
    """Say it, once the page has run: a write failed just now, or the store saves nothing at all."""
    failed = st.session_state.pop(FAILED, False)
    where = st.session_state.get(_NOTICE) or st.sidebar
    if failed:
        where.warning(t("student.not_saved"), icon="💾")
    elif not database.store().saving:
        where.warning(t("student.not_saving"), icon="💾")
