"""The overfitting lesson's parts: overfitting against degradation, made, cured, and the splits.

The runs are the training lab's (``TrainConfig`` with its regularisation knobs) through the
lessons' task views; every verdict on the page is ``models.maths.fitting.diagnose`` of the
runs' own accuracies, never a sentence typed for a number.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st
import torch

from lessons import ROOT as LESSONS_DIR
from models.maths import fitting
from models.training import augment, datasets, tasks
from models.training.train import TrainConfig, point_from_dict
from ui import charts, class_run, figures, identity, task_views
from ui.i18n import labels, t
from ui.state import kept

RECORDED_OVERFIT = LESSONS_DIR / "overfitting" / "overfit.json"  # written by python -m bench.overfitting
RECORDED_DEGRADATION = LESSONS_DIR / "residual_block" / "degradation.json"  # python -m bench.degradation


def _dataset() -> str:
    """Fashion-MNIST where it is installed (the lesson's numbers are for it), else the shapes. Only
    looked for on disk: a page's rerun never starts a download."""
    return "fashion-mnist" if datasets.on_disk("fashion-mnist") else "synthetic"


def overfit_config() -> TrainConfig:
    return tasks.overfit_run(_dataset())


def _say(d: fitting.Diagnosis) -> str:
    return t(f"ov.verdict_{d.verdict}", train=f"{d.train_acc:.0%}", test=f"{d.test_acc:.0%}",
             gap=f"{100 * d.gap:.0f}", shallower=f"{(d.shallower_train_acc or 0):.0%}")


def _class_runs(tag: str, labels: tuple[str, ...] | None = None) -> tuple[dict, dict] | None:
    """This class's finished class run of ``tag`` (``ui.class_run``), if the teacher ran one: its
    curves and its results rows, of the runs ``labels`` (all when None); None if it has not them all."""
    run = class_run.read(tag)
    rows = run.summary.get("runs", {}) if run is not None and not run.live else {}
    wanted = labels or tuple(rows)
    if not wanted or not set(wanted) <= set(rows) or any("train acc" not in rows[label] for label in wanted):
        return None
    curves = {label: [point for name, point in run.history if name == label] for label in wanted}
    return curves, {label: rows[label] for label in wanted}


def _held_out(row: dict) -> float:
    return row["val acc"] if row.get("val acc") is not None else row["test acc"]


def side_by_side() -> None:
    """A recorded overfitting run and the residual lesson's recorded degradation run, on one chart;
    each replaced by this class's own run where the teacher ran the demo as a class run."""
    panels, verdicts, ours, recorded = {}, [], False, False
    if own := _class_runs("demo.overfit"):
        curves, rows = own
        label, row = next(iter(rows.items()))
        panels[t("ov.overfit_title", images=row["train images"])] = {label: curves[label]}
        verdicts.append(_say(fitting.diagnose(row["train acc"], _held_out(row))))
        ours = True
    elif RECORDED_OVERFIT.exists():
        rec = json.loads(RECORDED_OVERFIT.read_text())
        panels[t("ov.overfit_title", images=rec["train_images"])] = {
            t("ov.overfit_label"): [point_from_dict(p) for p in rec["curves"]]}
        verdicts.append(_say(fitting.diagnose(rec["train_acc"], rec.get("val_acc", rec.get("test_acc")))))
        recorded = True
    if own := _class_runs("demo.degradation", ("plain-20", "plain-56")):
        curves, rows = own
        panels[t("ov.degradation_title")] = curves
        verdicts.append(_say(fitting.diagnose(rows["plain-56"]["train acc"], _held_out(rows["plain-56"]),
                                              shallower_train_acc=rows["plain-20"]["train acc"])))
        ours = True
    elif RECORDED_DEGRADATION.exists():
        rec = json.loads(RECORDED_DEGRADATION.read_text())
        panels[t("ov.degradation_title")] = {label: [point_from_dict(p) for p in rec["curves"][label]]
                                            for label in ("plain-20", "plain-56")}
        deep, shallow = rec["finals"]["plain-56"], rec["finals"]["plain-20"]
        held_out = deep.get("final_val_acc", deep.get("final_test_acc"))
        verdicts.append(_say(fitting.diagnose(deep["final_train_acc"], held_out,
                                              shallower_train_acc=shallow["final_train_acc"])))
        recorded = True
    if panels:
        charts.show(figures.two_problems(panels), key="ov.two_problems")
        for column, verdict in zip(st.columns(len(verdicts)), verdicts):
            column.markdown(verdict)
    if ours:
        st.caption(f"📡 {t('class_run.done')}")
    if recorded:
        st.caption(t("ov.recorded_caption", overfit="python -m bench.overfitting",
                     degradation="python -m bench.degradation"))


def _latest_verdicts(key: str) -> None:
    """The verdict on each run of this student's latest result under ``key``."""
    stored, _ = identity.store().runs(identity.current().id, tag=key)
    if stored:
        for label, row in stored[-1].summary.get("runs", {}).items():
            st.markdown(f"**{label}**: " + _say(fitting.diagnose(row["train acc"], _held_out(row))))


def make_it_happen() -> None:
    config = overfit_config()
    st.caption(t("ov.data", data=t(f"train.data_{config.dataset.replace('-', '_')}")))
    task_views.comparison("demo.overfit", {t("ov.overfit_label"): config}, time_limit_s=30.0)
    _latest_verdicts("demo.overfit")


def cure() -> None:
    base = overfit_config()
    chosen = st.radio(t("ov.remedy"), tasks.REMEDIES, format_func=labels("ov.remedy_", tasks.REMEDIES), horizontal=True,
                      **kept("ov.remedy", "more_data"))
    if chosen == "augmentation":
        augmented_strip(base.dataset)
    task_views.comparison("demo.cure", {t("ov.no_remedy"): base, t(f"ov.remedy_{chosen}"): tasks.remedy(chosen, base)},
                          time_limit_s=60.0)
    _latest_verdicts("demo.cure")


@st.cache_data(show_spinner=False, max_entries=4)
def _augmented(dataset: str, seed: int) -> np.ndarray:
    data = datasets.load(dataset)
    x = data.train_x[:6].repeat(2, 1, 1, 1)  # six images, each twice: (12, C, H, W)
    out = augment.augment(x, augment.KINDS, torch.Generator().manual_seed(seed))
    tiles = torch.cat([x[:6], out[:6], out[6:]])[:, 0]  # originals, then two draws of each
    lo, hi = tiles.amin(dim=(1, 2), keepdim=True), tiles.amax(dim=(1, 2), keepdim=True)
    return ((tiles - lo) / (hi - lo).clamp_min(1e-6)).numpy()


def augmented_strip(dataset: str) -> None:
    """Six training images and two random augmentations of each, as a batch would get them."""
    charts.picture(figures.image_grid(_augmented(dataset, 0), columns=6, tile_px=72), t("alt.augmented"))
    st.caption(t("ov.augment_caption", shift=augment.SHIFT_PX, degrees=f"{augment.ROTATE_DEG:g}"))


def splits() -> None:
    """How many images each split gets, for the student's numbers."""
    c1, c2, c3 = st.columns(3)
    images = c1.number_input(t("ov.images"), 10, 60000, step=10, **kept("ov.images", 1000))
    share = c2.slider(t("ov.val_share"), 0.05, 0.5, step=0.05, **kept("ov.val_share", 0.2))
    k = c3.slider(t("ov.folds"), 2, 10, **kept("ov.folds", 5))
    n_train, n_val = fitting.split_sizes(int(images), float(share))
    st.markdown(t("ov.split_sentence", images=f"{int(images):,}", train=f"{n_train:,}", val=f"{n_val:,}"))
    fold_train, fold_val = fitting.split_sizes(int(images), 1 / k)
    st.markdown(t("ov.kfold_sentence", k=k, train=f"{fold_train:,}", val=f"{fold_val:,}"))
