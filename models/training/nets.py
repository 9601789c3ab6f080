"""Small networks for the training lab and the lessons' tasks, built from the blocks they teach.

* ``plain_cnn``: two 3×3 conv layers with pooling, then a classifier; the fast default.
* ``plain`` / ``resnet``: the CIFAR networks of He et al. (2016), section 4.2: a 3×3 stem, three
  stages of ``n`` BasicBlocks with 16, 32, 64 channels (the map halves as the channels double),
  global average pooling and a fully-connected layer: 6n + 2 weighted layers (20, 32, 44, 56).
  ``plain`` is the same stack without shortcuts, the paper's control for the degradation problem.
* ``densenet``: torchvision's DenseNet with a configurable ``growth_rate`` and ``block_config``.
* ``stack``: a given sequence of (kernel, stride, padding) conv layers, for the lessons' training tasks
  (stride and padding choices; one 7×7 against three 3×3).
* ``resnet18`` / ``densenet121``: torchvision's ImageNet architectures with a small-input stem
  (3×3 stride-1 first convolution, no max-pool), freshly initialised: never the shared
  pretrained models.

Each is one record of ``NETWORKS`` (``register``, ``get``), as the pretrained networks are in
``models.runtime.networks``: its builder, the ``NetSpec`` fields that shape it (the training lab
shows a widget for each), its name in a run's label, and whether the training lab offers it.
Adding a network is one ``register`` call (and its title, ``train.net_<name>``, in each
language's strings):

    register(Trainable("resnet18", lambda spec, c, k: resnet18_small(c, k)))

Every builder takes ``in_channels`` and ``num_classes``; ``batch_norm=False`` replaces each
BatchNorm by the identity. Two knobs of the overfitting and activation lessons apply to every
network: ``dropout`` puts ``nn.Dropout(p)`` before the classifier (AlexNet's p = 0.5), and
``activation`` swaps each ReLU module for a sigmoid or tanh (AlexNet's point was that ReLU does
not saturate: σ′(x) ≤ ¼ and tanh′(x) ≤ 1 shrink every gradient that passes through them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models as tvm

from models.errors import LabError
from models.runtime.seeding import seeded

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
MAX_DROPOUT = 0.8
CIFAR_DEPTHS = (20, 32, 44, 56)


class NetworkError(LabError, ValueError):
    """Settings that describe no network."""

    area = "network"
    CODES = {"depth": ("depth",), "densenet": (), "stack": (), "unknown": ("name", "choices"),
             "dropout": ("limit",), "activation": ("name", "choices")}


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class ShortcutA(nn.Module):
    """The paper's option A for CIFAR: identity, subsampled by the stride, zero-padded to the new
    channel count. It adds no parameters, so plain and residual nets have the same size."""

    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.stride, self.pad = stride, planes - in_planes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (B, C, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))  # (B, planes, H/s, W/s)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions. Residual: y = ReLU(F(x) + x) with F(x) = BN(W2 · ReLU(BN(W1 · x)));
    plain: y = ReLU(F(x))."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1, residual: bool = True):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.residual = residual
        changes_shape = stride != 1 or in_planes != planes
        self.shortcut = ShortcutA(in_planes, planes, stride) if changes_shape else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.shortcut(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + identity
        return self.relu(out)


class CifarResNet(nn.Module):
    """6n + 2 layers: conv3x3(16), 3 stages × n BasicBlocks (16, 32, 64 channels), avgpool, fc."""

    def __init__(self, depth: int, residual: bool = True, in_channels: int = 3, num_classes: int = 10):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise NetworkError("depth", depth=depth)
        n = (depth - 2) // 6
        self.conv1 = conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        layers, in_planes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):  # the map halves as the channels double
            blocks = [BasicBlock(in_planes, planes, stride, residual)]
            blocks += [BasicBlock(planes, planes, 1, residual) for _ in range(n - 1)]
            layers.append(nn.Sequential(*blocks))
            in_planes = planes
        self.layer1, self.layer2, self.layer3 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))  # (B, 16, H, W)
        x = self.layer3(self.layer2(self.layer1(x)))  # (B, 64, H/4, W/4)
        return self.fc(torch.flatten(self.avgpool(x), 1))  # (B, classes)


def plain_cnn(in_channels: int, num_classes: int) -> nn.Sequential:
    """conv(16) → pool → conv(32) → pool → fc(128) → fc(classes), BatchNorm after each conv.

    Narrow on purpose: on a 2-core CPU it trains about 2,600 images/s and passes 90% held-out
    accuracy on Fashion-MNIST within 60 s (32/64 channels: 1,200 images/s, 88.7%).
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),  # (B, 16, H/2, W/2)
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),  # (B, 32, H/4, W/4)
        nn.AdaptiveAvgPool2d(7), nn.Flatten(),  # (B, 32·7·7), whatever the input size
        nn.Linear(32 * 7 * 7, 128), nn.ReLU(inplace=True),
        nn.Linear(128, num_classes),
    )


