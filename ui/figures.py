"""Every Plotly figure of the app is built here; pages never build figures themselves.

Every figure carries its words (docs/accessibility.md, "Figures"): a text alternative computed
from the data it draws (``models.content.describe``, worded by ``alt.*`` strings) in
``fig.layout.meta["alt"]``, read by ``alt(fig)``; and its numbers as tables, ``numbers(fig)``,
read from its traces (or, for a diagram drawn with shapes, given in ``meta["numbers"]``).
``ui.charts.show`` puts both beside the chart. Colours come from the theme in
``.streamlit/config.toml``, read once below: colour-blind-safe scales, and series that also differ
by dash or marker.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import itertools
import pickle
import threading
import tomllib
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
from PIL import Image
from plotly.subplots import make_subplots

from models.content import describe
from models.runtime.memo import Shared
from models.training.train import Point
from ui import i18n, literal
from ui.i18n import t

# The chart colours, defined once: the theme of .streamlit/config.toml (Streamlit colours its own
# charts from the same keys). PALETTE tells series apart; SEQUENTIAL (viridis) draws magnitudes,
# DIVERGING (RdBu) signed values around zero. MARKERS and DASHES tell series apart without colour.
THEME = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())["theme"]
PALETTE = THEME["chartCategoricalColors"]


def _scale(colours: Sequence[str]) -> list[list]:
    return [[i / (len(colours) - 1), c] for i, c in enumerate(colours)]


SEQUENTIAL = _scale(THEME["chartSequentialColors"])
DIVERGING = _scale(THEME["chartDivergingColors"])
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star")
DASHES = ("solid", "dot", "dashdot", "longdash", "dash")
TABLE_CELLS = 16  # a heat map larger than this each way is tabled as the means of blocks


# --- one figure for the whole class ---------------------------------------------------------------
# A figure depends only on its arguments and the language its words are in. When the class follows
# the teacher, thirty tabs ask for the same figures within a second: the first builds each one and
# the others get the same object (Plotly's validation makes building the costly part: 0.35 s for
# the receptive-field grid). Nobody changes a figure after it is built, here or in the pages.
# Bounded in bytes too: a student's own photo makes figures (and inline pictures) of its own, a
# few hundred kB each, and a class uploads many (docs/security.md: issue 27's hostile class).
FIGURES_KEPT, FIGURE_BYTES_KEPT = 256, 48 * 2**20


def _weight(built) -> int:
    """About the memory a shared figure holds, in bytes: twice its JSON (its own data, and the
    dict Streamlit is given, ``_Drawn``), or an inline picture's HTML."""
    if isinstance(built, go.Figure):
        return 2 * len(pio.to_json(built.to_dict(), validate=False))
    return len(built)


_BUILT = Shared(maxsize=FIGURES_KEPT, max_bytes=FIGURE_BYTES_KEPT, weigh=_weight)


def _shared(build):
    """Build a figure (or an inline picture's HTML) once per arguments and language (``_BUILT``);
    arguments that cannot be pickled (none today) are built every time."""

    @functools.wraps(build)
    def shared(*args, **kwargs):
        try:
            digest = hashlib.blake2b(pickle.dumps((args, kwargs), protocol=5), digest_size=16).digest()
        except (pickle.PicklingError, TypeError, AttributeError):
            return build(*args, **kwargs)
        return _BUILT.get((build.__name__, i18n.lang(), digest), lambda: _finished(build(*args, **kwargs)))

    return shared


def _with_words(fig: go.Figure, alt: str, numbers: list[dict] | None = None) -> go.Figure:
    """The figure with its text alternative (and, for a diagram of shapes, its numbers) in meta."""
    fig.layout.meta = {"alt": alt, **({"numbers": numbers} if numbers is not None else {})}
    return fig


def alt(fig: go.Figure) -> str:
    """The figure's text alternative, in the language it was built in."""
    return (fig.layout.meta or {}).get("alt", "")


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _where(region: str) -> str:
    return t(f"alt.region_{region}")


def _axis_title(fig: go.Figure, axis: str) -> str:
    layout_axis = fig.layout[axis.replace("x", "xaxis").replace("y", "yaxis")]
    return (layout_axis.title.text if layout_axis and layout_axis.title else None) or ""


def _pooled(z: np.ndarray) -> np.ndarray:
    """A large matrix as the means of at most TABLE_CELLS × TABLE_CELLS blocks."""
    h, w = z.shape
    rows = np.array_split(np.arange(h), min(h, TABLE_CELLS))
    cols = np.array_split(np.arange(w), min(w, TABLE_CELLS))
    with warnings.catch_warnings():  # a block that is all blank (NaN) stays blank, without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.array([[float(np.nanmean(z[np.ix_(r, c)])) for c in cols] for r in rows])


def numbers(fig: go.Figure) -> list[pd.DataFrame]:
    """The numbers a figure draws, as tables: a heat map's matrix (the text written in its cells
    where it has any, the means of blocks when it is large); each panel's bars and lines, one
    column per series against the shared axis; or the rows a diagram gave in ``meta``."""
    meta = fig.layout.meta or {}
    if "numbers" in meta:
        return [pd.DataFrame(meta["numbers"])]
    tables, panels = [], {}
    for trace in fig.data:
        if trace.type == "heatmap":
            z = np.asarray(trace.text if trace.text is not None else trace.z, dtype=object)
            if trace.text is None:
                z = np.asarray(trace.z, dtype=np.float64)
                z = _pooled(z) if max(z.shape) > TABLE_CELLS else z
            index = list(trace.y) if trace.y is not None and len(trace.y) == z.shape[0] else range(1, z.shape[0] + 1)
            columns = list(trace.x) if trace.x is not None and len(trace.x) == z.shape[1] else range(1, z.shape[1] + 1)
            tables.append(pd.DataFrame(z, index=[str(i) for i in index], columns=[str(c) for c in columns]))
        elif trace.type in ("bar", "scatter"):
            if trace.x is None or trace.y is None or all(v is None for v in trace.x):
                continue  # a legend's swatch
            if trace.marker is not None and trace.marker.opacity is not None and trace.marker.opacity < 0.05:
                continue  # invisible markers that make cells clickable
            horizontal = trace.orientation == "h"
            keys, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
            axis = (trace.yaxis if horizontal else trace.xaxis) or ("y" if horizontal else "x")
            value_axis = (trace.xaxis if horizontal else trace.yaxis) or ("x" if horizontal else "y")
            # a trace's name is HTML for Plotly (literal.html_text); a data grid shows it as typed
            name = html.unescape(trace.name or "") or _axis_title(fig, value_axis) or t("figure.value")
            key = (trace.xaxis, trace.yaxis)
            if key not in panels:
                panels[key] = (_axis_title(fig, axis) or t("figure.position"), {})
            panels[key][1][name] = pd.Series(list(values), index=list(keys))
    for label, series in panels.values():
        table = pd.DataFrame(series)
        table.index.name = label
        tables.append(table.reset_index())
    return tables
