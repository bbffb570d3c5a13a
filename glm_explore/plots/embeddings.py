"""Embedding explorer: window projections, probe confusion, probe quality per layer.

Fed by: :func:`glm_explore.embed.window_frame` with a :class:`~glm_explore.results.Projection`
(from :mod:`glm_explore.reduce`), :attr:`glm_explore.results.Separation.confusion` and
:func:`glm_explore.reduce.layer_sweep`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..io.annotation import CLASSES
from .common import CLASS_COLORS

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf"]


def embedding_scatter(frame: pd.DataFrame, *, color: str = "class", x: str = "x", y: str = "y", title: str = "",
                      axis_titles: tuple[str, str] = ("PC1", "PC2"), height: int = 560) -> go.Figure:
    """Scatter of window projections (from ``embed.window_frame`` + a :class:`Projection`).

    ``frame`` needs ``x``/``y``, ``region`` (1-based ``chrom:start-end``), ``class`` and the
    ``color`` column: categorical (``class``, ``chrom``, ``strand``, ``split``: one legend entry per
    value, click to toggle) or numeric (``gc``: a colour scale). ``customdata[0]`` is the row
    number in ``frame`` so a selection maps back to a window.
    """
    fig = go.Figure()
    scatter = go.Scatter if len(frame) <= 5000 else go.Scattergl  # SVG (no WebGL needed) unless many points
    rows = np.arange(len(frame))
    hover = "%{customdata[1]}<br>class: %{customdata[2]}<extra>%{customdata[3]}</extra>"
    extra = frame[color].astype(str) if color != "class" else frame["split"].astype(str)
    custom = np.stack([rows, frame["region"].astype(str), frame["class"].astype(str), extra], axis=1)
    if pd.api.types.is_numeric_dtype(frame[color]):
        fig.add_trace(scatter(
            x=frame[x], y=frame[y], mode="markers", customdata=custom, hovertemplate=hover, name=color,
            marker=dict(size=6, color=frame[color], colorscale="Viridis", showscale=True,
                        colorbar=dict(title=color)),
        ))
    else:
        values = frame[color].astype(str)
        cats = [c for c in CLASSES if c in set(values)] if color == "class" else sorted(set(values))
        for i, cat in enumerate(cats):
            m = (values == cat).to_numpy()
            col = CLASS_COLORS.get(cat, _PALETTE[i % len(_PALETTE)]) if color == "class" else _PALETTE[i % len(_PALETTE)]
            fig.add_trace(scatter(
                x=frame[x][m], y=frame[y][m], mode="markers", name=f"{cat} ({int(m.sum())})",
                customdata=custom[m], hovertemplate=hover, marker=dict(size=6, color=col, opacity=0.8),
            ))
    fig.update_layout(title=title, xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], height=height,
                      legend=dict(title=color, itemsizing="constant"), margin=dict(l=10, r=10, t=40, b=10),
                      dragmode="select")
    return fig


def confusion_heatmap(confusion: pd.DataFrame, *, title: str = "Probe confusion (held-out windows)") -> go.Figure:
    """Heatmap of a confusion matrix (rows true class, columns predicted; from ``Separation.confusion``).

    Colour = fraction of the true class's windows (row-normalised); text = counts.
    """
    counts = confusion.to_numpy()
    frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(
        z=frac, x=[str(c) for c in confusion.columns], y=[str(r) for r in confusion.index], zmin=0, zmax=1,
        colorscale="Blues", text=counts, texttemplate="%{text}", colorbar=dict(title="fraction"),
        hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%})<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="predicted", yaxis_title="true", height=380,
                      yaxis=dict(autorange="reversed"), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def layer_sweep_plot(sweep: pd.DataFrame, *, title: str = "Probe macro-F1 per layer (held-out windows)"
                     ) -> go.Figure:
    """Line plot of ``reduce.layer_sweep``: model macro-F1 per layer with 95 % CI, the k-mer baseline dashed."""
    model = sweep[sweep["features"] == "model"]
    fig = go.Figure(go.Scatter(
        x=model["layer"], y=model["macro_f1"], mode="lines+markers", name="model",
        error_y=dict(type="data", symmetric=False, array=model["hi"] - model["macro_f1"],
                     arrayminus=model["macro_f1"] - model["lo"]),
        hovertemplate="layer %{x}: macro-F1 %{y:.3f}<extra></extra>",
    ))
    for _, row in sweep[sweep["features"] != "model"].iterrows():
        fig.add_hline(y=row["macro_f1"], line_dash="dash", line_color="#7f7f7f",
                      annotation_text=f"{row['features']} {row['macro_f1']:.3f} "
                                      f"({row['lo']:.3f}–{row['hi']:.3f})")
    fig.update_layout(title=title, xaxis_title="layer (0 = input embedding)", yaxis_title="macro-F1",
                      yaxis=dict(range=[0, 1]), height=360, margin=dict(l=10, r=10, t=40, b=10))
    return fig
