"""The student's picture: a built-in example, an upload or the camera, kept across pages.

Every page that runs the pretrained networks on "your image" calls ``choose()``; the picture
chosen on one page is the one the next page shows. Uploaded bytes are kept in the session
(a file uploader forgets its file when its page is left), until the student removes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from models.runtime import examples
from ui.i18n import labels, t
from ui.state import kept

SOURCES = ("example", "upload", "camera")
CHOICES = examples.PHOTOS + examples.EXAMPLES


@dataclass(frozen=True)
class Picture:
    name: str  # a file name as uploaded: shown literally, never as Markdown
    data: bytes


def current() -> Picture | None:
    """The picture chosen so far, without showing the chooser (another section is on screen)."""
    source = st.session_state.get("picture.source", "example")  # as kept: perhaps from a link, unchecked
    if source not in SOURCES or source == "example":
        name = st.session_state.get("picture.example", "cat")
        name = name if name in CHOICES else "cat"
        return Picture(name, examples.photo_bytes(name))
    return st.session_state.get(f"picture.{source}")


def choose() -> Picture | None:
    source = st.radio(t("picture.source"), SOURCES, horizontal=True, format_func=labels("picture.source_", SOURCES),
                      **kept("picture.source", "example"))
    if source == "example":
        name = st.selectbox(t("picture.example"), CHOICES, format_func=labels("picture.example_", CHOICES),
                            **kept("picture.example", "cat"))
        return Picture(name, examples.photo_bytes(name))

    held = f"picture.{source}"  # the bytes, kept while the widget forgets them on a page switch
    if source == "upload":
        widget = st.file_uploader(t("picture.upload"), key="picture.upload_widget")  # any type: decode() explains
    else:
        widget = st.camera_input(t("picture.camera"), key="picture.camera_widget")
    if widget is not None:
        st.session_state[held] = Picture(widget.name, widget.getvalue())
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
            st.rerun()
    return picture
