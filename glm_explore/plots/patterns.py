"""TF-MoDISco patterns: a pattern's CWM logo beside where its seqlets sit in the window.

Fed by: :func:`glm_explore.patterns.find_patterns` / :func:`glm_explore.patterns.patterns_from_attributions`
(a :class:`~glm_explore.results.PatternReport` and its :class:`~glm_explore.results.Pattern` s).
The logo is drawn with the shared :func:`glm_explore.plots.common.logo_traces` (letters above 0
raise the target, below 0 lower it).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.patterns import Pattern, PatternReport
from .common import logo_traces


def pattern_figure(pattern: Pattern, *, window_length: int, q: float = 0.05, bins: int = 20, height: int = 230) -> go.Figure:
    """Left: the pattern's CWM logo ((4, w) mean contributions, natural-log units of the target,
    columns 1..w). Right: histogram of its seqlets' centres over the window (1-based bp, ``bins``
    bins from 1 to ``window_length``). The title names the pattern, its seqlet count and its best
    JASPAR match (q ≤ ``q``)."""
    best = pattern.matches[0] if pattern.matches else None
    match = f"{best[1]} ({best[0]}, q = {best[2]:.1e})" if best and best[2] <= q else "no JASPAR match"
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.08,
                        subplot_titles=["CWM (contribution)", "seqlet centres in the window"])
    for tr in logo_traces(np.asarray(pattern.cwm, dtype=float), 1, hover=False):
        fig.add_trace(tr, row=1, col=1)
    edges = np.linspace(0.5, window_length + 0.5, bins + 1)
    counts, _ = np.histogram(np.asarray(pattern.centres) + 1, bins=edges)
    fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges) * 0.95,
                         marker_color="#6a3d9a", name="seqlets",
                         hovertemplate="bp %{x:.0f}: %{y} seqlets<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text="position in pattern", row=1, col=1)
    fig.update_xaxes(title_text="bp in window", range=[0.5, window_length + 0.5], row=1, col=2)
    fig.update_yaxes(title_text="seqlets", row=1, col=2)
    fig.update_layout(title=f"{pattern.name} · {pattern.n_seqlets} seqlets in {pattern.n_windows} windows · {match}",
                      height=height, plot_bgcolor="white", showlegend=False, margin=dict(l=10, r=10, t=60, b=10))
    return fig


def pattern_counts_chart(report: PatternReport, *, height: int = 220) -> go.Figure:
    """Patterns (split into JASPAR-named and unnamed) in the real windows vs their shuffled control."""
    rows = [("windows", report.patterns), ("shuffled control", report.control)]
    fig = go.Figure()
    for label, color, pick in (("named", "#1f78b4", True), ("unnamed", "#a6cee3", False)):
        fig.add_trace(go.Bar(x=[r[0] for r in rows], y=[sum((p.label(report.q) != "unnamed") == pick for p in r[1])
                                                         for r in rows], name=label, marker_color=color))
    fig.update_layout(barmode="stack", height=height, yaxis_title="patterns", plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15))
    return fig
