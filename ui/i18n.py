"""The language of the session: a sidebar toggle that survives page switches and lives in the URL.

``?lang=ko`` opens the app in Korean; switching the toggle rewrites the URL, so a copied link
opens in the same language.

A string key is ``section.name``; a ``-`` in it reads as ``_`` (TOML keys write ``fashion_mnist``
for the option value ``fashion-mnist``). A key with no string is a bug: while pytest runs a test
(it sets ``PYTEST_CURRENT_TEST``) ``t`` raises ``MissingString``, so the page's AppTest fails;
a running server logs it once and shows the English string, or the key where there is none.
Values are filled by ``models.content.templates.fill``: English plurals, Korean particles.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from lessons import DEFAULT_LANGUAGE, LANGUAGES, strings
from models.content.templates import fill
from models.errors import LabError
from ui.state import kept, want_in_url

KEY = "lang"
log = logging.getLogger(__name__)
_said: set[str] = set()  # the missing keys already logged


class MissingString(KeyError):
    """A string key that the session's language does not have."""


def lang() -> str:
    return st.session_state.get(KEY, DEFAULT_LANGUAGE)


def t(key: str, **values) -> str:
    """The UI string ``key`` in the session's language, with ``{placeholders}`` filled in."""
    key = key.replace("-", "_")
    text = strings(lang()).get(key)
    if text is None:
        if "PYTEST_CURRENT_TEST" in os.environ:
            raise MissingString(f"no string {key!r} in lessons/strings/{lang()}.toml")
        if key not in _said:
            _said.add(key)
            log.error("no string %r in lessons/strings/%s.toml", key, lang())
        text = strings(DEFAULT_LANGUAGE).get(key, key)
    return fill(text, **values) if values else text


def say(err: LabError) -> str:
    """An error's sentence in the session's language (``models.errors``: a code and its parameters)."""
    return err.message(lang())


def labels(prefix: str, options) -> callable:
    """A ``format_func`` giving each option's label ``prefix + option`` in the session's language.

    The labels are looked up now: Streamlit may call ``format_func`` later, outside the script
    run (AppTest does), where the session's language is not known.
    """
    table = {o: t(prefix + o) for o in options}
    return table.__getitem__


def language_toggle() -> None:
    requested = st.query_params.get(KEY)
    # the language has its own URL parameter, validated here: kept() must not read it
    widget = kept(KEY, requested if requested in LANGUAGES else DEFAULT_LANGUAGE, url=False)  # sets lang() first
    st.sidebar.radio(
        t("sidebar.language"), options=list(LANGUAGES), format_func=LANGUAGES.__getitem__, horizontal=True, **widget
    )
    want_in_url(KEY, lang())
