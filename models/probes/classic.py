"""AlexNet and VGG, read from torchvision's own constructors (on the ``meta`` device: no memory).

* ``alexnet_layers``: AlexNet's five convolutions and three fully-connected layers, each with its
  output shape and parameters, measured in a forward pass (``layer_table``);
* ``parameter_share``: where the 61 million parameters sit — most in the fully-connected layers,
  the lecture's "fully-connected layers waste parameters" made concrete;
* ``vgg_stages``: VGG-16's configuration (torchvision's ``cfgs["D"]``) as stages of 3×3
  convolutions between poolings, with the channels doubling as the map halves.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torchvision import models as tvm
from torchvision.models.vgg import cfgs

from models.probes.layer_table import LayerRow, layer_table
from models.runtime.memo import memoized


@dataclass(frozen=True)
class Weighted:
    """One layer with weights: a convolution or a fully-connected layer."""

    name: str  # "conv1" … "conv5", "fc6" … "fc8", as the AlexNet paper numbers them
    module: str  # torchvision's name: "features.0", "classifier.1" …
    kind: str  # "Conv2d" or "Linear"
    kernel: str  # "11×11 / 4" for a convolution, "" for a linear layer
    out_shape: tuple[int, ...]
    parameters: int


def _build(constructor) -> nn.Module:
    with torch.device("meta"):
        return constructor(weights=None).eval()


@memoized
def alexnet_layers(size: int = 224) -> tuple[Weighted, ...]:
    model = _build(tvm.alexnet)
    with torch.device("meta"):
        rows = layer_table(model, torch.empty(1, 3, size, size))
    modules = dict(model.named_modules())
    weighted, convs, fcs = [], 0, 5
    for row in rows:
        if row.kind not in ("Conv2d", "Linear"):
            continue
        m = modules[row.name]
        if row.kind == "Conv2d":
            convs += 1
            name, kernel = f"conv{convs}", f"{m.kernel_size[0]}×{m.kernel_size[1]} / {m.stride[0]}"
        else:
            fcs += 1
            name, kernel = f"fc{fcs}", ""
        weighted.append(Weighted(name, row.name, row.kind, kernel, row.out_shape, row.parameters))
    return tuple(weighted)


def parameter_share(layers: tuple[Weighted, ...]) -> dict[str, int]:
    """Parameters of the convolutions and of the fully-connected layers."""
    return {"conv": sum(w.parameters for w in layers if w.kind == "Conv2d"),
            "fc": sum(w.parameters for w in layers if w.kind == "Linear")}


@dataclass(frozen=True)
class Stage:
    convs: int  # 3×3 convolutions in the stage
    channels: int  # their output channels
    size: int  # the map's width in the stage (224 input)


def vgg_stages(config: str = "D", size: int = 224) -> tuple[Stage, ...]:
    """VGG's stages from torchvision's configuration ("D" is VGG-16): each 'M' is a 2×2 pooling."""
    stages, convs, channels = [], 0, 0
    for item in cfgs[config]:
        if item == "M":
            stages.append(Stage(convs, channels, size))
            size, convs = size // 2, 0
        else:
            convs, channels = convs + 1, item
    return tuple(stages)


@memoized
def vgg16_layers(size: int = 224) -> tuple[LayerRow, ...]:
    model = _build(tvm.vgg16)
    with torch.device("meta"):
        return tuple(layer_table(model, torch.empty(1, 3, size, size)))
