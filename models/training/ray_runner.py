"""The job runner on a Ray cluster, for a school: a ``jobs.Runner``, as ``jobs.JobRunner`` is.

With ``CNNLAB_RUNNER=ray`` every training run and lesson task runs as a Ray task on whichever
machine of the cluster has room (Ray's own ``RAY_ADDRESS`` says which cluster). The pages cannot
tell: they submit, watch, cancel and collect ``jobs.Job`` objects as before.

    app server ──submit/poll/cancel──▶ Scheduler actor ──starts──▶ _train task (a worker, any machine)
         ▲                               (the class's one queue)   ◀──heartbeat: points, "stop?"──┘
         └───────────── ray.get(result): the RunResult through Ray's object store ─────────────┘

* **One queue for the class.** One detached, named actor, the ``Scheduler``, holds every job of
  every app server: one live run per student and ``per_address`` per network address (one person
  with five fresh cookies on two app servers is still one address), at most ``max_running`` at
  once and ``max_queued`` waiting (the first app server to start creates it with its settings), queue
  positions and "busy" counted across servers. A student sent to another server by the proxy
  finds their live run there (``job_of`` asks the scheduler).
* **Ray's resources, not ours.** Each run asks for ``num_cpus`` and a fraction of a GPU
  (``CNNLAB_RAY_GPUS_PER_RUN``, so several small runs share one GPU); Ray places it. A run that
  fails, runs out of memory or loses its worker (a killed process, a machine leaving the
  cluster) ends only itself, with a sentence (``RunnerError``): Ray is told never to retry it.
* **Progress and Stop.** The task's heartbeat thread sends its new points to the scheduler and
  reads its stop flag about four times a second; the training loop checks that flag every batch.
  Each app server polls the scheduler twice a second for all of its jobs at once.
* **Gone students and gone servers.** An app server cancels the runs of students whose tabs have
  closed, as the local runner does; a running job that no app server has asked about for
  ``LEASE_S`` (its server died and the student did not come back) is stopped by the scheduler.
* **A cluster that does not answer.** At start, ``connect`` says so within seconds and
  ``jobs.runner`` falls back to the local runner (or refuses runs: ``CNNLAB_RAY_FALLBACK``).
  During the class, a call that gets no answer within ``CALL_TIMEOUT_S`` means a slow cluster,
  not a lost one (a busy machine, a scheduler starved of CPU): the runs wait, a Start that got
  no answer says "try again in a moment". Only a cluster that has answered nothing for
  ``LOST_AFTER_S`` is lost: the live runs end with a sentence and new ones go to the fallback.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import ray
import torch
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from models.errors import LabError
from models.training import jobs
from models.training.jobs import AlreadyRunning, Job, JobState, RunnerBusy, RunnerError

log = logging.getLogger(__name__)

NAMESPACE = "cnnlab"
SCHEDULER = "cnnlab-scheduler"
POLL_S = 0.5  # how often an app server asks the scheduler about its jobs
HEARTBEAT_S = 0.25  # how often a running task sends its points and reads its stop flag
LEASE_S = 30.0  # a running job nobody has asked about for this long is stopped
CALL_TIMEOUT_S = 10.0  # how long an app server waits for one answer from the scheduler
LOST_AFTER_S = 45.0  # no answer at all for this long: the cluster is lost (one late answer is not)
START_TIMEOUT_S = 120.0  # the scheduler's first start: a process, the shipped code, torch imported
HEAD_RESOURCE = "node:__internal_head__"  # the resource by which Ray marks the head node
MODELS = Path(__file__).resolve().parents[1]  # the models package, shipped to every worker
UNANSWERED = (ray.exceptions.RayError, ConnectionError, TimeoutError)  # the cluster did not answer a call


@dataclass
class _Failure:
    """What a task returns instead of a result when it failed in a way it could see."""

    error: LabError


# --- the task, on a worker of the cluster ------------------------------------------------------

def _run_on_worker(scheduler, job_id: int, task: jobs.Task, threads: int):
    """Run ``task`` here, on this worker's GPU if Ray gave it one (Ray sets CUDA_VISIBLE_DEVICES
    to it), else on its CPUs."""
    device = torch.device("cuda") if ray.get_gpu_ids() else torch.device("cpu")
    torch.set_num_threads(max(1, threads))
    pending: list = []
    lock, stop, done = threading.Lock(), threading.Event(), threading.Event()

    def heartbeat() -> None:  # one thread sends, in order; the loop never waits on the network
        while not done.is_set():
            with lock:
                batch = pending[:]
                pending.clear()
            if ray.get(scheduler.heartbeat.remote(job_id, batch, os.getpid())):
                stop.set()
            done.wait(HEARTBEAT_S)

    def report(point) -> None:
        with lock:
            pending.append(point)

    beat = threading.Thread(target=heartbeat, daemon=True, name=f"heartbeat-{job_id}")
    beat.start()
    try:
        result = task.run(device, report, stop.is_set)
    except Exception as err:  # noqa: BLE001 — the run ends with a sentence; the worker goes on
        result = _Failure(jobs.run_error(err, job_id))
    finally:
        done.set()
        beat.join()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    with lock:
        ray.get(scheduler.heartbeat.remote(job_id, pending, os.getpid()))  # the last points
    return result


_train = ray.remote(max_retries=0)(_run_on_worker)  # a lost worker ends its run; it is never rerun


# --- the scheduler: the class's one queue ------------------------------------------------------

@dataclass
class _Entry:
    id: int
    owner: str
    tag: str
    task: jobs.Task
    address: str | None = None  # where the student's page was opened from; None: the server's machine
    state: str = "queued"  # queued, running, ended
    points: list = field(default_factory=list)
    stop: bool = False
    ref: object = None  # the task's ObjectRef once started
    pid: int | None = None  # the worker process running it
    cancelled_before_start: bool = False
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    polled_at: float = field(default_factory=time.time)


class Scheduler:
    """One per cluster (a detached, named actor). Threaded: app servers and tasks call it at once."""

    def __init__(self, max_running: int, max_queued: int, num_cpus: float, num_gpus: float, per_address: int = 1):
        # Every task a page submits arrives pickled and is unpickled here: import its modules now
        # (torchvision with them, a second or more), inside the app server's start-up wait, and not
        # in the first student's Start, whose answer every other call would then queue behind.
        from models.training import tasks, train  # noqa: F401

        self.max_running, self.max_queued, self.per_address = max_running, max_queued, per_address
        self.num_cpus, self.num_gpus = num_cpus, num_gpus
        self.entries: dict[int, _Entry] = {}
        self.queue: collections.deque[int] = collections.deque()
        self.lock = threading.Lock()
        self.ids = itertools.count(1)

    # called by app servers

    def submit(self, owner: str, task: jobs.Task, tag: str,
               address: str | None = None) -> tuple[int | None, str | None]:
        with self.lock:
            self._reap()
            live = [e for e in self.entries.values() if e.state != "ended"]
            if any(e.owner == owner for e in live):
                return None, "already_running"
            if jobs.address_full(live, address, self.per_address):
                return None, "address_busy"
            if len(self.queue) >= self.max_queued and self._running() >= self.max_running:
                return None, "busy"
            entry = _Entry(next(self.ids), owner, tag, task, address)
            self.entries[entry.id] = entry
            self.queue.append(entry.id)
            self._start_next()
            return entry.id, None

    def poll(self, seen: dict[int, int]) -> dict[int, dict]:
        """For each job id, with how many of its points the caller has: its state and the rest."""
        now = time.time()
        with self.lock:
            self._reap()
            out = {}
            for job_id, count in seen.items():
                e = self.entries.get(job_id)
                if e is None:
                    out[job_id] = {"state": "forgotten"}
                    continue
                e.polled_at = now
                out[job_id] = {"state": e.state, "points": e.points[count:], "position": self._position(e),
                               "ref": [e.ref] if e.state == "ended" and e.ref is not None else None,
                               "cancelled_before_start": e.cancelled_before_start, "pid": e.pid,
                               "started_at": e.started_at}
            return out

    def job_of(self, owner: str) -> dict | None:
        """The owner's live job, whichever app server started it (for a student sent to another)."""
        with self.lock:
            live = [e for e in self.entries.values() if e.owner == owner and e.state != "ended"]
            return ({"id": live[-1].id, "tag": live[-1].tag, "task": live[-1].task, "address": live[-1].address}
                    if live else None)

    def cancel(self, job_id: int) -> None:
        with self.lock:
            e = self.entries.get(job_id)
            if e is None:
                return
            e.stop = True
            if e.state == "queued":
                self.queue.remove(job_id)
                e.state, e.cancelled_before_start = "ended", True

    def forget(self, job_id: int) -> None:
        with self.lock:
            e = self.entries.pop(job_id, None)
            if e is not None and e.state != "ended":  # forgetting a live job stops it
                e.stop = True
                self.entries[job_id] = e

    def counts(self) -> dict[str, int]:
        with self.lock:
            self._reap()
            return {"running": self._running(), "queued": len(self.queue), "held": len(self.entries)}

    # called by the tasks

    def heartbeat(self, job_id: int, points: list, pid: int) -> bool:
        with self.lock:
            e = self.entries.get(job_id)
            if e is None:
                return True  # forgotten: stop
            e.points.extend(points)
            e.pid = pid
            return e.stop

    # inside (the lock held)

    def _running(self) -> int:
        return sum(1 for e in self.entries.values() if e.state == "running")

    def _position(self, e: _Entry) -> int:
        return self.queue.index(e.id) + 1 if e.state == "queued" else 0

    def _start_next(self) -> None:
        me = ray.get_runtime_context().current_actor
        while self.queue and self._running() < self.max_running:
            e = self.entries[self.queue.popleft()]
            if e.stop:
                e.state, e.cancelled_before_start = "ended", True
                continue
            threads = max(1, int(self.num_cpus))
            e.ref = _train.options(num_cpus=self.num_cpus, num_gpus=self.num_gpus).remote(me, e.id, e.task, threads)
            e.state, e.started_at = "running", time.time()

    def _reap(self) -> None:
        """Mark ended the running jobs whose task has returned (or died); stop abandoned ones."""
        running = [e for e in self.entries.values() if e.state == "running"]
        if running:
            ready, _ = ray.wait([e.ref for e in running], num_returns=len(running), timeout=0)
            ready = set(ready)
            now = time.time()
            for e in running:
                if e.ref in ready:
                    e.state = "ended"
                elif now - e.polled_at > LEASE_S:  # no app server asks about it any more
                    e.stop = True
        for e in [e for e in self.entries.values() if e.state == "ended" and time.time() - e.polled_at > 4 * LEASE_S]:
            del self.entries[e.id]  # ended, and nobody came for it: its app server is gone
        self._start_next()


