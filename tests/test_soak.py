"""The runner's memory over many runs from sessions that come and go (``bench.soak``, smaller).

It runs in a process of its own: the resident memory of the test process after a thousand other
tests (browsers driven, a Ray client connected and gone) moves by tens of MB on its own, and
this test is about what the runner keeps, not about the allocator's history."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOAK = """
import json
from bench.soak import soak
held = []
report = soak(runs=40, sessions=12, at_once=4, real_every=10, on_run=lambda done, runner: held.append(runner.held()))
print(json.dumps({**report, "max_held": max(held)}))
"""


@pytest.mark.slow
def test_many_runs_from_sessions_that_come_and_go_leave_memory_where_ten_left_it():
    out = subprocess.run([sys.executable, "-c", SOAK], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["runs"] == {"done": 40}
    # each run leaves 45 MB of weights: kept by the runner, 30 more runs would add over 1 GB
    assert report["growth_mb"] < 50, report
    assert report["jobs_held_at_end"] == 0
    assert report["max_held"] <= 2 * 4  # the live sessions' latest jobs, and those of sessions just gone
