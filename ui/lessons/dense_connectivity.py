"""The dense connectivity lesson's parts: channel bookkeeping, the picture through the blocks,
feature reuse, ResNet18 against DenseNet121, and a small DenseNet against a small ResNet."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import torch

from models.probes import dense
from models.probes.layer_table import family_sizes, layer_table
from models.runtime import classify, networks, zoo
from models.training import nets
from models.training.train import TrainConfig
from ui import charts, figures, task_views
from ui.analysis import stage_maps
from ui.i18n import t
from ui.lesson import untrained_notice
from ui.state import kept

DEMO_NETS = {"resnet-20": nets.NetSpec("resnet", depth=20),
             "densenet k=12 (8, 8, 8)": nets.NetSpec("densenet", growth_rate=12, block_config=(8, 8, 8))}


def bookkeeping() -> None:
    model = zoo.classifier("densenet121").model
    blocks = dense.bookkeeping(model)
    rows = [{t("dense.col_block"): b.name, "c₀": b.c0, "ℓ": b.layers, "k": b.growth_rate,
             t("dense.col_out"): f"{b.c0} + {b.layers}·{b.growth_rate} = {b.c_out}",
             t("dense.col_transition"): f"{b.c_out} → {b.transition_out}" if b.transition_out else "—"} for b in blocks]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    layers, channels = ["stem"], [blocks[0].c0]
    for b in blocks:
        layers += [f"{b.name}.layer{i}" for i in range(1, b.layers + 1)]
        channels += b.channels
        if b.transition_out:
            layers.append(b.name.replace("denseblock", "transition"))
            channels.append(b.transition_out)
    charts.show(figures.channel_growth(layers, channels), key="dense.growth")


def live(result: classify.Analysis | None) -> None:
    if result is None:
        return
    untrained_notice(zoo.classifier("densenet121"))
    stage_maps(result.predictions["densenet121"], "dense.stage")


def reuse() -> None:
    clf = zoo.classifier("densenet121")
    untrained_notice(clf)
    blocks = dense.bookkeeping(clf.model)
    index = st.select_slider(t("dense.block"), list(range(len(blocks))), format_func=lambda i: blocks[i].name,
                             **kept("dense.reuse_block", 0))
    heat = dense.feature_reuse(clf.model, index)
    b = blocks[index]
    sources = [t("dense.block_input")] + [f"{i}" for i in range(1, b.layers + 1)]
    targets = [f"{i}" for i in range(1, b.layers + 1)] + ([t("dense.transition")] if b.transition_out else [])
    charts.show(figures.reuse_heatmap(heat.tolist(), targets, sources), key="dense.reuse")


def compare(result: classify.Analysis | None) -> None:
    with st.spinner(t("app.computing")):
        sizes = family_sizes(("ResNet-18", "DenseNet-121"))
    rows = []
    for name, family in (("resnet18", "ResNet-18"), ("densenet121", "DenseNet-121")):
        s = sizes[family]
        row = {t("dense.col_network"): networks.get(name).title,
               t("dense.col_params"): f"{s['parameters'] / 1e6:.2f} M", t("dense.col_macs"): f"{s['macs'] / 1e9:.2f} G",
               t("dense.col_activations"): f"{s['activations'] * 4 / 2**20:.0f} MB"}
        if result:
            pred = result.predictions[name]
            label, p = pred.named_top(1)[0]
            row[t("dense.col_latency")] = f"{pred.forward_ms:.0f} ms ({pred.device})"
            row[t("dense.col_top1")] = f"{label} ({p:.1%})"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(t("dense.compare_note"))
    if result:
        tops = [pred.named_top() for pred in result.predictions.values()]
        charts.show(figures.top5_pair([p.title for p in result.predictions.values()], tops), key="dense.top5")


@st.cache_data(show_spinner=False)
def _activation_kb(label: str) -> float:
    """Values every layer outputs for one 28×28 image, in float32: what training keeps for backward."""
    model = nets.build(DEMO_NETS[label], in_channels=1, num_classes=10)
    rows = layer_table(model.eval(), torch.zeros(1, 1, 28, 28))
    return sum(math.prod(r.out_shape) for r in rows) * 4 / 1024


def small_demo() -> None:
    rows = [{t("dense.col_network"): label,
             t("dense.col_params"): f"{nets.count_parameters(nets.build(spec, 1, 10)):,}",
             t("dense.col_activation_kb"): f"{_activation_kb(label):.0f} KB"} for label, spec in DEMO_NETS.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    task_views.comparison("demo.dense", {label: TrainConfig(net=spec, epochs=2) for label, spec in DEMO_NETS.items()},
                    time_limit_s=60.0)
