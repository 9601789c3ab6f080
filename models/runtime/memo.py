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

import functools
import threading
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
