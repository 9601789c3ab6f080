"""The residual block, measured: its parameters, its shortcut, and what switching it off does.

(The block's parameter counts are pure formulas, in ``models.maths.blocks``.)
* ``resnet_forward``: torchvision's ResNet forward, written out block by block, so that any
  block's residual branch F or its shortcut can be switched off for one pass, without touching
  the shared model (Veit et al., 2016: residual networks behave like ensembles of shallower ones).
* ``gradient_norms``: ‖∂L/∂W‖ of every convolution at initialisation, plain against residual,
  with the networks' own Kaiming initialisation or PyTorch's default one, and ``first_vs_last``:
  whether the first convolution's gradient has vanished next to the last one's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

from models.runtime import networks
from models.runtime.memo import memoized
from models.runtime.networks import Network
from models.runtime.seeding import seeded
from models.training import datasets, nets

# ----- switching blocks off ------------------------------------------------------------------

BRANCHES = ("residual", "shortcut")  # what can be switched off in a block
RESNET18 = networks.get("resnet18")  # the network the lesson switches branches off in


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
                   network: Network = RESNET18) -> torch.Tensor:
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


INITS = ("kaiming", "default")  # the weights a convolution starts from, see ``gradient_norms``
GRADIENT_BATCH, GRADIENT_SEED = 64, 0  # one batch of synthetic shapes; the seed fixes weights and images
GRADIENT_DEPTH = 56  # the lesson's question: the paper's deepest plain CIFAR net (Fig. 1)
FIRST_VS_LAST = ("vanished", "similar", "larger")  # the first convolution's gradient, next to the last one's
SIMILAR_WITHIN = 10.0  # "similar": within this factor either way


@dataclass(frozen=True)
class GradientNorms:
    label: str
    layers: tuple[str, ...]  # the convolutions, input side first
    norms: tuple[float, ...]  # ‖∂L/∂W‖ of each

    @property
    def ratio(self) -> float:
        """‖∂L/∂W‖ of the first convolution over that of the last: ≪ 1 is a vanishing gradient."""
        return self.norms[0] / self.norms[-1]


@memoized
def gradient_norms(spec: nets.NetSpec, batch: int = GRADIENT_BATCH, seed: int = GRADIENT_SEED,
                   init: str = "kaiming") -> GradientNorms:
    """One forward and backward pass of a freshly initialised network on synthetic shapes.

    ``init="kaiming"``: the network as built, each convolution drawn from N(0, 2/n_out) with
    n_out = C_out·k² (He et al. 2015, "Delving deep into rectifiers"; torchvision's choice): it
    keeps the gradient's scale through each conv + ReLU. ``init="default"``: PyTorch's own
    ``nn.Conv2d`` initialisation, U(±1/√n_in), variance 1/(3·n_in) with n_in = C_in·k², a sixth
    of 2/n: without BatchNorm each layer shrinks the signal by about √6. Computed once per process
    (``memoized``); the norms are summed in float64, as a gradient of 10⁻²⁴ squares to 0 in float32.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, not {init!r}")
    data = datasets.synthetic(n_train=batch, n_test=1, seed=seed)
    model = nets.build(spec, in_channels=1, num_classes=len(data.classes), seed=seed)
    if init == "default":
        with seeded(seed):
            for m in model.modules():
                if isinstance(m, nn.Conv2d):
                    m.reset_parameters()  # nn.Conv2d's own: kaiming_uniform_(a=√5)
    model.train()
    F.cross_entropy(model(data.train_x), data.train_y).backward()  # train_x is standardised already
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    label = spec.label() if init == "kaiming" else f"{spec.label()}, default init"
    return GradientNorms(label, tuple(n for n, _ in convs),
                         tuple(float(m.weight.grad.double().norm()) for _, m in convs))


def first_vs_last(ratio: float) -> str:
    """"vanished" below 1/10 of the last convolution's gradient, "larger" above 10×, else "similar"."""
    if ratio < 1 / SIMILAR_WITHIN:
        return "vanished"
    return "larger" if ratio > SIMILAR_WITHIN else "similar"


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
    return Deletion(names, (top, float(probs[top])), [float(p[top]) for p in removed],
                    [int(p.argmax()) for p in removed])
