"""Receptive fields: how much of the input one output cell can see.

Stacking layers, each with kernel K (dilation D, so span K_eff), stride S and padding P:

    r_l = r_{l−1} + (K_eff − 1)·j_{l−1}        receptive field, in input pixels
    j_l = j_{l−1}·S                            jump: input pixels between neighbouring cells
    start_l = start_{l−1} + ((K_eff − 1)/2 − P)·j_{l−1}   centre of the first cell's field

with r_0 = 1, j_0 = 1, start_0 = 0.5. Three 3×3 stride-1 layers give 3 → 5 → 7; ResNet18's
``layer4`` sees 435 pixels with a jump of 32. ``theoretical`` reads the layers from a real model;
``effective`` measures what one unit actually depends on, with autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.maths.conv_arithmetic import Conv


@dataclass(frozen=True)
class Field:
    name: str
    size: int  # receptive field r
    jump: int  # j
    start: float  # centre of the first output cell's field, in input pixel coordinates


def fields(layers: list[Conv]) -> list[Field]:
    """The field after each layer of a stack (each a ``Conv``: only K, S, P and D count)."""
    r, j, start = 1, 1, 0.5
    out = []
    for layer in layers:
        k_eff = layer.k_eff
        start += ((k_eff - 1) / 2 - layer.p) * j
        r += (k_eff - 1) * j
        j *= layer.s
        out.append(Field(layer.name, r, j, start))
    return out


def _pair(v) -> int:
    return v[0] if isinstance(v, tuple) else v


def main_path(model: nn.Module) -> list[Conv]:
    """Every convolution and pooling layer in definition order (which is forward order in
    torchvision's ResNet and DenseNet), leaving out the 1×1 ``downsample`` shortcuts: they run
    beside the main path and never see further than it does."""
    layers = []
    for name, m in model.named_modules():
        if "downsample" in name:
            continue
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            layers.append(Conv(name=name, k=_pair(m.kernel_size), s=_pair(m.stride), p=_pair(m.padding),
                               d=_pair(getattr(m, "dilation", 1))))
    return layers


def theoretical(model: nn.Module, stages: list[str]) -> dict[str, Field]:
    """The receptive field at the end of each named stage (e.g. ``layer1`` … ``layer4``)."""
    result, all_fields = {}, fields(main_path(model))
    for stage in stages:
        inside = [f for f in all_fields if f.name == stage or f.name.startswith(stage + ".")]
        if inside:
            result[stage] = inside[-1]
    return result


def effective(features: nn.Module, image: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
    """|∂ y / ∂ x| for the centre unit y of ``features(image)``, summed over its channels.

    ``image`` is (1, C, H, W); ``features`` maps it to (1, C′, H′, W′). Returns the map (H, W),
    normalised to a maximum of 1, and the unit's (row, column) in the output. Only the input
    gets a gradient: the parameters are not touched.
    """
    x = image.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = features(x)  # (1, C', H', W')
        row, col = out.shape[2] // 2, out.shape[3] // 2
        out[0, :, row, col].sum().backward()
    grad = x.grad.abs().sum(dim=(0, 1))  # (H, W)
    return grad / grad.max().clamp_min(1e-12), (row, col)
