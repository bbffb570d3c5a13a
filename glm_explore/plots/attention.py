"""Attention maps of transformer models: a nucleotide × nucleotide heatmap and a query's top partners.

Fed by: :func:`glm_explore.attention.attention_maps` (an :class:`~glm_explore.results.AttentionMaps`)
and :func:`glm_explore.attention.top_partners` (a table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..results.attention import AttentionMaps
from .common import BASE_COLORS


def attention_heatmap(maps: AttentionMaps, layer: int, head: int, *, start: int | None = None,
                      title: str = "", zmax: float | None = None) -> go.Figure:
    """(L, L) attention of block ``layer``, head ``head`` (1-based numbers): row = query base, column =
    key base. Axes are 1-based coordinates starting at ``start`` (default: ``maps.positions[0]``, the genome
    coordinate for a region); colour = mapped attention weight (default scale up to the 99th percentile)."""
    z = np.asarray(maps.matrix(layer, head), dtype=float)
    first = int(maps.positions[0]) if start is None else int(start)
    pos = np.arange(first, first + maps.length)
    bases = np.array(list(maps.seq))
    text = np.char.add(np.char.add(bases[:, None], "→"), bases[None, :]) if len(bases) else None
    zmax = zmax if zmax is not None else float(np.quantile(z, 0.99)) if z.size else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=pos, y=pos, colorscale="Blues", zmin=0, zmax=max(zmax, 1e-6), text=text,
        colorbar=dict(title="attention"),
        hovertemplate="query %{y} → key %{x} (%{text})<br>weight %{z:.4f}<extra></extra>"))
    fig.update_layout(title=title or f"Attention, layer {layer} head {head}: {maps.label} ({maps.model})",
                      height=620, margin=dict(l=10, r=10, t=50, b=10),
                      xaxis=dict(title="key position (1-based)", scaleanchor="y", constrain="domain"),
                      yaxis=dict(title="query position (1-based)", autorange="reversed", constrain="domain"))
    return fig


def partners_chart(partners: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Bars of a :func:`~glm_explore.attention.top_partners` table: partner position (1-based) vs attention
    weight, coloured by the partner's base; a dashed line marks the query position."""
    fig = go.Figure()
    for base, color in [*BASE_COLORS.items(), ("N", "#999999")]:
        sub = partners[partners["base"] == base]
        if len(sub):
            fig.add_trace(go.Bar(x=sub["position"], y=sub["weight"], name=base, marker_color=color,
                                 customdata=np.stack([sub["rank"], sub["distance"]], axis=1),
                                 hovertemplate="position %{x} (" + base + ", rank %{customdata[0]}, "
                                               "distance %{customdata[1]})<br>weight %{y:.4f}<extra></extra>"))
    if len(partners):
        query = int(partners["query"].iloc[0])
        fig.add_vline(x=query, line_dash="dash", line_color="#555555", annotation_text=f"query {query}")
    fig.update_layout(title=title or "Top attended partners", height=360, bargap=0.2,
                      xaxis_title="partner position (1-based)", yaxis_title="attention weight",
                      margin=dict(l=10, r=10, t=50, b=10), legend_title_text="base")
    return fig
