"""Pages first, training in the gaps (models.runtime.priority): a run training on this server's
CPU waits while pages run, for a bounded time, and the local runner asks before every batch."""

import threading
import time

import pytest
import torch

from models.runtime import priority
from models.training.jobs import JobRunner
from models.training.train import TrainConfig


def _page_for(seconds: float) -> threading.Thread:
    def page():
        with priority.page_running():
            time.sleep(seconds)

    thread = threading.Thread(target=page)
    thread.start()
    time.sleep(0.05)  # it has begun
    return thread


def test_no_page_running_no_wait():
    courtesy = priority.Courtesy()
    start = time.monotonic()
    assert all(courtesy() == 0.0 for _ in range(1000))
    assert time.monotonic() - start < 0.5 and courtesy.waited_s == 0.0


def test_a_run_waits_until_the_pages_are_done():
    courtesy = priority.Courtesy(max_wait_s=2.0)
    page = _page_for(0.4)
    waited = courtesy()
    page.join()
    assert 0.25 < waited < 1.0  # until the page ended, not the whole 2 s
    assert priority.pages_running() == 0


def test_each_wait_and_all_waits_are_bounded():
    courtesy = priority.Courtesy(max_wait_s=0.1, allowance_s=0.3, share=0.0)
    page = _page_for(1.5)  # a page that runs longer than the run may wait
    waits = [courtesy() for _ in range(8)]
    page.join()
    assert max(waits) < 0.2  # never more than max_wait_s at a time (and a little scheduling)
    assert 0.25 < courtesy.waited_s < 0.45  # the allowance, then no more waiting at all
    assert waits[-1] == 0.0


def test_a_run_waits_at_most_its_share_of_its_time():
    courtesy = priority.Courtesy(max_wait_s=0.05, allowance_s=0.0, share=0.5)
    assert courtesy() == 0.0  # nothing running: nothing to wait for
    courtesy.started -= 0.5  # half a second old: it may wait w = 0.5 · (0.5 + w), half a second
    page = _page_for(2.0)
    total = sum(courtesy() for _ in range(30))
    page.join()
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
    time.sleep(0.3)
    before = batches.count
    time.sleep(0.5)
    free = batches.count - before  # batches in half a second with no page running
    page = _page_for(1.2)
    start = batches.count
    time.sleep(0.5)
    during = batches.count - start  # … and while a student's page runs
    page.join()
    runner.cancel(job)
    assert free > 100 and during <= 3, (free, during)
