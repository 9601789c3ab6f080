"""Rendering lesson content from ``lessons/`` in the session's language."""

from __future__ import annotations

import re

import streamlit as st

from lessons import sections
from models.content.facts import facts
from models.runtime.zoo import Classifier
from ui.i18n import lang, t
from ui.classroom import shows_next


def fill(text: str) -> str:
    """Replace ``{{name}}`` by the computed fact of that name (``models.content.facts``)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: facts()[m.group(1)], text)


def section(lesson: str, anchor: str, level: str = "header") -> bool:
    """One section: its title (with a stable anchor to link to) and its Markdown body.
    Returns False, showing nothing, when presentation view has another section on screen:
    pages put the section's widgets under ``if section(...)``."""
    if not shows_next():
        return False
    s = sections(lesson, lang())[anchor]
    getattr(st, level)(fill(s.title), anchor=anchor)
    st.markdown(fill(s.body))
    return True


def render(lesson: str, first_as_title: bool = False) -> None:
    for i, anchor in enumerate(sections(lesson, lang())):
        section(lesson, anchor, level="title" if first_as_title and i == 0 else "header")


def untrained_notice(clf: Classifier) -> None:
    """Shown wherever a prediction of a model without its pretrained weights appears."""
    if not clf.pretrained:
        st.warning(t("model.untrained", model=clf.title), icon="⚠️")
