"""The lessons' training tasks on their pages: a comparison of networks, and a kernel learned.

Submitted, watched and collected through ``ui.runs``, like the training lab's runs; each ended
task is kept in the class store, so its result is still there after a reload.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from models.maths.kernels import CLASSIC
from models.training import tasks
from models.training.tasks import Comparison, KernelFit, KernelPoint
from models.training.train import Point, TrainConfig
from ui import charts, class_run, figures, identity
from ui import runs as ui_runs
from ui.i18n import labels, t


def _watch(key: str, save, draw, drawn_from_store) -> None:
    """Draw the task's job live (refreshing itself) while it runs; once it has ended, ``save`` puts
    its result in the class store, and the latest stored one is drawn, after a reload too."""
    ui_runs.collect(key, save)
    ui_runs.failure(key)
    if ui_runs.live(key, lambda job: draw(list(job.history), None)):
        return
    stored, _ = identity.store().runs(identity.current().id, tag=key)
    if stored:
        drawn_from_store(stored[-1])


def _save(job, label: str, summary: dict, history: list) -> None:
    identity.store().save_run(identity.current().id, job.kind, job.tag, label=label, summary=summary, history=history)


def comparison(key: str, runs: dict[str, TrainConfig], time_limit_s: float = 40.0, label: str | None = None,
               named=lambda label: label, verdict=None) -> None:
    """Train the given networks one after another on the same data and budget; compare them.
    ``named`` gives a run's label in the page's language; ``verdict(curves)``, if given, is said
    under the finished comparison's chart. Above the student's own Start: the class run of this
    demo, if the teacher started one, and the teacher's button to start one (``ui.class_run``)."""
    task = Comparison(tuple(runs.items()), time_limit_s)

    def draw(history, results: dict[str, dict] | None, chart_key: str = f"{key}.chart") -> None:
        curves: dict[str, list[Point]] = {}
        for run_label, point in history:
            curves.setdefault(named(run_label), []).append(point)
        if curves:
            charts.show(figures.training_curves(curves), key=chart_key)
        if results:
            if verdict:
                st.markdown(verdict(curves))
            st.dataframe(pd.DataFrame([{t("demo.col_run"): named(run_label), **row}
                                       for run_label, row in results.items()]), hide_index=True)

    class_run.show(key, task, draw)
    ui_runs.start_button(task, key, label=label)

    def save(job) -> None:
        rows = {label: r.summary() for label, r in job.result.items()}
        _save(job, " · ".join(rows), {"runs": rows}, list(job.history))

    _watch(key, save, draw, lambda run: draw(run.history, run.summary.get("runs")))


def _racer(label: str) -> str:
    """ "momentum · cosine" → "SGD + momentum 0.9 · cosine", in the page's language."""
    name, _, schedule = label.partition(" · ")
    return t(f"race.{name}") + (f" · {t(f'train.sched_{schedule}')}" if schedule else "")


def _verdict(curves: dict[str, list[Point]]) -> str:
    target, epochs = tasks.first_to_reach(curves)
    arrived = sorted((epoch, label) for label, epoch in epochs.items() if epoch is not None)
    if not arrived:
        return t("race.nobody", target=f"{target:.0%}")
    order = "; ".join(t("race.arrival", racer=label, epoch=f"{epoch:.2f}") for epoch, label in arrived)
    late = [label for label, epoch in epochs.items() if epoch is None]
    return t("race.verdict", target=f"{target:.0%}", winner=arrived[0][1], order=order) + (
        " " + t("race.never", racers=", ".join(late)) if late else "")


def optimizer_race(key: str, base: TrainConfig, time_limit_s: float) -> None:
    """SGD, SGD with momentum and Adam (and each schedule, if asked) on the same network, data and
    seed, one after another within one time limit; the curves overlaid, and who got there first."""
    schedules = ("none", "step", "cosine") if st.toggle(t("race.schedules"), key=f"{key}.schedules") else ("none",)
    comparison(key, tasks.optimizer_race(base, schedules, time_limit_s), time_limit_s, label=t("race.start"),
               named=_racer, verdict=_verdict)


def kernel_fit(key: str = "demo.kernel") -> None:
    """A single 3×3 convolution learns a classic kernel by gradient descent."""
    target = st.selectbox(t("op.kernel"), list(CLASSIC), format_func=labels("op.k_", CLASSIC),
                          key=f"{key}.target")
    ui_runs.start_button(KernelFit(target=target), key)

    def draw(history, target_name: str | None = None) -> None:
        if not history:
            return
        last = history[-1]
        c1, c2 = st.columns(2)
        charts.show(figures.kernel_pair(last.kernel, CLASSIC[target_name or target]), key=f"{key}.kernels",
                    where=c1)
        charts.show(figures.loss_curve([p.step for p in history], [p.loss for p in history]), key=f"{key}.loss",
                    where=c2)
        st.caption(t("demo.kernel_caption", step=last.step, loss=f"{last.loss:.2e}"))

    def save(job) -> None:
        _save(job, job.task.target,
              {"target": job.task.target, "points": [dataclasses.asdict(p) for p in job.result]}, [])

    def from_store(run) -> None:
        points = [KernelPoint(p["step"], p["loss"], tuple(tuple(row) for row in p["kernel"]))
                  for p in run.summary.get("points", [])]
        draw(points, run.summary.get("target") if run.summary.get("target") in CLASSIC else None)

    _watch(key, save, lambda history, _: draw(history), from_store)
