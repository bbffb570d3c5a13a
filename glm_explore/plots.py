"""Plotly figures from results; no model calls here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .annotation import CLASSES

CLASS_COLORS = {
    "CDS": "#1f77b4", "UTR": "#17becf", "intron": "#ff7f0e", "tRNA": "#2ca02c", "rRNA": "#98df8a",
    "ncRNA": "#9467bd", "repeat": "#d62728", "promoter": "#e377c2", "intergenic": "#7f7f7f",
}
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def class_counts_bar(counts: pd.Series, title: str = "Bases per region class") -> go.Figure:
    """Horizontal bar chart of bases per class (from ``GenomeData.class_counts()``)."""
    counts = counts[counts > 0].reindex([c for c in CLASSES if c in counts.index and counts[c] > 0])
    total = counts.sum()
    fig = go.Figure(go.Bar(
        x=counts.values, y=counts.index, orientation="h",
        marker_color=[CLASS_COLORS[c] for c in counts.index],
        text=[f"{v / total:.1%}" for v in counts.values], textposition="auto",
        hovertemplate="%{y}: %{x:,} bp<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="bases", yaxis_title="region class", height=320,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed"))
    return fig
