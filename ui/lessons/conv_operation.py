"""The convolution-operation lesson's parts: the sliding window, classic kernels, dense vs conv,
and ResNet18's first layer on an image."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch
import torchvision.transforms.functional as TF

from models.maths.conv_arithmetic import Conv, ConvSettingsError, dense_parameters, sliding_window
from models.maths.kernels import CLASSIC, rgb_feature_map
from models.runtime import zoo
from models.runtime.examples import EXAMPLES, example
from ui import charts, figures
from ui.grid import editable_grid
from ui.i18n import labels, lang, say, t
from ui.lesson import untrained_notice
from ui.state import kept, number_row


def _step_view(steps, x, kernel, p: int) -> None:
    n = len(steps)
    if st.session_state.get("conv.playing"):
        st.session_state["conv.step"] = st.session_state.get("conv.step", 1) % n + 1
        if st.session_state["conv.step"] == n:
            st.session_state["conv.playing"] = False
    if st.session_state.get("conv.step", 1) > n:
        st.session_state["conv.step"] = 1
    index = st.slider(t("op.position"), 1, n, **kept("conv.step", 1)) - 1 if n > 1 else 0
    step = steps[index]
    padded = [[0.0] * (len(x[0]) + 2 * p) for _ in range(p)] + [[0.0] * p + row + [0.0] * p for row in x] \
        + [[0.0] * (len(x[0]) + 2 * p) for _ in range(p)]
    out_w = steps[-1].col + 1
    output = [[None] * out_w for _ in range(steps[-1].row + 1)]
    for s in steps[: index + 1]:
        output[s.row][s.col] = s.total
    charts.show(figures.convolution_step(padded, p, step.cells, output, (step.row, step.col)),
                key="conv.step_chart")
    flat_kernel = [v for row in kernel for v in row]
    terms = " + ".join(rf"({v:g}\times{k:g})" for v, k in zip(step.values, flat_kernel))
    st.latex(rf"{terms} = {step.total:g}")


def sliding_window_demo() -> None:
    st.header(t("op.window_title"), anchor="sliding-window")
    n, k, p, s, d = number_row([
        ("conv.n", t("op.input_size"), 4, 2, 8), ("conv.k", t("op.kernel_size"), 3, 1, 5),
        ("conv.p", t("arith.p"), 0, 0, 2), ("conv.s", t("arith.s"), 1, 1, 3), ("conv.d", t("arith.d"), 1, 1, 3),
    ])
    left, right = st.columns(2)
    with left:
        x = editable_grid("conv.input", n, t("op.input_grid"))
    with right:
        kernel = editable_grid("conv.kernel", k, t("op.kernel_grid"))
    try:
        steps = sliding_window(x, kernel, p=p, s=s, d=d)
    except ConvSettingsError as err:
        st.warning(say(err), icon="✋")
        return
    playing = st.session_state.get("conv.playing", False)
    if st.button(t("op.pause") if playing else t("op.play"), key="conv.play_button"):
        st.session_state["conv.playing"] = not playing
        st.rerun()
    if st.session_state.get("conv.playing"):
        st.fragment(_step_view, run_every=0.8)(steps, x, kernel, p)
    else:
        _step_view(steps, x, kernel, p)


@st.cache_data(show_spinner=False, max_entries=16)
def _classic(name: str, kernel_name: str) -> list[np.ndarray]:
    image = TF.to_tensor(example(name, size=192))  # (3, H, W) in [0, 1]
    fmap = rgb_feature_map(image, CLASSIC[kernel_name])
    shown = fmap.abs() / fmap.abs().max().clamp_min(1e-6) if fmap.min() < 0 else fmap.clamp(0, 1)
    return [image.permute(1, 2, 0).numpy()] + [c.numpy() for c in image] + [shown.numpy()]


def classic_kernels() -> None:
    st.header(t("op.classic_title"), anchor="classic-kernels")
    c1, c2 = st.columns(2)
    kernel_name = c1.selectbox(t("op.kernel"), list(CLASSIC), format_func=labels("op.k_", CLASSIC),
                               **kept("conv.classic", "sobel_x"))
    image_name = c2.selectbox(t("op.image"), EXAMPLES, format_func=labels("op.ex_", EXAMPLES),
                              **kept("conv.example", "shapes"))
    rgb, r, g, b, fmap = _classic(image_name, kernel_name)
    names = [t("op.rgb"), "R", "G", "B", t("op.feature_map")]
    for column, image, name in zip(st.columns(5), [rgb, r, g, b, fmap], names):
        charts.picture(image, figures.picture_alt(image, name), name, width=150, where=column)
    rows = r"\\".join(" & ".join(f"{v:.3g}" for v in row) for row in CLASSIC[kernel_name])
    st.latex(r"\begin{bmatrix}" + rows + r"\end{bmatrix}")
    st.caption(t("op.classic_caption"))


def dense_vs_conv() -> None:
    st.header(t("op.dense_title"), anchor="why-not-dense")
    w, h, ch, units, k = number_row([
        ("conv.fc_w", t("op.width"), 224, 1, 4096), ("conv.fc_h", t("op.height"), 224, 1, 4096),
        ("conv.fc_c", t("arith.c_in"), 3, 1, 64), ("conv.fc_units", t("op.units"), 64, 1, 100_000),
        ("conv.fc_k", t("arith.k"), 3, 1, 15),
    ])
    dense = dense_parameters(w, h, ch, units)
    conv = Conv(w=max(w, k), k=k, c_in=ch, c_out=units).parameters
    charts.show(figures.parameter_bars([t("op.dense"), t("op.conv")], [dense, conv]), key="conv.fc_chart")
    st.markdown(t("op.dense_caption", dense=f"{dense:,}", conv=f"{conv:,}", ratio=f"{dense / conv:,.0f}",
                  units=units, k=k))


@st.cache_data(show_spinner=False, max_entries=8)
def _conv1(image_name: str, pretrained: bool, language: str) -> tuple[np.ndarray, np.ndarray, str, str]:
    """ResNet18's 64 first-layer filters as colour tiles, and their feature maps on the image, with
    the text alternatives of both (in ``language``, part of the cache key as ``pretrained`` is: the
    pictures change once the real weights arrive)."""
    clf = zoo.classifier("resnet18")
    w = clf.model.conv1.weight.detach().cpu()  # (64, 3, 7, 7)
    lo, hi = w.amin(dim=(1, 2, 3), keepdim=True), w.amax(dim=(1, 2, 3), keepdim=True)
    filters = ((w - lo) / (hi - lo).clamp_min(1e-8)).permute(0, 2, 3, 1)  # (64, 7, 7, 3), each in [0, 1]
    x = clf.transforms()(example(image_name)).unsqueeze(0).to(clf.device)
    with torch.inference_mode():
        maps = clf.model.conv1(x)[0].cpu()  # (64, 112, 112)
    words = figures.filters_alt(w.numpy()), figures.maps_alt(maps[:32].numpy())
    lo, hi = maps.amin(dim=(1, 2), keepdim=True), maps.amax(dim=(1, 2), keepdim=True)
    maps = (maps - lo) / (hi - lo).clamp_min(1e-8)
    return (figures.image_grid(filters.numpy(), columns=16, tile_px=35),
            figures.image_grid(maps[:32].numpy(), columns=8, tile_px=112), *words)


def resnet_first_layer() -> None:
    st.header(t("op.conv1_title"), anchor="resnet18-conv1")
    clf = zoo.classifier("resnet18")
    untrained_notice(clf)
    filters, maps, filters_alt, maps_alt = _conv1(st.session_state.get("conv.example", "shapes"), clf.pretrained,
                                                  lang())
    charts.picture(filters, filters_alt, t("op.conv1_filters"), width=720)
    charts.picture(maps, maps_alt, t("op.conv1_maps"), width=720)