def tables(fig: go.Figure) -> list[pa.Table]:
    """``numbers(fig)`` as Arrow tables, which st.dataframe sends without converting them again
    (the index is not shown either way), worked out once per figure: a figure shared by the class
    (``_shared``) is built with them, under its one computation (``_finished``)."""
    if getattr(fig, "_cnnlab_tables", None) is None:  # Plotly lets private attributes through
        fig._cnnlab_tables = [pa.Table.from_pandas(table, preserve_index=False) for table in numbers(fig)]
    return fig._cnnlab_tables


class _Drawn(go.Figure):
    """A shared figure, finished: what Streamlit asks of it, its dict (``to_dict``, turned into JSON
    on every tab's run), is worked out once, where Plotly would deep-copy every trace and look
    through it for arrays to encode each time (``bench.figure_json``: 4.0 of the 4.8 ms Plotly
    took for the pooling pipeline's chart, with the json module's JSON).
    Nothing changes a figure once it is built (``_shared``), so the one dict stays true; Plotly's
    ``to_json`` takes the "uid" out of its traces, which these figures do not have."""

    def to_dict(self) -> dict:
        return self._cnnlab_dict

    def __reduce__(self):
        """A copy or a pickle is an ordinary figure of its own data (Plotly's own ``__reduce__``
        would write into the kept dict, and the copy would have none)."""
        return go.Figure, (go.Figure.to_dict(self),)


def _finished(built):
    """A figure built for the whole class (``_shared``) with its tables and its dict worked out."""
    if isinstance(built, go.Figure):
        tables(built)
        spec = built.to_dict()
        for trace in spec["data"]:
            trace.pop("uid", None)
        built._cnnlab_dict = spec
        built.__class__ = _Drawn
    return built


LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2), height=360)


def _panels(titles: Sequence[str], spacing: float) -> go.Figure:
    """Panels side by side, each with its own axes (x, y; x2, y2; …) and its title above: the layout
    make_subplots(rows=1, cols=n, subplot_titles=titles) makes, at a ninth of its cost (0.8 ms
    against 6.7: it also builds a grid object these figures do not need). The classify page draws
    one for every upload, and the training lab's live view once a second for every watching student."""
    width = (1 - spacing * (len(titles) - 1)) / len(titles)
    layout: dict = {"annotations": []}
    for i, title in enumerate(titles):
        n, left = "" if i == 0 else i + 1, i * (width + spacing)
        layout[f"xaxis{n}"] = dict(domain=[left, left + width], anchor=f"y{n}")
        layout[f"yaxis{n}"] = dict(domain=[0, 1], anchor=f"x{n}")
        layout["annotations"].append(dict(text=title, x=left + width / 2, y=1, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16)))
    return go.Figure(layout=layout)


def _axes(panel: int) -> dict:
    """The axes of panel 0, 1, … of ``_panels``, as a trace names them."""
    n = "" if panel == 0 else panel + 1
    return dict(xaxis=f"x{n}", yaxis=f"y{n}")


