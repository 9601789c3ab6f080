"""Pages first, training in the gaps: how a training run shares this server's CPU with the class.

On a CPU the local runner trains in a thread of the app server, beside thirty students' pages.
A student who uploads a picture waits for their page; a training run does not mind a pause.
So every page run is marked while it runs (``page_running``, by the frame), and a run
training on the CPU calls its ``Courtesy`` before each batch: while any page is running, the
run waits, for at most ``MAX_WAIT_S`` at a time. Its total waiting is bounded too: at most
``ALLOWANCE_S`` plus ``SHARE`` of the run's time so far, so a class that never stops clicking
slows a run down (at most about twofold, past the allowance) but never stops it.

Measured with ``bench.load_test --arrival-s 0`` (thirty uploads at once, five of them then
training; docs/decisions.md, "Pages first, training in the gaps"): the last students' top-5
lists came sooner, since the training's core, and the GIL its Python loop takes, went to the
pages during the burst.
A run on a GPU does not wait: its work is on the GPU, not on the pages' cores.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

MAX_WAIT_S = 0.5  # the longest single pause before a batch
ALLOWANCE_S = 3.0  # a run may pause this long in all, whatever its age (a burst at its start) …
SHARE = 0.5  # … plus this share of the time since it started

_pages = 0  # page runs in progress in this process
_quiet = threading.Condition()


@contextlib.contextmanager
def page_running() -> Iterator[None]:
    """Around a page run that a student is waiting for."""
    global _pages
    with _quiet:
        _pages += 1
    try:
        yield
    finally:
        with _quiet:
            _pages -= 1
            if not _pages:
                _quiet.notify_all()


def pages_running() -> int:
    return _pages


class Courtesy:
    """One training run's pauses: call it before each batch; returns the seconds it waited."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S, allowance_s: float = ALLOWANCE_S, share: float = SHARE):
        self.max_wait_s, self.allowance_s, self.share = max_wait_s, allowance_s, share
        self.started = time.monotonic()
        self.waited_s = 0.0

    def __call__(self) -> float:
        if not _pages:  # the usual case, without a lock
            return 0.0
        now = time.monotonic()
        left = self.allowance_s + self.share * (now - self.started) - self.waited_s
        limit = min(self.max_wait_s, left)
        if limit <= 0:
            return 0.0
        with _quiet:
            _quiet.wait_for(lambda: not _pages, timeout=limit)
        waited = time.monotonic() - now
        self.waited_s += waited
        return waited
