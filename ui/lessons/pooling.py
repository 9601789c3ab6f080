"""The pooling lesson's parts: max and average pooling step by step, what a pixel's shift does,
the whole pipeline on the student's picture, and ReLU against sigmoid and tanh.

The maths is ``models.maths.pooling`` and ``models.maths.activations``; the pipeline
(``models.probes.pipeline``) walks the student's own trained default network from the training
lab when they have one, and otherwise the class's pre-trained one, kept in the repository by
``python -m bench.train_pooling_net`` (``models.training.shipped``): no training-lab run is needed
first, and training one stays an option.
"""

from __future__ import annotations

import hashlib

import streamlit as st
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from lessons import ROOT as LESSONS_DIR
from models.errors import LabError
from models.maths import activations, pooling
from models.maths.kernels import CLASSIC
from models.probes import pipeline
from models.runtime import images
from models.runtime.examples import example
from models.runtime.memo import Shared, memoized
from models.training import nets, shipped, train
from models.training.train import TrainConfig
from ui import charts, figures, lab_runs, picture, runs, task_views
from ui.grid import editable_grid
from ui.i18n import labels, say, t
from ui.state import kept, number_row


def step_by_step() -> None:
    n, k, s = number_row([("pool.n", t("pool.input_size"), 4, 2, 8), ("pool.k", t("pool.window"), 2, 1, 4),
                          ("pool.s", t("pool.stride"), 2, 1, 4)])
    mode = st.radio(t("pool.mode"), pooling.MODES, horizontal=True, format_func=labels("pool.mode_", pooling.MODES),
                    **kept("pool.mode", "max"))
    x = editable_grid("pool.input", n, t("pool.input_grid"))
    try:
        steps = pooling.pool_steps(x, k, s, mode)
    except LabError as err:
        st.warning(say(err), icon="✋")
        return
    index = st.slider(t("pool.position"), 1, len(steps), **kept("pool.step", 1)) - 1 if len(steps) > 1 else 0
    index = min(index, len(steps) - 1)
    step = steps[index]
    out_h, out_w = steps[-1].row + 1, steps[-1].col + 1
    output = [[None] * out_w for _ in range(out_h)]
    for done in steps[: index + 1]:
        output[done.row][done.col] = round(done.out, 3)
    charts.show(figures.convolution_step(x, 0, step.cells, output, (step.row, step.col)), key="pool.step_chart")
    values = ", ".join(f"{v:g}" for v in step.values)
    st.latex(rf"\max({values}) = {step.out:g}" if mode == "max"
             else rf"\frac{{{values.replace(', ', ' + ')}}}{{{len(step.values)}}} = {step.out:g}")
    st.markdown(t("pool.size_sentence", n=n, k=k, s=s, out=pooling.pooled_size(n, k, s)))


def shift() -> None:
    """A picture moved by one and two pixels: how much its feature map changes, and its pooled map."""
    kernel = torch.tensor(CLASSIC["sobel_x"], dtype=torch.float).view(1, 1, 3, 3)
    image = TF.to_tensor(example("shapes", size=64).convert("L")).unsqueeze(0)  # (1, 1, 64, 64)
    changes = pooling.shift_change(lambda im: torch.relu(F.conv2d(im, kernel, padding=1)), image)
    for d, change in changes.items():
        st.markdown(t("pool.shift_sentence", d=d, conv=f"{change['conv']:.0%}", pooled=f"{change['pooled']:.0%}"))


SHIPPED = LESSONS_DIR / "pooling" / "network.pt"  # with network.json: written by python -m bench.train_pooling_net
shipped_network = memoized(shipped.load)  # read and checked once per process, shared read-only
# The shipped network's walk of a picture, by the picture's input: the same for every student on
# the example, so a class following the teacher here walks it once (the steps are only read).
_SHIPPED_WALKS = Shared(maxsize=32)


def _walk(result, x: torch.Tensor) -> list:
    """``pipeline.walk`` of ``result``'s network on x; the shipped network's walks are shared."""
    try:
        mine = result is not shipped_network(SHIPPED)  # a student's own network: theirs alone
    except shipped.ShippedNetworkError:  # no shipped network: this one is the student's
        mine = True
    if mine:
        return pipeline.walk(train.restore(result), x)
    key = hashlib.blake2b(x.numpy().tobytes(), digest_size=16).digest()
    return _SHIPPED_WALKS.get(key, lambda: pipeline.walk(train.restore(result), x))


def _own():
    """The student's latest trained default network from the training lab (loaded once a session)."""
    lab = lab_runs.read()
    for _, run in reversed(lab.rows):
        if run.id in lab.usable and run.meta.get("config", {}).get("net", {}).get("network") == "plain_cnn":
            result = lab_runs.trained(run.id, lab)
            if result is not None:
                return result
    return None


def _network():
    """The network the pipeline walks, with a caption that says whose it is: the student's own,
    else the class's pre-trained one (with the button to train their own, which then replaces it).
    None, said, when neither is there."""
    result = _own()
    if result is not None:
        st.caption(t("pool.network", label=result.label, acc=f"{result.test_acc:.0%}",
                     data=t(f"train.data_{result.config.dataset}")))
        return result
    try:
        result = shipped_network(SHIPPED)
    except shipped.ShippedNetworkError as err:
        st.warning(say(err), icon="📦")
        st.info(t("pool.no_network"), icon="🏋️")
    else:
        st.caption(t("pool.network_shipped", label=result.label, epochs=result.config.epochs,
                     acc=f"{result.test_acc:.1%}", images=f"{result.evaluated[2]:,}",
                     data=t(f"train.data_{result.config.dataset}")))
    runs.start_button(TrainConfig(epochs=2, time_limit_s=30.0), lab_runs.KEY, label=t("pool.train_one"))
    lab_runs.live_panel()
    return result


def whole_pipeline() -> None:
    lab_runs.record_finished()  # a run started here is a training-lab run: it lands in the lab's results too
    result = _network()
    if result is None:
        return
    chosen = picture.choose()
    if chosen is None:
        return
    try:
        image = images.decode(chosen.data).image
    except images.ImageError as err:
        st.error(say(err))
        return
    x = lab_runs.small_input(result, image, chosen.drawn, "pool")
    steps = _walk(result, x)
    st.markdown(" → ".join(f"`{s.kind}` {s.size}" for s in steps))
    charts.show(figures.pipeline(pipeline.drawn(steps)), key="pool.pipeline")
    charts.show(figures.class_probabilities(result.classes, steps[-1].output.tolist()), key="pool.softmax")


def activation_functions() -> None:
    charts.show(figures.activation_curves(activations.curves()), key="pool.activations")
    through = {name: activations.gradient_through(name, 10, x=0.5) for name in activations.FUNCTIONS}
    st.markdown(t("pool.through_ten", relu=f"{through['relu']:g}", sigmoid=f"{through['sigmoid']:.1e}",
                  tanh=f"{through['tanh']:g}"))


def activation_demo() -> None:
    configs = {name: TrainConfig(net=nets.NetSpec(activation=name), epochs=2) for name in activations.FUNCTIONS}
    task_views.comparison("demo.activations", configs, time_limit_s=60.0)
