"""The frame every page shares: navigation, language toggle, device badge, weights status."""

from __future__ import annotations

import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.pages_manager import PagesManager

from models import device
from models.weights import CHECKPOINTS, FETCH_COMMAND, STORE, State
from models import zoo
from models.zoo import TITLES
from ui import present
from ui.i18n import language_toggle, t
from ui.state import begin_run, forget_url_values, write_url

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


_frozen = False
URL_REFUSED = "_frame.url_refused"


def build() -> st.Page:
    """The frame: page config, sidebar, navigation. Returns the page to run."""
    global _frozen
    if not _frozen:  # once per process, with torch, streamlit and plotly imported
        zoo.freeze_heap()
        _frozen = True
    begin_run()
    old_mode = PagesManager.uses_pages_directory  # see in_frame
    st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")
    sidebar()
    if st.session_state.pop(URL_REFUSED, False):
        st.warning(t("frame.url_refused"), icon="🔗")
    page = st.navigation(navigation())  # also switches the old mode off for the whole process
    if old_mode:
        st.rerun()  # widgets of an old-mode run get ids no later run uses: start again cleanly
    return page


def run(page: st.Page) -> None:
    """Run the page. If a widget refuses a value that came from the link (``?train.lr=99``, out
    of its range), run it again without the link's values, and say so, instead of an exception."""
    present.begin(page.url_path)
    try:
        page.run()
        present.controls()
        write_url()
    except StreamlitAPIException:
        if not forget_url_values():
            raise
        st.session_state[URL_REFUSED] = True
        st.rerun()


def in_frame() -> None:
    """The first line of every page: make sure the page has app.py's frame around it.

    Streamlit treats a folder named ``pages/`` as an old-style multipage app until a script
    calls ``st.navigation``: the first visitor after a server start who opens a lesson's URL
    gets the page script alone, without sidebar, language or navigation, and with widget ids
    that no later run shares (a first click would be lost). Such a page builds the frame, which
    switches the old mode off, and restarts the run: it is the initial load, nothing is lost.
    """
    if PagesManager.uses_pages_directory:
        build()


def navigation() -> dict[str, list[st.Page]]:
    groups: dict[str, list[st.Page]] = {}
    for group, lesson in PAGES:
        page = st.Page(
            f"pages/{lesson}.py", title=t(f"page.{lesson}"), icon=ICONS[lesson],
            url_path=lesson, default=lesson == "home",  # = file stem, as Streamlit names pages/ before st.navigation runs
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
    device.use_threads()  # each script run is a new thread: see models.device.use_threads
    language_toggle()
    present.toggles()
    device_badge()
    weights_panel()
