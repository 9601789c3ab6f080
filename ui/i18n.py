"""The language of the session: a sidebar toggle that survives page switches and lives in the URL.

``?lang=ko`` opens the app in Korean; switching the toggle rewrites the URL, so a copied link
opens in the same language.
"""

from __future__ import annotations

import streamlit as st

from lessons import DEFAULT_LANGUAGE, LANGUAGES, strings
from models.errors import LabError
from ui.state import kept, want_in_url

KEY = "lang"


def lang() -> str:
    return st.session_state.get(KEY, DEFAULT_LANGUAGE)


def t(key: str, **values) -> str:
    """The UI string ``key`` in the session's language, with ``{placeholders}`` filled in."""
    text = strings(lang()).get(key)
    if text is None:  # a missing key is a bug the tests catch; show the key rather than crash
        text = strings(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def say(err: LabError) -> str:
    """An error's sentence in the session's language (``models.errors``: a code and its parameters)."""
    return err.message(lang())


def labels(prefix: str, options) -> callable:
    """A ``format_func`` giving each option's label ``prefix + option`` in the session's language.

    The labels are looked up now: Streamlit may call ``format_func`` later, outside the script
    run (AppTest does), where the session's language is not known.
    """
    table = {o: t(prefix + o.replace("-", "_")) for o in options}
    return table.__getitem__


def language_toggle() -> None:
    requested = st.query_params.get(KEY)
    # the language has its own URL parameter, validated here: kept() must not read it
    widget = kept(KEY, requested if requested in LANGUAGES else DEFAULT_LANGUAGE, url=False)  # sets lang() first
    st.sidebar.radio(
        t("sidebar.language"), options=list(LANGUAGES), format_func=LANGUAGES.__getitem__, horizontal=True, **widget
    )
    want_in_url(KEY, lang())
