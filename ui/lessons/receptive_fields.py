"""The receptive-field lesson's parts: stacking layers, the real network's stages, measured fields."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from models.maths import receptive_field as rf
from models.maths.conv_arithmetic import Conv
from models.runtime import zoo
from models.runtime.classify import preprocess
from models.runtime.examples import example
from models.training import nets
from models.training.train import TrainConfig
from ui import charts, figures, task_views
from ui.i18n import t
from ui.lesson import untrained_notice
from ui.state import kept

RESNET_STAGES = ["conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"]


def stacking() -> None:
    """n layers of K×K with stride S: the field of one cell, layer by layer, and what it costs."""
    c1, c2, c3, c4 = st.columns(4)
    n = c1.slider(t("rf.layers"), 1, 6, **kept("rf.n", 3))
    k = c2.select_slider(t("rf.kernel"), (3, 5, 7), **kept("rf.k", 3))
    s = c3.select_slider(t("rf.stride"), (1, 2), **kept("rf.s", 1))
    c = c4.number_input(t("rf.channels"), 1, 1024, step=1, **kept("rf.c", 64))
    pooled = st.toggle(t("rf.pooling"), help=t("rf.pooling_help"), **kept("rf.pool", False))
    # a 2×2 pooling with stride 2 slides like a convolution: it is a layer of the stack too
    layers = [Conv(name=str(i + 1), k=k, s=s) for i in range(n)]
    if pooled:
        layers = [layer for conv in layers for layer in (conv, Conv(name=f"{conv.name}p", k=2, s=2))]
    stack = [f for f in rf.fields(layers) if not f.name.endswith("p")] if pooled else rf.fields(layers)
    labels = [t("rf.after_layer", n=i + 1) for i in range(n)]
    left, right = st.columns([3, 2])
    charts.show(figures.receptive_grid([f.size for f in stack], labels), key="rf.grid", where=left)
    right.dataframe(pd.DataFrame({t("rf.col_layer"): range(1, n + 1), t("rf.col_field"): [f.size for f in stack],
                                  t("rf.col_jump"): [f.jump for f in stack]}), hide_index=True)
    if pooled:
        right.markdown(t("rf.pooled", jump=rf.fields(layers)[-1].jump, field=rf.fields(layers)[-1].size))
    elif s == 1:  # one layer with the same field, for comparison
        big = stack[-1].size
        stacked, single = n * k * k * c * c, big * big * c * c
        right.markdown(t("rf.compare", n=n, k=k, big=big, stacked=f"{stacked:,}", single=f"{single:,}",
                         ratio=f"{single / stacked:.2f}"))
    else:
        right.markdown(t("rf.strided", jump=stack[-1].jump))


def resnet_stages() -> None:
    st.header(t("rf.real_title"), anchor="resnet18")
    fields = rf.theoretical(zoo.classifier("resnet18").model, RESNET_STAGES)  # reads module attributes only
    st.dataframe(pd.DataFrame([{t("rf.col_stage"): name, t("rf.col_field"): f.size, t("rf.col_jump"): f.jump}
                               for name, f in fields.items()]), hide_index=True)
    st.caption(t("rf.real_caption", field=fields["layer4"].size, jump=fields["layer4"].jump))




@st.cache_data(show_spinner=False, max_entries=32)
def _effective_field(stage: str, example_name: str, pretrained: bool) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """``pretrained`` is part of the cache key: the map changes once the real weights arrive."""
    clf = zoo.classifier("resnet18")
    image = example(example_name)
    steps, x = preprocess(image, clf.transforms())  # the weights' own transform, as on the classify page
    x = x.to(clf.device)  # (1, 3, 224, 224)
    heat, unit = rf.effective(clf.network.upto(clf.model, stage), x)  # shares the modules
    shown = np.asarray(steps.cropped.image)  # the 224×224 crop: what the network saw, unnormalised
    return shown, heat.cpu().numpy(), unit


def effective_field() -> None:
    st.header(t("rf.effective_title"), anchor="effective")
    st.caption(t("rf.effective_caption"))
    c1, c2 = st.columns(2)
    stage = c1.select_slider(t("rf.col_stage"), RESNET_STAGES[2:], **kept("rf.stage", "layer3"))
    opacity = c2.slider(t("rf.opacity"), 0.0, 1.0, **kept("rf.opacity", 0.6))
    clf = zoo.classifier("resnet18")
    untrained_notice(clf)
    with st.spinner(t("rf.computing")):
        shown, heat, (row, col) = _effective_field(stage, "shapes", clf.pretrained)
    field = rf.theoretical(clf.model, [stage])[stage]
    # The unit's theoretical field: centred at start + index · jump (pixel centres at +0.5).
    box = (field.start + col * field.jump - 0.5, field.start + row * field.jump - 0.5, field.size)
    charts.show(figures.heat_overlay(shown, heat, opacity, box=box), key="rf.heat")
    st.caption(t("rf.box_caption", field=field.size))


def stack_demo() -> None:
    """One 7×7 layer against three 3×3 layers with the same receptive field: trained side by side."""
    runs = {
        "7×7": TrainConfig(net=nets.NetSpec("stack", layers=((7, 1, 3),)), epochs=3),
        "3×3 → 3×3 → 3×3": TrainConfig(net=nets.NetSpec("stack", layers=((3, 1, 1),) * 3), epochs=3),
    }
    task_views.comparison("demo.stack", runs)
