"""The one adapter between pages and the job runner: start, watch live, collect when ended.

The training lab and every lesson's training task use it the same way, under a key of their own
("train", "demo.stride" …):

    runs.start_button(task, key)            # Start, or why not; one live job per session
    runs.collect(key, finished)             # an ended job of this key: ``finished(job)`` once, then
                                            # the runner forgets it (the page holds the result now)
    runs.live(key, draw)                    # while it runs: ``draw(job)`` once a second, and Stop

A session has one live job at a time, whichever page started it; each key shows only its own.
Runs are owned by the process-wide ``JobRunner`` (``models.training.jobs``): a rerun, a page
switch or a closed tab never orphans one.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from models.training import jobs
from ui.i18n import say, t
from ui.state import session_alive, session_id


def runner() -> jobs.JobRunner:
    return jobs.runner(is_alive=session_alive)


def _mine(key: str) -> jobs.Job | None:
    """This session's job, if it was started under ``key``."""
    job = runner().job_of(session_id())
    return job if job and st.session_state.get(f"{key}.job") == job.id else None


def submit(task: jobs.Task, key: str) -> jobs.Job | None:
    """Submit this session's task, or say in the session's language why not."""
    try:
        job = runner().submit(session_id(), task)
    except jobs.AlreadyRunning as err:
        st.warning(say(err))
    except jobs.RunnerBusy as err:
        st.warning(say(err), icon="⏳")
    else:
        st.session_state[f"{key}.job"] = job.id
        return job
    return None


def start_button(task: jobs.Task, key: str, label: str | None = None) -> None:
    """The Start button of ``key``, disabled while this session has a live job anywhere."""
    job = runner().job_of(session_id())
    if st.button(label or t("demo.start"), key=f"{key}.start", type="primary", disabled=bool(job and job.live)):
        if submit(task, key):
            st.rerun()
    if job and job.live and st.session_state.get(f"{key}.job") != job.id:
        st.caption(t("demo.other_running"))


def collect(key: str, finished: Callable[[jobs.Job], None]) -> None:
    """If ``key``'s job has ended: hand it to ``finished`` (a failure is kept to be said by
    ``failure``), then let the runner forget it. Call it before drawing what ``finished`` records."""
    job = _mine(key)
    if job is None or job.live:
        return
    if job.state is jobs.JobState.FAILED:
        st.session_state[f"{key}.error"] = job.error
    elif job.result is not None:  # a queued job cancelled before it started has none
        finished(job)
    runner().collect(job)
    st.session_state.pop(f"{key}.job", None)


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
