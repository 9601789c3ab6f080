"""Rendering lesson content from ``lessons/`` in the session's language."""

from __future__ import annotations

import re

import streamlit as st

from lessons import sections
from models.facts import facts
from models.zoo import Classifier
from ui.i18n import lang, t


def fill(text: str) -> str:
    """Replace ``{{name}}`` by the computed fact of that name (models/facts.py)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: facts()[m.group(1)], text)


def section(lesson: str, anchor: str, level: str = "header") -> None:
    """One section: its title (with a stable anchor to link to) and its Markdown body."""
    s = sections(lesson, lang())[anchor]
    getattr(st, level)(fill(s.title), anchor=anchor)
    st.markdown(fill(s.body))


def render(lesson: str, first_as_title: bool = False) -> None:
    for i, anchor in enumerate(sections(lesson, lang())):
        section(lesson, anchor, level="title" if first_as_title and i == 0 else "header")


def pending(lesson: str) -> None:
    """A lesson whose interactive part has not landed: the text that exists, then a notice saying so."""
    render(lesson, first_as_title=True)
    st.info(t("pending.message"), icon="🚧")


def untrained_notice(clf: Classifier) -> None:
    """Shown wherever a prediction of a model without its pretrained weights appears."""
    if not clf.pretrained:
        st.warning(t("model.untrained", model=clf.title), icon="⚠️")
