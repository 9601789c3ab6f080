"""What one training step costs, known before a run starts.

A run stops between steps (``models.training.train``): Stop, the time limit and a closed tab
all wait for the step under way. So a step's time is what Stop can take, and it must be bounded
before the run holds the class's training slot: DenseNet121 on a CPU at batch 512 takes about a
minute a step. ``TrainConfig.validate(device)`` refuses settings whose step would take longer
than ``MAX_STEP_S``, or than the run's own time limit allows, with the largest batch that fits.

The estimate is measured, not modelled: a step's time is about a fixed cost (launching the
network's few hundred operators, on a GPU most of the time) plus a cost per image, so two timed
steps of the very network, on the very device, threads and precision a run trains with, at
batches of ``SMALL`` and of ``B`` images (B large enough for the difference to be measured),
give both, and

    step seconds(batch) ≈ t(SMALL) + (batch − SMALL) × (t(B) − t(SMALL)) / (B − SMALL)

FLOP counts were tried first and failed at this: on one CPU thread the lab's networks reach
between 14 (the small default CNN) and 52 GFLOP/s (ResNet-20), DenseNet121 21, so no single
speed predicts them all, and on a GPU a small batch costs its launches, not its FLOPs. Each
batch size is timed twice (the first step of a shape creates its kernels), once per network and
device in a process: up to a few seconds for DenseNet121 on a laptop's CPU, under a second for
the lab's small networks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from models.runtime import device as device_mod
from models.runtime.memo import memoized
from models.training import nets, precision

MAX_STEP_S = 1.0  # Stop is honoured within about this long (a step, then a batch of evaluation), on every network
STEPS_IN_LIMIT = 4  # and a run's time limit must have room for at least this many steps
SMALL = 4  # images in the smaller of the two timed steps
LARGEST = SMALL * 4**4  # 1,024 images at most in the larger
SPREAD_S = 0.1  # the larger is made large enough to take this long
_measuring = threading.Lock()  # one measurement at a time in a process: a student cannot stack them


@dataclass(frozen=True)
class StepCost:
    fixed_s: float  # a step's time at batch SMALL
    per_image_s: float  # and for each image more

    def seconds(self, batch_size: int) -> float:
        return self.fixed_s + max(0, batch_size - SMALL) * self.per_image_s

    def largest_batch(self, limit_s: float) -> int:
        """The largest batch whose step takes at most ``limit_s`` (0: not even the smallest)."""
        if self.fixed_s > limit_s:
            return 0
        if self.per_image_s <= 0:
            return 4096
        return SMALL + int((limit_s - self.fixed_s) / self.per_image_s)


def _timed_step(model, x, y, device: torch.device) -> float:
    start = time.perf_counter()
    with precision.autocast(device):  # as the run computes: bf16 where the engine uses it
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def step_cost(spec: nets.NetSpec, shape: tuple[int, int, int], classes: int, device_type: str,
              threads: int | None = None) -> StepCost:
    """Timed training steps of the network ``spec`` builds, on images of ``shape`` (C, H, W), on the
    device and with the CPU threads a run trains with (``threads``; by default this server's
    runner's): at ``SMALL`` images, then at 4×, 16×, 64× as many until a step takes ``SPREAD_S``
    (below that, the difference is lost in the noise). Measured once per network and device:
    dropout and the activation barely change a step, and are not measured again."""
    return _measured(replace(spec, dropout=0.0, activation="relu"), shape, classes, device_type,
                     threads or device_mod.training_threads())


@memoized
def _measured(spec: nets.NetSpec, shape: tuple[int, int, int], classes: int, device_type: str,
              threads: int) -> StepCost:
    device = torch.device(device_type)
    with _measuring:
        return _time_steps(spec, shape, classes, device, threads)


def _time_steps(spec, shape, classes, device: torch.device, threads: int) -> StepCost:
    before = torch.get_num_threads()
    device_mod.use_threads(threads)
    try:
        model = precision.on_device(nets.build(spec, shape[0], classes), device)
        x = precision.to_device(torch.randn(LARGEST, *shape), device)
        y = torch.randint(0, classes, (LARGEST,), device=device)

        def timed(batch: int) -> float:  # the first step of a shape creates its kernels (oneDNN, cuDNN)
            return min(_timed_step(model, x[:batch], y[:batch], device) for _ in range(2))

        small, batch = timed(SMALL), SMALL
        while batch < LARGEST:
            batch *= 4
            large = timed(batch)
            if large >= SPREAD_S:
                break
    finally:
        torch.set_num_threads(before)
    return StepCost(small, max(0.0, large - small) / (batch - SMALL))


def max_step_s(time_limit_s: float) -> float:
    """How long one step may take in a run with this time limit."""
    return min(MAX_STEP_S, time_limit_s / STEPS_IN_LIMIT)
