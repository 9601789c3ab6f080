"""The one adapter between pages and the job runner: start, watch live, collect when ended.

The training lab and every lesson's training task use it the same way, under a key of their own
("train", "demo.stride" …), which the job carries as its tag:

    runs.start_button(task, key)            # Start, or why not; one live job per student
    runs.collect(key, finished)             # an ended job of this key: ``finished(job)`` once (it
                                            # saves it in the class store), then the runner forgets it
    runs.live(key, draw)                    # while it runs: ``draw(job)`` once a second, and Stop

A job belongs to the student (``ui.identity``), not to the browser tab: a reloaded page, or a
second tab, finds the live run and shows its progress and Stop. The run is cancelled only when
none of the student's tabs has been open for ``GRACE_S`` (a reload takes a second or two).
Runs are owned by the process-wide ``JobRunner`` (``models.training.jobs``): a rerun, a page
switch or a closed tab never orphans one. Each run is started with the page's network address
(``identity.address``), which the runner limits too, and written to the class store's journal
while it is in flight: a run this server's restart interrupted is said to its student once
(``interrupted``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st

from models.errors import LabError
from models.store import database, journal
from models.training import jobs
from ui import identity, saving
from ui.i18n import say, t
from ui.state import session_alive, session_id

GRACE_S = 15.0

_lock = threading.Lock()
_tabs: dict[str, set[str]] = {}  # student id → the sessions (tabs) they have had open
_last_open: dict[str, float] = {}  # student id → when one of them was last seen open


_swept = [0.0]


def register_tab() -> None:
    """Note that this session belongs to its student (called by the frame on every run)."""
    sid = identity.current().id
    with _lock:
        _tabs.setdefault(sid, set()).add(session_id())
        _last_open[sid] = time.monotonic()
        sweep = time.monotonic() - _swept[0] > 60
        if sweep:
            _swept[0] = time.monotonic()
    if sweep:  # students who have left are forgotten here, whether or not they trained
        for other in list(_tabs):
            student_alive(other)


def student_alive(sid: str) -> bool:
    """Whether any of the student's tabs is open, or was a moment ago. The class run's owner is
    always there: its run ends by the teacher's Stop or its time limit, not by a closed tab."""
    if sid == database.CLASS:
        return True
    with _lock:
        tabs = _tabs.get(sid, set())
        open_now = {s for s in tabs if session_alive(s)}
        if open_now:
            _tabs[sid], _last_open[sid] = open_now, time.monotonic()
            return True
        recent = time.monotonic() - _last_open.get(sid, float("-inf")) < GRACE_S
        if not recent:  # gone: forget them here too
            _tabs.pop(sid, None)
            _last_open.pop(sid, None)
        return recent


def _journal(runner_: jobs.Runner) -> journal.StoreJournal:
    """The runner's journal, made with it (at this server's first run of a training page). A
    local runner's runs die with the process: its leftovers in the store are interrupted ones.
    A Ray cluster's runs outlive an app server's restart, and are found again (``job_of``)."""
    return journal.StoreJournal(identity.store(), journal.server_name(st.get_option("server.port")),
                                interrupt_leftovers=isinstance(runner_, jobs.JobRunner))


def runner() -> jobs.Runner:
    return jobs.runner(is_alive=student_alive, journal=_journal)


def _mine(key: str) -> jobs.Job | None:
    """This student's job, if it was started under ``key``."""
    job = runner().job_of(identity.current().id)
    return job if job and job.tag == key else None


def submit(task: jobs.Task, key: str) -> jobs.Job | None:
    """Submit this student's task, or say in the session's language why not."""
    try:
        job = runner().submit(identity.current().id, task, tag=key, address=identity.address())
        if identity.enrol() is None:  # a run is a thing done: stored from now on (unless just forgotten)
            runner().cancel(job)
            return None
        return job
    except jobs.AlreadyRunning as err:
        st.warning(say(err))
    except jobs.RunnerBusy as err:
        st.warning(say(err), icon="⏳")
    except LabError as err:  # settings no run can use: said, and nothing started
        st.warning(say(err), icon="✋")
    except Exception as err:  # noqa: BLE001 — timing a step can fail too (out of memory on a busy GPU): said
        st.warning(say(jobs.run_error(err, 0)), icon="✋")
    return None


def start_button(task: jobs.Task, key: str, label: str | None = None) -> None:
    """The Start button of ``key``, disabled while this student has a live job anywhere."""
    job = runner().job_of(identity.current().id)
    if said := jobs.notice():  # the school's Ray cluster is unreachable: where runs go instead
        st.warning(say(jobs.RunnerError("ray_unreachable")) if said == "ray_unreachable" else t("demo.ray_fallback"),
                   icon="🛰️")
    if st.button(label or t("demo.start"), key=f"{key}.start", type="primary", disabled=bool(job and job.live)):
        if submit(task, key):
            st.rerun()
    if job and job.live and job.tag != key:
        st.caption(t("demo.other_running"))


_collecting = threading.Lock()


def collect(key: str, finished: Callable[[jobs.Job], None]) -> None:
    """If ``key``'s job has ended: hand it to ``finished`` once (a failure is kept to be said by
    ``failure``), then let the runner forget it. Two tabs of one student collect it once."""
    job = _mine(key)
    if job is None or job.live:
        return
    with _collecting:
        if runner().job_of(job.owner) is not job:  # the other tab was first
            return
        if job.state is jobs.JobState.FAILED:
            st.session_state[f"{key}.error"] = job.error
        elif job.result is not None:  # a queued job cancelled before it started has none
            try:
                finished(job)
            except database.StoreFailed as err:
                saving.failed("a finished run", err)
                return  # not saved: the runner keeps it, and a later run of the page tries again
        runner().collect(job)


def interrupted() -> None:
    """Say, once, that a run of this student's was interrupted by the server's restart."""
    student = identity.current()
    runner()  # made at this server's first training page: by then it has marked its leftovers
    interrupted = False
    with saving.attempt("that an interrupted run was said"):
        interrupted = bool(student.number) and identity.store().take_interrupted(student.id)
    if interrupted:
        st.warning(t("train.interrupted"), icon="🔌")


def failure(key: str) -> None:
    """Say, once, why ``key``'s last job failed."""
    if error := st.session_state.pop(f"{key}.error", None):
        st.error(t("train.failed", error=say(error)))


def live(key: str, draw: Callable[[jobs.Job], None]) -> bool:
    """While ``key``'s job is queued or running, a view that refreshes itself once a second:
    the queue position, ``draw(job)`` and Stop; True if there is one. When the job ends, the
    whole page reruns."""
    job = _mine(key)
    if job is None or not job.live:
        return False

    def view() -> None:
        current = _mine(key)
        if current is None or not current.live:
            st.rerun(scope="app")  # it just ended: collect it and redraw the page
        if current.state is jobs.JobState.QUEUED:
            st.info(t("train.queued", position=current.queue_position()), icon="⏳")
        draw(current)
        st.button(t("train.stop"), on_click=runner().cancel, args=(current,), key=f"{key}.stop")

    st.fragment(view, run_every=1.0)()
    return True
