"""Text a student typed, shown exactly as typed: never as Markdown, HTML or a formula.

A student's name (or a guess typed in predict-before-reveal) is read on other screens, the
teacher's above all, where Streamlit would render it: Markdown in ``st.markdown``, ``st.info``,
``st.caption`` and the cells of ``st.table`` (an image from any server loaded in the teacher's
browser, a link, a ``:red-background[…]`` banner, ``$…$`` LaTeX, an emoji for ``:smile:``), and
HTML in a Plotly figure's legend, hover labels and annotations (``<b>``, ``<a href>``, ``<br>``).
Where a student's text is shown, it goes through one of these two functions, or into an element
that shows text as text (``st.text``, ``st.dataframe``, ``st.code``, a widget's value).
"""

from __future__ import annotations

import html
import string

WORD_JOINER = "\u2060"  # invisible, and never in a name (models.store.names drops it)


def markdown(text: str) -> str:
    """``text`` as Markdown that Streamlit renders back as exactly ``text``.

    Every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be), which
    stops emphasis, links, images, HTML, ``:color[…]`` directives and ``$`` maths. Emoji and icon
    short codes (``:smile:``, ``:material/home:``) are matched after the escapes are gone, so an
    invisible word joiner after each colon keeps them apart. Line breaks become spaces: a student's
    text is one line."""
    escaped = "".join("\\" + ch if ch in string.punctuation else ch for ch in " ".join(text.splitlines()))
    return escaped.replace(":", ":" + WORD_JOINER)


def html_text(text: str) -> str:
    """``text`` for a place that reads HTML: a Plotly legend, hover label or annotation, where
    ``&lt;b&gt;`` shows as ``<b>`` and no tag is made (quotes need no escape outside a tag)."""
    return html.escape(text, quote=False)