@_shared
def training_curves(runs: dict[str, Sequence[Point]]) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs: training dashed, held-out solid, one colour
    and one marker a run (a run is told apart without its colour too). A run's label is shown as
    plain text in the legend and hover labels (it may hold a student's name)."""
    fig = _panels((t("figure.loss"), t("figure.accuracy")), spacing=0.1)
    for i, (typed, points) in enumerate(runs.items()):
        label = literal.html_text(typed)  # Plotly reads names as HTML: <b>, <a href>
        color, marker = PALETTE[i % len(PALETTE)], dict(symbol=MARKERS[i % len(MARKERS)], size=6)
        epochs = [p.epoch for p in points]
        fig.add_trace(go.Scatter(x=epochs, y=[p.loss for p in points], name=label, legendgroup=label,
                                 mode="lines+markers", marker=marker, line=dict(color=color), **_axes(0)))
        fig.add_trace(go.Scatter(x=epochs, y=[p.train_acc for p in points], name=f"{label} · {t('figure.train')}",
                                 legendgroup=label, showlegend=False, mode="lines+markers", marker=marker,
                                 line=dict(color=color, dash="dash"), **_axes(1)))
        fig.add_trace(go.Scatter(x=epochs, y=[p.val_acc for p in points], name=f"{label} · {t('figure.held_out')}",
                                 legendgroup=label, showlegend=False, mode="lines+markers", marker=marker,
                                 line=dict(color=color), **_axes(1)))
    fig.update_xaxes(title_text=t("figure.epoch"))
    fig.layout.yaxis.rangemode = "tozero"
    fig.layout.yaxis2.update(range=[0, 1], tickformat=".0%")
    fig.update_layout(**LAYOUT)
    fig.update_layout(legend_title_text=t("figure.curve_key"))  # beside the runs' names, clear of the titles
    return _with_words(fig, " ".join([t("alt.curves", count=len(runs))]
                                     + [_run_words(label, points) for label, points in runs.items()]))


def _run_words(label: str, points: Sequence[Point]) -> str:
    """One run's curves in a sentence: where validation accuracy ended and peaked, how the loss went."""
    if not points:
        return t("alt.run_empty", run=label)
    acc = describe.curve([p.val_acc for p in points], higher_is_better=True)
    loss = describe.curve([p.loss for p in points], higher_is_better=False)
    return t("alt.run", run=label, final=_pct(acc.final), best=_pct(acc.best),
             epoch=f"{points[acc.best_at].epoch:g}", train=_pct(points[-1].train_acc),
             trend=t(f"alt.trend_{loss.trend}"), first=f"{loss.first:.3g}", last=f"{loss.final:.3g}")


@_shared
def class_probabilities(classes: Sequence[str], probs: Sequence[float], top: int = 10,
                        axis: str | None = None) -> go.Figure:
    """Horizontal bars of the most probable classes, the winner on top (``axis``: another quantity
    in [0, 1] per class, such as each class's accuracy)."""
    ranked = sorted(zip(probs, classes), reverse=True)[:top][::-1]
    fig = go.Figure(go.Bar(x=[p for p, _ in ranked], y=[c for _, c in ranked], orientation="h",
                           text=[f"{p:.1%}" for p, _ in ranked], textposition="auto"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title_text=axis or t("figure.probability"))
    fig.update_layout(**{**LAYOUT, "height": 40 + 28 * len(ranked)})
    return _with_words(fig, _bars_words(classes, probs))


def _bars_words(labels: Sequence[str], values: Sequence[float]) -> str:
    """Bars of shares in a sentence: how many, and the three largest."""
    top = describe.ranked(list(labels), list(values))[:3]
    return t("alt.bars", count=len(labels), top=", ".join(f"{label} {_pct(v)}" for label, v in top))


@_shared
def window_coverage(w: int, k_eff: int, p: int, s: int, d: int, k: int, out: int,
                    unreached: Sequence[int]) -> go.Figure:
    """One row of the input, padding included, and below it every position of the kernel.

    Padding cells are grey, input cells white, cells no window reaches red; each window is a
    row of dots on the input cells it multiplies (dilation leaves gaps).
    """
    fig = go.Figure()
    for col in range(-p, w + p):
        fill = "#dddddd" if col < 0 or col >= w else ("#f4a3a3" if col in unreached else "#ffffff")
        fig.add_shape(type="rect", x0=col, x1=col + 1, y0=0, y1=1, fillcolor=fill, line=dict(color="#888"))
        if col < 0 or col >= w or col in unreached:  # told by a mark, not by the fill's colour alone
            fig.add_annotation(x=col + 0.5, y=0.5, text="P" if col < 0 or col >= w else "✕", showarrow=False,
                               font=dict(size=11, color="#333"))
    windows = []
    for i in range(out):
        start = i * s - p
        xs = [start + j * d + 0.5 for j in range(k)]
        windows.append({t("figure.window"): i + 1, t("figure.cells"): ", ".join(str(int(x - 0.5)) for x in xs)})
        fig.add_trace(go.Scatter(x=xs, y=[-(i + 1) * 0.8] * k, mode="markers+lines", showlegend=False,
                                 marker=dict(size=9, color=PALETTE[i % len(PALETTE)]), hoverinfo="skip"))
    fig.update_xaxes(visible=False, range=[-p - 0.5, w + p + 0.5])
    fig.update_yaxes(visible=False, range=[-(out + 1) * 0.8, 1.3])
    fig.update_layout(margin=dict(l=5, r=5, t=5, b=5), height=min(420, 70 + 22 * out), plot_bgcolor="white")
    return _with_words(fig, t("alt.coverage", out=out, k=k, w=w, p=p, count=len(unreached)), windows)


@_shared
def receptive_grid(sizes: Sequence[int], labels: Sequence[str]) -> go.Figure:
    """Input pixels around one output cell, with a nested square for each layer's receptive field."""
    n = max(sizes) + 2
    fig = go.Figure()
    for i in range(n + 1):
        fig.add_shape(type="line", x0=i, x1=i, y0=0, y1=n, line=dict(color="#e6e6e6", width=1))
        fig.add_shape(type="line", x0=0, x1=n, y0=i, y1=i, line=dict(color="#e6e6e6", width=1))
    centre = n / 2
    for i, (size, label) in reversed(list(enumerate(zip(sizes, labels)))):
        color = PALETTE[i % len(PALETTE)]
        half = size / 2
        fig.add_shape(type="rect", x0=centre - half, x1=centre + half, y0=centre - half, y1=centre + half,
                      line=dict(color=color, width=3), fillcolor=color, opacity=0.12)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(color=color, size=10, symbol="square"),
                                 name=f"{label}: {size}×{size}"))
    fig.add_shape(type="rect", x0=centre - 0.5, x1=centre + 0.5, y0=centre - 0.5, y1=centre + 0.5, fillcolor="black")
    fig.update_xaxes(visible=False, range=[0, n], scaleanchor="y")
    fig.update_yaxes(visible=False, range=[0, n])
    fig.update_layout(margin=dict(l=5, r=5, t=5, b=5), height=380, plot_bgcolor="white",
                      legend=dict(orientation="v", x=1.02, y=1))
    fields = ", ".join(f"{label} {size}×{size}" for size, label in zip(sizes, labels))
    return _with_words(fig, t("alt.receptive_grid", fields=fields),
                       [{t("figure.layer"): label, t("figure.field"): f"{size}×{size}"}
                        for size, label in zip(sizes, labels)])


_uris: OrderedDict[bytes, str] = OrderedDict()  # the latest PNG data URIs, by their pixels' digest
_uris_lock = threading.Lock()
URIS_KEPT = 32