def conv_stack(in_channels: int, num_classes: int, layers: tuple[tuple[int, int, int], ...],
               width: int = 16) -> nn.Sequential:
    """A 3×3 stem to ``width`` channels, then one conv–BN–ReLU per (K, S, P) in ``layers``,
    global average pooling and a classifier."""
    modules = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
    for k, s, p in layers:
        modules += [nn.Conv2d(width, width, k, stride=s, padding=p, bias=False), nn.BatchNorm2d(width),
                    nn.ReLU(inplace=True)]
    return nn.Sequential(*modules, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))


def small_input_stem(in_channels: int, out_channels: int) -> nn.Conv2d:
    """Replaces ImageNet's 7×7 stride-2 stem: a 28×28 image would shrink to 7×7 before any block."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)


def resnet18_small(in_channels: int, num_classes: int) -> tvm.ResNet:
    model = tvm.resnet18(weights=None, num_classes=num_classes)
    model.conv1, model.maxpool = small_input_stem(in_channels, 64), nn.Identity()
    return model


def densenet_small(
    in_channels: int, num_classes: int, growth_rate: int = 12, block_config: tuple[int, ...] = (4, 4, 4),
    num_init_features: int | None = None,
) -> tvm.DenseNet:
    num_init_features = num_init_features or 2 * growth_rate
    model = tvm.DenseNet(growth_rate, tuple(block_config), num_init_features, num_classes=num_classes)
    model.features.conv0, model.features.pool0 = small_input_stem(in_channels, num_init_features), nn.Identity()
    return model


def densenet121_small(in_channels: int, num_classes: int) -> tvm.DenseNet:
    return densenet_small(in_channels, num_classes, 32, (6, 12, 24, 16), 64)


def without_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d by the identity, in place."""
    for name, child in model.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(model, name, nn.Identity())
        else:
            without_batchnorm(child)
    return model


@dataclass(frozen=True)
class NetSpec:
    network: str = "plain_cnn"
    depth: int = 20  # plain / resnet
    growth_rate: int = 12  # densenet
    block_config: tuple[int, ...] = (4, 4, 4)  # densenet
    batch_norm: bool = True
    layers: tuple[tuple[int, int, int], ...] = ()  # stack: (kernel, stride, padding) per layer
    dropout: float = 0.0  # p of the nn.Dropout before the classifier; 0: none
    activation: str = "relu"  # relu, sigmoid or tanh, everywhere the network has a ReLU module

    def label(self) -> str:
        name = NETWORKS[self.network].name_of(self) if self.network in NETWORKS else self.network
        extras = [] if self.batch_norm else ["no BN"]
        extras += [f"dropout {self.dropout:g}"] if self.dropout else []
        extras += [self.activation] if self.activation != "relu" else []
        return ", ".join([name, *extras])


def build(spec: NetSpec, in_channels: int, num_classes: int, seed: int = 0) -> nn.Module:
    """The network of ``spec``, its initial weights fixed by ``seed`` (see models.runtime.seeding)."""
    with seeded(seed):
        return _build(spec, in_channels, num_classes)