# --- an app server's side -------------------------------------------------------------------

class RayUnreachable(RuntimeError):
    pass


def head_node() -> str:
    """The id of the cluster's head node: Ray gives it, and only it, a ``node:__internal_head__``
    resource."""
    heads = [n["NodeID"] for n in ray.nodes() if n["Alive"] and HEAD_RESOURCE in n["Resources"]]
    if not heads:
        raise RayUnreachable("the Ray cluster has no head node alive")
    return heads[0]


class Unanswered(RuntimeError):
    """The scheduler did not answer one call in time (or the call failed on the way); the cluster
    may only be slow. ``RayRunner`` declares it lost after ``LOST_AFTER_S`` of these in a row."""


def connect(address: str | None = None, timeout_s: float = 10.0) -> None:
    """Join the cluster at ``address`` (default: Ray's ``RAY_ADDRESS``, else a local head on this
    machine); ``RayUnreachable`` within about ``timeout_s`` if there is none."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or "auto"
    host, _, port = address.rpartition(":")
    if host and port.isdigit():  # a head that is not there is refused at once: no retries for a minute
        try:
            socket.create_connection((host, int(port)), timeout=min(5.0, timeout_s)).close()
        except OSError as err:
            raise RayUnreachable(f"nothing answers at {address} ({err.strerror or err})") from None
    outcome: list = []

    def attempt() -> None:
        try:
            # The training code travels with the job (Ray's runtime environment): a GPU machine
            # of the cluster needs the Python packages, not a checkout of the app.
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, ignore_reinit_error=True,
                     logging_level=logging.WARNING, runtime_env={"py_modules": [str(MODELS)]})
            outcome.append(None)
        except Exception as err:  # noqa: BLE001 — whatever it is, the class goes on without Ray
            outcome.append(err)

    thread = threading.Thread(target=attempt, daemon=True, name="ray-connect")
    thread.start()
    thread.join(timeout_s)
    if not outcome:
        raise RayUnreachable(f"no Ray cluster answered within {timeout_s:.0f} s")
    if outcome[0] is not None:
        raise RayUnreachable(str(outcome[0]).strip().splitlines()[0][:300])
    here = ray.util.get_node_ip_address()
    if host in ("127.0.0.1", "localhost") and here != "127.0.0.1":
        # A head on loopback, joined from the machine's network address: it works, but every
        # server of Ray listens on the network (deploy.school.ONE_MACHINE_RAY says why).
        log.warning("Ray put this app server on %s, not on 127.0.0.1, for a head on %s: start the head "
                    "and the app servers with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 to keep Ray on loopback",
                    here, address)


class RayRunner:
    """A ``jobs.Runner``, with the jobs on the cluster's scheduler."""

    def __init__(self, max_running: int = 1, max_queued: int = 4, max_time_s: float = 60.0,
                 is_alive: Callable[[str], bool] = lambda owner: True, num_cpus: float = 1.0,
                 num_gpus: float = 0.0, alive_check_s: float = 2.0, poll_s: float = POLL_S,
                 fallback: Callable[[], jobs.JobRunner] | None = None, call_timeout_s: float = CALL_TIMEOUT_S,
                 lost_after_s: float = LOST_AFTER_S, per_address: int = 1, journal: jobs.Journal | None = None):
        self.max_running, self.max_queued, self.max_time_s = max_running, max_queued, max_time_s
        self.per_address, self.journal = per_address, journal or jobs.NoJournal()
        self.call_timeout_s, self.lost_after_s = call_timeout_s, lost_after_s
        # Where a step's cost is measured before a run is queued (models.training.cost): this server's
        # GPU when the workers train on GPUs and it has one, else its CPU, with a worker's threads.
        self.device = torch.device("cuda" if num_gpus and torch.cuda.is_available() else "cpu")
        self.num_cpus = num_cpus
        # when the first of the calls unanswered since the last answer was made
        self._unanswered_since: float | None = None
        # If the cluster stops answering during the class: its live runs end with a sentence, and
        # new ones go to ``fallback()`` (a local runner, made once), or are refused if it is None.
        self._fallback_factory, self._fallback = fallback, None
        self.lost = threading.Event()
        self.is_alive, self.alive_check_s, self.poll_s = is_alive, alive_check_s, poll_s
        # The scheduler lives on the head: on a GPU machine it would go when that machine leaves
        # the cluster, with the class's queue and every run in it (as Ray Serve's controller does).
        self.scheduler = ray.remote(Scheduler).options(
            name=SCHEDULER, namespace=NAMESPACE, lifetime="detached", get_if_exists=True,
            max_concurrency=64, num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(head_node(), soft=False),
        ).remote(max_running, max_queued, num_cpus, num_gpus, per_address)
        ray.get(self.scheduler.counts.remote(), timeout=START_TIMEOUT_S)  # its process up, torch imported
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()  # one poll at a time: two would both append the same points
        self._latest: dict[str, Job] = {}  # owner → their latest job (its id is the scheduler's), until collected
        self._positions: dict[int, int] = {}
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._poll_forever, daemon=True, name="ray-runner-poll")
        self._poller.start()

    # --- what pages call (jobs.Runner) ---------------------------------------------------

    @property
    def notice(self) -> str | None:
        if not self.lost.is_set():
            return None
        return "ray_fallback" if self._fallback_factory else "ray_unreachable"

    def fallback(self) -> jobs.JobRunner | None:
        if self._fallback is None and self._fallback_factory is not None:
            self._fallback = self._fallback_factory()
            self._fallback.is_alive, self._fallback.journal = self.is_alive, self.journal
        return self._fallback

    def submit(self, owner: str, task: jobs.Task, tag: str = "", address: str | None = None) -> Job:
        task = replace(task, time_limit_s=min(task.time_limit_s, self.max_time_s))
        with self._lock:
            current = self._latest.get(owner)
            if current and current.live:
                raise AlreadyRunning()
        # a step timed here, with the threads a worker trains with (models.training.cost)
        task.validate(self.device, max(1, int(self.num_cpus)))
        if self.lost.is_set():
            if self.fallback() is None:
                raise RunnerError("ray_unreachable")
            return self.fallback().submit(owner, task, tag, address)
        try:
            job_id, refused = self._ask(self.scheduler.submit.remote(owner, task, tag, address))
        except Unanswered:
            if self.lost.is_set():  # that was the last straw: the fallback takes it
                return self.submit(owner, task, tag, address)
            # The submission may still reach the scheduler: then ``job_of`` finds the run on the
            # student's next page run, as it finds a run started on another app server.
            raise RunnerError("ray_slow") from None
        if refused == "already_running":
            raise AlreadyRunning()
        if refused == "busy":
            raise RunnerBusy()
        if refused == "address_busy":
            raise RunnerBusy("address_busy", limit=self.per_address)
        return self._hold(owner, job_id, task, tag, address)

    def job_of(self, owner: str) -> Job | None:
        with self._lock:
            job = self._latest.get(owner)
        if job is not None:
            return job
        if self.lost.is_set():
            return self.fallback().job_of(owner) if self.fallback() else None
        try:  # started on another app server, whose student the proxy has sent here?
            adopted = self._ask(self.scheduler.job_of.remote(owner))
        except Unanswered:
            return None
        if adopted is None:
            return None
        return self._hold(owner, adopted["id"], adopted["task"], adopted["tag"], adopted["address"])

    def collect(self, job: Job) -> None:
        if job.runner is not self:
            return job.runner.collect(job)
        if job.live:
            raise ValueError("a live job cannot be collected")
        with self._lock:
            if self._latest.get(job.owner) is job:
                del self._latest[job.owner]
        self.scheduler.forget.remote(job.id)

    def cancel(self, job: Job) -> None:
        if job.runner is not self:
            return job.runner.cancel(job)
        job.cancel_event.set()
        try:
            self._ask(self.scheduler.cancel.remote(job.id))  # late, it still reaches the scheduler
            self._refresh()
        except Unanswered:
            pass

    def queue_position(self, job: Job) -> int:
        if job.runner is not self:
            return job.runner.queue_position(job)
        return self._positions.get(job.id, 0) if job.state is JobState.QUEUED else 0

    def live_jobs(self) -> list[Job]:
        with self._lock:
            live = [j for j in self._latest.values() if j.live]
        ours = sorted(live, key=lambda j: (j.state is not JobState.RUNNING, self._positions.get(j.id, 0), j.id))
        return ours + (self._fallback.live_jobs() if self._fallback else [])

    def held(self) -> int:
        with self._lock:
            return len(self._latest) + (self._fallback.held() if self._fallback else 0)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        for job in self.live_jobs():
            try:
                self.cancel(job)
            except Exception:  # noqa: BLE001 — at exit, the cluster may be gone already
                pass
        self._closed.set()

    # --- keeping the jobs up to date ----------------------------------------------------

    def _ask(self, ref):
        """The scheduler's answer to one call, or ``Unanswered``. Silence (timeouts, failed calls)
        that has lasted ``lost_after_s`` since the first unanswered call loses the cluster."""
        asked = time.monotonic()
        try:
            answer = ray.get(ref, timeout=self.call_timeout_s)
        except UNANSWERED as err:
            with self._lock:
                self._unanswered_since = min(self._unanswered_since or asked, asked)
                silent_s = time.monotonic() - self._unanswered_since
            if silent_s >= self.lost_after_s:
                self._lose_all(err)
            raise Unanswered(str(err).splitlines()[0][:200] if str(err) else type(err).__name__) from err
        with self._lock:
            self._unanswered_since = None
        return answer

    def _hold(self, owner: str, job_id: int, task, tag: str, address: str | None = None) -> Job:
        job = Job(id=job_id, owner=owner, task=task, runner=self, tag=tag, address=address)
        self.journal.started(job)  # before a poll can end it
        with self._lock:
            self._latest[owner] = job
        try:
            self._refresh()
        except Unanswered:
            pass  # the poller brings its state
        return job

    def _poll_forever(self) -> None:
        last_alive_check = time.monotonic()
        while not self._closed.wait(self.poll_s):
            if self.lost.is_set():
                continue
            try:
                self._refresh()
                if time.monotonic() - last_alive_check >= self.alive_check_s:
                    last_alive_check = time.monotonic()
                    for job in self.live_jobs():  # a closed tab frees its slot
                        if not self.is_alive(job.owner):
                            self.cancel(job)
                    with self._lock:  # students who have gone are forgotten with their ended jobs
                        gone = [o for o, j in self._latest.items() if not j.live and not self.is_alive(o)]
                    for owner in gone:
                        self.collect(self._latest[owner])
            except Unanswered:
                pass  # slow, or gone: ``_ask`` tells them apart by how long it lasts
            except Exception:
                log.exception("polling the Ray scheduler failed")

    def _refresh(self) -> None:
        with self._refreshing:
            with self._lock:
                live = {job.id: job for job in self._latest.values() if job.live}
            if live:
                self._apply(live, self._ask(self.scheduler.poll.remote({i: len(j.history) for i, j in live.items()})))

    def _apply(self, live: dict[int, Job], status: dict[int, dict]) -> None:
        for job_id, s in status.items():
            job = live[job_id]
            job.history.extend(s.get("points", []))
            if s["state"] == "running" and job.state is JobState.QUEUED:
                job.state, job.started_at = JobState.RUNNING, time.monotonic()
            self._positions[job.id] = s.get("position", 0)
            if s.get("pid"):
                job.worker = f"pid {s['pid']}"
            if s["state"] == "forgotten":
                job.state, job.error = JobState.FAILED, RunnerError("worker_lost")
            elif s["state"] == "ended":
                self._finish(job, s)
            if not job.live:
                self.journal.ended(job)

    def _finish(self, job: Job, s: dict) -> None:
        if s["cancelled_before_start"] or not s["ref"]:
            job.state, job.error = JobState.DONE, RunnerError("cancelled_before_start")
            return
        try:
            result = ray.get(s["ref"][0], timeout=self.call_timeout_s)
        except ray.exceptions.GetTimeoutError:
            return  # ended, its result still on its way (a big network, another machine): the next poll
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError,
                ray.exceptions.RayTaskError, ray.exceptions.TaskCancelledError, ray.exceptions.ActorDiedError):
            job.state, job.error = JobState.FAILED, RunnerError("worker_lost")
            return
        if isinstance(result, _Failure):
            job.state, job.error = JobState.FAILED, result.error
        else:
            job.result, job.state = result, JobState.DONE

    def _lose_all(self, err: BaseException) -> None:
        """The cluster stopped answering: said once in the console; every live job ends with the
        worker-lost sentence; from now on runs go to the fallback (or are refused)."""
        if not self.lost.is_set():
            how = "training runs on this server from now on" if self._fallback_factory else "runs are refused"
            log.warning("the Ray cluster stopped answering (%s): %s", str(err).splitlines()[0][:200], how)
            self.lost.set()
        with self._lock:
            live = [j for j in self._latest.values() if j.live]
        for job in live:
            job.state, job.error = JobState.FAILED, RunnerError("worker_lost")
            self.journal.ended(job)
