"""Every Plotly figure of the app is built here; pages never build figures themselves."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from models.train import Point
from ui.i18n import t

PALETTE = qualitative.Plotly
LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2), height=360)


def training_curves(runs: dict[str, Sequence[Point]]) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs: training dashed, held-out solid, one colour a run."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("figure.loss"), t("figure.accuracy")))
    for i, (label, points) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        epochs = [p.epoch for p in points]
        fig.add_trace(go.Scatter(x=epochs, y=[p.loss for p in points], name=label, legendgroup=label,
                                 line=dict(color=color)), row=1, col=1)
        fig.add_trace(go.Scatter(x=epochs, y=[p.train_acc for p in points], name=f"{label} · {t('figure.train')}",
                                 legendgroup=label, showlegend=False, line=dict(color=color, dash="dash")), row=1, col=2)
        fig.add_trace(go.Scatter(x=epochs, y=[p.test_acc for p in points], name=f"{label} · {t('figure.held_out')}",
                                 legendgroup=label, showlegend=False, line=dict(color=color)), row=1, col=2)
    fig.update_xaxes(title_text=t("figure.epoch"))
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    fig.update_layout(**LAYOUT)
    fig.add_annotation(text=t("figure.curve_key"), xref="paper", yref="paper", x=1, y=1.12, showarrow=False,
                       font=dict(size=11), xanchor="right")
    return fig


def class_probabilities(classes: Sequence[str], probs: Sequence[float], top: int = 10) -> go.Figure:
    """Horizontal bars of the most probable classes, the winner on top."""
    ranked = sorted(zip(probs, classes), reverse=True)[:top][::-1]
    fig = go.Figure(go.Bar(x=[p for p, _ in ranked], y=[c for _, c in ranked], orientation="h",
                           text=[f"{p:.1%}" for p, _ in ranked], textposition="auto"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title_text=t("figure.probability"))
    fig.update_layout(**{**LAYOUT, "height": 40 + 28 * len(ranked)})
    return fig
