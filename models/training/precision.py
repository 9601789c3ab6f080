"""How the training engine lays out and computes on each device type: the two speed-ups it uses,
each on only where it was measured to pay. ``train`` trains with them, and ``cost`` times a
step with them, so the step it measures is the step a run takes.
"""

from __future__ import annotations

import torch
from torch import nn

# The engine's two speed-ups, by device type, each on only where it was measured to pay
# (python -m bench.fashion_accuracy --ablation on a CPU, python -m bench.gpu_check on a GPU).
# On a CPU, oneDNN's convolutions run faster on images stored (N, H, W, C), and in bf16 where the
# CPU has bf16 instructions (AVX512-BF16, AMX). On an H200 neither paid on these 28×28 batches: a
# step there is a few hundred tiny kernels, bound by launching them, and autocast adds a cast
# kernel per weight per step (docs/benchmarks.md).
CHANNELS_LAST = {"cpu": True, "cuda": False, "mps": False}
BF16 = {"cpu": True, "cuda": False, "mps": False}
# An evaluation batch is a training batch divided by this. On a CPU a forward pass in fp32 costs
# about two thirds of a bf16 training step: a quarter of the batch keeps what Stop waits for (one
# batch of each set) under half a step. On a GPU a pass is bound by launching its kernels: a
# quarter of the batch would cost as much as the whole, four times over (measured on an H200:
# the Fast and good recipe lost a sixth of its images/s to its probes).
EVAL_SHARE = {"cpu": 4, "cuda": 1, "mps": 1}


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively; elsewhere bf16 is emulated, and slower than fp32."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def autocast(device: torch.device):
    """bf16 for the convolutions and matrix products where it is on and the hardware has it
    (autocast's own lists of operators decide which stay in fp32); fp32 everywhere else."""
    if not BF16.get(device.type, False):
        return torch.autocast(device.type, enabled=False)
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and cpu_has_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    x = x.to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if CHANNELS_LAST.get(device.type, False) else x


def on_device(model: nn.Module, device: torch.device) -> nn.Module:
    """A network on the device, in the engine's memory layout there."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if CHANNELS_LAST.get(device.type, False) else model