def _png_uri(image) -> str:
    """An RGB array (H, W, 3) of values in 0–255 as a PNG data URI, for go.Image(source=...) and
    inline images. The latest few are kept: the classify page lays both networks' Grad-CAM over
    the same crop, on every rerun. PNG at zlib level 1: the same pixels as level 6, at 60% of the
    CPU time, 20% more bytes."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    key = hashlib.blake2b(pixels.data, digest_size=16, person=str(pixels.shape).encode()[:16]).digest()
    with _uris_lock:
        if key in _uris:
            _uris.move_to_end(key)
            return _uris[key]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", compress_level=1)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    with _uris_lock:
        _uris[key] = uri
        while len(_uris) > URIS_KEPT:
            _uris.popitem(last=False)
    return uri


@_shared
def heat_overlay(image, heat, opacity: float = 0.6, box: tuple[float, float, float] | None = None) -> go.Figure:
    """A heat map (H, W) over an RGB image (H, W, 3); ``box`` = (centre x, centre y, size) outlines a field."""
    fig = go.Figure(go.Image(source=_png_uri(image)))  # a PNG, not every pixel's numbers in JSON
    fig.add_trace(go.Heatmap(z=heat, colorscale=SEQUENTIAL, opacity=opacity, showscale=False, hoverinfo="skip"))
    if box:
        cx, cy, size = box
        fig.add_shape(type="rect", x0=cx - size / 2, x1=cx + size / 2, y0=cy - size / 2, y1=cy + size / 2,
                      line=dict(color="#00e5ff", width=2, dash="dash"))
    h, w = len(heat), len(heat[0])
    fig.update_xaxes(visible=False, range=[0, w])
    fig.update_yaxes(visible=False, range=[h, 0])
    fig.update_layout(margin=dict(l=0, r=0, t=0, b=0), height=420)
    found = describe.heat(heat)
    words = t("alt.heat", h=h, w=w, where=_where(found.region), share=_pct(found.region_share))
    return _with_words(fig, words + (" " + t("alt.heat_box", size=f"{box[2]:g}") if box else ""))


@_shared
def convolution_step(padded: Sequence[Sequence[float]], pad: int, cells: Sequence[tuple[int, int]],
                     output: Sequence[Sequence[float | None]], current: tuple[int, int]) -> go.Figure:
    """Left: the (padded) input with the kernel's cells outlined. Right: the output so far,
    the current cell outlined. Values are written in every cell; padding is grey, and outside a
    frame drawn around the input (told apart by a line, not by its grey alone)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.08,
                        subplot_titles=(t("figure.input"), t("figure.output")))
    h, w = len(padded), len(padded[0])
    inside = [[0.0 if (pad <= r < h - pad and pad <= c < w - pad) else 1.0 for c in range(w)] for r in range(h)]
    fig.add_trace(go.Heatmap(z=inside, colorscale=[[0, "#ffffff"], [1, "#dddddd"]], showscale=False, hoverinfo="skip",
                             text=[[f"{v:g}" for v in row] for row in padded], texttemplate="%{text}", xgap=2, ygap=2),
                  row=1, col=1)
    if pad:
        fig.add_shape(type="rect", x0=pad - 0.5, x1=w - pad - 0.5, y0=pad - 0.5, y1=h - pad - 0.5,
                      line=dict(color="#333333", width=2, dash="dot"), name="input frame", row=1, col=1)
    for r, c in cells:
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color=PALETTE[1], width=3),
                      fillcolor=PALETTE[1], opacity=0.25, row=1, col=1)
    oh, ow = len(output), len(output[0])
    fig.add_trace(go.Heatmap(z=[[0 if v is None else 1 for v in row] for row in output], showscale=False,
                             hoverinfo="skip", colorscale=[[0, "#f3f3f3"], [1, "#e8f0fe"]], zmin=0, zmax=1, xgap=2,
                             ygap=2, text=[["" if v is None else f"{v:g}" for v in row] for row in output],
                             texttemplate="%{text}"),
                  row=1, col=2)
    r, c = current
    fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color=PALETTE[1], width=3),
                  row=1, col=2)
    for col, (rows, cols) in ((1, (h, w)), (2, (oh, ow))):
        fig.update_xaxes(visible=False, range=[-0.5, cols - 0.5], row=1, col=col,
                         scaleanchor=f"y{'' if col == 1 else col}")
        fig.update_yaxes(visible=False, range=[rows - 0.5, -0.5], row=1, col=col)
    fig.update_layout(margin=dict(l=5, r=5, t=30, b=5), height=300 + 12 * max(h, oh), plot_bgcolor="white")
    value = output[r][c]
    return _with_words(fig, t("alt.convolution", h=h, w=w, pad=pad, cells=len(cells), oh=oh, ow=ow, row=r + 1,
                              col=c + 1, value="–" if value is None else f"{value:g}",
                              done=sum(v is not None for line in output for v in line)))


@_shared
def poll_answers(labels: Sequence[str], counts: Sequence[int], right: Sequence[bool] | None = None) -> go.Figure:
    """A class poll's answers: one bar per answer, how many students gave it, most first. Only
    answers and counts come here, never who gave them. ``right`` (once the teacher revealed):
    which answers are right, drawn in another colour and marked ✓. A typed answer is the
    student's text: escaped for Plotly (``literal.html_text``), as typed in the numbers table."""
    marked = [bool(right and right[i]) for i in range(len(labels))]
    ticks = [literal.html_text(label) + (" ✓" if m else "") for label, m in zip(labels, marked)]
    fig = go.Figure(go.Bar(x=list(counts), y=list(range(len(labels))), orientation="h", text=[str(c) for c in counts],
                           textposition="auto", marker_color=[PALETTE[1] if m else PALETTE[0] for m in marked]))
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=ticks, autorange="reversed")
    fig.update_xaxes(title_text=t("figure.students"), dtick=1, rangemode="tozero")
    fig.update_layout(**{**LAYOUT, "height": 80 + 36 * len(labels)})
    said = "; ".join(f"{label}{' ✓' if m else ''}: {c}" for label, c, m in zip(labels, counts, marked))
    rows = [{t("poll.col_answer"): label, t("figure.students"): c, **({t("poll.col_right"): "✓" if m else ""}
                                                                      if right is not None else {})}
            for label, c, m in zip(labels, counts, marked)]
    return _with_words(fig, t("alt.poll", total=sum(counts), answers=said), rows)


@_shared
def parameter_bars(labels: Sequence[str], counts: Sequence[int]) -> go.Figure:
    """Parameter counts side by side, on a log scale (they differ by orders of magnitude)."""
    fig = go.Figure(go.Bar(x=list(labels), y=list(counts), text=[f"{c:,}" for c in counts], textposition="outside",
                           marker_color=PALETTE[: len(labels)]))
    fig.update_yaxes(type="log", title_text=t("figure.parameters"))
    fig.update_layout(**{**LAYOUT, "height": 320})
    return _with_words(fig, t("alt.counts", counts="; ".join(f"{label} {c:,}" for label, c in zip(labels, counts))))


@_shared
def inline_image(image, alt: str, caption: str | None = None, width: int | None = None) -> str:
    """An image in [0, 1] (H, W) or (H, W, 3) with its text alternative (and a caption, when one
    is shown), as HTML for st.html: every picture of the app goes this way, with its ``alt`` (which
    st.image takes too, since Streamlit 1.61). The PNG travels inside the page's message instead of
    as a /media/ file, as st.image's would. Streamlit
    deletes a media file as soon as a rerun no longer shows it, so an image that a once-a-second
    view replaces could be gone before a busy browser asked for it (a 404 and a broken picture);
    an inline one cannot. ``width``: the width shown, in CSS pixels (at most the column's)."""
    if not alt.strip():
        raise ValueError("an image needs a text alternative")
    pixels = np.clip(np.asarray(image, dtype=np.float32) * 255 + 0.5, 0, 255)
    pixels = np.repeat(pixels[..., None], 3, axis=-1) if pixels.ndim == 2 else pixels  # grey → RGB
    size = f"width:{width}px;" if width else ""
    # the caption is the visible words; screen readers read the alt, so the caption is hidden from them
    # the text's own colour, faded as captions are (ui/access.py): readable on a light and a dark theme
    words = (f'<figcaption aria-hidden="true" style="font-size:0.875rem;color:inherit;opacity:0.8">'
             f'{html.escape(caption)}</figcaption>') if caption else ""
    return (f'<figure style="margin:0 0 1rem 0"><img src="{_png_uri(pixels)}" alt="{html.escape(alt)}" '
            f'style="{size}max-width:100%;image-rendering:pixelated">{words}</figure>')


def filters_alt(filters) -> str:
    """What a grid of convolution filters (F, C, k, k) shows."""
    found = describe.filters(filters)
    return t("alt.filters", count=found.count, k=found.size, channels=found.channels, strongest=found.strongest + 1,
             ratio=f"{found.ratio:.1f}")


def maps_alt(maps) -> str:
    """What a row or grid of feature maps (C, H, W) shows."""
    found = describe.maps(maps)
    return t("alt.maps", count=found.channels, h=found.height, w=found.width, strongest=found.strongest + 1,
             where=_where(found.region))


def picture_alt(image, what: str) -> str:
    """What a picture (H, W[, 3]) in [0, 1] shows, for pictures whose content the app does not know
    (a student's photo or drawing at some step): its size, and where and how much of it is bright."""
    found = describe.ink(image)
    return t("alt.picture", what=what, h=found.height, w=found.width, share=_pct(found.bright_share),
             where=_where(found.region))


def image_grid(tiles, columns: int, tile_px: int = 48, gap: int = 2):
    """Tiles (N, h, w[, 3]) in [0, 1] laid out in a grid: one numpy image for st.image."""
    tiles = np.asarray(tiles, dtype=np.float32)
    n, th, tw = tiles.shape[:3]
    channels = tiles.shape[3] if tiles.ndim == 4 else 1
    rows = -(-n // columns)
    scale = max(1, tile_px // max(th, tw))
    grid = np.ones((rows * (th * scale + gap), columns * (tw * scale + gap), channels), dtype=np.float32)
    for i, tile in enumerate(tiles):
        tile = tile.reshape(th, tw, channels).repeat(scale, 0).repeat(scale, 1)
        r, c = divmod(i, columns)
        top, left = r * (th * scale + gap), c * (tw * scale + gap)
        grid[top: top + th * scale, left: left + tw * scale] = tile
    return grid if channels == 3 else grid[..., 0]


def filter_tiles(filters, tile_px: int = 40):
    """First-layer filters (F, C, k, k) as one grid image: grey (or colour, for RGB filters) with
    zero at mid-grey, every filter on the same scale so that strong and weak ones look it."""
    w = np.asarray(filters, dtype=np.float32)
    w = w / max(float(np.abs(w).max()), 1e-8) / 2 + 0.5  # [-max, max] → [0, 1]
    tiles = w[:, 0] if w.shape[1] != 3 else w.transpose(0, 2, 3, 1)  # (F, k, k) or (F, k, k, 3)
    return image_grid(tiles, columns=min(16, len(tiles)), tile_px=tile_px)


def map_tiles(maps, tile_px: int = 84):
    """Feature maps (M, H, W), each stretched to [0, 1] on its own: where it responds, it is white."""
    m = np.asarray(maps, dtype=np.float32)
    low, high = m.min(axis=(1, 2), keepdims=True), m.max(axis=(1, 2), keepdims=True)
    return image_grid((m - low) / np.maximum(high - low, 1e-8), columns=len(m), tile_px=tile_px)


@_shared
def kernel_pair(learned: Sequence[Sequence[float]], target: Sequence[Sequence[float]]) -> go.Figure:
    """The learned 3×3 kernel beside the target, values written in, one colour scale for both."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("figure.learned"), t("figure.target")),
                        horizontal_spacing=0.08)
    limit = max(abs(v) for row in list(learned) + list(target) for v in row) or 1
    for col, grid in ((1, learned), (2, target)):
        fig.add_trace(go.Heatmap(z=grid, zmin=-limit, zmax=limit, colorscale=DIVERGING, showscale=False,
                                 hoverinfo="skip", text=[[f"{v:.2f}" for v in row] for row in grid],
                                 texttemplate="%{text}", xgap=2, ygap=2),
                      row=1, col=col)
        fig.update_xaxes(visible=False, row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", row=1, col=col)
    fig.update_layout(margin=dict(l=5, r=5, t=30, b=5), height=260)
    diff = max(abs(a - b) for ra, rb in zip(learned, target) for a, b in zip(ra, rb))
    return _with_words(fig, t("alt.kernels", h=len(target), w=len(target[0]), diff=f"{diff:.2f}"))


@_shared
def loss_curve(steps: Sequence[int], losses: Sequence[float]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(steps), y=list(losses), mode="lines", name=t("figure.loss")))
    fig.update_yaxes(type="log", title_text=t("figure.loss"))
    fig.update_xaxes(title_text=t("figure.step"))
    fig.update_layout(**{**LAYOUT, "height": 260})
    if not losses:
        return _with_words(fig, t("alt.no_points"))
    found = describe.curve(losses, higher_is_better=False)
    return _with_words(fig, t("alt.loss", count=len(losses), trend=t(f"alt.trend_{found.trend}"),
                              first=f"{found.first:.3g}", last=f"{found.final:.3g}", best=f"{found.best:.3g}",
                              step=steps[found.best_at]))


@_shared
def top5_pair(titles: Sequence[str], tops: Sequence[Sequence[tuple[str, float]]]) -> go.Figure:
    """Each model's five most probable classes as horizontal bars, side by side, the winner on top.
    A class both models list has the same colour in both."""
    fig = _panels(titles, spacing=0.25)
    shared = set.intersection(*({label for label, _ in top} for top in tops))
    for panel, top in enumerate(tops):
        ranked = list(top)[::-1]
        colors = [PALETTE[0] if label in shared else "#6b7580" for label, _ in ranked]
        hatch = ["/" if label in shared else "" for label, _ in ranked]  # shared: hatched too, not only coloured
        fig.add_trace(go.Bar(x=[p for _, p in ranked], y=[label for label, _ in ranked], orientation="h",
                             name=titles[panel], marker=dict(color=colors, pattern=dict(shape=hatch)),
                             text=[f"{p:.1%}" for _, p in ranked], textposition="auto",
                             showlegend=False, hovertemplate="%{y}: %{x:.2%}<extra></extra>", **_axes(panel)))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title_text=t("figure.probability"))
    fig.update_layout(**{**LAYOUT, "height": 260})
    words = [t("alt.top", model=title, top=", ".join(f"{label} {_pct(p)}" for label, p in list(top)[:3]))
             for title, top in zip(titles, tops)]
    return _with_words(fig, " ".join(words + [t("alt.shared", count=len(shared))]))


@_shared
def cam_overlay(image, cam, opacity: float, model: str, label: str) -> go.Figure:
    """A coarse class-activation map (h, w) in [0, 1], smoothly stretched over an RGB image (H, W, 3):
    ``model``'s Grad-CAM for the class ``label``."""
    height, width = len(image), len(image[0])
    h, w = len(cam), len(cam[0])
    found = describe.heat(cam)
    words = t("alt.cam", model=model, label=label, where=_where(found.region), share=_pct(found.cell_share), h=h, w=w)
    # data and layout given whole: each update_* call afterwards would validate the figure again
    return _with_words(go.Figure(
        data=[go.Image(source=_png_uri(image), hoverinfo="skip"),  # a PNG, not 150,000 numbers in JSON
              go.Heatmap(z=cam, x0=width / w / 2, dx=width / w, y0=height / h / 2, dy=height / h,
                         zmin=0, zmax=1, zsmooth="best", colorscale=SEQUENTIAL, opacity=opacity,
                         showscale=False, hovertemplate="%{z:.2f}<extra></extra>")],
        layout=dict(xaxis=dict(visible=False, range=[0, width]),
                    yaxis=dict(visible=False, range=[height, 0], scaleanchor="x"),
                    margin=dict(l=0, r=0, t=0, b=0), height=340)), words)


@_shared
def block_diagram(boxes: Sequence[str], shortcut: str | None) -> go.Figure:
    """A block drawn top to bottom: its layers as boxes, the addition ⊕, and the shortcut beside
    them (labelled, e.g. "identity x" or "1×1 conv, stride 2"); no shortcut for a plain block."""
    fig = go.Figure()
    n = len(boxes)
    y = list(range(n, 0, -1))  # the first layer on top
    for yi, label in zip(y, boxes):
        fill = "#dbe9f6" if "conv" in label else ("#f6e7c1" if "BN" in label else "#e3f1df")
        fig.add_shape(type="rect", x0=-1, x1=1, y0=yi - 0.35, y1=yi + 0.35, fillcolor=fill, line=dict(color="#555"))
        fig.add_annotation(x=0, y=yi, text=label, showarrow=False, font=dict(size=13))
    for a, b in itertools.pairwise(y):
        fig.add_annotation(x=0, y=b + 0.35, ax=0, ay=a - 0.35, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, text="")
    bottom = 0.0
    fig.add_annotation(x=0, y=bottom, ax=0, ay=y[-1] - 0.35, xref="x", yref="y", axref="x", ayref="y",
                       showarrow=True, arrowhead=2, text="")
    fig.add_annotation(x=0, y=bottom - 0.05, text="⊕ → ReLU" if shortcut else "ReLU", showarrow=False,
                       font=dict(size=16), yshift=-12)
    fig.add_annotation(x=0, y=n + 0.9, text="x", showarrow=False, font=dict(size=16))
    if shortcut:
        top = n + 0.7
        fig.add_shape(type="path", path=f"M 0.1,{top} L 2,{top} L 2,{bottom} L 0.2,{bottom}",
                      line=dict(color="#d62728", width=2, dash="dot"))
        fig.add_annotation(x=2.1, y=(top + bottom) / 2, text=shortcut, showarrow=False, xanchor="left",
                           font=dict(color="#d62728", size=13))
    fig.update_xaxes(visible=False, range=[-1.6, 4.6])
    fig.update_yaxes(visible=False, range=[-0.8, n + 1.2])
    fig.update_layout(margin=dict(l=0, r=0, t=10, b=0), height=70 * n + 120, plot_bgcolor="white")
    words = t("alt.block", layers=" → ".join(boxes)) + " " + (t("alt.shortcut", shortcut=shortcut) if shortcut
                                                              else t("alt.no_shortcut"))
    return _with_words(fig, words, [{t("figure.layer"): label} for label in boxes]
                       + ([{t("figure.layer"): f"⊕ {shortcut}"}] if shortcut else []))


@_shared
def gradient_norms(curves: dict[str, Sequence[float]]) -> go.Figure:
    """‖∂L/∂W‖ of every convolution, input side first, one line per network, on a log scale."""
    fig = go.Figure()
    for i, (label, norms) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=list(range(1, len(norms) + 1)), y=list(norms), name=label, mode="lines+markers",
                                 line=dict(color=PALETTE[i % len(PALETTE)], dash=DASHES[i % len(DASHES)]),
                                 marker=dict(size=6, symbol=MARKERS[i % len(MARKERS)])))
    fig.update_xaxes(title_text=t("figure.layer_depth"))
    fig.update_yaxes(type="log", title_text=t("figure.grad_norm"))
    fig.update_layout(**LAYOUT)
    return _with_words(fig, " ".join(t("alt.gradients", network=label, first=f"{norms[0]:.2g}", last=f"{norms[-1]:.2g}",
                                       count=len(norms)) for label, norms in curves.items() if len(norms)))


