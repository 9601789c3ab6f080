"""Every layer of a real network, measured in a forward pass, beside what the formulas predict.

``layer_table(model, x)`` hooks each leaf module, runs one forward pass, and records its input
and output shapes, its parameters and multiply-adds; for convolutions and pooling it also
records the output size predicted by ``models.maths.conv_arithmetic``, so the two can be compared.
``family_sizes`` counts the parameters of torchvision's constructors on the ``meta`` device
(no memory, no weights); ``weighted_layers`` lists the layers the number in a name counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torchvision import models as tvm

from models.maths.conv_arithmetic import Conv
from models.runtime.memo import memoized


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str  # "Conv2d", "BatchNorm2d", …
    in_shape: tuple[int, ...]  # (C, H, W) or (features,), batch left out
    out_shape: tuple[int, ...]
    parameters: int
    macs: int
    predicted: int | None  # W′ from the formula, for Conv2d and pooling layers


def _first(v) -> int:
    return v[0] if isinstance(v, tuple) else v


def _prediction(m: nn.Module, width: int) -> int | None:
    if isinstance(m, nn.Conv2d):
        return Conv(w=width, k=_first(m.kernel_size), p=_first(m.padding), s=_first(m.stride), d=_first(m.dilation)).out
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) and not m.ceil_mode:
        return Conv(w=width, k=_first(m.kernel_size), p=_first(m.padding), s=_first(m.stride) or _first(m.kernel_size),
                    d=_first(getattr(m, "dilation", 1))).out
    return None


def _macs(m: nn.Module, out: torch.Tensor) -> int:
    if isinstance(m, nn.Conv2d):
        return out[0].numel() * m.weight[0].numel()  # each output value: one dot product with a filter
    if isinstance(m, nn.Linear):
        return m.in_features * m.out_features
    return 0


@torch.inference_mode()
def layer_table(model: nn.Module, x: torch.Tensor) -> list[LayerRow]:
    """One forward pass of ``x`` (1, C, H, W); a row for every leaf module, in call order."""
    rows, hooks = [], []

    def record(name: str):
        def hook(m, inputs, out):
            inp = inputs[0]
            rows.append(LayerRow(
                name=name, kind=type(m).__name__, in_shape=tuple(inp.shape[1:]), out_shape=tuple(out.shape[1:]),
                parameters=sum(p.numel() for p in m.parameters(recurse=False)), macs=_macs(m, out),
                predicted=_prediction(m, inp.shape[-1]) if inp.dim() == 4 else None,
            ))
        return hook

    for name, m in model.named_modules():
        if not any(True for _ in m.children()):
            hooks.append(m.register_forward_hook(record(name)))
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return rows


FAMILY = {
    "AlexNet": tvm.alexnet, "VGG-11": tvm.vgg11, "VGG-16": tvm.vgg16,
    "ResNet-18": tvm.resnet18, "ResNet-34": tvm.resnet34, "ResNet-50": tvm.resnet50,
    "ResNet-101": tvm.resnet101, "ResNet-152": tvm.resnet152, "DenseNet-121": tvm.densenet121,
}


@memoized
def family_sizes(names=tuple(FAMILY), size: int = 224) -> dict[str, dict[str, int]]:
    """Parameters, multiply-adds and activations (values output by all layers, batch 1), and
    conv / fully-connected layer counts, of torchvision's constructors."""
    sizes = {}
    for name in names:
        with torch.device("meta"):  # shapes only: VGG-16's 138 M parameters take no memory
            model = FAMILY[name](weights=None)
            rows = layer_table(model.eval(), torch.empty(1, 3, size, size))
        modules = list(model.modules())
        sizes[name] = {
            "parameters": sum(p.numel() for p in model.parameters()),
            "macs": sum(r.macs for r in rows),
            "activations": sum(math.prod(r.out_shape) for r in rows),
            "conv_layers": sum(isinstance(m, nn.Conv2d) for m in modules),
            "fc_layers": sum(isinstance(m, nn.Linear) for m in modules),
            "blocks": tuple(len(getattr(model, f"layer{i}")) for i in range(1, 5)) if hasattr(model, "layer4") else (),
            "kernel_sizes": sorted({_first(m.kernel_size) for m in modules if isinstance(m, nn.Conv2d)}),
        }
    return sizes


PROJECTION_SHORTCUTS = "downsample"  # torchvision's name for ResNet's 1×1 projection shortcut


def weighted_layers(model: nn.Module) -> list[str]:
    """The layers a network's name counts, in order: every convolution and fully-connected layer,
    without ResNet's 1×1 projection shortcuts. He et al. (2015) count ResNet's "weighted layers"
    so (ResNet-18: 1 + 16 + 1), and Huang et al. (2017) DenseNet's (DenseNet-121: 1 + 116 + 3 + 1)."""
    return [name for name, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear)) and PROJECTION_SHORTCUTS not in name.split(".")]
