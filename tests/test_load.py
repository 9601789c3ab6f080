"""Many students at once, each a real session over Streamlit's websocket (bench/load_test.py).

Correctness under concurrency, not speed: every student is served, no page shows an exception,
the server logs no traceback, every training run ends. Timings are the benchmark's business.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from bench import load_test
from lessons import course

ROOT = Path(__file__).resolve().parents[1]


def test_modules_plotly_only_peeks_at_are_whole_before_any_page_runs():
    # Plotly reads pandas and pyarrow from sys.modules without importing them; one student's
    # thread must never see them half imported by another's (see ui/__init__.py)
    code = "import sys, ui; print(' '.join(m for m in ('pandas', 'pyarrow') if m not in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


@pytest.mark.school
@pytest.mark.slow
def test_a_class_arriving_at_once_is_served_without_an_error():
    args = load_test.parser().parse_args(["--students", "8", "--trainers", "2", "--arrival-s", "0",
                                          "--run-seconds", "3", "--settle-s", "0"])
    report = load_test.measure(args)
    assert report["errors"] == [] and report["server_tracebacks"] == 0, report["first_traceback"]
    assert report["served"] == 8
    assert report["runs"]["completed"] == 2
    assert report["runs"]["refused"] == 0


@pytest.mark.school
@pytest.mark.slow
def test_every_page_opened_at_once_on_a_cold_server_in_both_languages():
    # the first minutes of a lesson: nothing loaded yet, everyone clicking around at once
    args = load_test.parser().parse_args(["--tour", "--cold", "--students", "4", "--arrival-s", "0",
                                          "--settle-s", "0"])
    report = load_test.measure(args)
    assert report["errors"] == [] and report["server_tracebacks"] == 0, report["first_traceback"]
    assert report["pages_visited"] == 4 * (len(course()) - 1)  # each starts at home, then opens every other page


@pytest.mark.school
@pytest.mark.slow
def test_a_class_follows_a_teacher_who_leads_it_every_student_every_change():
    # bench.load_test --follow with a small class: correctness (each student on each of the
    # teacher's pages, with the teacher's setting), not the 2-s figure (docs/benchmarks.md)
    args = load_test.parser().parse_args(["--follow", "--students", "4", "--changes", "3", "--arrival-s", "0.2"])
    report = load_test.measure(args)
    assert report["errors"] == [] and report["server_tracebacks"] == 0, report
    assert report["changes"] == 3 and report["followed"] == report["expected"] == 12
