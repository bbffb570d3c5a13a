"""Figures for generated sequences and how genome-like they are.

Fed by: a list of :class:`~glm_explore.results.Sample` (:func:`sample_log_prob_chart`, from
:mod:`glm_explore.generate`) and a :class:`~glm_explore.results.Likeness` (the other three, from
:mod:`glm_explore.genome_likeness`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.generate import CONTROL, REFERENCE, Likeness, Sample

SET_COLORS = {REFERENCE: "#444444", CONTROL: "#9e9e9e"}
_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
MEASURES = {"gc": "GC fraction", "period3": "3-base periodicity", "other_bits": "bits/base, other model",
            "nearest_edit": "edit distance to nearest real / length", "motif_hits_per_kb": "JASPAR hits per kb"}


def _color(name: str, i: int) -> str:
    return SET_COLORS.get(name, _PALETTE[i % len(_PALETTE)])


def sample_log_prob_chart(samples: Sequence[Sample], *, window: int = 10) -> go.Figure:
    """Per-base model log-probability (bits, log2 p under the untempered model) of each sample's generated
    bases, smoothed by a ``window``-bp running mean; fixed bases are gaps."""
    fig = go.Figure()
    for j, s in enumerate(samples):
        y = np.asarray(s.model_log_probs, dtype=float) / np.log(2)
        if window > 1:
            ok = np.isfinite(y)
            kernel = np.ones(window)
            with np.errstate(invalid="ignore", divide="ignore"):
                y = np.convolve(np.where(ok, y, 0.0), kernel, mode="same") / np.convolve(ok, kernel, mode="same")
            y[~np.asarray(s.generated)] = np.nan
        fig.add_trace(go.Scatter(x=np.arange(1, len(y) + 1), y=y, mode="lines", name=f"sample {j + 1}",
                                 line=dict(width=1)))
    fig.update_layout(xaxis_title="position in sample (1-based)",
                      yaxis_title=f"log2 P(base) under the model ({window}-bp mean)", height=320,
                      margin=dict(t=30, b=40), legend=dict(orientation="h"))
    return fig


def divergence_chart(like: Likeness) -> go.Figure:
    """Jensen–Shannon divergence (bits) of each set's k-mer spectrum from the reference windows, k = 1…6;
    the control set's line is the sampling floor."""
    fig = go.Figure()
    for i, (name, g) in enumerate(like.divergence.groupby("set", sort=False)):
        fig.add_trace(go.Scatter(x=g["k"], y=g["js_bits"], mode="lines+markers", name=name,
                                 line=dict(color=_color(name, i), dash="dot" if name == CONTROL else "solid")))
    fig.update_layout(xaxis_title="k-mer length", yaxis_title="JS divergence from real windows (bits)",
                      yaxis_type="log", height=340, margin=dict(t=30, b=40),
                      title=f"k-mer spectra vs held-out {like.real_class} windows")
    return fig


def measures_chart(like: Likeness) -> go.Figure:
    """One box per set for each per-sequence measure (GC, periodicity, other model's bits, nearest edit, motifs)."""
    cols = [c for c in MEASURES if c in like.per_sequence.columns]
    fig = make_subplots(rows=1, cols=len(cols), subplot_titles=[MEASURES[c] for c in cols])
    for i, (name, g) in enumerate(like.per_sequence.groupby("set", sort=False)):
        for j, c in enumerate(cols):
            fig.add_trace(go.Box(y=g[c], name=name, marker_color=_color(name, i), showlegend=j == 0,
                                 legendgroup=name, boxpoints="all", jitter=0.4, pointpos=0), row=1, col=j + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=360, margin=dict(t=50, b=20), legend=dict(orientation="h"))
    return fig


def projection_chart(like: Likeness) -> go.Figure:
    """Embeddings of every set on the first two principal components of the reference windows' embeddings."""
    fig = go.Figure()
    if like.projection is not None:
        for i, (name, g) in enumerate(like.projection.groupby("set", sort=False)):
            fig.add_trace(go.Scatter(x=g["pc1"], y=g["pc2"], mode="markers", name=name,
                                     marker=dict(color=_color(name, i), size=7, opacity=0.8)))
    fig.update_layout(xaxis_title="PC 1 of real windows", yaxis_title="PC 2", height=380, margin=dict(t=30, b=40))
    return fig
