"""A school day on the job runner: many runs from sessions that come and go; memory stays flat.

    python -m bench.soak [--runs 300] [--sessions 100] [--at-once 5] [--real-every 10]

Each session submits runs one after another, as a student pressing Start does, and behaves as
the page does (``ui.runs``): it collects each ended run and keeps the latest three results, with
their weights, in its own state; then it leaves, its state with it. One session in three leaves
without collecting its last run (a tab closed after the run ended). Most runs are a ``Weights``
task: it builds a real ResNet18 and returns its 45 MB of weights as the run's result, which is
what a trained ResNet18 leaves behind (training one takes about 20 s here, so 300 of them would
take hours); every ``--real-every``-th run is a real training run of the plain CNN.

The server's memory (this process's resident set, after a garbage collection and glibc's
``malloc_trim``) is read once the students of the first 10 runs have left, and again once every
student has left, at the end; the runner's held jobs are counted both times. Prints
one JSON document.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import json
import os
import platform
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import torch
from torchvision import models as tvm

from models.training import jobs
from models.training.train import TrainConfig

KEEP_WEIGHTS = 3  # as the training lab keeps per session


@dataclass(frozen=True)
class Weights:
    """A run whose result is a real ResNet18's weights (untrained): what a run leaves behind."""

    kind: ClassVar[str] = "soak"
    seed: int = 0
    time_limit_s: float = 60.0

    def validate(self, device=None, threads=None) -> None:
        pass

    def run(self, device, report, should_stop):
        model = tvm.resnet18(weights=None)
        report(self.seed)
        return {k: v.clone() for k, v in model.state_dict().items()}


def rss_mb() -> float:
    """This process's resident memory, after a collection and after glibc has handed its free
    heap back (``malloc_trim``): what is still alive, not what the allocator keeps for reuse."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the figure then includes the allocator's cache
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(runs: int = 300, sessions: int = 100, at_once: int = 5, real_every: int = 10,
         task=lambda i: Weights(seed=i), on_run=lambda done, runner: None) -> dict:
    """``runs`` runs from ``sessions`` students, ``at_once`` of them at a time, in two waves on one
    runner: first the students of the first 10 runs (the memory is read once they have left),
    then all the others (read again once they have left too)."""
    alive: set[str] = set()
    runner = jobs.JobRunner(max_running=1, max_queued=at_once, device=torch.device("cpu"),
                            is_alive=lambda owner: owner in alive, alive_check_s=0.2)
    per_session = -(-runs // sessions)  # ceil
    indices, lock = iter(range(runs)), threading.Lock()
    done = collections.Counter()

    def student(name: str, n_runs: int, leaves_without_collecting: bool) -> None:
        alive.add(name)
        kept = []  # the session's state: its latest results, with their weights
        for n in range(n_runs):
            with lock:
                i = next(indices)
            work = TrainConfig(epochs=1, train_size=256, seed=i) if real_every and i % real_every == 0 else task(i)
            while True:
                try:
                    job = runner.submit(name, work)
                    break
                except jobs.RunnerBusy:
                    time.sleep(0.05)
            while job.live:
                time.sleep(0.01)
            with lock:
                done[job.state.value] += 1
                finished = sum(done.values())
            on_run(finished, runner)
            if leaves_without_collecting and n == n_runs - 1:
                break
            runner.collect(job)  # the page recorded it: the runner lets go
            kept = (kept + [job.result])[-KEEP_WEIGHTS:]
        alive.discard(name)  # the tab closes: the session and its state are gone

    def wave(first_session: int, n_runs: int) -> None:
        active: list[threading.Thread] = []
        s = first_session
        while n_runs > 0:
            while len([t for t in active if t.is_alive()]) >= at_once:
                time.sleep(0.01)
            mine = min(per_session, n_runs)
            n_runs -= mine
            thread = threading.Thread(target=student, args=(f"s{s}", mine, s % 3 == 2))
            thread.start()
            active.append(thread)
            s += 1
        for thread in active:
            thread.join()
        # the runner forgets a gone student's uncollected run at the next submit or run end
        job = runner.submit("teacher", Weights())
        while job.live:
            time.sleep(0.01)
        runner.collect(job)
        return s

    start = time.perf_counter()
    warm = min(10, runs)
    next_session = wave(0, warm)
    after_10 = rss_mb()
    held_after_10 = runner.held()
    wave(next_session, runs - warm)
    at_end = rss_mb()
    return {"runs": dict(done), "sessions": sessions, "at_once": at_once,
            "seconds": round(time.perf_counter() - start, 1),
            "rss_after_10_runs_mb": round(after_10, 1), "rss_at_end_mb": round(at_end, 1),
            "growth_mb": round(at_end - after_10, 1), "jobs_held_after_10_runs": held_after_10,
            "jobs_held_at_end": runner.held()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--at-once", type=int, default=5)
    parser.add_argument("--real-every", type=int, default=10)
    args = parser.parse_args()
    report = soak(args.runs, args.sessions, args.at_once, args.real_every)
    report["machine"] = {"platform": platform.platform(), "torch": torch.__version__}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
