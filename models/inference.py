"""One forward pass of a shared classifier that returns its logits *and* every stage's activations.

The graph is torchvision's ``create_feature_extractor`` over the classifier's own module, so
the top-5, the feature maps and the Grad-CAM activation of a picture all come from a single
pass with the same weights. Two backends run that graph:

- ``onnxruntime`` on the CPU: the graph is exported in memory (TorchScript exporter, under a
  second per model) from the loaded weights when the engine is first used. On this project's
  2-core machine it runs ResNet18 about 1.6× and DenseNet121 about 2× faster than eager torch
  (``python -m bench.classify_speed``), mostly from fusing each convolution with its BatchNorm.
- ``torch`` everywhere else (CUDA, MPS), or when onnxruntime is missing or the export fails.

``CNNLAB_INFERENCE=torch`` forces eager torch (benchmarks compare the two). Each engine runs one
forward at a time: on a few CPU cores, two interleaved passes are slower than two in a row.
This module does not import streamlit.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import warnings
from typing import Callable

import numpy as np
import torch
from torchvision.models.feature_extraction import create_feature_extractor

from models import device as device_mod
from models import zoo
from models.zoo import Classifier

log = logging.getLogger(__name__)

# The stages a student sees, named as torchvision's modules are (``print(model)``).
STAGES = {
    "resnet18": ("conv1", "layer1", "layer2", "layer3", "layer4"),
    "densenet121": ("features.denseblock1", "features.transition1", "features.denseblock2", "features.transition2",
                    "features.denseblock3", "features.transition3", "features.denseblock4"),
}
LOGITS = {"resnet18": "fc", "densenet121": "classifier"}
# Grad-CAM's layer: the last one with a spatial map (ResNet18's layer4; the last dense block).
CAM_LAYER = {"resnet18": "layer4", "densenet121": "features.denseblock4"}


def nodes(name: str) -> tuple[str, ...]:
    """The graph's outputs, in order: the stages, then the logits."""
    return STAGES[name] + (LOGITS[name],)


class _AsTuple(torch.nn.Module):
    """The feature extractor with a tuple output, which the ONNX exporter needs."""

    def __init__(self, extractor: torch.nn.Module, names: tuple[str, ...]):
        super().__init__()
        self.extractor, self.names = extractor, names

    def forward(self, x):
        out = self.extractor(x)
        return tuple(out[n] for n in self.names)


class Engine:
    """``engine(x)`` for x (B, 3, 224, 224) → {node: CPU tensor}, with the nodes of ``nodes(name)``."""

    backend = "torch"

    def __init__(self, clf: Classifier):
        self.name, self.device = clf.name, clf.device
        self.names = nodes(clf.name)
        # Shares the classifier's submodules, hence its weights: nothing is copied.
        self.extractor = create_feature_extractor(clf.model, {n: n for n in self.names})
        self._lock = threading.Lock()
        self._run: Callable[[torch.Tensor], list[torch.Tensor]] = self._torch
        if self.device.type == "cpu" and os.environ.get("CNNLAB_INFERENCE", "onnxruntime") == "onnxruntime":
            self._use_onnxruntime()

    def _torch(self, x: torch.Tensor) -> list[torch.Tensor]:
        with torch.no_grad():  # not inference_mode: Grad-CAM later needs these tensors in autograd
            out = self.extractor(x.to(self.device))
        return [out[n].float().cpu() for n in self.names]

    def _use_onnxruntime(self) -> None:
        try:
            import onnxruntime as ort

            buffer = io.BytesIO()
            example = torch.zeros(1, 3, 224, 224)
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
                # eval(): the exporter puts the module back in the mode it found it, recursively;
                # a wrapper left in training mode would switch the shared model's BatchNorms to it.
                torch.onnx.export(_AsTuple(self.extractor, self.names).eval(), (example,), buffer, dynamo=False,
                                  input_names=["x"], output_names=list(self.names),
                                  dynamic_axes={"x": {0: "batch"}}, opset_version=17)
            options = ort.SessionOptions()
            options.intra_op_num_threads = device_mod.cpu_threads()
            options.log_severity_level = 3
            session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 — no onnxruntime, or an exporter that cannot: eager still works
            log.warning("ONNX Runtime not used for %s (%r); running eager torch", self.name, err)
            return
        self._session, self.backend = session, "onnxruntime"
        # numpy, not torch, makes the input contiguous: a torch op here would wake torch's
        # thread pool right before ONNX Runtime's threads need the same cores.
        self._run = lambda x: [torch.from_numpy(a) for a in
                               session.run(None, {"x": np.ascontiguousarray(x.numpy(), dtype=np.float32)})]

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        with self._lock:
            return dict(zip(self.names, self._run(x)))


_lock = threading.Lock()
_engines: dict[int, tuple[Classifier, Engine]] = {}


def engine(clf: Classifier) -> Engine:
    """The engine of a shared classifier, built on first use (a second or two for the export)."""
    with _lock:
        held = _engines.get(id(clf.model))
        if held is None or held[0].model is not clf.model:
            held = _engines[id(clf.model)] = (clf, Engine(clf))
            zoo.freeze_heap()  # the exported graph and the session live as long as the process
        return held[1]
