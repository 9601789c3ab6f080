"""The residual block lesson's parts: the block drawn and counted, degradation, gradients, ablation, family."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st
import torch
from torchvision.models.resnet import BasicBlock, Bottleneck

from lessons import ROOT as LESSONS_DIR
from models.content.facts import facts, scientific, times
from models.maths import blocks
from models.probes import residual
from models.probes.layer_table import family_sizes
from models.runtime import classify, device, zoo
from models.training import datasets, tasks
from models.training.nets import NetSpec, count_parameters
from models.training.train import point_from_dict
from ui import charts, class_run, figures, identity, task_views
from ui.analysis import analyse
from ui.classroom import guess, guess_first
from ui.i18n import labels, t
from ui.lesson import reveal, untrained_notice
from ui.picture import Picture
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


def gradients() -> None:
    """Guess first (where the class predicts), then the chart, what it measured, and the lesson's
    paragraphs on it (``reveal``): the question is always the plain 56-layer net with BatchNorm."""
    choices = residual.FIRST_VS_LAST
    depth_asked = residual.GRADIENT_DEPTH
    options = {c: t(f"res.grad_{c}", factor=f"{residual.SIMILAR_WITHIN:g}") for c in choices}
    if not guess_first("res.gradients", t("res.predict_gradients", depth=depth_asked), options=list(choices),
                       format_func=options.__getitem__):
        return
    left, middle, right = st.columns(3)
    depth = left.select_slider(t("res.depth"), [20, 32, 44, 56, 110], **kept("res.grad_depth", depth_asked))
    batch_norm = middle.toggle(t("res.batch_norm"), **kept("res.grad_bn", True))
    init = right.radio(t("res.init"), residual.INITS, horizontal=True, format_func=labels("res.init_", residual.INITS),
                       **kept("res.grad_init", "kaiming"))
    # backward passes through 56- and 110-layer networks: seconds, once per process
    with st.spinner(t("app.computing")):
        shown = [residual.gradient_norms(NetSpec(net, depth=depth, batch_norm=batch_norm), init=init)
                 for net in ("plain", "resnet")]
        asked = residual.gradient_norms(NetSpec("plain", depth=depth_asked, batch_norm=True))
        facts()["grad_plain_bn"]  # the lesson's measured facts (below), computed here under the spinner
    charts.show(figures.gradient_norms({g.label: g.norms for g in shown}), key="res.gradients")
    st.caption(" ".join(t("res.grad_ends", network=g.label, first=scientific(g.norms[0]), last=scientific(g.norms[-1]),
                          ratio=times(g.ratio)) for g in shown))
    answer, said = residual.first_vs_last(asked.ratio), guess("res.gradients")
    words = {c: t(f"res.grad_word_{c}") for c in choices}
    measured = dict(depth=depth_asked, ratio=times(asked.ratio), answer=words[answer])
    if said is None:
        st.info(t("res.grad_measured", **measured), icon="📏")
    elif said == answer:
        st.success(t("res.grad_right", guess=words[said], **measured), icon="✅")
    else:
        st.info(t("res.grad_wrong", guess=words[said], **measured), icon="📏")
    reveal("residual_block", "gradients")


def ablation(picture: Picture | None) -> None:
    result = analyse(picture) if picture else None
    if result is None:
        return
    clf = zoo.classifier("resnet18")
    untrained_notice(clf)
    names = residual.block_names(clf.model)
    left, right = st.columns(2)
    name = left.selectbox(t("res.block"), names, **kept("res.block", "layer3.1"))
    off = right.radio(t("res.switch_off"), ["none", *residual.BRANCHES], horizontal=True,
                      format_func=labels("res.off_", ["none", *residual.BRANCHES]), **kept("res.off", "residual"))
    x = result.x.to(clf.device)
    intact = residual.resnet_forward(clf.model, x)[0].softmax(0)
    changed = residual.resnet_forward(clf.model, x, {} if off == "none" else {name: off})[0].softmax(0)
    titles = [t("res.intact"), t(f"res.changed_{off}", block=name)]
    tops = [classify.named_top(p, clf.categories) for p in (intact, changed)]
    charts.show(figures.top5_pair(titles, tops), key="res.ablation")
    sweep = _sweep(result.digest, clf.pretrained, result.x)
    charts.show(figures.block_deletion(sweep.blocks, sweep.probs, sweep.baseline[1],
                                       clf.categories[sweep.baseline[0]]), key="res.sweep")
    kept_top = sum(top == sweep.baseline[0] for top in sweep.top1)
    st.caption(t("res.sweep_caption", kept=kept_top, n=len(sweep.blocks)))


@st.cache_data(show_spinner=False, max_entries=64)
def _sweep(digest: str, pretrained: bool, _x) -> residual.Deletion:
    """Nine forward passes, once per picture and weights (``_x``, not hashed, is that picture)."""
    clf = zoo.classifier("resnet18")
    return residual.deletion_sweep(clf.model, _x.to(clf.device))


def family() -> None:
    with st.spinner(t("app.computing")):  # every layer of five networks, on the meta device, once
        sizes = family_sizes(tuple(f"ResNet-{d}" for d in (18, 34, 50, 101, 152)))
    table = pd.DataFrame([{t("res.col_network"): n, t("res.col_params"): f"{s['parameters'] / 1e6:.1f} M",
                           t("res.col_macs"): f"{s['macs'] / 1e9:.2f} G", t("res.col_blocks"): str(s["blocks"])}
                          for n, s in sizes.items()])
    st.dataframe(table, hide_index=True)
