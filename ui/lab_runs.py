"""The student's training-lab runs, as every page that trains one or uses one needs them.

A run started under ``KEY`` (on the training lab, or on the pooling lesson when the student has
none yet) goes through ``ui.runs`` to the process-wide ``JobRunner``: ``live_panel`` watches it,
``record_finished`` keeps it in the class store once it has ended, ``read`` lists the student's
runs from the store, ``trained`` loads one's trained network, and ``small_input`` makes a
picture into that network's input.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from models.runtime import drawing, images
from models.store.codec import StoredRowError, StoredRun
from models.training import jobs
from models.training.train import RunResult
from ui import charts, figures, identity, learned, runs
from ui.i18n import t

KEY = "train"  # the training lab's runs, in ui.runs
TRIED = "train.tried"  # run id → RunResult of the networks tried, loaded once from the store


def _progress(job: jobs.Job) -> None:
    """The live run: a progress bar, the latest figures and the curves so far."""
    if job.state is not jobs.JobState.RUNNING:
        return
    p, budget = job.latest, job.task.time_limit_s
    if p:
        done = max(p.step / p.total_steps, p.elapsed_s / budget)
        text = t("train.progress", step=p.step, total=p.total_steps, eta=round(p.eta_s), rate=round(p.images_per_s))
    else:  # slow networks measure their first point after hundreds of images: show the clock
        elapsed = time.monotonic() - (job.started_at or time.monotonic())
        done, text = elapsed / budget, t("train.starting", elapsed=round(elapsed))
    st.progress(min(1.0, done), text=text)
    if p:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("figure.loss"), f"{p.loss:.3f}")
        c2.metric(t("train.train_acc"), f"{p.train_acc:.1%}")
        c3.metric(t("train.val_acc"), f"{p.val_acc:.1%}")
        charts.show(figures.training_curves({job.task.net.label(): list(job.history)}), key="train.live_chart")
        learned.newest(job.history)


def live_panel() -> None:
    """While this session's run is queued or running, a view that refreshes itself once a second."""
    runs.live(KEY, _progress)


def _record(job: jobs.Job) -> None:
    """Into the class store: the row, the curves and the weights (the latest few are kept)."""
    identity.store().save_run(identity.current().id, job.kind, KEY, job.result)


def record_finished() -> None:
    """Save this student's ended run in the class store, once; the runner then forgets it. Say,
    once, a run that the server's restart interrupted."""
    runs.interrupted()
    runs.collect(KEY, _record)


@dataclass(frozen=True)
class LabRuns:
    """This student's training-lab runs as the store has them, read once per page run."""

    rows: list[tuple[str, StoredRun]]  # oldest first, each with its label "#n network"
    usable: dict[int, str]  # run id → label, for the runs whose trained weights are kept


def read() -> LabRuns:
    """This student's training-lab runs, oldest first; a row the store cannot read is skipped, and said."""
    store, sid = identity.store(), identity.current().id
    stored, skipped = store.runs(sid, tag=KEY)
    for _ in skipped:
        st.caption(t("train.row_skipped"))
    kept = store.weights_kept(sid)
    rows = [(f"#{n} {run.label}", run) for n, run in enumerate(stored, start=1)]
    return LabRuns(rows, {run.id: label for label, run in rows if run.id in kept})


def trained(run_id: int, lab: LabRuns) -> RunResult | None:
    """The trained network of one of this student's runs, loaded from the store once per session:
    the session holds those of its usable runs only (at most the store's latest few)."""
    held = {i: r for i, r in st.session_state.get(TRIED, {}).items() if i in lab.usable}
    if run_id not in held:
        stored = identity.store().run_with_weights(identity.current().id, run_id)
        try:
            held[run_id] = stored.result() if stored else None
        except StoredRowError:  # weights that do not load: never used, said
            held[run_id] = None
    st.session_state[TRIED] = held
    if held[run_id] is None:
        st.warning(t("train.weights_unreadable"))
    return held[run_id]


def small_input(result: RunResult, image, drawn: bool, key: str):
    """A picture as a training-lab network gets it, (1, C, H, W), with a picture of that input:
    a drawing framed the way its data set's images were made; a photo fitted, inverted if asked."""
    if drawn:
        x = drawing.to_small_input(image, result.config.dataset, result.in_channels, result.image_size,
                                   result.mean, result.std)
    else:
        invert = st.checkbox(t("train.invert"), value=True, key=f"{key}.invert")
        x = images.to_small_input(image, result.in_channels, result.image_size, result.mean, result.std, invert)
    seen = (x[0] * result.std + result.mean).clamp(0, 1)  # (C, H, W), back in [0, 1]
    pixels = (seen[0] if result.in_channels == 1 else seen.permute(1, 2, 0)).numpy()
    charts.picture(pixels, figures.picture_alt(pixels, t("alt.seen")), t("train.seen_as", size=result.image_size),
                   width=140)
    return x
