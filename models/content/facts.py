"""The numbers the lesson texts cite, computed rather than typed in.

Lesson Markdown writes ``{{name}}``; ``ui.lesson`` fills it from ``facts()``. Each fact comes
from the same functions the lessons' widgets use, so prose and widgets cannot disagree.
"""

from __future__ import annotations

import functools

import torch
from torchvision.models import densenet121

from models.maths.conv_arithmetic import Conv, dense_parameters, sliding_window
from models.maths.pooling import pooled_size
from models.probes import classic
from models.probes.dense import bookkeeping
from models.probes.layer_table import family_sizes
from models.maths.receptive_field import fields
from models.maths.blocks import basic_block_params, bottleneck_params, projection_params, stage_macs
from models.runtime import networks
from models.training import tasks
from models.training.nets import build, count_parameters

SEED_INPUT = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]  # lecture 12's 4×4 example
SEED_KERNEL = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]
SEED_CONV = Conv(w=32, k=5, p=0, s=1, c_in=3, c_out=4)  # 32×32×3, four 5×5 filters


def _millions(n: int) -> str:
    return f"{n / 1e6:.1f} M"


@functools.cache
def facts() -> dict[str, str]:
    steps = sliding_window(SEED_INPUT, SEED_KERNEL)
    stack = fields([Conv(name="a", k=3), Conv(name="b", k=3), Conv(name="c", k=3)])
    return {
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
    }


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
            "val_share": f"{tasks.remedy('early_stopping', run).val_split:.0%}"}


def _first_dense_block() -> str:
    """"64 + 6·32 = 256", read from DenseNet121's modules (built on the meta device: no memory)."""
    with torch.device("meta"):
        model = densenet121(weights=None)
    b = bookkeeping(model)[0]
    return f"{b.c0} + {b.layers}·{b.growth_rate} = {b.c_out}"
