"""The lessons' training demos, as tasks for the job runner (models/jobs.py).

* ``Comparison``: several training runs on the same data and budget, one after another, so a
  lesson can set two networks side by side (stride and padding choices; one 7×7 against three
  3×3 layers). Points are reported as (label, Point).
* ``KernelFit``: a single 3×3 convolution learns, by gradient descent, the kernel that produced
  a target feature map (e.g. Sobel's); the nine weights are reported as they converge.

This module does not import streamlit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from models.training import train
from models.runtime.examples import EXAMPLES, example
from models.maths.kernels import CLASSIC


@dataclass(frozen=True)
class Comparison:
    runs: tuple[tuple[str, train.TrainConfig], ...]  # (label, config)
    time_limit_s: float = 60.0  # shared by the runs; time one leaves unused goes to the next

    def validate(self) -> None:
        if not self.runs:
            raise ValueError("A comparison needs at least one run.")
        for _, config in self.runs:
            config.validate()

    def run(self, device, report=lambda p: None, should_stop=lambda: False) -> dict[str, train.RunResult]:
        results, start = {}, time.perf_counter()
        for i, (label, config) in enumerate(self.runs):
            if should_stop():
                break
            # what is left, shared by the runs still to come: a run that ends early leaves its time to the next
            share = (self.time_limit_s - (time.perf_counter() - start)) / (len(self.runs) - i)
            config = replace(config, time_limit_s=max(0.5, min(config.time_limit_s, share)))
            results[label] = train.train(config, device, lambda p, label=label: report((label, p)), should_stop)
        return results


@dataclass(frozen=True)
class KernelPoint:
    step: int
    loss: float
    kernel: tuple[tuple[float, ...], ...]  # the learned 3×3 weights now


@dataclass(frozen=True)
class KernelFit:
    target: str = "sobel_x"  # a kernel of models.maths.kernels.CLASSIC
    steps: int = 300
    lr: float = 0.05
    seed: int = 0
    time_limit_s: float = 30.0
    report_every: int = 10

    def validate(self) -> None:
        if self.target not in CLASSIC:
            raise ValueError(f"Unknown kernel {self.target!r}.")
        if self.steps < 1 or not 0 < self.lr <= 10:
            raise ValueError("The kernel fit needs at least one step and a learning rate in (0, 10].")

    def images(self) -> torch.Tensor:
        """The built-in images in grey, (N, 1, 64, 64): the inputs the kernel is fitted on."""
        return torch.stack([TF.to_tensor(example(name, size=64).convert("L")) for name in EXAMPLES])

    def run(self, device, report=lambda p: None, should_stop=lambda: False) -> list[KernelPoint]:
        x = self.images().to(device)  # (N, 1, H, W)
        target_kernel = torch.tensor(CLASSIC[self.target], dtype=x.dtype, device=device).view(1, 1, 3, 3)
        y = F.conv2d(x, target_kernel, padding=1)  # the feature maps to reproduce
        g = torch.Generator().manual_seed(self.seed)
        kernel = (0.1 * torch.randn(1, 1, 3, 3, generator=g)).to(device).requires_grad_(True)
        optimizer = torch.optim.Adam([kernel], lr=self.lr)
        points, start = [], time.perf_counter()
        for step in range(1, self.steps + 1):
            if should_stop() or time.perf_counter() - start >= self.time_limit_s:
                break
            loss = F.mse_loss(F.conv2d(x, kernel, padding=1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % self.report_every == 0 or step == self.steps:
                k = kernel.detach().cpu()[0, 0]
                point = KernelPoint(step, loss.item(), tuple(tuple(row.tolist()) for row in k))
                points.append(point)
                report(point)
        return points
