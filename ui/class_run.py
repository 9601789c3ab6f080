"""A class run on a demo's page: the teacher's "Class run" button, and everyone's view of it.

Every demo made with ``ui.task_views.comparison`` calls ``show`` above its own Start button. The
teacher (a session with ``lead.is_teacher()``) sees **Class run**, which trains the demo once for
the class (``models.store.class_runs.start``: one job under the class's owner, one place in the
queue). Every tab that shows the demo, on whichever app server, draws the class run from the
class store (``Store.class_run``): live, refreshing once a second, with the teacher's Stop; once
it has ended, its stored curves and results, after a reload too. A tab on the page when the
teacher starts one sees it within ``IDLE_S``. Students never get the button or Stop, and
``start`` and ``_stop`` refuse any session without the teacher's key: a forged widget message
starts nothing.

The store is read once per process per ``CACHE_S`` for each demo, however many tabs watch it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import streamlit as st

from models.errors import LabError
from models.runtime.memo import Recent
from models.store import class_runs, database, journal
from models.store.database import ClassRun
from models.training import jobs
from ui import identity, lead, saving
from ui import runs as ui_runs
from ui.i18n import say, t

log = logging.getLogger(__name__)

LIVE_S, IDLE_S = 1.0, 3.0  # how often a tab asks: while a class run of its demo is live, otherwise
CACHE_S = 0.5  # one read of the store per process and demo in this time, however many tabs ask

Draw = Callable[[list, dict | None, str], None]  # draw(history, results or None, chart key)

_RUNS = Recent(CACHE_S)  # by (store, tag, live): one read per process and demo per CACHE_S


def read(tag: str | None = None, live: bool = False, fresh: bool = False) -> ClassRun | None:
    """``Store.class_run(tag, live)``, at most ``CACHE_S`` old; None when it cannot be read."""
    store = identity.store()

    def from_store(_last) -> ClassRun | None:
        try:
            return store.class_run(tag, live=live)
        except database.StoreFailed as err:  # the page goes on without the class run
            log.warning("the class run cannot be read from the class store: %s", database.first_line(err))
            return None

    return _RUNS.get((store, tag, live), from_store, fresh)


def _forget() -> None:
    _RUNS.clear()


def start(key: str, task: jobs.Task) -> bool:
    """The teacher's click: ``task`` submitted once as the class run of demo ``key``. Refused,
    whatever the page showed, for a session without the teacher's key."""
    if not lead.is_teacher():
        log.warning("a class run was asked for by a session without the teacher's key: refused")
        return False
    try:
        class_runs.start(identity.store(), ui_runs.runner(), key, task,
                         journal.server_name(st.get_option("server.port")))
    except LabError as err:  # one is live already, the queue is full, settings no run can use
        st.warning(say(err), icon="✋")
        return False
    except database.StoreFailed as err:
        saving.failed("a class run", err)
        return False
    except Exception as err:  # noqa: BLE001 — timing a step can fail too (out of memory on a busy GPU): said
        st.warning(say(jobs.run_error(err, 0)), icon="✋")
        return False
    _forget()
    return True


def _stop(run_id: int) -> None:
    """The teacher's Stop, from any server: the server that runs it stops it at its next beat."""
    if not lead.is_teacher():
        log.warning("a class run's Stop was asked for by a session without the teacher's key: refused")
        return
    with saving.attempt("a class run's Stop"):
        identity.store().stop_class_run(run_id)
    _forget()


def _button(key: str, task: jobs.Task) -> None:
    """The teacher's Class run button, disabled while the class has a live class run."""
    live = read(live=True)
    if st.button(t("class_run.start"), key=f"{key}.class.start", help=t("class_run.help"), disabled=live is not None,
                 icon="📡") and start(key, task):
        st.rerun()
    if live is not None and live.tag != key:
        st.caption(t("class_run.elsewhere"))


def _live(key: str, run_id: int, draw: Draw) -> None:
    """The fragment's body while the class run is live: its curves so far, and the teacher's Stop."""
    run = read(key)
    if run is None or run.id != run_id or not run.live:
        st.rerun(scope="app")  # it just ended: the page draws the stored run
    st.caption(f"📡 {t('class_run.live')}")
    if run.state == "queued":
        st.info(t("class_run.queued"), icon="⏳")
    draw(run.history, None, f"{key}.class.chart")
    if lead.is_teacher():
        st.button(t("class_run.stop"), key=f"{key}.class.stop", on_click=_stop, args=(run.id,), disabled=run.stop)


def _seen(run: ClassRun | None) -> tuple[int, bool, bool] | None:
    """What a tab drew of a class run: which, whether live, whether with its results table."""
    return run and (run.id, run.live, bool(run.summary))


def _watch(key: str, shown: tuple[int, bool, bool] | None) -> None:
    """The fragment's body otherwise: the page runs again when a class run of ``key`` begins or
    ends, or its results arrive."""
    if _seen(read(key)) != shown:
        st.rerun(scope="app")


def show(key: str, task: jobs.Task, draw: Draw) -> ClassRun | None:
    """Above demo ``key``'s own Start button: the teacher's Class run button, then this demo's
    class run, live or as stored. Returns the class run shown, if any."""
    if lead.is_teacher():
        _button(key, task)
    run = read(key)
    if run is not None and run.live:
        st.fragment(functools.partial(_live, key, run.id, draw), run_every=LIVE_S)()
        return run
    if run is not None:
        st.caption(f"📡 {t('class_run.done')}")
        draw(run.history, run.summary.get("runs"), f"{key}.class.chart")
    st.fragment(functools.partial(_watch, key, _seen(run)), run_every=IDLE_S)()
    return run
