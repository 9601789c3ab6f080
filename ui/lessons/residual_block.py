"""The residual block lesson's parts: the block drawn and counted, degradation, the ResNet family.

Why residual networks train (gradients at initialisation, blocks switched off) is the next
lesson's view, ``ui.lessons.residual_depth``."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st
import torch
from torchvision.models.resnet import BasicBlock, Bottleneck

from lessons import ROOT as LESSONS_DIR
from models.maths import blocks
from models.probes.layer_table import family_sizes
from models.runtime import device, zoo
from models.training import datasets, tasks
from models.training.nets import count_parameters
from models.training.train import point_from_dict
from ui import charts, class_run, figures, identity, task_views
from ui.classroom import guess_first
from ui.i18n import labels, t
from ui.state import kept

BLOCKS = {
    "basic": (["3×3 conv, 64", "BN", "ReLU", "3×3 conv, 64", "BN"], "identity"),
    "downsample": (["3×3 conv, 128, stride 2", "BN", "ReLU", "3×3 conv, 128", "BN"], "1×1 conv, 128, stride 2 + BN"),
    "bottleneck": (["1×1 conv, 64", "BN", "ReLU", "3×3 conv, 64", "BN", "ReLU", "1×1 conv, 256", "BN"], "identity"),
    "plain": (["3×3 conv, 64", "BN", "ReLU", "3×3 conv, 64", "BN"], None),
}
RECORDED = LESSONS_DIR / "residual_block" / "degradation.json"  # written by python -m bench.degradation


@st.cache_data(show_spinner=False)
def _counts() -> list[tuple[str, str, int, int]]:
    """The formulas of models.probes.residual beside the parameters of torchvision's own modules."""
    with torch.device("meta"):  # shapes only: no memory, and no draw from the seeded generator
        basic, bottleneck, wide = BasicBlock(64, 64), Bottleneck(256, 64), BasicBlock(256, 256)
    return [
        ("BasicBlock(64, 64)", "2·(9·64² + 2·64)", blocks.basic_block_params(64), count_parameters(basic)),
        ("Bottleneck(256, 64)", "256·64 + 9·64² + 64·256 + BN", blocks.bottleneck_params(256, 64),
         count_parameters(bottleneck)),
        ("BasicBlock(256, 256)", "2·(9·256² + 2·256)", blocks.basic_block_params(256), count_parameters(wide)),
        ("1×1 projection 64 → 128", "64·128 + 2·128", blocks.projection_params(64, 128),
         count_parameters(zoo.classifier("resnet18").model.layer2[0].downsample)),
    ]


def block() -> None:
    kind = st.radio(t("res.block_kind"), list(BLOCKS), horizontal=True, format_func=labels("res.kind_", BLOCKS),
                    **kept("res.kind", "basic"))
    left, right = st.columns([3, 2])
    boxes, shortcut = BLOCKS[kind]
    shortcut = t("res.identity") if shortcut == "identity" else shortcut  # the 1×1 projection keeps its formula
    charts.show(figures.block_diagram(boxes, shortcut), key="res.diagram", where=left)
    rows = _counts()
    right.dataframe(pd.DataFrame(rows, columns=[t("res.col_block"), t("res.col_formula"), t("res.col_params"),
                                                t("res.col_torchvision")]), hide_index=True)
    right.caption(t("res.macs_same", a=f"{blocks.stage_macs(56, 64):,}", b=f"{blocks.stage_macs(28, 128):,}"))


def degradation() -> None:
    gpu = device.current().device.type == "cuda"
    offered = ("fashion-mnist", "cifar-10") if datasets.on_disk("cifar-10") else ("fashion-mnist",)
    dataset = (st.radio(t("train.dataset"), offered, horizontal=True, format_func=labels("train.data_", offered),
                        key="res.degradation_data") if len(offered) > 1 else offered[0])
    paper = gpu and dataset == "cifar-10" and st.toggle(t("res.paper_scale"), key="res.paper_scale")
    scale = "paper" if paper else ("gpu" if gpu else "cpu")
    runs = tasks.degradation_runs(scale, dataset=dataset)
    size, full = tasks.SCALES[scale], 50_000 if dataset == "cifar-10" else 60_000
    st.caption(t(f"res.scale_{scale}", images=f"{size['train_size'] or full:,}", epochs=size["epochs"],
                 data=t(f"train.data_{dataset}")))
    if not guess_first("res.degradation", t("predict.degradation"), options=list(runs)):
        return
    task_views.comparison("demo.degradation", runs, time_limit_s=600.0)
    # the recorded run, for classes that cannot wait: unless this class has run it (ui.class_run), or this student
    if (RECORDED.exists() and class_run.read("demo.degradation") is None
            and not identity.store().runs(identity.current().id, tag="demo.degradation")[0]):
        recorded = json.loads(RECORDED.read_text())
        st.info(t("res.recorded", command="python -m bench.degradation", machine=recorded["machine"],
                  images=f"{recorded['train_size']:,}", epochs=recorded["epochs"]), icon="📼")
        curves = {label: [point_from_dict(p) for p in points] for label, points in recorded["curves"].items()}
        charts.show(figures.training_curves(curves), key="res.recorded_chart")


def family() -> None:
    with st.spinner(t("app.computing")):  # every layer of five networks, on the meta device, once
        sizes = family_sizes(tuple(f"ResNet-{d}" for d in (18, 34, 50, 101, 152)))
    table = pd.DataFrame([{t("res.col_network"): n, t("res.col_params"): f"{s['parameters'] / 1e6:.1f} M",
                           t("res.col_macs"): f"{s['macs'] / 1e9:.2f} G", t("res.col_blocks"): str(s["blocks"])}
                          for n, s in sizes.items()])
    st.dataframe(table, hide_index=True)
