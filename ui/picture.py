"""The student's picture: a built-in example, an upload, the camera or a drawing, kept across pages.

Every page that runs the pretrained networks on "your image" calls ``choose()``; the picture
chosen on one page is the one the next page shows. Uploaded bytes are kept in the session
(a file uploader forgets its file when its page is left), until the student removes them. An
uploaded picture the student chooses to keep goes into the class store, and comes back after a
reload or on their next visit; otherwise its bytes live no longer than the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from models.runtime import examples
from ui import drawing as drawing_ui
from ui import identity, saving
from ui.i18n import labels, t
from ui.state import kept

SOURCES = ("example", "upload", "camera", "draw")
CHOICES = examples.PHOTOS + examples.EXAMPLES


@dataclass(frozen=True)
class Picture:
    name: str  # a file name as uploaded: shown literally, never as Markdown
    data: bytes
    drawn: bool = False  # from the canvas: the small networks frame it like their data set (models.runtime.drawing)


RESTORED = "_picture.restored"
KEEP = "picture.keep"


def _restore() -> None:
    """Once per session: an upload the student kept comes back."""
    if st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    kept_picture = identity.store().picture(identity.current().id)
    if kept_picture and "picture.upload" not in st.session_state:
        st.session_state["picture.upload"] = Picture(*kept_picture)
        st.session_state[KEEP] = True


@saving.guard
def _keep_changed() -> None:
    sid, picture = identity.current().id, st.session_state.get("picture.upload")
    if st.session_state[KEEP] and picture:
        identity.store().keep_picture(sid, picture.name, picture.data)
    else:
        identity.store().drop_picture(sid)


def current() -> Picture | None:
    """The picture chosen so far, without showing the chooser (another section is on screen)."""
    _restore()
    source = st.session_state.get("picture.source", "example")  # as kept: perhaps from a link, unchecked
    if source not in SOURCES or source == "example":
        name = st.session_state.get("picture.example", "cat")
        name = name if name in CHOICES else "cat"
        return Picture(name, examples.photo_bytes(name))
    return st.session_state.get(f"picture.{source}")


def _drawn(held: str) -> Picture | None:
    """The canvas: a new drawing replaces the held one; an untouched canvas (after a page switch)
    keeps using it; a cleared one is blank, and says so."""
    image = drawing_ui.canvas("picture.draw")
    if image is None and held in st.session_state:
        st.caption(t("draw.kept"))
        return st.session_state[held]
    if drawing_ui.blank(image):
        st.session_state.pop(held, None)
        return None
    st.session_state[held] = Picture("drawing.png", drawing_ui.png(image), drawn=True)
    return st.session_state[held]


def choose() -> Picture | None:
    _restore()
    source = st.radio(t("picture.source"), SOURCES, horizontal=True, format_func=labels("picture.source_", SOURCES),
                      **kept("picture.source", "example"))
    if source == "example":
        name = st.selectbox(t("picture.example"), CHOICES, format_func=labels("picture.example_", CHOICES),
                            **kept("picture.example", "cat"))
        return Picture(name, examples.photo_bytes(name))

    held = f"picture.{source}"  # the bytes, kept while the widget forgets them on a page switch
    if source == "draw":
        return _drawn(held)
    if source == "upload":
        widget = st.file_uploader(t("picture.upload"), key="picture.upload_widget")  # any type: decode() explains
    else:
        widget = st.camera_input(t("picture.camera"), key="picture.camera_widget")
    if widget is not None:
        new = Picture(widget.name, widget.getvalue())
        if st.session_state.get(held) != new:
            st.session_state[held] = new
            if source == "upload" and st.session_state.get(KEEP):
                with saving.attempt("a kept picture"):
                    identity.store().keep_picture(identity.current().id, new.name, new.data)
    picture = st.session_state.get(held)
    if picture is None:
        st.info(t(f"picture.waiting_{source}"), icon="🖼️")
        return None
    if widget is None:  # the widget is empty again, after a page switch: say which picture is in use
        left, right = st.columns([4, 1])
        left.caption(t("picture.kept"))
        left.text(picture.name)
        if right.button(t("picture.forget"), key=f"{held}.forget"):
            del st.session_state[held]
            if source == "upload":
                st.session_state[KEEP] = False
                with saving.attempt("a forgotten picture"):
                    identity.store().drop_picture(identity.current().id)
            st.rerun()
    if source == "upload":
        st.checkbox(t("picture.keep"), key=KEEP, on_change=_keep_changed, help=t("picture.keep_help"))
    return picture
