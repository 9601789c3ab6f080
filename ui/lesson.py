"""Rendering lesson content from ``lessons/`` in the session's language."""

from __future__ import annotations

import re

import streamlit as st

from lessons import sections
from models.content.facts import facts
from models.content.templates import PARTICLE, particle
from models.runtime.zoo import Classifier
from ui.classroom import shows_next
from ui.i18n import lang, t

REVEAL = "<!-- reveal -->"  # in a section's Markdown: what follows waits for the section's result


_FACT = re.compile(r"\{\{(\w+)\}\}([*_`]*)(" + PARTICLE + ")?")


def fill(text: str) -> str:
    """Replace ``{{name}}`` by the computed fact of that name (``models.content.facts``), and a
    Korean particle after it written in both forms (``{{rf_stack}}(으)로``) by the one it takes."""
    def one(m: re.Match) -> str:
        value = facts()[m.group(1)]
        return value + m.group(2) + (particle(value, m.group(3)) if m.group(3) else "")

    return _FACT.sub(one, text)


def section(lesson: str, anchor: str, level: str = "header") -> bool:
    """One section: its title (with a stable anchor to link to) and its Markdown body, up to a
    ``<!-- reveal -->`` line if it has one (the rest is ``reveal``'s). Returns False, showing
    nothing, when presentation view has another section on screen: pages put the section's
    widgets under ``if section(...)``."""
    if not shows_next():
        return False
    s = sections(lesson, lang())[anchor]
    getattr(st, level)(fill(s.title), anchor=anchor)
    st.markdown(fill(s.body.partition(REVEAL)[0]))
    return True


def reveal(lesson: str, anchor: str) -> None:
    """The part of a section after its ``<!-- reveal -->`` line: the text that tells what a widget
    measured, shown by the page once the result is (after the student's guess, where asked)."""
    after = sections(lesson, lang())[anchor].body.partition(REVEAL)[2].strip()
    if after:
        st.markdown(fill(after))


def render(lesson: str, first_as_title: bool = False) -> None:
    for i, anchor in enumerate(sections(lesson, lang())):
        section(lesson, anchor, level="title" if first_as_title and i == 0 else "header")


def untrained_notice(clf: Classifier) -> None:
    """Shown wherever a prediction of a model without its pretrained weights appears."""
    if not clf.pretrained:
        st.warning(t("model.untrained", model=clf.title), icon="⚠️")
