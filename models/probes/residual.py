"""The residual block, measured: its parameters, its shortcut, and what switching it off does.

(The block's parameter counts are pure formulas, in ``models.maths.blocks``.)
* ``resnet_forward``: torchvision's ResNet forward, written out block by block, so that any
  block's residual branch F or its shortcut can be switched off for one pass, without touching
  the shared model (Veit et al., 2016: residual networks behave like ensembles of shallower ones).
* ``gradient_norms``: ‖∂L/∂W‖ of every convolution at initialisation, plain against residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

from models.runtime import networks
from models.runtime.networks import Network
from models.training import datasets, nets

# ----- switching blocks off ------------------------------------------------------------------

BRANCHES = ("residual", "shortcut")  # what can be switched off in a block


def block_names(model: ResNet) -> list[str]:
    """``layer1.0`` … ``layer4.1``: every residual block of a torchvision ResNet, in order."""
    return [f"layer{i}.{j}" for i in range(1, 5) for j in range(len(getattr(model, f"layer{i}")))]


def _block(block: BasicBlock, x: torch.Tensor, off: str | None) -> torch.Tensor:
    """torchvision's ``BasicBlock.forward``, with one of its two branches optionally removed."""
    identity = x if block.downsample is None else block.downsample(x)  # 1×1 projection when the shape changes
    if off == "residual":  # y = ReLU(x): the block passes its input on (projected if need be)
        return block.relu(identity)
    out = block.relu(block.bn1(block.conv1(x)))
    out = block.bn2(block.conv2(out))  # F(x)
    if off == "shortcut":  # y = ReLU(F(x)): a plain block
        return block.relu(out)
    return block.relu(out + identity)  # y = ReLU(F(x) + x)


@torch.no_grad()
def resnet_forward(model: ResNet, x: torch.Tensor, off: dict[str, str] | None = None,
                   network: Network = networks.get("resnet18")) -> torch.Tensor:
    """Logits of ``model`` for x (B, 3, H, W) with the given branches switched off,
    e.g. ``{"layer3.1": "residual"}``. Nothing is changed in ``model``: it can be the shared one.
    The pass is the network record's: its ``body`` (the stem, then each ``layerN``'s blocks one by
    one) and its ``head``."""
    off = off or {}
    for stage, module in network.body(model):
        if stage.startswith("layer"):
            for j, block in enumerate(module):
                x = _block(block, x, off.get(f"{stage}.{j}"))
        else:
            x = module(x)
    return network.head(model, x)


# ----- gradients at initialisation -----------------------------------------------------------


@dataclass(frozen=True)
class GradientNorms:
    label: str
    layers: list[str]  # the convolutions, input side first
    norms: list[float]  # ‖∂L/∂W‖ of each


def gradient_norms(spec: nets.NetSpec, batch: int = 64, seed: int = 0) -> GradientNorms:
    """One forward and backward pass of a freshly initialised network on synthetic shapes."""
    data = datasets.synthetic(n_train=batch, n_test=1, seed=seed)
    model = nets.build(spec, in_channels=1, num_classes=len(data.classes), seed=seed)
    model.train()
    F.cross_entropy(model(data.train_x), data.train_y).backward()  # train_x is standardised already
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    return GradientNorms(spec.label(), [n for n, _ in convs], [float(m.weight.grad.norm()) for _, m in convs])


@dataclass(frozen=True)
class Deletion:
    blocks: list[str]
    baseline: tuple[int, float]  # the intact network's top class and its probability
    probs: list[float]  # that class's probability with each block's F removed in turn
    top1: list[int]  # the top class with each block's F removed


def deletion_sweep(model: ResNet, x: torch.Tensor) -> Deletion:
    """Remove each block's residual branch in turn (Veit et al., 2016, Fig. 3) for one image (1, 3, H, W)."""
    probs = resnet_forward(model, x).softmax(dim=1)[0]
    top = int(probs.argmax())
    names = block_names(model)
    removed = [resnet_forward(model, x, {name: "residual"}).softmax(dim=1)[0] for name in names]
    return Deletion(names, (top, float(probs[top])), [float(p[top]) for p in removed], [int(p.argmax()) for p in removed])
