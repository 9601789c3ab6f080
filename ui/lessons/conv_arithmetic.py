"""The convolution lessons' parts: the arithmetic calculator and the tables of real networks."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from models.maths.conv_arithmetic import Conv, ConvSettingsError, chain, same_padding, transposed_out
from models.probes.layer_table import family_sizes, layer_table
from models.runtime import zoo
from models.runtime.networks import NETWORKS
from models.training import nets
from models.training.train import TrainConfig
from ui import charts, figures, task_views
from ui.classroom import guess_first
from ui.i18n import say, t
from ui.state import kept, number_row

COLUMNS = {"layer": "col_layer", "type": "col_type", "input": "col_in", "output": "col_out",
           "predicted": "col_predicted", "parameters": "col_params", "macs": "col_macs"}


def calculator() -> Conv | None:
    """Number inputs for one convolution; its arithmetic, or a sentence saying why there is none."""
    st.header(t("arith.calculator"), anchor="your-convolution")  # h2: the first heading under the title
    fields = [("w", 32, 1, 1024), ("k", 5, 0, 64), ("p", 0, -4, 64), ("s", 1, 0, 16), ("d", 1, 0, 8),
              ("c_in", 3, 0, 2048), ("c_out", 4, 0, 2048), ("groups", 1, 1, 2048)]
    values = number_row([(f"arith.{name}", t(f"arith.{name}"), default, lo, hi) for name, default, lo, hi in fields])
    conv = Conv(**dict(zip((name for name, *_ in fields), values)))
    try:
        conv.check()
    except ConvSettingsError as err:
        st.warning(say(err), icon="✋")
        return None
    if not guess_first(f"arith.{conv.w}.{conv.k}.{conv.p}.{conv.s}.{conv.d}", t("predict.arith")):
        return conv

    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("arith.output"), f"{conv.out}×{conv.out}×{conv.c_out}")
    c2.metric(t("arith.parameters"), f"{conv.parameters:,}")
    c3.metric(t("arith.macs"), f"{conv.macs:,}")
    c4.metric(t("arith.memory"), f"{conv.activation_bytes() / 1024:,.1f} KiB")
    if conv.d > 1:
        st.latex(rf"K_{{eff}} = D\cdot(K-1)+1 = {conv.d}\cdot({conv.k}-1)+1 = {conv.k_eff}")
    st.latex(rf"W' = \left\lfloor \frac{{{conv.w} - {conv.k_eff} + 2\cdot{conv.p}}}{{{conv.s}}} \right\rfloor"
             rf" + 1 = {conv.out}")
    per_filter = rf"{conv.c_in}/{conv.groups}" if conv.groups > 1 else str(conv.c_in)
    st.latex(rf"\text{{{t('arith.parameters')}}} = {conv.k}\cdot{conv.k}\cdot{per_filter}\cdot{conv.c_out}"
             rf" + {conv.c_out} = {conv.weights:,} + {conv.c_out} = {conv.parameters:,}")
    st.caption(t("arith.equivalent"))
    st.code(conv.torch_line(), language="python", wrap_lines=True)

    st.caption(t("arith.coverage"))
    if conv.out <= 64 and conv.w + 2 * conv.p <= 128:
        charts.show(figures.window_coverage(conv.w, conv.k_eff, conv.p, conv.s, conv.d, conv.k, conv.out,
                                            conv.unreached()), key="arith.coverage")
    unreached = conv.unreached()
    st.markdown(t("arith.unreached", count=len(unreached), rows=", ".join(map(str, unreached))) if unreached
                else t("arith.reached_all"))
    before, after = same_padding(conv.k, conv.d)
    st.markdown(t("arith.same", before=before, after=after) + " "
                + t("arith.transposed", out=conv.out, back=transposed_out(conv.out, conv.k, conv.p, conv.s, conv.d)))
    return conv


@st.cache_data(show_spinner=False)
def _layer_rows(name: str) -> pd.DataFrame:
    # A fresh model of the same architecture: hooks on the shared one would see other sessions' passes.
    rows = layer_table(zoo.build(name), torch.zeros(1, 3, 224, 224))
    return pd.DataFrame([{
        "layer": r.name, "type": r.kind, "input": "×".join(map(str, r.in_shape)),
        "output": "×".join(map(str, r.out_shape)),
        "predicted": r.predicted, "parameters": r.parameters, "macs": r.macs,
    } for r in rows])


def real_networks() -> None:
    st.header(t("arith.real_title"), anchor="real-networks")
    st.caption(t("arith.real_caption"))
    name = st.radio(t("train.network"), list(NETWORKS), format_func=lambda n: NETWORKS[n].title, horizontal=True,
                    **kept("arith.model", "resnet18"))
    table = _layer_rows(name)
    st.dataframe(table.rename(columns={c: t(f"arith.{key}") for c, key in COLUMNS.items()}), hide_index=True,
                 height=320)
    published = NETWORKS[name].num_params
    st.markdown(t("arith.total", ours=f"{table['parameters'].sum():,}", macs=f"{table['macs'].sum() / 1e9:.2f}",
                  published=f"{published:,}"))


@st.cache_data(show_spinner=False)
def _family() -> pd.DataFrame:
    with st.spinner(t("app.computing")):  # every layer of nine networks, on the meta device, once
        sizes = family_sizes()
    return pd.DataFrame([{"network": n, **{k: v for k, v in s.items() if k != "blocks"}} for n, s in sizes.items()])


def family() -> None:
    st.subheader(t("arith.family_title"))
    table = _family().rename(columns={"network": t("arith.col_model"), "parameters": t("arith.col_params"),
                                      "conv_layers": t("arith.col_conv"), "fc_layers": t("arith.col_fc"),
                                      "macs": t("arith.col_macs"), "activations": t("arith.col_activations"),
                                      "kernel_sizes": t("arith.col_kernels")})
    st.dataframe(table, hide_index=True)
    st.caption(t("arith.family_note"))


def stride_demo() -> None:
    """Three 3×3 layers at stride 1 (padding 1) against stride 2: trained side by side."""
    runs = {}
    for s in (1, 2):
        layers = ((3, s, 1),) * 3
        label = " → ".join(map(str, chain(28, layers)))  # e.g. 28 → 14 → 7 → 4
        runs[f"S={s}, P=1: {label}"] = TrainConfig(net=nets.NetSpec("stack", layers=layers), epochs=3)
    task_views.comparison("demo.stride", runs)
