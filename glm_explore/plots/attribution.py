"""Attribution maps: aligned tracks of the attribution logo, ISM heatmap, FIMO hits and annotation.

Fed by: :func:`glm_explore.attribution.attribute_region` (an :class:`~glm_explore.results.Attributions`
and/or an :class:`~glm_explore.results.ISMResult` from :func:`glm_explore.attribution.saturation_mutagenesis`),
with seqlets and FIMO hits from :mod:`glm_explore.motifs` (drawn by :mod:`glm_explore.plots.motifs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.attribution import Attributions, ISMResult
from .common import LANE_YAXIS, POSITION_TITLE, annotation_lane_traces, logo_traces
from .motifs import HIT_LANE_YAXIS, motif_hit_traces, seqlet_traces

_LANE_HEIGHTS = {"logo": 0.45, "ism": 0.25, "hits": 0.12, "annotation": 0.18}


def _logo_values(attr) -> np.ndarray:
    """(4, L) what an attribution logo draws: ``Attributions.values``, or an ISM result's
    ``logo_values`` (the reference letter scaled by −mean Δ)."""
    return attr.logo_values if hasattr(attr, "logo_values") else attr.values


def ism_heatmap_traces(ism: ISMResult, *, zmax: float | None = None, showscale: bool = True) -> list[go.BaseTraceType]:
    """Heatmap of ISM Δ (:class:`~glm_explore.results.ISMResult` ``delta``; rows A,C,G,T; x 1-based;
    colour ±``zmax``, default the 99th percentile of |Δ|) plus a dot on each reference base."""
    d = np.asarray(ism.delta, dtype=float)
    pos = ism.positions
    if zmax is None:
        finite = np.abs(d[np.isfinite(d)])
        zmax = float(np.quantile(finite, 0.99)) if finite.size and finite.max() > 0 else 1.0
    text = np.array([[f"{ism.seq[i]}→{b}" for i in range(ism.length)] for b in "ACGT"]) if ism.length else None
    heat = go.Heatmap(z=d, x=pos, y=list("ACGT"), zmid=0, zmin=-zmax, zmax=zmax, colorscale="RdBu",
                      text=text, showscale=showscale, colorbar=dict(title="Δ target", len=0.3, y=0.5),
                      hovertemplate="pos %{x} %{text}<br>Δ %{z:+.3f}<extra></extra>", name="ISM")
    ref = [b if b in "ACGT" else None for b in ism.seq]
    dots = go.Scatter(x=pos, y=ref, mode="markers", marker=dict(size=3, color="#222"), name="reference",
                      showlegend=False, hoverinfo="skip")
    return [heat, dots]


def attribution_tracks(attr: Attributions, *, ism: ISMResult | None = None, data=None, hits: pd.DataFrame | None = None,
                       seqlets: pd.DataFrame | None = None, title: str = "") -> go.Figure:
    """Aligned tracks over one window, shared x (1-based): attribution logo (seqlets shaded), ISM
    heatmap (with an :class:`~glm_explore.results.ISMResult`), FIMO hit lane (with ``hits``) and the
    annotation lane (with a :class:`~glm_explore.io.datasets.GenomeData` and a genomic ``attr.chrom``).

    ``attr`` is an :class:`~glm_explore.results.Attributions` or an ISMResult (its −mean Δ logo);
    negative letters are drawn below the axis."""
    lanes = ["logo"] + (["ism"] if ism is not None else []) + (["hits"] if hits is not None else []) + \
        (["annotation"] if data is not None and attr.chrom is not None else [])
    names = {"logo": f"attribution ({getattr(attr, 'method', 'ISM: −mean Δ')})", "ism": "ISM: Δ target per substitution",
             "hits": f"FIMO hits{': ' + str(hits['motif'].iloc[0]) if hits is not None and len(hits) else ''}",
             "annotation": "annotation"}
    fig = make_subplots(rows=len(lanes), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        row_heights=[_LANE_HEIGHTS[k] for k in lanes], subplot_titles=[names[k] for k in lanes])
    start, end = int(attr.positions[0]), int(attr.positions[-1])
    values = np.nan_to_num(np.asarray(_logo_values(attr), dtype=float))
    lo = min(0.0, float(np.clip(values, None, 0).sum(axis=0).min()))
    hi = max(0.0, float(np.clip(values, 0, None).sum(axis=0).max()))
    pad = 0.05 * max(hi - lo, 1e-9)
    for tr in seqlet_traces(seqlets, y0=lo - pad, y1=hi + pad) + logo_traces(values, start):
        fig.add_trace(tr, row=1, col=1)
    fig.update_yaxes(range=[lo - pad, hi + pad], zeroline=True, zerolinecolor="#999", title_text="attr.", row=1,
                     col=1)
    for r, lane in enumerate(lanes[1:], start=2):
        if lane == "ism":
            traces, yaxis = ism_heatmap_traces(ism), dict(autorange="reversed")
        elif lane == "hits":
            traces, yaxis = motif_hit_traces(hits), HIT_LANE_YAXIS
        else:
            traces, yaxis = annotation_lane_traces(data, attr.chrom, start - 1, end), LANE_YAXIS
        for tr in traces:
            fig.add_trace(tr, row=r, col=1)
        fig.update_yaxes(**yaxis, row=r, col=1)
    fig.update_xaxes(range=[start - 1, end + 1], row=len(lanes), col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=len(lanes), col=1)
    fig.update_layout(title=title, height=260 + 130 * (len(lanes) - 1), plot_bgcolor="white", hovermode="closest",
                      legend=dict(orientation="h", y=-0.12), margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig
