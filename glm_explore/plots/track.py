"""A stored genome-wide track over one region: P(ref), entropy and the minimum LLR, aligned.

Fed by: :func:`glm_explore.track.read_track` (one row per position, 1-based ``pos``; NaN where the track
holds no value, e.g. N runs or bases outside the track's regions).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import POSITION_TITLE

ROWS = [("p_ref", "P(ref)", "#4c78a8", "P(ref) %{y:.3f}"),
        ("entropy_bits", "entropy (bits)", "#555555", "H %{y:.3f} bits"),
        ("min_llr", "min LLR over the 3 alternatives (ln; negative = constrained)", "#d62728", "min LLR %{y:.3f}")]


def stored_track_figure(table: pd.DataFrame, *, computed: pd.DataFrame | None = None, title: str = "",
                        height: int = 460) -> go.Figure:
    """Three aligned rows (P(ref), entropy, min LLR) of a stored track; gaps where a value is missing.

    ``computed`` (optional, same columns and ``pos``): values computed now for the same region, drawn
    as dots over the stored lines so that agreement is visible.
    """
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.09,
                        subplot_titles=[r[1] for r in ROWS])
    pos = table["pos"].to_numpy()
    for row, (col, label, color, hover) in enumerate(ROWS, start=1):
        fig.add_trace(go.Scatter(x=pos, y=table[col].to_numpy(dtype=float), mode="lines", connectgaps=False,
                                 line=dict(color=color, width=1.2), name=f"stored {label.split(' ')[0]}",
                                 hovertemplate=f"pos %{{x}}<br>{hover}<extra>stored</extra>"), row=row, col=1)
        if computed is not None and col in computed:
            fig.add_trace(go.Scatter(x=computed["pos"], y=computed[col].to_numpy(dtype=float), mode="markers",
                                     marker=dict(color="black", size=3), name=f"computed now {label.split(' ')[0]}",
                                     hovertemplate=f"pos %{{x}}<br>{hover}<extra>computed</extra>"), row=row, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=1)
    fig.update_yaxes(range=[0, 2], row=2, col=1)
    if len(pos):
        fig.update_xaxes(range=[pos[0] - 1, pos[-1] + 1], row=3, col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=3, col=1)
    fig.update_layout(title=title, height=height, plot_bgcolor="white", hovermode="closest", showlegend=False,
                      margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig
