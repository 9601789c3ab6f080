"""The frame every page shares: navigation, language toggle, device badge, weights status."""

from __future__ import annotations

import streamlit as st
import torch

from models import device
from models.weights import CHECKPOINTS, FETCH_COMMAND, STORE, State
from models.zoo import TITLES
from ui.i18n import language_toggle, t

# (navigation group, lesson id); each lesson id is a script pages/<id>.py and a folder lessons/<id>/
PAGES = [
    ("start", "home"),
    ("convolution", "conv_operation"),
    ("convolution", "conv_arithmetic"),
    ("convolution", "receptive_fields"),
    ("connectivity", "residual_block"),
    ("connectivity", "dense_connectivity"),
    ("practice", "classify"),
    ("practice", "training_lab"),
    ("practice", "quiz"),
]
ICONS = {
    "home": "🧠", "conv_operation": "🔲", "conv_arithmetic": "📐", "receptive_fields": "🎯",
    "residual_block": "↪️", "dense_connectivity": "🕸️", "classify": "📷", "training_lab": "🏋️", "quiz": "❓",
}


def navigation() -> dict[str, list[st.Page]]:
    groups: dict[str, list[st.Page]] = {}
    for group, lesson in PAGES:
        page = st.Page(
            f"pages/{lesson}.py", title=t(f"page.{lesson}"), icon=ICONS[lesson],
            url_path=lesson.replace("_", "-"), default=lesson == "home",
        )
        groups.setdefault(t(f"nav.{group}"), []).append(page)
    return groups


def device_badge() -> None:
    choice = device.current()
    label = t("sidebar.cpu", threads=torch.get_num_threads()) if choice.device.type == "cpu" else choice.label
    st.sidebar.caption(f"{t('sidebar.device')}: **{label}**")
    if choice.note:
        st.sidebar.warning(choice.note)


def _weights_status() -> bool:
    """Draw each checkpoint's state; return True while any download is in progress."""
    downloading = False
    for name in CHECKPOINTS:
        status = STORE.ensure(name)
        title = TITLES[name]
        if status.state is State.READY:
            st.caption(f"✅ {title} — {t('sidebar.weights_ready')}")
        elif status.state is State.DOWNLOADING:
            downloading = True
            st.progress(status.fraction, text=f"{title} — {t('sidebar.weights_downloading')} {status.fraction:.0%}")
        else:
            key = "sidebar.weights_corrupt" if status.state is State.CORRUPT else "sidebar.weights_unavailable"
            st.caption(f"⚠️ {title} — {t(key)}")
    return downloading


def _weights_status_live() -> None:
    """Run as a fragment that refreshes once a second while a download runs."""
    if not _weights_status():
        st.rerun(scope="app")  # weights just became ready: pages reload the pretrained models


def weights_panel() -> None:
    with st.sidebar:
        st.caption(f"**{t('sidebar.weights')}**")
        if any(STORE.ensure(name).state is State.DOWNLOADING for name in CHECKPOINTS):
            st.fragment(_weights_status_live, run_every=1.0)()
        else:
            _weights_status()
        if any(STORE.status(name).state in (State.UNAVAILABLE, State.CORRUPT) for name in CHECKPOINTS):
            st.caption(t("sidebar.weights_fix"))
            st.code(FETCH_COMMAND, language="bash")


def sidebar() -> None:
    language_toggle()
    device_badge()
    weights_panel()