@_shared
def block_deletion(blocks: Sequence[str], probs: Sequence[float], baseline: float, label: str) -> go.Figure:
    """The probability of the intact network's top class when each block's F is removed in turn."""
    fig = go.Figure(go.Bar(x=list(blocks), y=list(probs), marker_color=PALETTE[0],
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.add_hline(y=baseline, line_dash="dash", line_color="#d62728",
                  annotation_text=t("figure.intact", label=label), annotation_position="top left")
    fig.update_yaxes(range=[0, max(1e-3, max(list(probs) + [baseline]) * 1.15)], tickformat=".0%",
                     title_text=t("figure.probability"))
    fig.update_xaxes(title_text=t("figure.block_removed"))
    fig.update_layout(**{**LAYOUT, "height": 300})
    lowest = min(range(len(probs)), key=lambda i: probs[i]) if len(probs) else None
    words = t("alt.deletion", label=label, baseline=_pct(baseline),
              block="–" if lowest is None else blocks[lowest], p="–" if lowest is None else _pct(probs[lowest]))
    return _with_words(fig, words)


@_shared
def channel_growth(layers: Sequence[str], channels: Sequence[int]) -> go.Figure:
    """Channels after every dense layer and transition: a staircase that climbs by k and halves."""
    fig = go.Figure(go.Scatter(x=list(range(len(channels))), y=list(channels), mode="lines", line_shape="hv",
                               text=list(layers),
                               hovertemplate="%{text}: %{y} " + t("figure.channels") + "<extra></extra>"))
    fig.update_xaxes(title_text=t("figure.layer_depth"))
    fig.update_yaxes(title_text=t("figure.channels"), rangemode="tozero")
    fig.update_layout(**{**LAYOUT, "height": 300})
    return _with_words(fig, t("alt.growth", count=len(channels), first=channels[0], last=channels[-1],
                              most=max(channels)))


@_shared
def reuse_heatmap(heat, targets: Sequence[str], sources: Sequence[str]) -> go.Figure:
    """Mean |weight| from each source (column) into each target layer (row); blank above the diagonal."""
    fig = go.Figure(go.Heatmap(z=heat, x=list(sources), y=list(targets), colorscale=SEQUENTIAL,
                               hovertemplate="%{y} ← %{x}: %{z:.4f}<extra></extra>",
                               colorbar=dict(title=dict(text=t("figure.mean_abs_weight")))))
    fig.update_yaxes(type="category", autorange="reversed", title_text=t("figure.target_layer"))
    fig.update_xaxes(type="category", title_text=t("figure.source"))
    fig.update_layout(**{**LAYOUT, "height": 420})
    z = np.asarray(heat, dtype=np.float64)
    r, c = np.unravel_index(np.nanargmax(z), z.shape)
    return _with_words(fig, t("alt.reuse", targets=len(targets), sources=len(sources), value=f"{z[r, c]:.4f}",
                              source=sources[c], target=targets[r]))


@_shared
def layer_parameters(names: Sequence[str], counts: Sequence[int], kinds: Sequence[str]) -> go.Figure:
    """One bar per weighted layer, its height the layer's parameters; convolutions and
    fully-connected layers in two colours, so where the parameters sit is seen at once."""
    fig = go.Figure()
    # two colours and, for the fully-connected layers, a hatch: the kinds differ without colour too
    for i, (kind, label) in enumerate((("Conv2d", t("figure.conv_layers")), ("Linear", t("figure.fc_layers")))):
        shown = [(n, c) for n, c, k in zip(names, counts, kinds) if k == kind]
        fig.add_trace(go.Bar(x=[n for n, _ in shown], y=[c / 1e6 for _, c in shown], name=label,
                             marker=dict(color=PALETTE[i], pattern=dict(shape="/" if i else "")),
                             text=[f"{c / 1e6:.1f} M" for _, c in shown], textposition="outside"))
    fig.update_yaxes(title_text=t("figure.parameters_millions"))
    fig.update_layout(**{**LAYOUT, "height": 340})
    total = sum(counts) or 1
    conv = sum(c for c, k in zip(counts, kinds) if k == "Conv2d")
    biggest = max(range(len(counts)), key=lambda i: counts[i])
    return _with_words(fig, t("alt.layers", count=len(names), conv=_pct(conv / total), fc=_pct(1 - conv / total),
                              name=names[biggest], millions=f"{counts[biggest] / 1e6:.1f}"))


@_shared
def activation_curves(curves: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]) -> go.Figure:
    """Left: each activation f(x). Right: its gradient f′(x), the factor a gradient is multiplied by."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("figure.activation"), t("figure.activation_grad")))
    for i, (name, curve) in enumerate(curves.items()):
        x, y, grad = (np.asarray(values, dtype=np.float32) for values in curve)  # arrays: sent as binary, not text
        line = dict(color=PALETTE[i % len(PALETTE)], dash=DASHES[i % len(DASHES)])  # dash too, not colour alone
        fig.add_trace(go.Scatter(x=x, y=y, name=name, line=line), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=grad, name=f"{name} · f′", line=line, showlegend=False), row=1, col=2)
    fig.update_xaxes(title_text="x")
    fig.update_layout(**LAYOUT)
    return _with_words(fig, t("alt.activations", slopes=", ".join(f"{name} {max(grad):.2g}"
                                                                  for name, (_, _, grad) in curves.items())))


PIPELINE_MAPS = 6  # channels drawn of a step's maps
PIPELINE_VALUES = 64  # values drawn of a step's vector


@_shared
def pipeline(steps: Sequence[tuple[str, np.ndarray]]) -> go.Figure:
    """The whole pipeline on one picture, a row per step (title, output): a map step's first
    channels side by side, each on its own colour scale, or a vector step's first values as bars.
    Every row of maps is drawn at about the same width and keeps square pixels, so each pooling's
    coarser grid shows. One chart for the whole walk, with one table: each step's shape and range."""
    heights = [1.0 if out.ndim == 3 else 0.55 for _, out in steps]
    fig = make_subplots(rows=len(steps), cols=1, subplot_titles=[title for title, _ in steps],
                        row_heights=heights, vertical_spacing=0.3 / len(steps))
    words, rows = [], []
    for row, (title, out) in enumerate(steps, start=1):
        out = np.asarray(out, dtype=np.float32)
        if out.ndim == 3:
            shown = out[:PIPELINE_MAPS]
            width = shown.shape[2] + 1  # a map and the blank column after it
            for i, channel in enumerate(shown):  # side by side on one axis, each its own trace and scale
                low, high = float(channel.min()), float(channel.max())
                # a map that is the same everywhere (a ReLU that let nothing through) is drawn dark,
                # not in the scale's middle colour, which would look like a response
                fig.add_trace(go.Heatmap(z=channel, x0=i * width, dx=1, colorscale=SEQUENTIAL, showscale=False,
                                         zmin=low, zmax=high if high > low else low + 1, name=f"{title} · {i + 1}",
                                         hoverinfo="z+name"),  # the value and its map, not the offset x
                              row=row, col=1)
            fig.update_xaxes(visible=False, range=[-0.5, len(shown) * width - 1.5], row=row, col=1)
            fig.update_yaxes(visible=False, autorange="reversed", row=row, col=1,
                             scaleanchor=f"x{'' if row == 1 else row}", constrain="domain")
            words.append(f"{title}: {maps_alt(shown)} " + t("alt.shown_of", shown=len(shown), count=out.shape[0]))
        else:
            shown = out[:PIPELINE_VALUES]
            fig.add_trace(go.Bar(x=np.arange(1, len(shown) + 1), y=shown, name=t("figure.value"), showlegend=False,
                                 marker_color=PALETTE[0]), row=row, col=1)
            fig.update_xaxes(showticklabels=False, row=row, col=1)  # the hover tells the number
            top = int(np.argmax(out))
            words.append(t("alt.vector", title=title, count=len(out), index=top + 1, value=f"{float(out[top]):.3g}")
                         + (" " + t("alt.shown_of", shown=len(shown), count=len(out)) if len(shown) < len(out) else ""))
        rows.append({t("figure.pipeline_step"): title, t("figure.shape"): "×".join(map(str, out.shape)),
                     **{t(f"figure.{name}"): float(f"{value:.4g}")  # float32's digits, no more
                        for name, value in (("smallest", out.min()), ("mean", out.mean()), ("largest", out.max()))}})
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
                      height=round(sum(120 * h for h in heights) + 40))
    return _with_words(fig, " ".join(words), rows)


