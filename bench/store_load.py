"""The class store under a class of thirty writing at once: latency per write, size after the class.

    python -m bench.store_load [--students 30] [--answers 10] [--runs 2] [--postgres URL]

Thirty threads (one per student, as thirty sessions of one server are) arrive together; each
saves its runs (a real training-lab result of the default network, 0.8 MB of weights, as the
training lab saves it) and its quiz answers as fast as it can. Every write's latency is timed;
the database's size is read at the end. SQLite in a temporary folder always; PostgreSQL too with
``--postgres`` (or ``CNNLAB_TEST_POSTGRES``, as under ``pg_virtualenv .ci/with-postgres``).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time

import torch

from models.store import database
from models.training import train
from models.training.train import TrainConfig


def _percentiles(values: list[float]) -> dict:
    values = sorted(values)
    return {"p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))] * 1000, 1),
            "max_ms": round(values[-1] * 1000, 1), "count": len(values)}


def one_class(url: str, result, students: int, answers: int, runs: int) -> dict:
    store = database.Store(url)
    store.reset_class()
    run_times, answer_times, errors = [], [], []
    lock, start_together = threading.Lock(), threading.Barrier(students)

    def student(i: int) -> None:
        try:
            start_together.wait()
            me = store.arrive(database.new_token())
            for _ in range(runs):
                t0 = time.perf_counter()
                store.save_run(me.id, "train", "train", result)
                with lock:
                    run_times.append(time.perf_counter() - t0)
            for q in range(answers):
                t0 = time.perf_counter()
                store.save_answer(me.id, "conv_arithmetic", f"q{q}", str(q), q % 2 == 0, 3.0)
                with lock:
                    answer_times.append(time.perf_counter() - t0)
        except Exception as err:  # noqa: BLE001 — counted, and the JSON says which
            errors.append(repr(err))

    threads = [threading.Thread(target=student, args=(i,)) for i in range(students)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = {"backend": store.backend, "seconds": round(time.perf_counter() - began, 2),
              "run_write": _percentiles(run_times), "answer_write": _percentiles(answer_times),
              "errors": errors[:5], "error_count": len(errors),
              "size_mb": round((store.size_bytes() or 0) / 2**20, 2),
              "weights_kept": sum(len(store.weights_kept(s.id)) for s, _ in store.class_students())}
    store.engine.dispose()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("CNNLAB_TEST_POSTGRES", ""))
    args = parser.parse_args()
    result = train.train(TrainConfig(epochs=1, train_size=512), torch.device("cpu"))
    weights_mb = sum(t.numel() * t.element_size() for t in result.state_dict.values()) / 2**20
    backends = {}
    with tempfile.TemporaryDirectory() as folder:
        backends["sqlite"] = one_class(f"sqlite:///{folder}/class.sqlite", result, args.students, args.answers,
                                       args.runs)
    if args.postgres:
        backends["postgresql"] = one_class(args.postgres, result, args.students, args.answers, args.runs)
    print(json.dumps({"benchmark": "store_load", "machine": platform.platform(), "students": args.students,
                      "runs_each": args.runs, "answers_each": args.answers, "weights_mb_per_run": round(weights_mb, 2),
                      "backends": backends}, indent=1))


if __name__ == "__main__":
    main()
