"""``@once``: a function's value for each arguments, computed once per process, however many
threads ask for it at the same moment.

Thirty students' scripts are thirty threads of one server process. With ``functools.cache``
they all miss together on a cold server and all compute: with thirty walks over the ResNet
family's layers for its table, the residual lesson took 86 s (p50) to open when a class opened
every page at once (``python -m bench.load_test --tour --cold``), 9.7 s with ``once``; and thirty
copies of a data set would be loaded.

Here the first caller computes and the others wait for its value. An exception is not kept:
the next caller tries again, as with ``functools.cache``.
"""

from __future__ import annotations

import collections
import functools
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def memoized(fn: Callable[..., T]) -> Callable[..., T]:
    values: dict = {}
    locks: dict = {}
    guard = threading.Lock()  # held only to find a key's lock, never while computing

    @functools.wraps(fn)
    def cached(*args, **kwargs) -> T:
        key = (args, tuple(sorted(kwargs.items())))
        if key in values:
            return values[key]
        with guard:
            lock = locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; different keys compute side by side
            if key not in values:
                values[key] = fn(*args, **kwargs)
        return values[key]

    return cached


class Shared:
    """The latest ``maxsize`` values by key, each computed once however many threads ask at the
    same moment — ``memoized`` for values too many or too large to keep for ever.

    When a teacher leads the class (``ui/lead.py``), thirty students' tabs open the same page with
    the same settings within a second; each would build the same figures and run the same probes.
    With ``Shared`` the first tab computes and the other twenty-nine wait for its value: a new
    tab's run of the arithmetic page went from 0.87 to 0.06 CPU-s (docs/decisions.md, 2026-12-04).
    Least recently used goes first.

    ``max_bytes`` with ``weigh`` (a value's size in bytes, worked out once, when it is kept) bounds
    the values' memory too: values made from the students' own pictures are as many as the
    pictures, and far larger than the lessons' (a photo's figure: hundreds of kB).
    """

    def __init__(self, maxsize: int, max_bytes: int | None = None, weigh: Callable[[object], int] | None = None):
        if (max_bytes is None) != (weigh is None):
            raise ValueError("max_bytes and weigh go together")
        self.maxsize, self.max_bytes, self._weigh = maxsize, max_bytes, weigh
        self._values: collections.OrderedDict = collections.OrderedDict()  # key → (value, its weight)
        self._locks: dict = {}
        self._guard = threading.Lock()
        self.bytes = 0  # the kept values' weight

    def get(self, key, compute: Callable[[], T]) -> T:
        with self._guard:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key][0]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; different keys compute side by side
            with self._guard:
                if key in self._values:
                    return self._values[key][0]
            try:
                value = compute()
                weight = self._weigh(value) if self._weigh else 0
                with self._guard:
                    # (after a failure, a thread that waited and one that came since can both
                    # compute the key: the second replaces the first, and its weight too)
                    self.bytes += weight - self._values.pop(key, (None, 0))[1]
                    self._values[key] = (value, weight)
                    # the least recently used go while there are too many, or too much (never the
                    # newest: a value larger than max_bytes is kept alone)
                    while len(self._values) > self.maxsize or (
                            self.max_bytes is not None and self.bytes > self.max_bytes and len(self._values) > 1):
                        self.bytes -= self._values.popitem(last=False)[1][1]
            finally:  # a failure keeps no lock behind either: the next caller makes a new one
                with self._guard:
                    if self._locks.get(key) is lock:
                        del self._locks[key]
        return value

    def __len__(self) -> int:
        return len(self._values)


class Recent:
    """The value last read for each key, read again once it is older than ``max_age_s``: one read
    per process in that time, however many threads ask. Thirty students' tabs ask twice a second
    whether the teacher moved (``ui.lead``), a poll was revealed (``ui.poll``) or a class run has
    news (``ui.class_run``); each is one row of the class store, read once for all of them.

    ``get(key, read)`` calls ``read(last)`` with the value last read for ``key`` (None at first),
    so a failed read can keep what was known. At most ``maxsize`` keys, least recently used first.
    """

    def __init__(self, max_age_s: float, maxsize: int = 256):
        self.max_age_s, self.maxsize = max_age_s, maxsize
        self._values: collections.OrderedDict = collections.OrderedDict()  # key → (read at, value)
        self._lock = threading.Lock()

    def get(self, key, read: Callable[[T | None], T], fresh: bool = False) -> T:
        with self._lock:  # held while reading: the other threads wait for this read, not make theirs
            found = self._values.get(key)
            if fresh or found is None or time.monotonic() - found[0] > self.max_age_s:
                found = (time.monotonic(), read(found[1] if found else None))
                self._values[key] = found
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)
            return found[1]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
