"""models.runtime.memo: one computation per arguments, however many students' threads ask at once."""

import sys
import threading
import time

import pytest

from models.runtime.memo import Recent, Shared, memoized
from tests.support import eventually


def _inside(thread: threading.Thread, fn) -> bool:
    """Whether ``thread`` is running ``fn``'s code now, or waiting somewhere inside it."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code is fn.__code__:
            return True
        frame = frame.f_back
    return False


def test_threads_asking_together_share_one_computation():
    calls = []
    release = threading.Event()

    @memoized
    def slow(n):
        calls.append(n)
        release.wait(10)  # computing, until every student has asked
        return [n]  # a new object each time it is computed

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(3))) for _ in range(8)]
    for thread in threads:
        thread.start()
    eventually(lambda: all(_inside(thread, slow) for thread in threads))  # all eight have asked
    release.set()
    for thread in threads:
        thread.join()
    assert calls == [3]
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_different_arguments_are_computed_side_by_side_and_kept_apart():
    together = threading.Barrier(4, timeout=10)  # passed only by four computations under way at once
    passed = []

    @memoized
    def slow(n, scale=1):
        if scale == 1:
            passed.append(together.wait())
        return n * scale

    threads = [threading.Thread(target=slow, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(passed) == [0, 1, 2, 3]  # not one after another: the barrier would have broken
    together.abort()  # from now on computing slow(n) again fails at once: these come from memory
    assert [slow(n) for n in range(4)] == [0, 1, 2, 3]
    assert slow(2, scale=10) == 20


def test_an_exception_is_not_kept():
    attempts = []

    @memoized
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("not there yet")
        return "there"

    with pytest.raises(OSError, match="not there yet"):
        flaky()
    assert flaky() == "there"
    assert flaky() == "there" and len(attempts) == 2


def test_shared_computes_once_for_threads_asking_together_and_keeps_the_latest():
    shared = Shared(maxsize=2)
    calls = []
    release = threading.Event()

    def slow():
        calls.append(1)
        release.wait(10)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(shared.get("a", slow))) for _ in range(6)]
    for thread in threads:
        thread.start()
    eventually(lambda: len(calls) == 1 and sum(_waiting(thread) for thread in threads) == 5)
    release.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and all(r is results[0] for r in results)
    shared.get("b", object)
    assert shared.get("a", object) is results[0]  # used last: "b" is the least recently used now
    shared.get("c", object)  # over maxsize: "b" goes
    assert len(shared) == 2
    assert shared.get("a", object) is results[0]
    fresh = object()
    assert shared.get("b", lambda: fresh) is fresh  # computed again


def test_shared_keeps_no_failure():
    shared = Shared(maxsize=4)

    def fails():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        shared.get("a", fails)
    assert shared.get("a", lambda: 1) == 1 and len(shared) == 1


def test_shared_keeps_at_most_max_bytes_least_recently_used_first_and_a_large_value_alone():
    shared = Shared(maxsize=100, max_bytes=10, weigh=len)
    for key in "abc":
        shared.get(key, lambda key=key: key * 3)  # 3 bytes each: 9 kept
    assert len(shared) == 3 and shared.bytes == 9
    shared.get("a", lambda: "never")  # used: "b" is the least recently used now
    shared.get("d", lambda: "dddd")  # 13 bytes: "b" goes (9), and nothing more
    assert shared.bytes == 10 and [shared.get(k, lambda: "again") for k in "acd"] == ["aaa", "ccc", "dddd"]
    assert shared.get("b", lambda: "again") == "again"  # it went: computed again
    shared.get("e", lambda: "e" * 50)  # larger than the bound: kept alone
    assert len(shared) == 1 and shared.bytes == 50
    with pytest.raises(ValueError, match="go together"):
        Shared(maxsize=2, max_bytes=10)  # a bound in bytes needs a way to weigh


def test_shared_counts_a_key_computed_twice_after_a_failure_once():
    """A fails while B waits for it; B computes, and C, come since, computes too (no lock is left
    for it to wait on): the key is kept once, weighed once."""
    shared = Shared(maxsize=10, max_bytes=100, weigh=len)
    fail, b_started, b_may_finish = threading.Event(), threading.Event(), threading.Event()

    def a():
        fail.wait(10)
        raise ValueError("no")

    def b():
        b_started.set()
        b_may_finish.wait(10)
        return "bbb"

    def fails():
        with pytest.raises(ValueError, match="no"):
            shared.get("k", a)

    first = threading.Thread(target=fails)
    second = threading.Thread(target=lambda: shared.get("k", b))
    first.start()
    eventually(lambda: "k" in shared._locks)
    second.start()
    eventually(lambda: _waiting(second) and not time.sleep(0.05) and _waiting(second))  # still: blocked
    fail.set()
    first.join()
    eventually(b_started.is_set)  # B computes, holding the failed one's lock, which is no one's now
    assert "k" not in shared._locks
    assert shared.get("k", lambda: "ccc") == "ccc"  # C: computed at the same time
    b_may_finish.set()
    second.join()
    assert len(shared) == 1 and shared.bytes == 3 and shared.get("k", lambda: "never") == "bbb"


def _waiting(thread: threading.Thread) -> bool:
    """Whether ``thread`` waits for a lock inside ``Shared.get``."""
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and frame.f_code is Shared.get.__code__


def test_recent_reads_once_per_age_for_every_thread_and_gives_a_failed_read_the_last_value(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("models.runtime.memo.time.monotonic", lambda: now[0])
    recent, reads = Recent(max_age_s=0.5, maxsize=2), []

    def read(last):
        reads.append(last)
        return len(reads)

    assert [recent.get("a", read) for _ in range(5)] == [1] * 5 and reads == [None]  # one read for all
    now[0] += 0.6
    assert recent.get("a", read) == 2 and reads == [None, 1]  # too old: read again, knowing the last
    assert recent.get("a", read, fresh=True) == 3
    recent.get("b", read), recent.get("c", read)  # over maxsize: "a", used least recently, goes
    assert recent.get("a", read) == 6 and reads[-1] is None
    recent.clear()
    assert recent.get("b", read) == 7
