"""models.runtime.memo: one computation per arguments, however many students' threads ask at once."""

import threading
import time

import pytest

from models.runtime.memo import memoized


def test_threads_asking_together_share_one_computation():
    calls = []

    @memoized
    def slow(n):
        calls.append(n)
        time.sleep(0.2)
        return [n]  # a new object each time it is computed

    start = threading.Barrier(8)
    results = []

    def student():
        start.wait()
        results.append(slow(3))

    threads = [threading.Thread(target=student) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [3]
    assert all(r is results[0] for r in results)


def test_different_arguments_are_computed_side_by_side_and_kept_apart():
    @memoized
    def slow(n, scale=1):
        time.sleep(0.3)
        return n * scale

    threads = [threading.Thread(target=slow, args=(n,)) for n in range(4)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - begun < 0.3 * 3  # not one after another
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
