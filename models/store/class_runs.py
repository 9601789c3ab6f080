"""A class run: a lesson's demo the teacher starts once, which every student's page watches.

Thirty students pressing the degradation experiment's button would queue it thirty deep. A class
run is submitted once, under the owner ``database.CLASS`` (no student's id, so neither the
teacher's own one-run limit nor any student's applies to it), with no network address (the
server's own: the per-address limit does not count it). It takes one place in the runner's queue,
the same runner students' runs go to: this server's threads, or the school's Ray cluster.

The class store, not a process, is where everyone finds it, which holds however many app servers
serve the class and whichever runner trains:

    teacher's tab ──start──▶ claim_class_run (one live row, unique) ──▶ runner.submit(CLASS, task)
                                                                              │
    relay thread of the submitting server, every RELAY_S: ◀── job.history ────┘
        class_run_progress(state, points) ──▶ class_runs row ◀── every student's tab (any server)
        ◀── stop? (the teacher's Stop, from any server) ──▶ runner.cancel(job)
        at the end: finish_class_run(curves, results) — once — then runner.collect(job)

One thread of the server that submitted it writes it, so its result is saved once, never by the
thirty tabs that watch it (``finish_class_run`` also takes the live row only once). With the local
runner only that server knows the job; with Ray its ``RayRunner`` polls the scheduler for it, as
for any run. Either way the others read the row. A server that dies leaves a row that stops
beating: after ``database.LOST_AFTER_S`` it is read as lost, and the teacher can start another.

    run_id = class_runs.start(store, runner, "demo.degradation", Comparison(...), "host:8501")
"""

from __future__ import annotations

import logging
import threading
import time

from models.store import database
from models.training import jobs

log = logging.getLogger("cnnlab.store")

RELAY_S = 0.5  # how often the submitting server writes the run's state and new points to the store


class ClassRunBusy(jobs.RunnerError):
    """The class has a live class run already (another demo's, or another tab's)."""

    CODES = {"class_run_live": ()}

    def __init__(self, code: str = "class_run_live", **params):
        super().__init__(code, **params)


def start(store: database.Store, runner: jobs.Runner, tag: str, task: jobs.Task, server: str) -> int:
    """Claim the class's one live class run and submit ``task`` once for it; returns its id in
    the store. ``ClassRunBusy`` if one is live, or what the runner refuses with (``RunnerBusy``…)."""
    run_id = store.claim_class_run(tag, task.kind, server)
    if run_id is None:
        raise ClassRunBusy()
    try:
        job = runner.submit(database.CLASS, task, tag=tag)  # no address: the server's own, no per-address limit
    except Exception:
        store.finish_class_run(run_id, "failed", [], {})
        raise
    threading.Thread(target=relay, args=(store, runner, job, run_id), daemon=True,
                     name=f"class-run-{run_id}").start()
    return run_id


def relay(store: database.Store, runner: jobs.Runner, job: jobs.Job, run_id: int, every_s: float = RELAY_S) -> None:
    """Until ``job`` ends: its state and new points to the store every ``every_s``, and the
    teacher's Stop to the runner; then its curves and results, once, and the runner forgets it."""
    sent = -1
    while True:
        state = job.state  # read once: a job that ends meanwhile is not written as "done" with no results
        if state not in (jobs.JobState.QUEUED, jobs.JobState.RUNNING):
            break
        history = list(job.history)  # the worker appends; a copy is what is written
        try:
            stop = store.class_run_progress(run_id, state.value, job.id,
                                            history if len(history) != sent else None)
            sent = len(history)
        except database.StoreFailed as err:  # the run goes on; the next beat tries again
            log.warning("a class run's progress could not be written: %s", database.first_line(err))
            stop = False
        if stop is None or stop:  # the teacher's Stop, or the class was reset
            runner.cancel(job)
        time.sleep(every_s)
    state, summary = outcome(job)
    try:  # the end's state and its results in one write: no tab sees "done" without its table
        store.finish_class_run(run_id, state, list(job.history), summary)
    except database.StoreFailed as err:
        log.error("a finished class run could not be saved: %s", database.first_line(err))
    if job.error is not None and state != "done":
        log.warning("class run %s ended without a result: %s", run_id, job.error)
    runner.collect(job)


def outcome(job: jobs.Job) -> tuple[str, dict]:
    """How an ended class run is saved: "done" only when it was not stopped (the teacher's Stop,
    the class reset, the server shutting down: each sets the job's cancel event) and every run of
    the task has its result, none of them cancelled; "stopped" keeps what it had, and
    ``Store.class_run`` never shows it in place of a recorded run; "failed" when it has none."""
    results = job.result if job.state is jobs.JobState.DONE and isinstance(job.result, dict) else None
    if results is None:
        return ("stopped" if job.cancel_event.is_set() else "failed"), {}
    summary = {"runs": {label: r.summary() for label, r in results.items()}}
    labels = {label for label, _ in getattr(job.task, "runs", ())}
    whole = labels <= set(results) and all(getattr(r, "stopped_by", "") != "cancelled" for r in results.values())
    return ("done" if whole and not job.cancel_event.is_set() else "stopped"), summary
