"""The lessons' training demos: submitted to the job runner, watched live, results kept.

A session has one live job at a time, whichever page started it; each demo shows only its own.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.training import jobs
from models.training.tasks import Comparison, KernelFit
from models.maths.kernels import CLASSIC
from models.training.train import Point, TrainConfig
from ui import figures
from ui.i18n import labels, t
from ui.state import session_id
from ui.training_lab import runner, submit


def _start(task, key: str) -> None:
    job = runner().job_of(session_id())
    if st.button(t("demo.start"), key=f"{key}.start", type="primary", disabled=bool(job and job.live)):
        if submitted := submit(task):
            st.session_state[f"{key}.job"] = submitted.id
            st.rerun()
    if job and job.live and st.session_state.get(f"{key}.job") != job.id:
        st.caption(t("demo.other_running"))


def _own_job(key: str) -> jobs.Job | None:
    job = runner().job_of(session_id())
    return job if job and st.session_state.get(f"{key}.job") == job.id else None


def _watch(key: str, draw) -> None:
    """Draw the demo's job: live (refreshing itself) while it runs, then its result once."""
    job = _own_job(key)
    if job is None:
        if key in st.session_state:  # a finished result, kept across reruns and page switches
            draw(*st.session_state[key])
        return

    def view() -> None:
        current = _own_job(key)
        if current is None or not current.live:
            st.rerun(scope="app")
        if current.state is jobs.JobState.QUEUED:
            st.info(t("train.queued", position=current.queue_position()), icon="⏳")
        draw(list(current.history), None)
        st.button(t("train.stop"), on_click=runner().cancel, args=(current,), key=f"{key}.stop")

    if job.live:
        st.fragment(view, run_every=1.0)()
    elif job.state is jobs.JobState.FAILED:
        st.error(t("train.failed", error=job.error))
    else:
        st.session_state[key] = (list(job.history), job.result)
        draw(list(job.history), job.result)


def comparison(key: str, runs: dict[str, TrainConfig], time_limit_s: float = 40.0) -> None:
    """Train the given networks one after another on the same data and budget; compare them."""
    _start(Comparison(tuple(runs.items()), time_limit_s), key)

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
    _start(KernelFit(target=target), key)

    def draw(history, result) -> None:
        if not history:
            return
        last = history[-1]
        c1, c2 = st.columns(2)
        c1.plotly_chart(figures.kernel_pair(last.kernel, CLASSIC[target]), key=f"{key}.kernels")
        c2.plotly_chart(figures.loss_curve([p.step for p in history], [p.loss for p in history]), key=f"{key}.loss")
        st.caption(t("demo.kernel_caption", step=last.step, loss=f"{last.loss:.2e}"))

    _watch(key, draw)
