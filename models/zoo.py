"""The two pretrained classifiers of the app, ResNet18 and DenseNet121, loaded once per process.

Every session shares the same module objects: they are in eval mode, their parameters do not
require gradients, and nothing may train or modify them (training builds its own networks,
see ``models.nets``). Class names and preprocessing come from the torchvision weights'
metadata, which is available even when the weight file itself is not: an untrained model still
predicts ImageNet class names, and ``Classifier.pretrained`` says it is untrained.

This module does not import streamlit.
"""

from __future__ import annotations

import gc
import re
import threading
from dataclasses import dataclass

import torch
from torch import nn
from torchvision import models as tvm

from models import device as device_mod
from models.seeding import seeded
from models.weights import CHECKPOINTS, STORE, State, WeightsError, WeightsStore, load_state_dict

BUILDERS = {"resnet18": tvm.resnet18, "densenet121": tvm.densenet121}
TITLES = {"resnet18": "ResNet18", "densenet121": "DenseNet121"}


@dataclass(frozen=True)
class Classifier:
    name: str  # "resnet18"
    model: nn.Module  # eval mode, on ``device``, read-only
    weights: object  # the torchvision WeightsEnum member: categories, transforms, metadata
    device: torch.device
    pretrained: bool
    note: str = ""  # why the weights are untrained, in a sentence

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def categories(self) -> list[str]:
        return self.weights.meta["categories"]

    def transforms(self):
        """The weights' own preprocessing: resize 256, centre-crop 224, normalise."""
        return self.weights.transforms()


# DenseNet checkpoints predate a rename in torchvision ("norm.1" → "norm1"); torchvision's
# densenet._load_state_dict applies this same pattern before loading.
_DENSENET_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _upgrade_keys(name: str, state_dict: dict) -> dict:
    if name != "densenet121":
        return state_dict
    return {(_DENSENET_OLD_KEY.sub(r"\1\2", k)): v for k, v in state_dict.items()}


def build(name: str, state_dict: dict | None = None) -> nn.Module:
    """A torchvision network with the given weights, or a fixed random init (seed 0)."""
    with seeded(0):
        model = BUILDERS[name](weights=None)
    if state_dict is not None:
        model.load_state_dict(_upgrade_keys(name, state_dict))
    return model.eval().requires_grad_(False)


_lock = threading.Lock()
_cache: dict[tuple[str, bool], Classifier] = {}


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's sight, for good.

    Streamlit runs a full collection after every script run of every session. With torch,
    its modules and the models loaded, that scan took ~210 ms here, and a collection holds the
    GIL, so thirty students' reruns queued behind each other's collections. What is alive once
    the models are loaded stays alive: frozen, a full collection costs well under 1 ms.
    """
    gc.collect()
    gc.freeze()


def classifier(name: str, store: WeightsStore = STORE) -> Classifier:
    """The shared classifier: pretrained when its weights are ready, untrained (and labelled) otherwise.

    When weights become ready later (a background download finished), the next call loads
    them; until then the untrained model is reused rather than rebuilt per call.
    """
    ckpt = CHECKPOINTS[name]
    status = store.status(name)
    want_pretrained = status.state is State.READY
    key = (name, want_pretrained)
    with _lock:
        if key in _cache:
            return _cache[key]
        dev = device_mod.current().device
        state_dict, note = None, status.message
        if want_pretrained:
            try:
                state_dict = load_state_dict(ckpt)
            except WeightsError as err:  # changed on disk since the status check
                want_pretrained, note = False, str(err)
        clf = Classifier(
            name=name,
            model=build(name, state_dict).to(dev),
            weights=ckpt.weights,
            device=dev,
            pretrained=want_pretrained,
            note=note,
        )
        _cache[(name, want_pretrained)] = clf
    freeze_heap()
    return clf


def clear_cache() -> None:
    """Forget loaded models (tests; a fresh download), and let the collector see them again."""
    with _lock:
        _cache.clear()
    gc.unfreeze()

