"""The job runner: one object per process that owns every training run, and forgets it in time.

A task is anything that follows ``Task``: a ``kind``, a ``time_limit_s``, ``validate()`` and
``run(device, report, should_stop)`` — a ``TrainConfig``, or one of the lessons' tasks
(``models.training.tasks``). Tasks are frozen dataclasses, so the runner can cap their time.

Pages only submit, watch, cancel and collect. The runner keeps a bounded queue and a fixed number
of worker threads (one run at a time by default), so thirty students pressing "Start" at once get
one run each in turn, a queue position, or "busy, try again in a minute" — never a frozen server.
Each student (an ``owner``) has at most one live run, and so has each network ``address``
(``per_address``, ``CNNLAB_RUNS_PER_ADDRESS``): one person with five fresh cookies is still one
address, and cannot fill the queue. A run whose owner has gone (closed tab) is cancelled or
skipped. A ``Journal`` hears of every run queued and ended (the class store keeps them, so that a
restart's interrupted runs are said to their students). An error inside a run, out-of-memory
included, ends that run with a ``LabError`` and leaves the runner working.

Memory stays bounded over a school day: the runner keeps one job per owner, the latest, and only
until the owner's page has collected it (``collect``: the page now holds the result, with its
trained weights, and the runner lets go); an owner who has gone is forgotten, finished job and
all. ``python -m bench.soak`` measures it.

    runner = JobRunner(max_running=1, max_queued=4)
    job = runner.submit("student-id", TrainConfig(...), address="10.0.0.7")  # or RunnerBusy / AlreadyRunning
    job.state, job.latest, job.queue_position()            # what the page shows
    runner.cancel(job)                                     # stops within one batch
    runner.collect(job)                                    # the page has the result: forget it
"""

from __future__ import annotations

import atexit
import collections
import enum
import functools
import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar, Protocol, runtime_checkable

import torch

from models import settings
from models.errors import LabError
from models.runtime import device as device_mod
from models.runtime import priority

log = logging.getLogger(__name__)


class Task(Protocol):
    """What the runner runs. ``kind`` tells a page whose task a job is ("train", "comparison" …)."""

    kind: ClassVar[str]
    time_limit_s: float

    def validate(self, device: torch.device | None = None, threads: int | None = None) -> None:
        """Raise a ``LabError`` for settings no run can use (on ``device`` with ``threads`` CPU
        threads, when given: a training step that would take longer there than
        ``models.training.cost`` allows)."""

    def run(self, device: torch.device, report: Callable[[object], None], should_stop: Callable[[], bool]) -> object:
        """Run on ``device``; ``report`` each progress point; end soon after ``should_stop()``."""


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # finished, hit its time limit, or was cancelled: see the result's stopped_by
    FAILED = "failed"


class RunnerError(LabError):
    area = "runner"
    CODES = {"busy": (), "address_busy": ("limit",), "already_running": (), "out_of_memory": (), "failed": ("kind",),
             "cancelled_before_start": (), "worker_lost": (), "ray_unreachable": (), "ray_slow": ()}


class RunnerBusy(RunnerError):
    """The queue is full, or this address has its share of it (``address_busy``)."""

    def __init__(self, code: str = "busy", **params):
        super().__init__(code, **params)


class AlreadyRunning(RunnerError):
    """This owner already has a queued or running job."""

    def __init__(self, code: str = "already_running", **params):
        super().__init__(code, **params)


