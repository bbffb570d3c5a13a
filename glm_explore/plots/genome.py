"""Genome overview: bases per region class.

Fed by: :meth:`glm_explore.io.datasets.GenomeData.class_counts` (home page).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..io.annotation import CLASSES
from .common import CLASS_COLORS


def class_counts_bar(counts: pd.Series, title: str = "Bases per region class") -> go.Figure:
    """Horizontal bar chart of bases per class (from ``GenomeData.class_counts()``), classes in
    :data:`~glm_explore.io.annotation.CLASSES` order, empty classes left out; text = share of all bases."""
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
