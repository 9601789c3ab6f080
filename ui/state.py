"""Session state that survives page switches, and lives in the URL.

Streamlit forgets a widget's value when its page is not shown. ``kept(key, default)`` keeps the
value under ``key`` (namespaced, e.g. ``"train.lr"``) and gives the widget a shadow key that is
reloaded from it on every run — the pattern Streamlit's docs recommend for multipage apps.

Every kept setting that differs from its default is also written to the URL's query string
(``?train.lr=0.01&train.optimizer=sgd``), and a new session reads it from there: a teacher sets
up a demo, copies the link, and every student opens exactly that state.

A link is typed by anyone, so each value in it is checked twice before a page keeps it:

1. here, as text (``_parse``): it must be a value of the setting's type that a widget can hold —
   ``true``/``false`` for a switch, a whole number within ±(2⁵³ − 1) (the browser's exact
   integers; Streamlit cannot send ``10**400`` to it), a finite number (no ``nan``, ``inf``, or
   ``1e400``, which Python reads as ``inf``), and at most ``MAX_TEXT`` characters;
2. by its widget, after the page drew it (``url_values_refused``): a Streamlit 1.67 widget given a
   value it cannot show does not complain, it shows another (a number clamped into its range, a
   choice it does not have replaced by its first), so a value whose widget holds something else
   was refused. (Some widgets do raise instead; ``ui.frame`` treats that the same way.)

A value refused either way makes ``ui.frame`` drop every value this session took from the URL,
run the page again from its defaults and say so in the student's language; ``URL_OFF`` then keeps
the link from being read again in this session, so the tab goes on working. ``KEPT`` is the
registry of every setting a link can carry (filled as the pages draw them), from which
``tests/test_url_state.py`` sends every page every setting with hostile values.
"""

from __future__ import annotations

import math

import streamlit as st

FROM_URL = "_state.from_url"  # the keys whose value this session took from the URL
REFUSED = "_state.refused"  # the keys whose value in the URL was refused (a set)
WANTED = "_state.url"  # what this run wants in the URL: written once, after the page ran
URL_OFF = "_state.url_off"  # set after the URL's values were refused: read none again
SCALARS = (bool, int, float, str)
MAX_TEXT = 200  # no option's name or number a setting takes is longer
MAX_INT = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: the widgets' numbers live in the browser
KEPT: dict[str, object] = {}  # every setting a link can carry that this process has drawn: key → a default


def _store(key: str) -> None:
    st.session_state[key] = st.session_state[f"_{key}"]


def _parse(text: str, default):
    """The URL's text as the default's type, or ``None`` when it is not one a widget can hold."""
    if len(text) > MAX_TEXT:  # also spares int() a number of 100,000 digits
        return None
    try:
        if isinstance(default, bool):
            return {"true": True, "false": False}[text.lower()]
        value = type(default)(text)
    except (KeyError, ValueError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        return None
    return value


def _format(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def kept(key: str, default, url: bool = True) -> dict:
    """Keyword arguments for a widget whose value is kept in ``st.session_state[key]`` and, for a
    number, a string or a switch, in the URL (``url=False``: not there)."""
    in_url = url and isinstance(default, SCALARS)
    if in_url:
        KEPT.setdefault(key, default)
    if key not in st.session_state:
        value = default
        if in_url and key in st.query_params and not st.session_state.get(URL_OFF):
            parsed = _parse(st.query_params[key], default)
            if parsed is None:
                st.session_state.setdefault(REFUSED, set()).add(key)
            else:
                value = parsed
                st.session_state.setdefault(FROM_URL, set()).add(key)
        st.session_state[key] = value
    st.session_state[f"_{key}"] = st.session_state[key]
    if in_url and st.session_state[key] != default:  # defaults stay out: the link stays short
        want_in_url(key, _format(st.session_state[key]))
    elif in_url:  # (asked again after the page put a refused value back to its default)
        st.session_state.get(WANTED, {}).pop(key, None)
    return {"key": f"_{key}", "on_change": _store, "args": (key,)}


def want_in_url(key: str, value: str) -> None:
    st.session_state.setdefault(WANTED, {})[key] = value


def begin_run() -> None:
    st.session_state[WANTED] = {}


def write_url() -> None:
    """Make the query string exactly what this run's settings want, once, after the page ran:
    each page's address carries its own settings, and a copied link reproduces them."""
    wanted = st.session_state.get(WANTED, {})
    for key in [k for k in st.query_params if k not in wanted]:
        del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def url_values_refused() -> bool:
    """After the page ran: whether a value this session took from the URL was refused, as text
    or by the widget drawn with it (which then holds another value than the one kept)."""
    refused = st.session_state.setdefault(REFUSED, set())
    if st.session_state.get(URL_OFF):
        return False
    for key in st.session_state.get(FROM_URL, ()):
        widget = f"_{key}"
        if widget in st.session_state and st.session_state[widget] != st.session_state.get(key):
            refused.add(key)  # (nan is never equal to itself: refused too, had it parsed)
    return bool(refused)


def forget_url_values() -> bool:
    """Drop every value this session took from the URL (one was refused): all count as refused,
    since a widget that raises does not say which. True if there were any."""
    keys = st.session_state.pop(FROM_URL, set())
    st.session_state[URL_OFF] = True
    st.session_state.setdefault(REFUSED, set()).update(keys)
    for key in keys:
        st.session_state.pop(key, None)
        st.session_state.pop(f"_{key}", None)
    return bool(keys)


def session_id() -> str:
    """This browser session's id: the owner of its training runs."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "local"


def session_alive(session_id: str) -> bool:
    """False once the tab is closed (the runtime forgets the session)."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def number_row(fields: list[tuple[str, str, int, int, int]]) -> list[int]:
    """A row of integer inputs, one column each: (state key, label, default, min, max).
    Values are kept across page switches."""
    columns = st.columns(len(fields))
    return [int(col.number_input(label, min_value=lo, max_value=hi, step=1, **kept(key, default)))
            for col, (key, label, default, lo, hi) in zip(columns, fields)]
