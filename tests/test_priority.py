"""Pages first, training in the gaps (models.runtime.priority): a run training on this server's
CPU waits while pages run, for a bounded time, and the local runner asks before every batch.

A student's page here runs in a thread of its own until the test ends it (``Page``), so that what
a run does is measured against a page known to be running, whatever the machine's load."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from models.runtime import priority
from models.training.jobs import JobRunner, JobState
from models.training.train import TrainConfig
from tests.support import eventually

SCHEDULING_S = 0.15  # what a busy machine may add to a timed wait before the waiting thread runs again


class Page:
    """A page that runs from ``with`` until ``end()`` (or the block's end), in another thread.
    It ends by itself after ``longest_s``, so that a run that waited for it to end fails a test
    instead of hanging it."""

    def __init__(self, longest_s: float = 10.0):
        self.begun, self.ending = threading.Event(), threading.Event()
        self.ended_at: float | None = None  # when it stopped running (monotonic)
        self.thread = threading.Thread(target=self._run, args=(longest_s,))

    def _run(self, longest_s: float) -> None:
        with priority.page_running():
            self.begun.set()
            self.ending.wait(longest_s)
            self.ended_at = time.monotonic()

    def end(self) -> None:
        self.ending.set()

    def __enter__(self) -> Page:
        self.thread.start()
        assert self.begun.wait(10), "the page did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.end()
        self.thread.join()


def test_no_page_running_no_wait():
    courtesy = priority.Courtesy()
    start = time.monotonic()
    assert all(courtesy() == 0.0 for _ in range(1000))
    assert time.monotonic() - start < 0.5 and courtesy.waited_s == 0.0


def test_a_run_waits_until_the_pages_are_done():
    courtesy = priority.Courtesy(max_wait_s=10.0, allowance_s=10.0)
    with Page() as page:
        threading.Timer(0.3, page.end).start()
        waited = courtesy()
        returned = time.monotonic()
    assert page.ended_at is not None and page.ended_at <= returned  # until the page ended …
    assert waited < 2.0  # … not the 10 s it could have waited
    assert priority.pages_running() == 0


def test_each_wait_and_all_waits_are_bounded():
    courtesy = priority.Courtesy(max_wait_s=0.1, allowance_s=0.3, share=0.0)
    with Page():  # a page that runs longer than the run may wait
        waits = [courtesy() for _ in range(8)]
    assert max(waits) < 0.1 + SCHEDULING_S  # never more than max_wait_s at a time
    assert 0.25 < courtesy.waited_s < 0.3 + SCHEDULING_S  # the allowance, then no more waiting at all
    assert waits[-1] == 0.0


def test_a_run_waits_at_most_its_share_of_its_time():
    courtesy = priority.Courtesy(max_wait_s=0.05, allowance_s=0.0, share=0.5)
    assert courtesy() == 0.0  # nothing running: nothing to wait for
    courtesy.started -= 0.5  # half a second old: it may wait w = 0.5 · (0.5 + w), half a second
    with Page():
        total = sum(courtesy() for _ in range(30))
    assert 0.4 < total < 0.7


def test_a_page_that_fails_still_counts_as_done():
    def page():
        with priority.page_running():
            assert priority.pages_running() == 1
            raise RuntimeError("the page's own error")

    with pytest.raises(RuntimeError, match="the page's own error"):
        page()
    assert priority.pages_running() == 0


class Batches:
    """A stand-in for train.train: a 'batch' every millisecond, counted, until told to stop."""

    def __init__(self):
        self.count = 0

    def __call__(self, config, device, report, should_stop):
        while not should_stop():
            self.count += 1
            time.sleep(0.001)
        return "stopped"


def test_the_local_runner_on_the_cpu_trains_in_the_pages_gaps():
    batches = Batches()
    runner = JobRunner(device=torch.device("cpu"), train_fn=batches)
    job = runner.submit("ada", TrainConfig())
    try:
        eventually(lambda: batches.count >= 100)  # no page running: batch after batch, no pause
        with Page():
            start, begun = batches.count, time.monotonic()
            # the batch under way when the page began may end; every later one first waits
            # MAX_WAIT_S for the page (the run's allowance, 3 s, is far from spent)
            eventually(lambda: batches.count >= start + 3)
            paused = time.monotonic() - begun
        assert paused >= 2 * priority.MAX_WAIT_S * 0.9, paused
        after = batches.count
        eventually(lambda: batches.count >= after + 100)  # the page ended: no pause any more
    finally:
        runner.cancel(job)
    eventually(lambda: job.state is JobState.DONE)
