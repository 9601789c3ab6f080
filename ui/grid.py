"""An editable grid of numbers: the input and kernel the convolution and pooling lessons compute on."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.content.facts import SEED_INPUT, SEED_KERNEL


def _pattern(n: int) -> list[list[float]]:
    """A default grid of size n: the lecture's 4×4 input and 3×3 kernel, else a small pattern."""
    if n == 4:
        return [list(map(float, row)) for row in SEED_INPUT]
    if n == 3:
        return [list(map(float, row)) for row in SEED_KERNEL]
    return [[float((r + c) % 4) for c in range(n)] for r in range(n)]


def editable_grid(key: str, n: int, label: str) -> list[list[float]]:
    """An n×n grid of numbers the student can edit; kept across reruns and page switches."""
    values = st.session_state.get(key)
    if not values or len(values) != n:
        values = st.session_state[key] = _pattern(n)
    st.caption(label)
    frame = pd.DataFrame(values, columns=[str(c) for c in range(n)])
    edited = st.data_editor(frame, key=f"_{key}.{n}", hide_index=True, width="content")
    values = edited.apply(pd.to_numeric, errors="coerce").fillna(0.0).astype(float).values.tolist()
    st.session_state[key] = values
    return values
