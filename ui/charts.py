"""Figures put on the page with their words: every chart with its text alternative and its numbers,
every picture as an <img> with an ``alt`` (docs/accessibility.md, "Figures").

``show(fig, key)`` stands where a view would call ``st.plotly_chart``: the chart, then its text
alternative (``figures.alt``) in a paragraph that screen readers read and eyes do not see, then an
expander "The numbers" with the chart's numbers as tables (``figures.numbers``). ``picture`` stands
where a view would call ``st.image``: the image goes inline with its ``alt``, never a /media/ file
that a rerun may delete before a busy browser asked for it
(``figures.inline_image``).
"""

from __future__ import annotations

import html

import streamlit as st

from ui import figures
from ui.i18n import t

# Visually hidden, still read: the usual "sr-only" rules (clip a 1-pixel box, keep it in the flow of text).
HIDDEN = ("position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
          "clip:rect(0,0,0,0);white-space:nowrap;border:0")


def described(text: str) -> str:
    """A chart's text alternative as HTML for st.html: read by screen readers, not shown."""
    return f'<p class="cnnlab-alt" style="{HIDDEN}">{html.escape(text)}</p>'


def show(fig, key: str, where=None, **kwargs):
    """``where.plotly_chart(fig, key=key, **kwargs)`` (``where``: a column or container, the page by
    default) with the figure's text alternative and its numbers; returns what plotly_chart returns
    (a selection, with ``on_select``)."""
    where = where or st
    text = figures.alt(fig)
    if not text:
        raise ValueError(f"chart {key!r} has no text alternative: build it with ui/figures.py")
    event = where.plotly_chart(fig, key=key, **kwargs)
    where.html(described(text))
    with where.expander(t("figure.numbers")):
        for table in figures.tables(fig):
            st.dataframe(table, hide_index=True)
    return event


def picture(image, alt: str, caption: str | None = None, width: int | None = None, where=None) -> None:
    """An image in [0, 1] (H, W) or (H, W, 3) with its text alternative and, if given, its caption."""
    (where or st).html(figures.inline_image(image, alt, caption, width))
