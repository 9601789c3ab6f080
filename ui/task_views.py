"""The lessons' training tasks on their pages: a comparison of networks, and a kernel learned.

Submitted, watched and collected through ``ui.runs``, like the training lab's runs.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.training.tasks import Comparison, KernelFit
from models.maths.kernels import CLASSIC
from models.training.train import Point, TrainConfig
from ui import figures
from ui import runs as ui_runs
from ui.i18n import labels, t


def _watch(key: str, draw) -> None:
    """Draw the task's job live (refreshing itself) while it runs; once it has ended, its result,
    kept in the session under ``key`` across reruns and page switches."""
    ui_runs.collect(key, lambda job: st.session_state.__setitem__(key, (list(job.history), job.result)))
    ui_runs.failure(key)
    if not ui_runs.live(key, lambda job: draw(list(job.history), None)) and key in st.session_state:
        draw(*st.session_state[key])


def comparison(key: str, runs: dict[str, TrainConfig], time_limit_s: float = 40.0) -> None:
    """Train the given networks one after another on the same data and budget; compare them."""
    ui_runs.start_button(Comparison(tuple(runs.items()), time_limit_s), key)

    def draw(history, results) -> None:
        curves: dict[str, list[Point]] = {}
        for label, point in history:
            curves.setdefault(label, []).append(point)
        if curves:
            st.plotly_chart(figures.training_curves(curves), key=f"{key}.chart")
        if results:
            st.dataframe(pd.DataFrame([{t("demo.col_run"): label, **r.summary()} for label, r in results.items()]),
                         hide_index=True)

    _watch(key, draw)


def kernel_fit(key: str = "demo.kernel") -> None:
    """A single 3×3 convolution learns a classic kernel by gradient descent."""
    target = st.selectbox(t("op.kernel"), list(CLASSIC), format_func=labels("op.k_", CLASSIC),
                          key=f"{key}.target")
    ui_runs.start_button(KernelFit(target=target), key)

    def draw(history, result) -> None:
        if not history:
            return
        last = history[-1]
        c1, c2 = st.columns(2)
        c1.plotly_chart(figures.kernel_pair(last.kernel, CLASSIC[target]), key=f"{key}.kernels")
        c2.plotly_chart(figures.loss_curve([p.step for p in history], [p.loss for p in history]), key=f"{key}.loss")
        st.caption(t("demo.kernel_caption", step=last.step, loss=f"{last.loss:.2e}"))

    _watch(key, draw)
