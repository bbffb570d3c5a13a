"""Two models side by side on the same variants.

Fed by: :func:`glm_explore.compare.compare_variant_scores` (one row per variant, one LLR column per
model) and :func:`glm_explore.compare.correlation` for the title's statistics.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..io.annotation import CLASSES
from .common import CLASS_COLORS


def score_scatter(scores: pd.DataFrame, x: str, y: str, *, color: str = "region_class", stats: dict | None = None,
                  title: str = "", height: int = 460) -> go.Figure:
    """One point per variant: ``scores[x]`` against ``scores[y]`` (e.g. two models' LLRs), coloured by
    region class, with the y = x diagonal. ``stats`` (from ``compare.correlation``) goes in the title.
    Rows with NaN in either column are left out. Natural log; negative = alt less likely."""
    d = scores.dropna(subset=[x, y])
    fig = go.Figure()
    groups = d[color].fillna("unknown").astype(str) if color in d else pd.Series("variants", index=d.index)
    for g in [c for c in CLASSES if c in set(groups)] + sorted(set(groups) - set(CLASSES)):
        sub = d[groups == g]
        text = [f"{c}:{p} {r}>{a}" for c, p, r, a in zip(sub["chrom"], sub["pos"], sub["ref"], sub["alt"])] \
            if {"chrom", "pos", "ref", "alt"} <= set(sub.columns) else None
        fig.add_trace(go.Scatter(x=sub[x], y=sub[y], mode="markers", name=f"{g} (n={len(sub)})", text=text,
                                 marker=dict(size=6, opacity=0.7, color=CLASS_COLORS.get(g)),
                                 hovertemplate=f"%{{text}}<br>{x} %{{x:.3f}}<br>{y} %{{y:.3f}}<extra>{g}</extra>"))
    if len(d):
        lo = float(min(d[x].min(), d[y].min()))
        hi = float(max(d[x].max(), d[y].max()))
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x",
                                 line=dict(dash="dot", color="#888"), hoverinfo="skip"))
    if stats:
        title = (title + " · " if title else "") + \
            f"Pearson r = {stats['pearson']:.3f}, Spearman ρ = {stats['spearman']:.3f} (n = {stats['n']})"
    fig.update_layout(title=title, height=height, xaxis_title=f"{x} (natural log)", yaxis_title=f"{y} (natural log)",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
