"""The job runner: one object per process that owns every training run.

A task is anything with ``validate()``, a ``time_limit_s`` and ``run(device, report,
should_stop)``: a ``TrainConfig``, or one of the lessons' demos (models/demos.py).

Pages only submit, watch and cancel. The runner keeps a bounded queue and a fixed number of
worker threads (one run at a time by default, on a GPU as on a CPU), so thirty students pressing
"Start" at once get one run each in turn, a queue position, or "busy, try again in a minute" —
never a frozen server. Each browser session (an ``owner``) has at most one live run; a run
whose owner has gone (closed tab) is cancelled or skipped. An error inside a run, out-of-memory
included, ends that run with a message and leaves the runner working.

    runner = JobRunner(max_running=1, max_queued=4)
    job = runner.submit("session-id", TrainConfig(...))   # or raises RunnerBusy
    job.state, job.latest, job.queue_position()            # what the page shows
    runner.cancel(job)                                     # stops within one batch

This module does not import streamlit.
"""

from __future__ import annotations

import atexit
import collections
import enum
import itertools
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from typing import Callable

import torch

from models.runtime import device as device_mod
from models.training import train as train_mod

log = logging.getLogger(__name__)


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # finished, hit its time limit, or was cancelled: see result.stopped_by
    FAILED = "failed"


class RunnerBusy(Exception):
    """The queue is full; ``str(err)`` is a sentence for the user."""


class AlreadyRunning(Exception):
    """This owner already has a queued or running job."""