def _build(spec: NetSpec, in_channels: int, num_classes: int) -> nn.Module:
    model = get(spec.network).build(spec, in_channels, num_classes)
    if not 0 <= spec.dropout <= MAX_DROPOUT:
        raise NetworkError("dropout", limit=MAX_DROPOUT)
    if spec.activation not in ACTIVATIONS:
        raise NetworkError("activation", name=spec.activation, choices=", ".join(ACTIVATIONS))
    if not spec.batch_norm:
        without_batchnorm(model)
    if spec.activation != "relu":
        with_activation(model, ACTIVATIONS[spec.activation])
    return with_dropout(model, spec.dropout) if spec.dropout else model


def with_activation(model: nn.Module, kind: type[nn.Module]) -> nn.Module:
    """Replace every ReLU module by ``kind()``, in place."""
    for name, child in model.named_children():
        if isinstance(child, nn.ReLU):
            setattr(model, name, kind())
        else:
            with_activation(child, kind)
    return model


def with_dropout(model: nn.Module, p: float) -> nn.Module:
    """Put ``nn.Dropout(p)`` in front of the network's last linear layer (its classifier), in place."""
    name = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, nn.Sequential(nn.Dropout(p), getattr(parent, child)))
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- the registry: one record per trainable network ---------------------------------------------

@dataclass(frozen=True)
class Trainable:
    """One network the lab and the lessons' tasks can train: everything about it, in one place."""

    name: str  # NetSpec.network: "resnet"
    build: Callable[[NetSpec, int, int], nn.Module]  # (spec, in_channels, num_classes) → a fresh network
    knobs: tuple[str, ...] = ()  # the NetSpec fields that shape it (besides batch_norm, dropout, activation)
    title: Callable[[NetSpec], str] | None = None  # its name in a run's label (NetSpec.label); None: ``name``
    in_lab: bool = True  # offered by the training lab

    def name_of(self, spec: NetSpec) -> str:
        return self.title(spec) if self.title else self.name


NETWORKS: dict[str, Trainable] = {}


def register(network: Trainable) -> Trainable:
    NETWORKS[network.name] = network
    return network


def get(name: str) -> Trainable:
    if name not in NETWORKS:
        raise NetworkError("unknown", name=name, choices=", ".join(lab_networks()))
    return NETWORKS[name]


def lab_networks() -> tuple[str, ...]:
    """The training lab's choices, in the order registered."""
    return tuple(name for name, network in NETWORKS.items() if network.in_lab)


def _densenet(spec: NetSpec, in_channels: int, num_classes: int) -> tvm.DenseNet:
    if spec.growth_rate < 1 or not spec.block_config or min(spec.block_config) < 1:
        raise NetworkError("densenet")
    return densenet_small(in_channels, num_classes, spec.growth_rate, spec.block_config)


def _stack(spec: NetSpec, in_channels: int, num_classes: int) -> nn.Sequential:
    if not spec.layers:
        raise NetworkError("stack")
    return conv_stack(in_channels, num_classes, tuple(spec.layers))


register(Trainable("plain_cnn", lambda spec, c, k: plain_cnn(c, k)))
register(Trainable("plain", lambda spec, c, k: CifarResNet(spec.depth, False, c, k), knobs=("depth",),
                   title=lambda spec: f"plain-{spec.depth}"))
register(Trainable("resnet", lambda spec, c, k: CifarResNet(spec.depth, True, c, k), knobs=("depth",),
                   title=lambda spec: f"resnet-{spec.depth}"))
register(Trainable("densenet", _densenet, knobs=("growth_rate", "block_config"),
                   title=lambda spec: f"densenet k={spec.growth_rate} {tuple(spec.block_config)}"))
register(Trainable("resnet18", lambda spec, c, k: resnet18_small(c, k)))
register(Trainable("densenet121", lambda spec, c, k: densenet121_small(c, k)))
register(Trainable("stack", _stack, knobs=("layers",), in_lab=False,
                   title=lambda spec: " → ".join(f"{k}×{k}/{s}" for k, s, _ in spec.layers)))