@dataclass(eq=False)
class Job:
    id: int
    owner: str
    task: Task
    runner: Runner
    tag: str = ""  # where the owner started it ("train", "demo.stride" …): which page shows it
    address: str | None = None  # the network address it was started from; None: this machine (no limit)
    state: JobState = JobState.QUEUED
    history: list = field(default_factory=list)  # progress points, appended by the worker
    result: object = None
    error: LabError | None = None  # why it FAILED, or why a queued job never started
    submitted_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None  # when a worker picked it up
    cancel_event: threading.Event = field(default_factory=threading.Event)
    worker: str = ""  # where it runs, when not in this process: "pid 4242" of a Ray worker

    @property
    def kind(self) -> str:
        return self.task.kind

    @property
    def live(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def latest(self):
        return self.history[-1] if self.history else None

    def queue_position(self) -> int:
        """1 for the next job to start; 0 once running or ended."""
        return self.runner.queue_position(self)


def is_out_of_memory(err: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(err, oom) or (isinstance(err, RuntimeError) and "out of memory" in str(err).lower())


def run_error(err: Exception, job_id: int) -> LabError:
    """What a run that raised ``err`` ends with, said to its student; the one mapping of every
    runner (here, and on a Ray worker). Out of memory; a ``LabError`` of its own (settings no run
    can use, e.g. a ``NetworkError``); anything else "failed", with its kind, and logged for the
    teacher (call it inside the ``except``)."""
    if is_out_of_memory(err):
        return RunnerError("out_of_memory")
    if isinstance(err, LabError):
        return err
    log.exception("training job %s failed", job_id)
    return RunnerError("failed", kind=type(err).__name__)


class Journal(Protocol):
    """Hears of every job queued and ended (``models.store.journal`` keeps them in the class
    store). Both calls return at once: a runner makes them holding its lock."""

    def started(self, job: Job) -> None: ...

    def ended(self, job: Job) -> None: ...


class NoJournal:
    def started(self, job: Job) -> None:
        pass

    def ended(self, job: Job) -> None:
        pass


def address_full(live: list[Job], address: str | None, limit: int) -> bool:
    """Whether ``address`` already has ``limit`` live jobs among ``live`` (0: no limit; None, the
    server's own machine: none). The one rule of both runners."""
    return bool(limit and address is not None and sum(job.address == address for job in live) >= limit)


@runtime_checkable
class Runner(Protocol):
    """What pages (``ui.runs``) and the teacher's view ask of a job runner: ``JobRunner`` (threads
    in this process) and ``ray_runner.RayRunner`` (the class's queue on a Ray cluster) are both one."""

    max_time_s: float  # a task's time limit is capped to this
    is_alive: Callable[[str], bool]  # whether an owner's session still exists
    notice: str | None  # where runs go when not where set up (``notice()``): None, "ray_fallback"…
    journal: Journal  # hears of every job queued and ended
    per_address: int  # live jobs of one address at most (0: no limit)

    def submit(self, owner: str, task: Task, tag: str = "", address: str | None = None) -> Job:
        """Queue the task, or raise ``RunnerBusy`` (the queue, or this address's share of it, is
        full), ``AlreadyRunning`` or the task's ``LabError``."""

    def job_of(self, owner: str) -> Job | None:
        """The owner's latest job, live or ended and not yet collected."""

    def collect(self, job: Job) -> None:
        """The owner's page has recorded this ended job: the runner lets go of it."""

    def cancel(self, job: Job) -> None:
        """Drop a queued job; stop a running one within one batch."""

    def queue_position(self, job: Job) -> int:
        """1 for the next job to start; 0 once running or ended."""

    def live_jobs(self) -> list[Job]:
        """Every queued or running job, running first."""

    def held(self) -> int:
        """How many jobs the runner holds now."""

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel every job (at exit)."""


def _run_task(task: Task, device: torch.device, report, should_stop):
    return task.run(device, report, should_stop)


class JobRunner:
    notice: str | None = None  # see notice()

    def __init__(
        self,
        max_running: int = 1,
        max_queued: int = 4,
        max_time_s: float = 60.0,
        device: torch.device | None = None,
        is_alive: Callable[[str], bool] = lambda owner: True,
        train_fn: Callable[..., object] = _run_task,
        alive_check_s: float = 2.0,
        train_threads: int | None = None,
        per_address: int = 1,
        journal: Journal | None = None,
    ):
        self.max_running, self.max_queued, self.max_time_s = max_running, max_queued, max_time_s
        self.per_address, self.journal = per_address, journal or NoJournal()
        self.device = device or device_mod.current().device
        self.is_alive, self.train_fn, self.alive_check_s = is_alive, train_fn, alive_check_s
        self.train_threads = train_threads or device_mod.training_threads()  # one core left to the pages
        self._cond = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._latest: dict[str, Job] = {}  # owner → their latest job, until collected or the owner is gone
        self._ids = itertools.count(1)
        _RUNNERS.add(self)
        self._workers = [
            threading.Thread(target=self._work, daemon=True, name=f"train-worker-{i}") for i in range(max_running)
        ]
        for w in self._workers:
            w.start()

    # --- what pages call --------------------------------------------------------------

    def submit(self, owner: str, task: Task, tag: str = "", address: str | None = None) -> Job:
        task = replace(task, time_limit_s=min(task.time_limit_s, self.max_time_s))
        with self._cond:  # the cheap refusals first: a refused student costs no step's measurement
            self._refuse(owner, address)
        task.validate(self.device, self.train_threads)  # may time a step of the network (models.training.cost)
        with self._cond:
            self._refuse(owner, address)  # again: the queue may have filled meanwhile
            job = Job(id=next(self._ids), owner=owner, task=task, runner=self, tag=tag, address=address)
            self._latest[owner] = job
            self.journal.started(job)  # before a worker can end it
            self._queue.append(job)
            self._cond.notify()
            return job

    def _refuse(self, owner: str, address: str | None) -> None:
        """Raise ``AlreadyRunning`` or ``RunnerBusy`` if this job cannot be queued now (lock held)."""
        self._forget_gone()
        current = self._latest.get(owner)
        if current and current.live:
            raise AlreadyRunning()
        if address_full([j for j in self._latest.values() if j.live], address, self.per_address):
            raise RunnerBusy("address_busy", limit=self.per_address)
        if len(self._queue) >= self.max_queued:
            raise RunnerBusy()

    def job_of(self, owner: str) -> Job | None:
        """The owner's latest job, live or ended and not yet collected."""
        with self._cond:
            return self._latest.get(owner)

    def collect(self, job: Job) -> None:
        """The owner's page has recorded this ended job: the runner lets go of it and its result."""
        if job.live:
            raise ValueError("a live job cannot be collected")
        with self._cond:
            if self._latest.get(job.owner) is job:
                del self._latest[job.owner]

    def cancel(self, job: Job) -> None:
        """A queued job is dropped at once; a running one stops within one batch."""
        job.cancel_event.set()
        with self._cond:
            if job.state is JobState.QUEUED and job in self._queue:
                self._queue.remove(job)
                job.state, job.error = JobState.DONE, RunnerError("cancelled_before_start")
                self.journal.ended(job)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel every job and wait (up to ``timeout_s``) until no run is inside PyTorch.

        Called at exit. The workers are daemon threads: when the interpreter ends, one still in
        a torch operator is ended inside C++ code and takes the process with it ("terminate
        called without an active exception", then an abort), as when the server is stopped
        during a run."""
        with self._cond:
            jobs = [job for job in self._latest.values() if job.live]
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

    def live_jobs(self) -> list[Job]:
        """Every queued or running job, running first, then in queue order (the teacher's view)."""
        with self._cond:
            live = [j for j in self._latest.values() if j.live]
            queue = list(self._queue)
        running = [j for j in live if j.state is JobState.RUNNING]
        return running + [j for j in queue if j in live]

    def held(self) -> int:
        """How many jobs the runner holds now (live, or ended and not yet collected)."""
        with self._cond:
            return len(self._latest)

    # --- memory -------------------------------------------------------------------------

    def _forget_gone(self) -> None:
        """Drop the ended jobs of owners whose sessions have ended (called with the lock held)."""
        for owner, job in list(self._latest.items()):
            if not job.live and not self.is_alive(owner):
                del self._latest[owner]

    # --- the workers ---------------------------------------------------------------------

    def _next_job(self) -> Job:
        with self._cond:
            while True:
                while not self._queue:
                    self._cond.wait()
                job = self._queue.popleft()
                if job.cancel_event.is_set() or not self.is_alive(job.owner):
                    job.state, job.error = JobState.DONE, RunnerError("cancelled_before_start")
                    self.journal.ended(job)
                    continue
                job.state, job.started_at = JobState.RUNNING, time.monotonic()
                return job

    def _work(self) -> None:
        device_mod.use_threads(self.train_threads)  # this thread only: pages keep their own count
        while True:
            job = self._next_job()
            self._run(job)
            with self._cond:
                self._forget_gone()

    def _should_stop(self, job: Job) -> Callable[[], bool]:
        """Called before every batch: whether to stop. On the CPU, it first lets the pages that
        are running go first (``models.runtime.priority``)."""
        last_check = [time.monotonic()]
        courtesy = priority.Courtesy() if self.device.type == "cpu" else (lambda: 0.0)

        def should_stop() -> bool:
            courtesy()
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
            job.result = self.train_fn(job.task, self.device, report=job.history.append,
                                       should_stop=self._should_stop(job))
            job.state = JobState.DONE
        except Exception as err:  # noqa: BLE001 — the run ends; the runner and the next run go on
            job.error, job.state = run_error(err, job.id), JobState.FAILED
        finally:
            self.journal.ended(job)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()


_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()  # every runner of the process, for the exit


@atexit.register
def _shutdown_all() -> None:
    for runner_ in list(_RUNNERS):
        runner_.shutdown()


class RefusingRunner(JobRunner):
    """``CNNLAB_RAY_FALLBACK=refuse`` with no cluster: every run is refused with a sentence."""

    def __init__(self, **kwargs):
        super().__init__(max_running=0, **kwargs)

    def submit(self, owner: str, task: Task, tag: str = "", address: str | None = None) -> Job:
        task.validate()
        raise RunnerError("ray_unreachable")


_runner: Runner | None = None
_runner_lock = threading.Lock()


def _local(config: settings.Settings) -> JobRunner:
    return JobRunner(max_running=config.max_runs, max_queued=config.max_queue, max_time_s=config.max_run_seconds,
                     per_address=config.runs_per_address)


def _make(config: settings.Settings) -> Runner:
    """The runner of ``CNNLAB_RUNNER``: threads here, or the Ray cluster; a cluster that cannot be
    reached is said once in the console and gives the local runner (or a refusing one)."""
    if config.runner != "ray":
        return _local(config)
    try:
        from models.training import ray_runner  # Ray is a school's dependency, not the classroom's

        ray_runner.connect()
        fallback = None if config.ray_fallback == "refuse" else functools.partial(_local, config)
        return ray_runner.RayRunner(max_running=config.max_runs, max_queued=config.max_queue,
                                    per_address=config.runs_per_address,
                                    max_time_s=config.max_run_seconds, num_cpus=config.ray_cpus,
                                    num_gpus=config.ray_gpus, fallback=fallback)
    except Exception as err:  # noqa: BLE001 — no Ray installed, no head, a wrong address: the class goes on
        how = "runs are refused" if config.ray_fallback == "refuse" else "training runs on this server instead"
        log.warning("CNNLAB_RUNNER=ray, but the Ray cluster cannot be reached (%s): %s", err, how)
        if config.ray_fallback == "refuse":
            return RefusingRunner(max_time_s=config.max_run_seconds)
        runner_ = _local(config)
        runner_.notice = "ray_fallback"
        return runner_


def runner(is_alive: Callable[[str], bool] | None = None,
           journal: Callable[[Runner], Journal] | None = None) -> Runner:
    """The process-wide runner, created on first use from ``CNNLAB_RUNNER``, ``CNNLAB_MAX_RUNS``,
    ``CNNLAB_MAX_QUEUE``, ``CNNLAB_RUNS_PER_ADDRESS`` and ``CNNLAB_MAX_RUN_SECONDS``
    (``models.settings``). ``is_alive``, when given, is how the runner tells whether an owner's
    session still exists, from now on; ``journal(runner)``, when the runner is created, its journal."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = _make(settings.current())
            if journal is not None:
                _runner.journal = journal(_runner)
        if is_alive is not None:
            _runner.is_alive = is_alive
        return _runner


def notice() -> str | None:
    """What the training pages should say about where runs train: None when all is as set up;
    "ray_fallback" (this server trains, the cluster being unreachable) or "ray_unreachable"
    (runs are refused)."""
    current = _runner
    if current is None:
        return None
    if isinstance(current, RefusingRunner):
        return "ray_unreachable"
    return getattr(current, "notice", None)