@dataclass(eq=False)
class Job:
    id: int
    owner: str
    config: train_mod.TrainConfig
    runner: "JobRunner"
    state: JobState = JobState.QUEUED
    history: list[train_mod.Point] = field(default_factory=list)  # appended by the worker
    result: train_mod.RunResult | None = None
    error: str = ""
    submitted_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None  # when a worker picked it up
    cancel_event: threading.Event = field(default_factory=threading.Event)

    @property
    def live(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def latest(self) -> train_mod.Point | None:
        return self.history[-1] if self.history else None

    def queue_position(self) -> int:
        """1 for the next job to start; 0 once running or ended."""
        return self.runner.queue_position(self)


def is_out_of_memory(err: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(err, oom) or (isinstance(err, RuntimeError) and "out of memory" in str(err).lower())


class JobRunner:
    def __init__(
        self,
        max_running: int = 1,
        max_queued: int = 4,
        max_time_s: float = 60.0,
        device: torch.device | None = None,
        is_alive: Callable[[str], bool] = lambda owner: True,
        train_fn: Callable[..., object] = lambda task, device, **kw: task.run(device, **kw),
        alive_check_s: float = 2.0,
        train_threads: int | None = None,
    ):
        self.max_running, self.max_queued, self.max_time_s = max_running, max_queued, max_time_s
        self.device = device or device_mod.current().device
        self.is_alive, self.train_fn, self.alive_check_s = is_alive, train_fn, alive_check_s
        # On the CPU, leave one core to the web server: with every core busy training, each page
        # refresh stalls PyTorch's whole thread pool (measured here: 943 → ~400 images/s).
        self.train_threads = train_threads or max(1, device_mod.cpu_threads() - 1)
        self._cond = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[int, Job] = {}
        self._latest_by_owner: dict[str, Job] = {}
        self._ids = itertools.count(1)
        _RUNNERS.add(self)
        self._workers = [
            threading.Thread(target=self._work, daemon=True, name=f"train-worker-{i}") for i in range(max_running)
        ]
        for w in self._workers:
            w.start()

    # --- what pages call --------------------------------------------------------------

    def submit(self, owner: str, config: train_mod.TrainConfig) -> Job:
        config.validate()
        config = replace(config, time_limit_s=min(config.time_limit_s, self.max_time_s))
        with self._cond:
            current = self._latest_by_owner.get(owner)
            if current and current.live:
                raise AlreadyRunning("You already have a run; stop it or wait for it to finish.")
            if len(self._queue) >= self.max_queued:
                raise RunnerBusy("The server is busy with other students' runs; try again in a minute.")
            job = Job(id=next(self._ids), owner=owner, config=config, runner=self)
            self._jobs[job.id] = job
            self._latest_by_owner[owner] = job
            self._queue.append(job)
            self._cond.notify()
            return job

    def job_of(self, owner: str) -> Job | None:
        """The owner's latest job, live or ended."""
        with self._cond:
            return self._latest_by_owner.get(owner)

    def cancel(self, job: Job) -> None:
        """A queued job is dropped at once; a running one stops within one batch."""
        job.cancel_event.set()
        with self._cond:
            if job.state is JobState.QUEUED and job in self._queue:
                self._queue.remove(job)
                job.state = JobState.DONE
                job.error = "cancelled before it started"

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel every job and wait (up to ``timeout_s``) until no run is inside PyTorch.

        Called at exit. The workers are daemon threads: when the interpreter ends, one still in
        a torch operator is ended inside C++ code and takes the process with it ("terminate
        called without an active exception", then an abort), as when the server is stopped
        during a run."""
        with self._cond:
            jobs = [job for job in self._jobs.values() if job.live]
        for job in jobs:
            self.cancel(job)
        deadline = time.monotonic() + timeout_s
        while any(job.state is JobState.RUNNING for job in jobs) and time.monotonic() < deadline:
            time.sleep(0.02)

    def queue_position(self, job: Job) -> int:
        with self._cond:
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return 0

    def counts(self) -> dict[str, int]:
        with self._cond:
            states = collections.Counter(j.state for j in self._jobs.values())
        return {s.value: states.get(s, 0) for s in JobState}

    # --- the workers ---------------------------------------------------------------------

    def _next_job(self) -> Job:
        with self._cond:
            while True:
                while not self._queue:
                    self._cond.wait()
                job = self._queue.popleft()
                if job.cancel_event.is_set() or not self.is_alive(job.owner):
                    job.state, job.error = JobState.DONE, "cancelled before it started"
                    continue
                job.state, job.started_at = JobState.RUNNING, time.monotonic()
                return job

    def _work(self) -> None:
        device_mod.use_threads(self.train_threads)  # this thread only: pages keep their own count
        while True:
            job = self._next_job()
            self._run(job)

    def _should_stop(self, job: Job) -> Callable[[], bool]:
        last_check = [time.monotonic()]

        def should_stop() -> bool:
            if job.cancel_event.is_set():
                return True
            now = time.monotonic()
            if now - last_check[0] >= self.alive_check_s:  # a closed tab frees its slot
                last_check[0] = now
                if not self.is_alive(job.owner):
                    job.cancel_event.set()
                    return True
            return False

        return should_stop

    def _run(self, job: Job) -> None:
        try:
            job.result = self.train_fn(job.config, self.device, report=job.history.append, should_stop=self._should_stop(job))
            job.state = JobState.DONE
        except Exception as err:  # the run ends; the runner and the next run go on
            if is_out_of_memory(err):
                job.error = "The run ran out of memory on the device; try a smaller batch or network."
            elif isinstance(err, ValueError):  # settings no run can use, e.g. NetworkError
                job.error = str(err)
            else:
                job.error = f"The run failed: {type(err).__name__}: {err}"
                log.exception("training job %s failed", job.id)
            job.state = JobState.FAILED
        finally:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()


_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()  # every runner of the process, for the exit


@atexit.register
def _shutdown_all() -> None:
    for runner_ in list(_RUNNERS):
        runner_.shutdown()


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def runner(is_alive: Callable[[str], bool] | None = None) -> JobRunner:
    """The process-wide runner, created on first use from ``CNNLAB_MAX_RUNS`` (1),
    ``CNNLAB_MAX_QUEUE`` (4) and ``CNNLAB_MAX_RUN_SECONDS`` (60)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JobRunner(
                max_running=max(1, int(_env_number("CNNLAB_MAX_RUNS", 1))),
                max_queued=max(0, int(_env_number("CNNLAB_MAX_QUEUE", 4))),
                max_time_s=max(1.0, _env_number("CNNLAB_MAX_RUN_SECONDS", 60)),
                **({"is_alive": is_alive} if is_alive else {}),
            )
        return _runner
