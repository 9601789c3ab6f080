"""What a run's network learned over time: its snapshots (``models.training.snapshots``) shown as
the first layer's filters and one held-out image's feature maps, with a slider to scrub through them.

While a run trains, the live view shows its newest snapshot; afterwards the slider goes back to
the random start, so a student can watch edges appear out of noise.
"""

from __future__ import annotations

import streamlit as st

from models.training.snapshots import Snapshot
from ui import charts, figures, identity
from ui.i18n import t

HELD = "train.snapshots"  # (run id, snapshots) of the run shown, read from the store once


def show(snapshot: Snapshot) -> None:
    """One moment: the filters, then each stage's maps (inline images: see figures.inline_image)."""
    charts.picture(figures.filter_tiles(snapshot.filters), figures.filters_alt(snapshot.filters),
                   t("train.filters_caption", count=len(snapshot.filters), k=snapshot.filters.shape[-1]))
    for i, (_name, maps) in enumerate(snapshot.maps, start=1):
        charts.picture(figures.map_tiles(maps), figures.maps_alt(maps),
                       t("train.maps_caption", stage=i, h=maps.shape[-2], w=maps.shape[-1]))


def newest(history: list) -> None:
    """The live view: the newest snapshot a running job has reported."""
    latest = next((p.snapshot for p in reversed(history) if getattr(p, "snapshot", None) is not None), None)
    if latest is not None:
        with st.expander(t("train.snapshot_live", step=latest.step, epoch=f"{latest.epoch:.2f}"), expanded=False):
            show(latest)


def _stored(run_id: int) -> list[Snapshot]:
    held = st.session_state.get(HELD)
    if not held or held[0] != run_id:
        held = (run_id, identity.store().snapshots(identity.current().id, run_id))
        st.session_state[HELD] = held
    return held[1]


def section(runs: dict[int, str]) -> None:
    """After the runs: choose one, scrub through its snapshots."""
    if not runs:
        return
    st.subheader(t("train.learned_title"))
    st.caption(t("train.learned_intro"))
    run_id = st.selectbox(t("train.try_which"), list(runs), index=len(runs) - 1, format_func=runs.__getitem__,
                          key="train.learned_which")
    snaps = _stored(run_id)
    if not snaps:
        st.caption(t("train.no_snapshots"))
        return
    moment = st.select_slider(t("train.snapshot_moment"), options=list(range(len(snaps))), value=0,
                              format_func=lambda i: t("train.snapshot_label", step=snaps[i].step,
                                                      epoch=f"{snaps[i].epoch:.2f}"),
                              key=f"train.learned_moment.{run_id}")
    show(snaps[moment])
