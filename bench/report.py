"""Every benchmark of the project, run one after another, printed as one JSON document.

    python -m bench.report [--skip load_test,cold_start] [--quick]

Runs each ``bench`` script in its own process (so none inherits another's warm caches or
threads) and collects its JSON under its name, with the machine they all ran on. ``--quick``
shortens the timed runs (training throughput 4 s per network, Fashion-MNIST 30 s, 10 students).
A benchmark that fails is reported with its error rather than stopping the others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {  # name: (module in bench/, arguments, quick arguments)
    "classify_speed": ("classify_speed", [], ["--repeats", "15"]),
    "train_throughput": ("train_throughput", [], ["--seconds", "4"]),
    "fashion_accuracy": ("fashion_accuracy", [], ["--seconds", "30"]),
    "cold_start": ("cold_start", [], []),
    # the class of thirty: arriving one a second, all at once, and in real browsers
    "load_test": ("load_test", [], ["--students", "10", "--trainers", "2"]),
    "load_test_at_once": ("load_test", ["--arrival-s", "0"],
                          ["--students", "10", "--trainers", "2", "--arrival-s", "0"]),
    "load_test_browser": ("load_test", ["--client", "browser"],
                          ["--client", "browser", "--students", "5", "--trainers", "1"]),
    # every page opened by everyone at once, on a server that has loaded nothing
    "load_test_tour": ("load_test", ["--tour", "--cold", "--arrival-s", "0"],
                       ["--tour", "--cold", "--arrival-s", "0", "--students", "10"]),
    # the class following a teacher who leads it through five lessons
    "load_test_follow": ("load_test", ["--follow"], ["--follow", "--students", "10", "--changes", "4"]),
    # what drawing a chart costs each tab: the pooling page's figures as Plotly JSON
    "figure_json": ("figure_json", [], ["--repeats", "50"]),
}


def run(module: str, args: list[str]) -> dict:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]}
    result = json.loads(done.stdout)
    result["bench_seconds"] = round(time.monotonic() - start, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", default="", help="comma-separated benchmark names to leave out")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    report = {
        "taken": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cores": os.cpu_count(), "torch": torch.__version__,
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
        "quick": args.quick,
    }
    for name, (module, full, quick) in BENCHMARKS.items():
        if name not in skip:
            report[name] = run(module, quick if args.quick else full)
            print(f"{name}: done", file=sys.stderr, flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
