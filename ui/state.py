"""Session state that survives page switches, and lives in the URL.

Streamlit forgets a widget's value when its page is not shown. ``kept(key, default)`` keeps the
value under ``key`` (namespaced, e.g. ``"train.lr"``) and gives the widget a shadow key that is
reloaded from it on every run — the pattern Streamlit's docs recommend for multipage apps.

Every kept setting that differs from its default is also written to the URL's query string
(``?train.lr=0.01&train.optimizer=sgd``), and a new session reads it from there: a teacher sets
up a demo, copies the link, and every student opens exactly that state. A value in the URL that
does not parse as the setting's type is ignored; one that a widget refuses (out of its range)
makes ``ui.frame`` drop every value that came from the URL and run the page again.
"""

from __future__ import annotations

import streamlit as st

FROM_URL = "_state.from_url"  # the keys whose value this session took from the URL
WANTED = "_state.url"  # what this run wants in the URL: written once, after the page ran
URL_OFF = "_state.url_off"  # set after the URL's values were refused: read none again
SCALARS = (bool, int, float, str)


def _store(key: str) -> None:
    st.session_state[key] = st.session_state[f"_{key}"]


def _parse(text: str, default):
    """The URL's text as the default's type, or ``None`` when it is not one."""
    try:
        if isinstance(default, bool):
            return {"true": True, "false": False}[text.lower()]
        return type(default)(text)
    except (KeyError, ValueError):
        return None


def _format(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def kept(key: str, default, url: bool = True) -> dict:
    """Keyword arguments for a widget whose value is kept in ``st.session_state[key]`` and, for a
    number, a string or a switch, in the URL (``url=False``: not there)."""
    in_url = url and isinstance(default, SCALARS)
    if key not in st.session_state:
        value = default
        if in_url and key in st.query_params and not st.session_state.get(URL_OFF):
            parsed = _parse(st.query_params[key], default)
            if parsed is not None:
                value = parsed
                st.session_state.setdefault(FROM_URL, set()).add(key)
        st.session_state[key] = value
    st.session_state[f"_{key}"] = st.session_state[key]
    if in_url and st.session_state[key] != default:  # defaults stay out: the link stays short
        want_in_url(key, _format(st.session_state[key]))
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


def forget_url_values() -> bool:
    """Drop every value this session took from the URL (a widget refused one). True if there were any."""
    keys = st.session_state.pop(FROM_URL, set())
    st.session_state[URL_OFF] = True
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
