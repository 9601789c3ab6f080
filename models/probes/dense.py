"""Dense connectivity, read from a real torchvision DenseNet: channel bookkeeping and feature reuse.

Inside a dense block, layer ℓ receives the concatenation [x₀, x₁, …, x_{ℓ−1}] of the block's
input and every earlier layer's output, and adds k new channels (the growth rate):

    channels after ℓ layers = c₀ + ℓ·k

A transition layer (BatchNorm, ReLU, 1×1 convolution with compression θ = 0.5, 2×2 average
pooling) halves the channels and the map between blocks. ``bookkeeping`` reads every number from
the model's modules; ``feature_reuse`` computes the DenseNet paper's Fig. 5: the mean absolute
weight each layer's first convolution gives to the channels of each earlier source.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torchvision.models import DenseNet

from models.maths.blocks import channels_after


@dataclass(frozen=True)
class Block:
    name: str  # "denseblock1"
    c0: int  # channels entering the block
    layers: int  # ℓ
    growth_rate: int  # k: channels each layer adds
    c_out: int  # c₀ + ℓ·k
    transition_out: int | None  # after the transition that follows (None after the last block)

    @property
    def channels(self) -> list[int]:
        """Channels after each layer of the block: c₀ + k, c₀ + 2k, …, c₀ + ℓ·k."""
        return [channels_after(self.c0, i, self.growth_rate) for i in range(1, self.layers + 1)]


def _blocks(model: DenseNet) -> list[tuple[str, torch.nn.Module]]:
    return [(n, m) for n, m in model.features.named_children() if n.startswith("denseblock")]


def bookkeeping(model: DenseNet) -> list[Block]:
    """Every dense block's c₀, ℓ, k and output channels, read from the modules themselves."""
    blocks = []
    for name, block in _blocks(model):
        layers = list(block.children())
        c0 = layers[0].norm1.num_features  # the first layer sees only the block's input
        k = layers[0].conv2.out_channels
        transition = getattr(model.features, name.replace("denseblock", "transition"), None)
        blocks.append(Block(name, c0, len(layers), k, channels_after(c0, len(layers), k),
                            transition.conv.out_channels if transition is not None else None))
    return blocks


def sources(block: Block) -> list[tuple[int, int]]:
    """The input channel ranges of the block's sources: the block input, then each layer's output."""
    edges = [0] + [channels_after(block.c0, i, block.growth_rate) for i in range(block.layers + 1)]
    return list(itertools.pairwise(edges))


@torch.no_grad()
def feature_reuse(model: DenseNet, block_index: int) -> torch.Tensor:
    """(targets, ℓ + 1): row t is a target (layer 1…ℓ, then the transition if one follows), column s
    a source (the block input, then layer 1…ℓ); each entry is the mean |w| of the target's first
    convolution over the source's input channels. NaN where the source comes after the target."""
    name, block = _blocks(model)[block_index]
    info = bookkeeping(model)[block_index]
    ranges = sources(info)
    targets = [layer.conv1.weight for layer in block.children()]  # (4k, c₀ + (t−1)·k, 1, 1)
    transition = getattr(model.features, name.replace("denseblock", "transition"), None)
    if transition is not None:
        targets.append(transition.conv.weight)  # (c_out·θ, c_out, 1, 1)
    heat = torch.full((len(targets), len(ranges)), float("nan"))
    for t, w in enumerate(targets):
        per_input = w.abs().mean(dim=(0, 2, 3))  # one number per input channel
        for s, (lo, hi) in enumerate(ranges):
            if hi <= per_input.numel():
                heat[t, s] = per_input[lo:hi].mean()
    return heat
