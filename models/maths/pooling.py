"""Pooling (풀링): a window slides as a convolution's does, but it has no weights to learn.

Max pooling writes the largest value under the window, average pooling their mean. The output
size is the convolution's, floor included (``Conv(w=W, k=K, s=S).out``):

    W′ = ⌊(W − K) / S⌋ + 1          a 2×2 window with stride 2 halves the map

``pool_steps`` is every window position with the values it saw and what it wrote, for the page's
step-by-step view; ``shift_change`` measures what pooling buys: how much a feature map changes
when the picture moves by a pixel or two, before and after pooling. Checked against
``nn.MaxPool2d`` and ``nn.AvgPool2d`` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.maths.conv_arithmetic import Conv

MODES = ("max", "average")


@dataclass(frozen=True)
class PoolStep:
    row: int  # output cell
    col: int
    cells: tuple[tuple[int, int], ...]  # input cells under the window
    values: tuple[float, ...]
    out: float  # their maximum or their mean
    chosen: tuple[int, int] | None  # the cell max pooling took (the first of equals); None for the mean


def pooled_size(w: int, k: int, s: int) -> int:
    """W′ = ⌊(W − K)/S⌋ + 1, the convolution's formula with no padding."""
    return Conv(w=w, k=k, s=s).out


def pool_steps(x: list[list[float]], k: int = 2, s: int = 2, mode: str = "max") -> list[PoolStep]:
    """Every position of a K×K window with stride S over ``x`` (H×W), row by row."""
    h, w = len(x), len(x[0])
    Conv(w=min(h, w), k=k, s=s).check()  # a window larger than the input, a stride of 0: a ConvSettingsError
    steps = []
    for i in range(pooled_size(h, k, s)):
        for j in range(pooled_size(w, k, s)):
            cells = tuple((i * s + a, j * s + b) for a in range(k) for b in range(k))
            values = tuple(float(x[r][c]) for r, c in cells)
            if mode == "max":
                best = max(range(len(values)), key=values.__getitem__)
                steps.append(PoolStep(i, j, cells, values, values[best], cells[best]))
            else:
                steps.append(PoolStep(i, j, cells, values, sum(values) / len(values), None))
    return steps


def pool(x: torch.Tensor, k: int = 2, s: int = 2, mode: str = "max") -> torch.Tensor:
    """x (B, C, H, W) pooled: ``F.max_pool2d`` or ``F.avg_pool2d``."""
    return F.max_pool2d(x, k, s) if mode == "max" else F.avg_pool2d(x, k, s)


def shift_change(feature_map, image: torch.Tensor, shifts=(1, 2), k: int = 2, mode: str = "max") -> dict:
    """How much a picture moved right by each of ``shifts`` pixels changes its features,
    ‖f(x′) − f(x)‖ / ‖f(x)‖, straight out of ``feature_map`` and after pooling them.

    ``image`` is (1, C, H, W); it is shifted with its border repeated (no black stripe), and the
    maps are compared on the columns both versions cover."""
    base = feature_map(image)
    out = {}
    for d in shifts:
        moved = torch.cat([image[..., :1].expand(*image.shape[:-1], d), image[..., :-d]], dim=-1)
        after = feature_map(moved)
        conv_change = (after - base).norm() / base.norm().clamp_min(1e-12)
        pooled, pooled_moved = pool(base, k, k, mode), pool(after, k, k, mode)
        pool_change = (pooled_moved - pooled).norm() / pooled.norm().clamp_min(1e-12)
        out[d] = {"conv": float(conv_change), "pooled": float(pool_change)}
    return out
