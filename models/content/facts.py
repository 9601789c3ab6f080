"""The numbers the lesson texts cite, computed rather than typed in.

Lesson Markdown writes ``{{name}}``; ``ui.lesson`` fills it from ``facts()``. Each fact comes
from the same functions the lessons' widgets use, so prose and widgets cannot disagree. The
measured ones (gradients of 56-layer networks at initialisation) are computed when a text first
asks for one of them, not whenever a page opens.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping

import torch
from torchvision.models import densenet121, resnet18

from models.maths.blocks import basic_block_params, bottleneck_params, projection_params, stage_macs
from models.maths.conv_arithmetic import Conv, dense_parameters, sliding_window
from models.maths.pooling import pooled_size
from models.maths.receptive_field import fields
from models.probes import classic, residual
from models.probes.dense import bookkeeping
from models.probes.layer_table import family_sizes, weighted_layers
from models.runtime import networks
from models.runtime.memo import memoized
from models.training import tasks, train
from models.training.nets import NetSpec, build, count_parameters

SEED_INPUT = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]  # lecture 12's 4×4 example
SEED_KERNEL = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]
SEED_CONV = Conv(w=32, k=5, p=0, s=1, c_in=3, c_out=4)  # 32×32×3, four 5×5 filters


def _millions(n: int) -> str:
    return f"{n / 1e6:.1f} M"


def times(x: float) -> str:
    """A ratio to two significant figures: 564.2 → "560", 2.94 → "2.9", 0.644 → "0.64"."""
    return f"{float(f'{x:.2g}'):,g}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x: float) -> str:
    """Two significant figures, as a power of ten outside [10⁻³, 10⁴): 1.23e-23 → "1.2 × 10⁻²³",
    0.0159 → "0.016", 2.0 → "2.0", 16000 → "1.6 × 10⁴"."""
    if 1e-3 <= abs(x) < 1e4:
        rounded = float(f"{x:.2g}")
        return f"{rounded:,.{max(0, 1 - math.floor(math.log10(abs(rounded))))}f}"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


class Facts(Mapping[str, str]):
    """The facts by name: ``ready`` ones at once, ``later`` ones (name → the memoized function
    that computes its group) when first asked for. ``name in facts()`` computes nothing."""

    def __init__(self, ready: dict[str, str], later: dict[str, Callable[[], dict[str, str]]]):
        self._ready, self._later = ready, later

    def __getitem__(self, name: str) -> str:
        return self._ready[name] if name in self._ready else self._later[name]()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._ready or name in self._later

    def __iter__(self) -> Iterator[str]:
        yield from self._ready
        yield from self._later

    def __len__(self) -> int:
        return len(self._ready) + len(self._later)


@functools.cache
def facts() -> Facts:
    steps = sliding_window(SEED_INPUT, SEED_KERNEL)
    stack = fields([Conv(name="a", k=3), Conv(name="b", k=3), Conv(name="c", k=3)])
    ready = {
        "seed_first": f"{steps[0].total:g}",
        "seed_second": f"{steps[1].total:g}",
        "seed_out": f"{SEED_CONV.out}×{SEED_CONV.out}×{SEED_CONV.c_out}",
        "seed_weights": f"{SEED_CONV.weights:,}",
        "seed_biases": f"{SEED_CONV.c_out}",
        "seed_params": f"{SEED_CONV.parameters:,}",
        "fc_photo_1000": f"{dense_parameters(224, 224, 3, 1000):,}",
        "rf_stack": " → ".join(str(f.size) for f in stack),
        "resnet18_params": _millions(networks.get("resnet18").num_params),
        "densenet121_params": _millions(networks.get("densenet121").num_params),
        "basic_64": f"{basic_block_params(64):,}",
        "bottleneck_256": f"{bottleneck_params(256, 64):,}",
        "basic_256": f"{basic_block_params(256):,}",
        "projection_64_128": f"{projection_params(64, 128):,}",
        "stage_macs": f"{stage_macs(56, 64):,}",
        "densenet121_block1": _first_dense_block(),
        **_overfitting(),
        **_classic(),
        "pool_28": " → ".join(str(w) for w in _halvings(28, 3)),
        **_weighted_layers(),
        "grad_batch": f"{residual.GRADIENT_BATCH}", "grad_seed": f"{residual.GRADIENT_SEED}",
        "grad_depth": f"{residual.GRADIENT_DEPTH}",
    }
    return Facts(ready, dict.fromkeys(GRADIENT_FACTS, _gradients))


GRADIENT_FACTS = ("grad_plain_bn", "grad_resnet_bn", "grad_plain_nobn", "grad_resnet_nobn_first",
                  "grad_kaiming_first", "grad_default_first", "grad_plain_bn_default")


@memoized
def _gradients() -> dict[str, str]:
    """‖∂L/∂W‖ at initialisation of the residual lesson's networks, on one batch, with the probe's
    seed (``models.probes.residual.gradient_norms``, as the lesson's chart draws them). A ratio is
    the first convolution's gradient over the last one's."""
    def measured(network: str, batch_norm: bool = True, init: str = "kaiming") -> residual.GradientNorms:
        spec = NetSpec(network, depth=residual.GRADIENT_DEPTH, batch_norm=batch_norm)
        return residual.gradient_norms(spec, init=init)

    return {"grad_plain_bn": times(measured("plain").ratio), "grad_resnet_bn": times(measured("resnet").ratio),
            "grad_plain_nobn": times(measured("plain", False).ratio),
            "grad_resnet_nobn_first": scientific(measured("resnet", False).norms[0]),
            "grad_kaiming_first": scientific(measured("plain", False).norms[0]),
            "grad_default_first": scientific(measured("plain", False, "default").norms[0]),
            "grad_plain_bn_default": times(measured("plain", True, "default").ratio)}


def _weighted_layers() -> dict[str, str]:
    """What the 18 of ResNet-18 and the 121 of DenseNet-121 count, read from torchvision's modules
    (on the meta device: no memory): "1 + 16 + 1 = 18", "1 + 116 + 3 + 1 = 121"."""
    with torch.device("meta"):
        resnet, densenet = resnet18(weights=None), densenet121(weights=None)
    return {"resnet18_layers": _layer_sum(resnet, ("conv1", "layer", "fc")),
            "resnet18_blocks": f"{len(residual.block_names(resnet))}",
            "densenet121_layers": _layer_sum(densenet, ("features.conv0", "features.denseblock",
                                                        "features.transition", "classifier")),
            "densenet121_dense_layers": f"{sum(b.layers for b in bookkeeping(densenet))}"}


def _layer_sum(model: torch.nn.Module, parts: tuple[str, ...]) -> str:
    """The weighted layers of each part (a name prefix), summed: "1 + 16 + 1 = 18"."""
    names = weighted_layers(model)
    counts = [sum(n.startswith(part) for n in names) for part in parts]
    if sum(counts) != len(names):
        raise ValueError(f"{parts} do not cover {len(names)} weighted layers once each")
    return f"{' + '.join(map(str, counts))} = {len(names)}"


def _halvings(w: int, times: int) -> list[int]:
    """A width through ``times`` 2×2 poolings of stride 2: 28 → 14 → 7 → 3."""
    sizes = [w]
    for _ in range(times):
        sizes.append(pooled_size(sizes[-1], 2, 2))
    return sizes


def _classic() -> dict[str, str]:
    """AlexNet's and VGG-16's sizes, from torchvision's constructors (``models.probes.classic``)."""
    share = classic.parameter_share(classic.alexnet_layers())
    total = share["conv"] + share["fc"]
    return {"alexnet_params": f"{total:,}", "alexnet_fc_share": f"{share['fc'] / total:.0%}",
            "vgg16_params": f"{family_sizes(('VGG-16',))['VGG-16']['parameters']:,}",
            "vgg16_channels": " → ".join(str(c) for c in dict.fromkeys(st.channels for st in classic.vgg_stages("D"))),
            "alexnet_dropout": f"{tasks.ALEXNET_RECIPE['dropout']}"}


def _overfitting() -> dict[str, str]:
    """The overfitting lesson's run, as ``models.training.tasks`` defines it."""
    run = tasks.overfit_run()
    more = tasks.remedy("more_data", run)
    return {"overfit_params": f"{count_parameters(build(run.net, 1, 10)):,}", "overfit_images": f"{run.train_size:,}",
            "overfit_epochs": f"{run.epochs}", "more_data_images": f"{more.train_size:,}",
            "val_share": f"{tasks.remedy('early_stopping', run).val_split:.0%}",
            "val_share_default": f"{train.VAL_SPLIT:.0%}", "val_least": f"{train.MIN_VAL_IMAGES:,}"}


def _first_dense_block() -> str:
    """"64 + 6·32 = 256", read from DenseNet121's modules (built on the meta device: no memory)."""
    with torch.device("meta"):
        model = densenet121(weights=None)
    b = bookkeeping(model)[0]
    return f"{b.c0} + {b.layers}·{b.growth_rate} = {b.c_out}"
