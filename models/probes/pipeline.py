"""The whole CNN pipeline of the lecture, walked on one picture: convolution → ReLU → pooling →
… → flatten → fully-connected → softmax, each step's tensor kept to be shown.

``walk`` runs a trained ``nn.Sequential`` network (the training lab's default ``plain_cnn``)
module by module, as its own ``forward`` does, and returns every step with its output shape; the
last step is the softmax over the classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

# The steps a picture of the pipeline draws: the ones the lecture names (a BatchNorm, or an adaptive
# pooling that changes no shape, stays in the line of steps written above it)
DRAWN = ("Conv2d", "ReLU", "MaxPool2d", "Sigmoid", "Tanh", "Flatten", "Linear")


@dataclass(frozen=True)
class PipelineStep:
    index: int
    kind: str  # "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "Softmax" …
    shape: tuple[int, ...]  # the output's shape, batch left out: (C, H, W) or (features,)
    output: torch.Tensor  # (C, H, W) or (features,)

    @property
    def size(self) -> str:
        """The output's shape as the lecture writes it: "16×28×28"."""
        return "×".join(map(str, self.shape))

    @property
    def title(self) -> str:
        """The step as a picture of the pipeline names it: "1. Conv2d · 16×28×28"."""
        return f"{self.index + 1}. {self.kind} · {self.size}"


def _flat(model: nn.Module) -> list[nn.Module]:
    """The modules in the order forward runs them (a Sequential inside, such as dropout's, opened)."""
    out = []
    for m in model.children():
        out += _flat(m) if isinstance(m, nn.Sequential) else [m]
    return out


@torch.no_grad()
def walk(model: nn.Sequential, x: torch.Tensor) -> list[PipelineStep]:
    """x (1, C, H, W) through every module of ``model`` in eval mode, then the softmax."""
    model.eval()
    steps = []
    for i, module in enumerate(_flat(model)):
        x = module(x)
        steps.append(PipelineStep(i, type(module).__name__, tuple(x.shape[1:]), x[0].clone()))
    probs = x.softmax(dim=1)
    steps.append(PipelineStep(len(steps), "Softmax", tuple(probs.shape[1:]), probs[0]))
    return steps


def drawn(steps: list[PipelineStep]) -> list[tuple[str, np.ndarray]]:
    """The steps a picture of the walk draws (``DRAWN``; the softmax has a chart of its own), as
    (title, output) for ``ui.figures.pipeline``."""
    return [(step.title, step.output.numpy()) for step in steps[:-1] if step.kind in DRAWN]
