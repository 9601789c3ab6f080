"""An editable grid of numbers: the input and kernel the convolution and pooling lessons compute on.

The grid is Streamlit's ``st.data_editor`` with a fixed number of rows, and what a browser tab
sends back for it is trusted by nobody here. The tab sends the grid's state as one JSON string,
``{"edited_rows": {"2": {"1": 5.0}}, "added_rows": [...], "deleted_rows": [...]}``, which
Streamlit parses with its ``DataEditorSerde.deserialize`` and then applies to the data frame
(``_apply_dataframe_edits``) — *all* of it, even for ``num_rows="fixed"``: a forged message of
0.7 MB with 17,000 added rows cost a server 60–155 s of CPU, and its unparsable cells wrote one
logged traceback each (8 MB of them). So the app's grids parse that JSON themselves, before
Streamlit sees it: ``cell_edits`` keeps the edits of cells the grid shows — a row in range, a
column it has, a finite number or an emptied cell — and nothing else; added and deleted rows
are dropped, and so is a state longer than any real grid's (``MAX_STATE_CHARS``), unread. A
refused edit is what Streamlit does with a value it cannot parse (the cell keeps its value),
without the traceback. docs/decisions.md says why this is done at the parser.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math

import pandas as pd
import streamlit as st
from streamlit.elements.widgets import data_editor as _data_editor

from models.content.facts import SEED_INPUT, SEED_KERNEL

log = logging.getLogger(__name__)

# A real 8×8 grid with every cell edited sends about 2,000 characters; a longer state is forged.
MAX_STATE_CHARS = 64 * 1024
NO_EDITS = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}

# The shape of the grid being drawn in this thread (its rows, its column names); None elsewhere.
_drawing: contextvars.ContextVar[tuple[int, tuple[str, ...]] | None] = contextvars.ContextVar("grid", default=None)


REFUSED = object()  # what ``_cell`` and ``_row`` give for something the grid does not show


def _cell(value):
    """A cell's value as the grid takes it: a finite number, or None (an emptied cell)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return REFUSED  # a string, a list, an object: Streamlit would log a traceback for each
    try:
        number = float(value)  # JSON's integers have no limit: one of 400 digits overflows here
    except OverflowError:
        return REFUSED
    return number if math.isfinite(number) else REFUSED  # JSON as Python reads it has NaN and Infinity


def _row(key, rows: int):
    """A row's number from its JSON key ("0", "1" …), if the grid has that row."""
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 4 and int(key) < rows:
        return int(key)
    return REFUSED


def cell_edits(ui_value: str | None, rows: int, columns: tuple[str, ...]) -> tuple[dict[int, dict], int]:
    """The edits of cells a ``rows`` × ``columns`` grid shows, from the tab's JSON state, and how
    many other things the state asked for (refused). Never raises: a forged state is all refused."""
    if ui_value is None:
        return {}, 0
    if len(ui_value) > MAX_STATE_CHARS:
        return {}, 1
    try:
        state = json.loads(ui_value)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return {}, 1
    if not isinstance(state, dict) or not isinstance(state.get("edited_rows", {}), dict):
        return {}, 1
    refused = len([k for k in state if k not in NO_EDITS])
    refused += sum(len(v) for k, v in state.items() if k in ("added_rows", "deleted_rows") and isinstance(v, list))
    edits: dict[int, dict[str, float | None]] = {}
    for key, changes in state.get("edited_rows", {}).items():
        row = _row(key, rows)
        if row is REFUSED or not isinstance(changes, dict):
            refused += 1
            continue
        for column, value in changes.items():
            cell = _cell(value)
            if column in columns and cell is not REFUSED:
                edits.setdefault(row, {})[column] = cell
            else:
                refused += 1
    return edits, refused


class GridSerde(_data_editor.DataEditorSerde):
    """Streamlit's parser of a data editor's state, which for one of the app's grids keeps only
    its cell edits. Streamlit makes one of these every time it draws a data editor and keeps its
    ``deserialize`` with the widget, and calls it for the tab's next message — before the script
    runs (to see whether the widget changed) or inside ``st.data_editor``. So the grid's shape is
    taken when the parser is made, inside ``editable_grid``; any other data editor gets
    Streamlit's own parser."""

    def __init__(self) -> None:
        self.shape = _drawing.get()

    def deserialize(self, ui_value: str | None) -> _data_editor.DataEditorState:
        if self.shape is None:
            return super().deserialize(ui_value)
        edits, refused = cell_edits(ui_value, *self.shape)
        if refused:
            log.warning("a %d-row grid refused %d edits of cells it does not show", self.shape[0], refused)
        return _data_editor.DataEditorState({**NO_EDITS, "edited_rows": edits})


# st.data_editor makes its parser as ``DataEditorSerde()``, a name it looks up in its module each
# time it runs: the app's parser takes that name once, at import. (If Streamlit renames the
# class, ``class GridSerde`` fails at import; if it stops looking the name up there,
# tests/test_grid.py's forged message finds the grid open again.)
_data_editor.DataEditorSerde = GridSerde


@contextlib.contextmanager
def _only_cells(rows: int, columns: tuple[str, ...]):
    token = _drawing.set((rows, columns))
    try:
        yield
    finally:
        _drawing.reset(token)


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
    columns = tuple(str(c) for c in range(n))
    frame = pd.DataFrame(values, columns=list(columns))
    with _only_cells(n, columns):
        edited = st.data_editor(frame, key=f"_{key}.{n}", hide_index=True, width="content", num_rows="fixed")
    values = edited.apply(pd.to_numeric, errors="coerce").fillna(0.0).astype(float).values.tolist()
    st.session_state[key] = values
    return values
