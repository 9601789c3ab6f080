"""Initial weights fixed by the seed alone, with every student's thread in one process.

A module's constructor draws its initial weights from torch's one global generator, so seeding
it (``torch.manual_seed`` inside ``fork_rng``) fixes them only while no other thread draws from
it too. A page building a network to count its parameters while a training run built its own
changed that run's start: 19 of 19 seeded builds came out different with another thread
building beside them, and the training lab promises that the same seed gives the same curve.
Every network of the app is built inside ``seeded``, which holds one lock while it seeds and
draws. (On the meta device nothing is drawn: counting parameters needs no lock.)
"""

from __future__ import annotations

import contextlib
import threading

import torch

_lock = threading.RLock()  # re-entrant: a seeded build may build its parts inside another


@contextlib.contextmanager
def seeded(seed: int = 0):
    with _lock, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
