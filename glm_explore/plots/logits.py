"""Nucleotide predictions: aligned tracks over a region, several models compared, dependency map.

Fed by: :class:`~glm_explore.results.PositionLogits` (from :func:`glm_explore.logits.nucleotide_logits`; its
(4, L) natural-log probabilities go straight to the logo, P(ref) and entropy) and
:class:`~glm_explore.results.DependencyMap` (from :func:`glm_explore.dependency.dependency_map`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.logits import DependencyMap, PositionLogits, entropy_bits, logo_heights, reference_log_probs
from ..sequence import ALPHABET, encode
from .common import LANE_YAXIS, POSITION_TITLE, annotation_lane_traces, logo_traces

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]


def _ref_log_probs(res: PositionLogits) -> np.ndarray:
    """(L,) natural-log P(reference base) of ``res``; NaN at N."""
    return reference_log_probs(res.log_probs.astype(np.float64), res.seq)


def _logo_top(heights: list[np.ndarray], logo: str) -> float:
    """y-axis top for logos: 1 for probabilities; for p · IC the tallest column (≥ 0.25 bits, ≤ 2),
    so that weak models' logos stay readable (the axis says bits)."""
    if logo == "probability":
        return 1.0
    top = max((float(np.nansum(h, axis=0).max()) for h in heights if h.shape[1]), default=2.0)
    return float(min(2.0, max(0.25, 1.08 * top)))


def _logo_title(logo: str) -> str:
    return "logo (bits: p · IC)" if logo == "information" else "logo (probability)"


def logits_tracks(res: PositionLogits, *, data=None, logo: str = "information", title: str = "",
                  height: int | None = None) -> go.Figure:
    """Aligned tracks over one region, sharing x zoom/pan: sequence logo, P(ref), entropy and (with a
    :class:`~glm_explore.io.datasets.GenomeData` for a genome region) the annotation lane.

    ``res`` is a :class:`~glm_explore.results.PositionLogits` (x: its 1-based ``positions``). ``logo``:
    'information' (letters p_b · IC, bits) or 'probability' (letters p_b, columns sum to 1).
    P(ref) bars are red where the model's top base differs from the reference.
    """
    with_ann = data is not None and res.chrom is not None and res.length > 0
    rows = 4 if with_ann else 3
    titles = [_logo_title(logo), "P(ref)", "entropy (bits)"] + (["annotation"] if with_ann else [])
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.4, 0.2, 0.2, 0.2] if with_ann else [0.5, 0.25, 0.25],
                        subplot_titles=titles)
    lp = res.log_probs.astype(np.float64)
    pos = res.positions
    start = int(pos[0]) if len(pos) else 1
    heights = logo_heights(lp, logo)
    for tr in logo_traces(heights, start, showlegend=False):
        fig.add_trace(tr, row=1, col=1)
    p = np.exp(lp)
    top = p.argmax(axis=0) if res.length else np.zeros(0, dtype=int)
    top_base = np.array(list(ALPHABET))[top]
    ref = np.array(list(res.seq)) if res.length else np.array([], dtype=str)
    disagree = (top_base != ref) & (encode(res.seq) < 4)
    fig.add_trace(go.Bar(
        x=pos, y=np.exp(_ref_log_probs(res)), marker_color=np.where(disagree, "#d62728", "#4c78a8"), name="P(ref)",
        showlegend=False, customdata=np.c_[ref, top_base, p.max(axis=0) if res.length else np.zeros(0)],
        hovertemplate="pos %{x} ref %{customdata[0]}<br>P(ref) %{y:.3f}<br>top %{customdata[1]} "
                      "(%{customdata[2]:.3f})<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=pos, y=entropy_bits(lp), mode="lines", line=dict(color="#555", width=1),
                             name="entropy", showlegend=False,
                             hovertemplate="pos %{x}<br>H %{y:.3f} bits<extra></extra>"), row=3, col=1)
    if with_ann:
        for tr in annotation_lane_traces(data, res.chrom, start - 1, int(pos[-1])):
            fig.add_trace(tr, row=4, col=1)
        fig.update_yaxes(**LANE_YAXIS, row=4, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_yaxes(range=[0, 2], row=3, col=1)
    fig.update_yaxes(range=[0, _logo_top([heights], logo)], row=1, col=1)
    fig.update_xaxes(range=[start - 1, start + len(pos)], row=rows, col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=rows, col=1)
    fig.update_layout(title=title, height=height or (620 if with_ann else 500), plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=60 if title else 30, b=10), hovermode="closest",
                      legend=dict(orientation="h", y=-0.12), bargap=0.05)
    return fig


