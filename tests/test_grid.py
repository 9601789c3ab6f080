"""The editable grids take only the cells they show: what a forged tab sends for them costs the
server nothing and writes no traceback (ui/grid.py)."""

import asyncio
import json
import os

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.streamlit_client import Tab
from tests.support import running_app
from ui.grid import MAX_STATE_CHARS, cell_edits

COLUMNS = ("0", "1", "2", "3")


def test_an_edit_of_a_cell_the_grid_shows_is_kept():
    state = json.dumps({"edited_rows": {"0": {"0": 9}, "3": {"3": -2.5, "1": None}}, "added_rows": [],
                        "deleted_rows": []})
    assert cell_edits(state, 4, COLUMNS) == ({0: {"0": 9.0}, 3: {"3": -2.5, "1": None}}, 0)


@pytest.mark.parametrize("state, refused", [
    ({"added_rows": [{"0": 1}] * 3}, 3),  # a grid of fixed size has no rows to add…
    ({"deleted_rows": [0, 1]}, 2),  # …nor to delete
    ({"edited_rows": {"4": {"0": 1}, "-1": {"0": 1}, "1e5": {"0": 1}, "²": {"0": 1}, "9" * 5000: {"0": 1}}}, 5),
    ({"edited_rows": {"0": {"4": 1, "_index": 7, "": 1}}}, 3),  # columns it does not have
    ({"edited_rows": {"0": {"0": "abc", "1": [1], "2": {"a": 1}, "3": True}}}, 4),  # not numbers
    ({"edited_rows": {"0": {"0": float("nan"), "1": float("inf"), "2": float("-inf"), "3": 10**400}}}, 4),
    ({"edited_rows": [1, 2]}, 1),
    ({"edited_rows": {"0": 5}}, 1),
    ({"surprise": 1}, 1),
])
def test_anything_else_is_refused_and_counted(state, refused):
    assert cell_edits(json.dumps(state), 4, COLUMNS) == ({}, refused)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"a string"', "null", "[" * 5000, "{" * 5000])
def test_a_state_that_is_not_one_is_refused_without_an_exception(text):
    assert cell_edits(text, 4, COLUMNS) == ({}, 1)


def test_a_state_longer_than_any_real_grid_is_not_even_read():
    full = {"edited_rows": {str(r): dict.fromkeys("01234567", -123456.789) for r in range(8)}}
    assert len(json.dumps(full)) < MAX_STATE_CHARS / 10  # every cell of the largest grid, edited
    assert cell_edits(" " * MAX_STATE_CHARS + json.dumps(full), 8, tuple("01234567")) == ({}, 1)


# --- a forged message to a real server -----------------------------------------------------------

def forged_state(size: int = 700_000) -> str:
    """What a hostile tab sends for the convolution page's input grid: an edit of a cell it shows,
    then 0.7 MB of rows to add, half of them unparsable."""
    rows = [{"0": 1.5, "1": 2, "2": 3, "3": 4}, {"0": "not a number", "1": "x", "2": None, "3": [1]}]
    added = rows * (size // len(json.dumps(rows)))
    return json.dumps({"edited_rows": {"0": {"0": 5}}, "added_rows": added, "deleted_rows": []})


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, every thread's, user and system (/proc/<pid>/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_window(view) -> str:
    """The sliding-window formula under the grid (st.latex): the first window's nine products."""
    return next(e.markdown.body.strip("$\n") for e in view.values()
                if e.WhichOneof("type") == "markdown" and r"\times" in e.markdown.body)


async def send_grid(tab: Tab, grid: str, state: str) -> dict:
    since = tab.mark()
    await tab.rerun(grid=WidgetState(id=grid, string_value=state))
    return await tab.settled(since, timeout=300)


async def forge(url: str, pid: int) -> dict:
    """Open the convolution page, send the forged state, then a student's own edits, then go on to
    the pooling page: what each showed, and the CPU time the forged message cost."""
    async with Tab(url, "conv_operation") as tab:
        await tab.wait_for("dataframe")
        view = await tab.settled()
        grid = next(e.dataframe.id for e in view.values() if e.WhichOneof("type") == "dataframe")
        assert grid.endswith("_conv.input.4")
        before = cpu_seconds(pid)
        forged = await send_grid(tab, grid, forged_state())
        spent = cpu_seconds(pid) - before
        edited = await send_grid(tab, grid, json.dumps({"edited_rows": {"0": {"0": 9}, "1": {"0": "abc"}}}))
        since = tab.mark()
        await tab.goto("pooling")  # and the tab goes on working
        pooling = await tab.wait_for("dataframe", "_pool.input.4", since)
        return {"cpu_s": spent, "forged": first_window(forged), "edited": first_window(edited), "pooling": pooling}


@pytest.mark.school  # an app server of its own
def test_a_forged_grid_message_costs_the_server_no_cpu_and_writes_no_traceback(tmp_path):
    with running_app(tmp_path) as app:  # its log must hold no traceback when it stops
        seen = asyncio.run(forge(app.url, app.pid))
    assert seen["cpu_s"] < 1.0, f"{seen['cpu_s']:.1f} CPU-s for one message"
    assert seen["forged"].startswith(r"(1\times2) + (2\times0)") and seen["forged"].endswith("= 15")  # untouched
    # a student's edit of a cell it shows is taken (9 in the top-left corner); "abc" is refused (0 stays)
    assert seen["edited"].startswith(r"(9\times2) + (2\times0) + (3\times1) + (0\times0)"), seen["edited"]
    assert seen["edited"].endswith("= 31")  # 15 + (9 − 1)·2
    assert seen["pooling"].dataframe.editing_mode == seen["pooling"].dataframe.EditingMode.FIXED
