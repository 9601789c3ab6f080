"""One forward pass of a shared classifier that returns its logits *and* every stage's activations.

``Stages`` is the network record's ``forward`` (torchvision's, written out module by module, keeping
the output of every stage on the way), so the top-5, the feature maps and the Grad-CAM activation
of a picture all come from a single pass with the same weights. (Not torchvision's
``create_feature_extractor``: torch.fx traces by patching ``nn.Module.__call__`` for the whole
process, and while it traced, any other student's network running in another thread failed with
"module is not installed as a submodule"; tests still use it as the reference.) Two backends
run that graph:

- ``onnxruntime`` on the CPU: the graph is exported in memory (TorchScript exporter, under a
  second per model) from the loaded weights when the engine is first used. On this project's
  2-core machine it runs ResNet18 about 1.6× and DenseNet121 about 2× faster than eager torch
  (``python -m bench.classify_speed``), mostly from fusing each convolution with its BatchNorm.
- ``torch`` everywhere else (CUDA, MPS), or when onnxruntime is missing or the export fails.
  On CUDA a batch-1 pass is mostly kernel launches (DenseNet121 launches hundreds of kernels,
  each a few microseconds of work; ``bench.latency`` counts them), so the engine captures the
  whole pass once as a CUDA graph, in the background while eager torch serves, and then replays
  it: one launch per picture (``CNNLAB_CUDA_GRAPHS=0`` keeps eager; ``python -m bench.gpu_check``
  measures both, and ``torch.compile``'s "reduce-overhead" mode beside them).

``CNNLAB_INFERENCE=torch`` forces eager torch (benchmarks compare the two). Each engine runs one
forward at a time: on a few CPU cores, two interleaved passes are slower than two in a row.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from models import settings
from models.runtime import zoo
from models.runtime.networks import Network
from models.runtime.zoo import Classifier

log = logging.getLogger(__name__)

class Stages(nn.Module):
    """x (B, 3, 224, 224) → the outputs of ``network.nodes``, as a tuple (what the ONNX exporter
    needs). It holds the shared model's modules, hence its weights: nothing is copied."""

    def __init__(self, network: Network, model: nn.Module):
        super().__init__()
        self.network, self.model = network, model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.network.forward(self.model, x).values())


class CudaGraph:
    """The pass at batch 1 captured once as a CUDA graph (``torch.cuda.graph``), then replayed.

    A replay reads its input from, and writes its outputs to, the same device buffers every time:
    ``__call__`` copies the picture in and the outputs out. The captured kernels are eager
    torch's own, in fp32, so a replay gives eager's numbers. It holds the shared model's weights
    by address: the model must not be modified, which the zoo already promises.
    """

    def __init__(self, stages: Stages, device: torch.device, warmup: int = 3):
        self.x = torch.zeros(1, 3, 224, 224, device=device)  # the static input buffer
        side = torch.cuda.Stream(device)  # warm up off the default stream, as torch.cuda.graph asks
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.no_grad(), torch.cuda.stream(side):
            for _ in range(warmup):  # cuDNN picks its algorithms and the allocator its blocks here
                stages(self.x)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        # thread_local: other sessions' threads may use the GPU (a Grad-CAM, a training run)
        # while this thread captures; only this thread's calls must be capturable.
        with torch.no_grad(), torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
            self.out = stages(self.x)

    def __call__(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.x.copy_(x)
        self.graph.replay()
        return [a.float().cpu() for a in self.out]  # copies: the next replay overwrites self.out


class Engine:
    """``engine(x)`` for x (B, 3, 224, 224) → {node: CPU tensor}, with the nodes of ``network.nodes``."""

    backend = "torch"

    def __init__(self, clf: Classifier):
        self.name, self.device = clf.name, clf.device
        self.stages = Stages(clf.network, clf.model)
        self.names = clf.network.nodes
        self._lock = threading.Lock()
        self._run: Callable[[torch.Tensor], list[torch.Tensor]] = self._torch
        self._graph: CudaGraph | None = None
        self.ready = threading.Event()  # set once the engine runs as it will from now on
        if self.device.type == "cpu" and settings.current().inference == "onnxruntime":
            self._use_onnxruntime()
        if self.device.type == "cuda" and settings.current().cuda_graphs:
            threading.Thread(target=self._capture, name=f"cuda-graph-{self.name}", daemon=True).start()
        else:
            self.ready.set()

    def _capture(self) -> None:
        """Capture the CUDA graph (a fraction of a second); eager torch serves until it is there."""
        try:
            with self._lock:  # no pass of this engine runs meanwhile
                self._graph = CudaGraph(self.stages, self.device)
                self.backend = "torch+cuda-graph"
        except Exception as err:  # noqa: BLE001 — a graph that cannot be captured: eager still works
            log.warning("CUDA graph not used for %s (%r); running eager torch", self.name, err)
        finally:
            self.ready.set()

    def _torch(self, x: torch.Tensor) -> list[torch.Tensor]:
        with torch.no_grad():  # not inference_mode: Grad-CAM later needs these tensors in autograd
            return [a.float().cpu() for a in self.stages(x.to(self.device))]

    def _use_onnxruntime(self) -> None:
        try:
            import onnxruntime as ort

            buffer = io.BytesIO()
            example = torch.zeros(1, 3, 224, 224)
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
                # eval(): the exporter puts the module back in the mode it found it, recursively;
                # a wrapper left in training mode would switch the shared model's BatchNorms to it.
                torch.onnx.export(self.stages.eval(), (example,), buffer, dynamo=False,
                                  input_names=["x"], output_names=list(self.names),
                                  dynamic_axes={"x": {0: "batch"}}, opset_version=17)
            options = ort.SessionOptions()
            # One thread per pass by default: a class sends many pictures at once, and a pass
            # split over two threads costs a third more CPU-seconds (waking the pool, waiting
            # for the slower half) for the same answers; the other core serves another student.
            options.intra_op_num_threads = settings.current().inference_threads
            # Idle pool threads sleep instead of spinning for the next parallel section: the
            # same answers, at the same speed here, for far fewer CPU-seconds, the cores the
            # other students' pages need (python -m bench.classify_speed: end_to_end_ms and _cpu_s).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
            # the graph was captured for one input shape: anything else runs eagerly
            run = self._graph if self._graph is not None and x.shape == self._graph.x.shape else self._run
            return dict(zip(self.names, run(x)))


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