def logits_comparison(results: Mapping[str, PositionLogits], *, logo: str = "information",
                      title: str = "") -> go.Figure:
    """Several models on the same region (e.g. MLM vs CLM), aligned: one logo row per model and one
    row overlaying their P(ref). ``results`` maps a label to its :class:`~glm_explore.results.PositionLogits`;
    x is shared, and every logo row has the same y scale."""
    labels = list(results)
    n = len(labels)
    fig = make_subplots(rows=n + 1, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[f"{k}: logo" for k in labels] + ["P(ref)"])
    heights = {label: logo_heights(res.log_probs.astype(np.float64), logo) for label, res in results.items()}
    top = _logo_top(list(heights.values()), logo)
    for r, (label, res) in enumerate(results.items(), start=1):
        pos = res.positions
        ref_lp = _ref_log_probs(res)
        for tr in logo_traces(heights[label], int(pos[0]) if len(pos) else 1):
            fig.add_trace(tr, row=r, col=1)
        fig.update_yaxes(range=[0, top], title_text="bits" if logo == "information" else "p", row=r, col=1)
        ll = np.nansum(ref_lp) / np.log(2)
        fig.add_trace(go.Scatter(x=pos, y=np.exp(ref_lp), mode="lines", line=dict(color=_PALETTE[(r - 1) % 4]),
                                 name=f"{label} (Σ log2 P(ref) = {ll:.1f} bits)",
                                 hovertemplate=f"{label}<br>pos %{{x}}<br>P(ref) %{{y:.3f}}<extra></extra>"),
                      row=n + 1, col=1)
    fig.update_yaxes(range=[0, 1], row=n + 1, col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=n + 1, col=1)
    fig.update_layout(title=title, height=220 * n + 220, plot_bgcolor="white", hovermode="closest",
                      margin=dict(l=10, r=10, t=60 if title else 30, b=10), legend=dict(orientation="h", y=-0.12))
    return fig


def dependency_heatmap(dep: DependencyMap, *, title: str = "", zmax: float | None = None) -> go.Figure:
    """L×L nucleotide dependency map (:class:`~glm_explore.results.DependencyMap`): row = query
    position i (substituted), column = target position j, both 1-based; colour = max |Δ log-odds|
    (natural log), scaled to ``zmax`` (default the 99th percentile)."""
    pos = dep.positions
    z = np.asarray(dep.matrix, dtype=float)
    bases = np.array(list(dep.seq))
    text = np.char.add(np.char.add(bases[:, None], "→"), bases[None, :]) if len(bases) else None
    zmax = zmax if zmax is not None else (float(np.nanquantile(z, 0.99)) if np.isfinite(z).any() else 1.0)
    fig = go.Figure(go.Heatmap(
        z=z, x=pos, y=pos, colorscale="Reds", zmin=0, zmax=max(zmax, 1e-6), text=text,
        colorbar=dict(title="max |Δ log-odds|"),
        hovertemplate="query %{y} → target %{x} (%{text})<br>dependency %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title or f"Nucleotide dependencies: {dep.label} ({dep.model})", height=620,
                      xaxis=dict(title="target position j (1-based)", scaleanchor="y", constrain="domain"),
                      yaxis=dict(title="query position i (substituted)", autorange="reversed", constrain="domain"),
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
