"""Data augmentation, as AlexNet used it against overfitting: every batch a little different.

Each image of a batch gets its own random transform, drawn from a generator the run's seed fixes
(the same seed, the same transforms) and applied on the device in one ``grid_sample``:

    flip      mirror left–right with probability ½           (a shoe pointing the other way)
    shift     move by up to ``SHIFT_PX`` pixels each way     (the object not quite centred)
    rotate    turn by up to ±``ROTATE_DEG`` degrees          (the photo taken slightly askew)

as one affine map per image, [[s·cos θ, −sin θ, tx], [s·sin θ, cos θ, ty]] with s = ±1 for the
flip, in the normalised coordinates of ``torch.nn.functional.affine_grid`` (−1 … 1 across the
image, so a shift of d pixels is 2d / W). Pixels that come from outside the image repeat the
border: the data are standardised, and the border is background.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

KINDS = ("flip", "shift", "rotate")
SHIFT_PX = 2
ROTATE_DEG = 10.0


def transforms(batch: int, kinds: tuple[str, ...], width: int, generator: torch.Generator) -> torch.Tensor:
    """The batch's affine maps θ (B, 2, 3), drawn on the CPU from ``generator``."""
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    sign = torch.where(torch.rand(batch, generator=generator) < 0.5, -ones, ones) if "flip" in kinds else ones
    angle = ((torch.rand(batch, generator=generator) * 2 - 1) * math.radians(ROTATE_DEG)
             if "rotate" in kinds else zeros)
    shift = ((torch.randint(-SHIFT_PX, SHIFT_PX + 1, (2, batch), generator=generator).float() * 2 / width)
             if "shift" in kinds else torch.zeros(2, batch))
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([sign * cos, -sin, shift[0]], 1),
                        torch.stack([sign * sin, cos, shift[1]], 1)], 1)  # (B, 2, 3)


def apply(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """x (B, C, H, W) resampled through the affine maps θ (B, 2, 3): where each output pixel looks."""
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def augment(x: torch.Tensor, kinds: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """x (B, C, H, W) on any device → the same batch, each image transformed its own way."""
    if not kinds:
        return x
    if set(kinds) == {"flip"}:  # a mirror needs no resampling: the same draws as transforms(), 5× cheaper
        mirrored = torch.rand(x.shape[0], generator=generator) < 0.5  # (B,)
        return torch.where(mirrored.to(x.device)[:, None, None, None], x.flip(-1), x)
    return apply(x, transforms(x.shape[0], kinds, x.shape[-1], generator))
