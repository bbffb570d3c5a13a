"""Learned motifs: a seqlet next to its JASPAR match, and the boxes marking seqlets and FIMO hits.

Fed by: :func:`glm_explore.motifs.call_seqlets` / :func:`glm_explore.motifs.match_seqlets` (seqlet
tables; :func:`glm_explore.motifs.matched_values` for a seqlet's logo), a
:class:`~glm_explore.motifs.JasparMotif` (:func:`glm_explore.motifs.find_motif`) and
:func:`glm_explore.motifs.scan_motif` (FIMO hits). The box traces are drawn as lanes of
:func:`glm_explore.plots.attribution.attribution_tracks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.logits import logo_heights
from .common import logo_traces, rect_xy

STRAND_Y = {"+": 1.0, "-": 0.0}  # lane rows of FIMO hits by strand
HIT_LANE_YAXIS = dict(range=[-0.6, 1.6], tickvals=[0, 1], ticktext=["−", "+"])


def motif_pair_logos(seqlet_values: np.ndarray, motif, *, title: str = "", height: int = 220) -> go.Figure:
    """Side by side: a seqlet's attribution logo ((4, w) values, columns 1..w) and a JASPAR motif's
    information logo (:class:`~glm_explore.motifs.JasparMotif`; letters p · IC bits from its ``pwm``
    by :func:`glm_explore.results.logits.logo_heights`)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["seqlet (attribution)", f"{motif.label} (bits)"],
                        horizontal_spacing=0.08)
    for tr in logo_traces(np.asarray(seqlet_values, dtype=float), 1, hover=False):
        fig.add_trace(tr, row=1, col=1)
    with np.errstate(divide="ignore"):  # p = 0 → log p = −inf, which logo_heights accepts
        motif_log_probs = np.log(np.asarray(motif.pwm, dtype=float))
    for tr in logo_traces(logo_heights(motif_log_probs, "information"), 1, hover=False):
        fig.add_trace(tr, row=1, col=2)
    fig.update_yaxes(range=[0, 2], row=1, col=2)
    fig.update_layout(title=title, height=height, plot_bgcolor="white", showlegend=False,
                      margin=dict(l=10, r=10, t=50 if title else 30, b=10))
    return fig


def motif_hit_traces(hits: pd.DataFrame | None, *, color: str = "#6a3d9a", name: str = "motif hits"
                     ) -> list[go.Scatter]:
    """Boxes for FIMO hits (:func:`glm_explore.motifs.scan_motif`; 1-based ``pos_start``/``pos_end``),
    + strand on top (y = 1), − strand below (y = 0); draw on a y axis set to :data:`HIT_LANE_YAXIS`.
    The second trace is an invisible marker per hit carrying its hover text."""
    if hits is None or len(hits) == 0:
        return []
    xs, ys = [], []
    for row in hits.itertuples():
        y = STRAND_Y.get(str(row.strand), 0.5)
        bx, by = rect_xy(row.pos_start - 0.5, row.pos_end + 0.5, y - 0.35, y + 0.35)
        xs += bx
        ys += by
    box = go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=color, line=dict(width=1, color=color),
                     opacity=0.7, name=name, hoverinfo="skip", showlegend=False)
    mid = go.Scatter(
        x=(hits["pos_start"] + hits["pos_end"]) / 2, y=[STRAND_Y.get(str(s), 0.5) for s in hits["strand"]],
        mode="markers", marker=dict(size=8, opacity=0), name=name, showlegend=False,
        customdata=np.c_[hits["pos_start"], hits["pos_end"], hits["strand"], hits["p_value"], hits["matched"]],
        hovertemplate="%{customdata[0]}-%{customdata[1]} (%{customdata[2]})<br>p %{customdata[3]:.2e}<br>"
                      "%{customdata[4]}<extra>" + name + "</extra>")
    return [box, mid]


def seqlet_traces(seqlets: pd.DataFrame | None, *, y0: float, y1: float) -> list[go.Scatter]:
    """Shaded boxes marking seqlets (1-based ``pos_start``/``pos_end``, from
    :func:`glm_explore.motifs.call_seqlets`) between y0 and y1."""
    if seqlets is None or len(seqlets) == 0:
        return []
    xs, ys = [], []
    for row in seqlets.itertuples():
        bx, by = rect_xy(row.pos_start - 0.5, row.pos_end + 0.5, y0, y1)
        xs += bx
        ys += by
    return [go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor="rgba(255,200,0,0.18)",
                       line=dict(width=0), name="seqlets", hoverinfo="skip", showlegend=True)]