@_shared
def confusion_heatmap(confusion, classes: Sequence[str]) -> go.Figure:
    """Rows: the true class; columns: what the network said. The diagonal is what it got right.

    A heat map cannot be clicked in Streamlit (plotly's heatmaps send no selection), so an
    invisible square marker sits on every cell: clicking a cell selects its marker, whose x and y
    are the cell's classes (``st.plotly_chart(..., on_select="rerun")``)."""
    names = list(classes)
    fig = go.Figure(go.Heatmap(z=confusion, x=names, y=names, colorscale=SEQUENTIAL,
                               text=confusion, texttemplate="%{text}", hoverinfo="skip", showscale=False))
    xs, ys = [p for _ in names for p in names], [true for true in names for _ in names]
    counts = [n for row in confusion for n in row]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", customdata=counts, name="",
                             marker=dict(symbol="square", size=28, opacity=0.01, color="black"),
                             hovertemplate=t("figure.confusion_hover").replace("%{z}", "%{customdata}")
                             + "<extra></extra>"))
    fig.update_layout(showlegend=False, clickmode="event+select")
    fig.update_yaxes(type="category", autorange="reversed", title_text=t("figure.true_class"))
    fig.update_xaxes(type="category", title_text=t("figure.predicted_class"))
    fig.update_layout(**{**LAYOUT, "height": 120 + 34 * len(classes)})
    found = describe.confusion(confusion)
    words = t("alt.confusion", count=len(names), total=found.total, accuracy=_pct(found.accuracy))
    if found.worst:
        true, said, n = found.worst
        words += " " + t("alt.confusion_worst", true=names[true], said=names[said], n=n)
    return _with_words(fig, words)


@_shared
def two_problems(panels: dict[str, dict[str, Sequence[Point]]]) -> go.Figure:
    """One chart, one panel a problem: each panel's runs as training (dashed) and held-out (solid)
    accuracy against epochs, on the same 0–100% axis, so the two kinds of failure compare at a glance."""
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), horizontal_spacing=0.08)
    colour = 0
    for col, runs in enumerate(panels.values(), start=1):
        for label, points in runs.items():
            color, marker = PALETTE[colour % len(PALETTE)], dict(symbol=MARKERS[colour % len(MARKERS)], size=6)
            colour += 1
            epochs = [p.epoch for p in points]
            fig.add_trace(go.Scatter(x=epochs, y=[p.train_acc for p in points], name=f"{label} · {t('figure.train')}",
                                     legendgroup=label, mode="lines+markers", marker=marker,
                                     line=dict(color=color, dash="dash")), row=1, col=col)
            fig.add_trace(go.Scatter(x=epochs, y=[p.val_acc for p in points], name=f"{label} · {t('figure.held_out')}",
                                     legendgroup=label, mode="lines+markers", marker=marker, line=dict(color=color)),
                          row=1, col=col)
    fig.update_xaxes(title_text=t("figure.epoch"))
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    fig.update_layout(**LAYOUT)
    return _with_words(fig, " ".join(f"{problem}: " + " ".join(_run_words(label, points)
                                                               for label, points in runs.items())
                                     for problem, runs in panels.items()))
