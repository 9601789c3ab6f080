"""One record per pretrained network: everything the app needs to know about it, in one place.

Like torchvision's ``register_model`` and its ``Weights`` enums, a ``Network`` carries its
builder, its title, its weights (labels, preprocessing, published parameter count, checkpoint),
the stages a student sees, where the logits and the Grad-CAM layer are, and its head. Every
consumer (the zoo, the inference engine, Grad-CAM, the lessons) asks the record, never a dict
keyed by the network's name; adding a network is one ``register`` call:

    register(resnet("resnet34", "ResNet-34", tvm.resnet34, tvm.ResNet34_Weights.IMAGENET1K_V1))

A forward pass is written once, as ``body`` (the modules up to the Grad-CAM layer, in the order
torchvision's ``forward`` runs them) followed by ``head`` (the rest of that ``forward``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models as tvm

from models.runtime.seeding import seeded
from models.runtime.weights import Checkpoint


def _resnet_head(model: tvm.ResNet, a: torch.Tensor) -> torch.Tensor:
    """layer4 (B, 512, 7, 7) → average pool → flatten → fc: logits (B, 1000)."""
    return model.fc(torch.flatten(model.avgpool(a), 1))


def _densenet_head(model: tvm.DenseNet, a: torch.Tensor) -> torch.Tensor:
    """denseblock4 (B, 1024, 7, 7) → norm5 → ReLU → global average pool → classifier: logits (B, 1000)."""
    return model.classifier(torch.flatten(F.adaptive_avg_pool2d(F.relu(model.features.norm5(a)), 1), 1))


def _same_keys(state_dict: dict) -> dict:
    return state_dict


# DenseNet checkpoints predate a rename in torchvision ("norm.1" → "norm1"); torchvision's
# densenet._load_state_dict applies this same pattern before loading.
_DENSENET_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _densenet_keys(state_dict: dict) -> dict:
    return {_DENSENET_OLD_KEY.sub(r"\1\2", k): v for k, v in state_dict.items()}


@dataclass(frozen=True)
class Network:
    name: str  # "resnet18", torchvision's builder name
    title: str  # "ResNet18", as the page writes it
    builder: Callable[..., nn.Module]  # tvm.resnet18
    weights: object  # a torchvision WeightsEnum member: categories, transforms(), num_params, url
    stages: tuple[str, ...]  # the activations a student sees, named as ``print(model)`` names them
    cam_layer: str  # Grad-CAM's layer: the last with a spatial map; ``body`` ends there
    head: Callable[[nn.Module, torch.Tensor], torch.Tensor]  # the cam layer's activation → logits
    logits: str  # the module that gives the logits ("fc", "classifier")
    trunk: str = ""  # the container whose children ``forward`` runs in order ("features" for DenseNet)
    upgrade_keys: Callable[[dict], dict] = _same_keys  # old checkpoints' key names → today's
    checkpoint: Checkpoint | None = field(default=None)  # where the weights' file comes from

    def __post_init__(self):
        if self.checkpoint is None:
            object.__setattr__(self, "checkpoint", Checkpoint(self.name, self.weights, self.weights.url))

    @property
    def categories(self) -> list[str]:
        return self.weights.meta["categories"]

    @property
    def num_params(self) -> int:
        """The published parameter count (torchvision's metadata)."""
        return self.weights.meta["num_params"]

    def transforms(self):
        """The weights' own preprocessing: resize 256, centre-crop 224, normalise."""
        return self.weights.transforms()

    @property
    def nodes(self) -> tuple[str, ...]:
        """What one pass of the inference engine returns, in order: the stages, then the logits."""
        return self.stages + (self.logits,)

    def build(self, state_dict: dict | None = None) -> nn.Module:
        """The network in eval mode, read-only, with these weights or a fixed random init (seed 0)."""
        with seeded(0):
            model = self.builder(weights=None)
        if state_dict is not None:
            model.load_state_dict(self.upgrade_keys(state_dict))
        return model.eval().requires_grad_(False)

    def body(self, model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
        """(qualified name, module) of everything before the head, in the order ``forward`` runs
        them: ResNet's children up to ``layer4``; DenseNet's ``features`` up to ``denseblock4``."""
        container = model.get_submodule(self.trunk) if self.trunk else model
        prefix = f"{self.trunk}." if self.trunk else ""
        for child, module in container.named_children():
            yield prefix + child, module
            if prefix + child == self.cam_layer:
                return

    def upto(self, model: nn.Module, stage: str) -> nn.Sequential:
        """The network from its input to the end of ``stage``, sharing the model's modules."""
        modules = []
        for name, module in self.body(model):
            modules.append(module)
            if name == stage:
                return nn.Sequential(*modules)
        raise KeyError(f"{stage} is not a stage of {self.title}")

    def forward(self, model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x (B, 3, 224, 224) → {node: activation} for every ``nodes`` entry: torchvision's
        ``forward`` written out, keeping each stage's output on the way."""
        out = {}
        for qualified, module in self.body(model):
            x = out[qualified] = module(x)
        out[self.logits] = self.head(model, x)
        return {n: out[n] for n in self.nodes}


def resnet(name: str, title: str, builder, weights) -> Network:
    """A torchvision ResNet: stages conv1 and layer1…layer4, Grad-CAM on layer4."""
    return Network(name, title, builder, weights, stages=("conv1", "layer1", "layer2", "layer3", "layer4"),
                   cam_layer="layer4", head=_resnet_head, logits="fc")


def densenet(name: str, title: str, builder, weights) -> Network:
    """A torchvision DenseNet: every dense block and transition, Grad-CAM on the last dense block."""
    stages = ("features.denseblock1", "features.transition1", "features.denseblock2", "features.transition2",
              "features.denseblock3", "features.transition3", "features.denseblock4")
    return Network(name, title, builder, weights, stages=stages, cam_layer="features.denseblock4",
                   head=_densenet_head, logits="classifier", trunk="features", upgrade_keys=_densenet_keys)


NETWORKS: dict[str, Network] = {}


def register(network: Network) -> Network:
    NETWORKS[network.name] = network
    return network


def get(name: str) -> Network:
    return NETWORKS[name]


register(resnet("resnet18", "ResNet18", tvm.resnet18, tvm.ResNet18_Weights.IMAGENET1K_V1))
register(densenet("densenet121", "DenseNet121", tvm.densenet121, tvm.DenseNet121_Weights.IMAGENET1K_V1))
