"""Session state that survives page switches.

Streamlit forgets a widget's value when its page is not shown. ``kept(key, default)`` keeps the
value under ``key`` (namespaced, e.g. ``"train.lr"``) and gives the widget a shadow key that is
reloaded from it on every run — the pattern Streamlit's docs recommend for multipage apps.
"""

from __future__ import annotations

import streamlit as st


def _store(key: str) -> None:
    st.session_state[key] = st.session_state[f"_{key}"]


def kept(key: str, default) -> dict:
    """Keyword arguments for a widget whose value is kept in ``st.session_state[key]``."""
    if key not in st.session_state:
        st.session_state[key] = default
    st.session_state[f"_{key}"] = st.session_state[key]
    return {"key": f"_{key}", "on_change": _store, "args": (key,)}


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
