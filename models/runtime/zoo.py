"""The pretrained classifiers, loaded once per process and shared by every session.

Every session shares the same module objects: they are in eval mode, their parameters do not
require gradients, and nothing may train or modify them (training builds its own networks,
see ``models.training.nets``). Class names and preprocessing come from the torchvision weights'
metadata, which is there even when the weight file itself is not: an untrained model still
predicts ImageNet class names, and ``Classifier.pretrained`` says it is untrained.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

import torch
from torch import nn

from models.runtime import device as device_mod
from models.runtime import networks
from models.runtime.networks import Network
from models.runtime.weights import State, WeightsError, WeightsStore, load_state_dict

# The process's view of every registered network's checkpoint: ready, downloading or missing.
STORE = WeightsStore(lambda name: networks.get(name).checkpoint)


@dataclass(frozen=True)
class Classifier:
    network: Network  # what the model is: stages, head, categories, preprocessing
    model: nn.Module  # eval mode, on ``device``, read-only
    device: torch.device
    pretrained: bool
    note: WeightsError | None = None  # why the weights are untrained

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def title(self) -> str:
        return self.network.title

    @property
    def categories(self) -> list[str]:
        return self.network.categories

    def transforms(self):
        return self.network.transforms()


def build(name: str, state_dict: dict | None = None) -> nn.Module:
    """A registered network with the given weights, or a fixed random init (seed 0)."""
    return networks.get(name).build(state_dict)


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
    network = networks.get(name)
    status = store.status(name)
    want_pretrained = status.state is State.READY
    key = (name, want_pretrained)
    with _lock:
        if key in _cache and _cache[key].network is network:
            return _cache[key]
        dev = device_mod.current().device
        state_dict, note = None, status.error
        if want_pretrained:
            try:
                state_dict = load_state_dict(network.checkpoint)
            except WeightsError as err:  # changed on disk since the status check
                want_pretrained, note = False, err
        clf = Classifier(network, network.build(state_dict).to(dev), dev, want_pretrained, note)
        _cache[(name, want_pretrained)] = clf
    freeze_heap()
    return clf


def clear_cache() -> None:
    """Forget loaded models (tests; a fresh download), and let the collector see them again."""
    with _lock:
        _cache.clear()
    gc.unfreeze()
