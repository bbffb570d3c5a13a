"""Sequence design: the objective's trajectory per round.

Fed by: :class:`~glm_explore.results.DesignResult` (its ``trajectory`` table) from :func:`glm_explore.design.design`.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.design import DesignResult


def design_trajectory(result: DesignResult, *, title: str = "", height: int = 420) -> go.Figure:
    """Objective (top, in the result's units) and edits from the start + GC % (bottom) per round.

    Round 0 is the start sequence; each later point is that round's best sequence, labelled with
    the edit that made it (1-based position, ref>alt) on hover. The GC range, when set, is shaded.
    """
    t = result.trajectory
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06,
                        specs=[[{}], [{"secondary_y": True}]])
    labels = [e if e else "start" for e in t["edit"]]
    fig.add_trace(go.Scatter(x=t["round"], y=t["objective"], mode="lines+markers", name=result.objective,
                             text=labels, hovertemplate="round %{x}: %{text}<br>%{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=t["round"], y=t["edits"], name="edits from start", marker_color="#bbbbbb",
                         hovertemplate="round %{x}: %{y} edits<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=t["round"], y=100 * t["gc"], mode="lines+markers", name="GC %",
                             line=dict(color="#2ca02c"), hovertemplate="round %{x}: GC %{y:.1f}%<extra></extra>"),
                  row=2, col=1, secondary_y=True)
    if result.gc_range is not None:
        fig.add_hrect(y0=100 * result.gc_range[0], y1=100 * result.gc_range[1], fillcolor="#2ca02c", opacity=0.08,
                      line_width=0, row=2, col=1, secondary_y=True)
    fig.update_yaxes(title_text=result.units, row=1, col=1)
    fig.update_yaxes(title_text="edits", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="GC %", row=2, col=1, secondary_y=True)
    fig.update_xaxes(title_text="round", dtick=1 if len(t) <= 30 else None, row=2, col=1)
    fig.update_layout(title=title or f"{result.objective}: {result.method} design ({result.stopped})", height=height,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    return fig
