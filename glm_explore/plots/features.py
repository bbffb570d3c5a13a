"""Learned features: the headline against the controls, a feature's PFM logo, class enrichment and landmark profile.

Fed by: :mod:`glm_explore.features.query` (a :class:`~glm_explore.results.features.FeatureTrack`, the concept search's
frame) and :func:`glm_explore.features.build_dictionary` (a :class:`~glm_explore.results.features.FeatureDictionary`;
``headline``, ``trained.pfms``, :meth:`feature_enrichment`, :meth:`profile`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..results.features import FeatureDictionary, FeatureTrack
from ..results.logits import logo_heights
from .common import logo_traces

RUN_COLORS = {"trained": "#1f77b4", "random weights": "#7f7f7f", "shuffled sequences": "#ff7f0e"}


def headline_chart(fd: FeatureDictionary, *, height: int = 260) -> go.Figure:
    """Fraction of described features named by TOMTOM (q < cut) and class-enriched, for the trained model and
    both controls, with 95 % Clopper–Pearson CIs; and the fraction beating both controls."""
    fig = go.Figure()
    h = fd.headline
    for what, label in (("named", "named (TOMTOM q < cut)"), ("enriched", "class-enriched (q < cut)")):
        runs = list(h[what])
        frac = np.array([h[what][r]["fraction"] for r in runs])
        lo = frac - np.array([h[what][r]["ci_low"] for r in runs])
        hi = np.array([h[what][r]["ci_high"] for r in runs]) - frac
        fig.add_trace(go.Bar(x=[f"{r}" for r in runs], y=frac, name=label, error_y=dict(array=hi, arrayminus=lo),
                             text=[f"{h[what][r]['k']}/{h[what][r]['n']}" for r in runs], textposition="outside"))
    b = h["beats_both"]
    fig.add_trace(go.Bar(x=["trained"], y=[b["fraction"]], name="beats both controls",
                         error_y=dict(array=[b["ci_high"] - b["fraction"]], arrayminus=[b["fraction"] - b["ci_low"]]),
                         text=[f"{b['k']}/{b['n']}"], textposition="outside"))
    fig.update_layout(barmode="group", height=height, yaxis=dict(title="fraction of features", tickformat=".0%"),
                      margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white", legend=dict(orientation="h"))
    return fig


def pfm_logo(pfm: np.ndarray, *, title: str = "", height: int = 200) -> go.Figure:
    """Information logo (p · IC bits) of a (4, w) PFM over A,C,G,T; x = offset from the feature's position."""
    pfm = np.asarray(pfm, dtype=float)
    w = pfm.shape[1]
    with np.errstate(divide="ignore"):
        heights = logo_heights(np.log(pfm), "information")
    fig = go.Figure(logo_traces(heights, 1, hover=False))
    fig.update_layout(title=title, height=height, plot_bgcolor="white", showlegend=False,
                      yaxis=dict(range=[0, 2], title="bits"), xaxis=dict(title=f"site column (1..{w})"),
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def enrichment_chart(rows: pd.DataFrame, *, height: int = 260) -> go.Figure:
    """Odds ratio (log axis) with its 95 % CI per region class, held-out windows; a dashed line at OR = 1."""
    rows = rows.sort_values("odds_ratio")
    fig = go.Figure(go.Scatter(
        x=rows["odds_ratio"], y=rows["class"], mode="markers",
        error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["odds_ratio"],
                     arrayminus=rows["odds_ratio"] - rows["ci_low"]),
        customdata=np.c_[rows["q_value"], rows["a"], rows["a"] + rows["c"]],
        hovertemplate="%{y}: OR %{x:.2f}, q %{customdata[0]:.2g} (%{customdata[1]} of %{customdata[2]} active)"
                      "<extra></extra>"))
    fig.add_vline(x=1, line_dash="dash", line_color="#999")
    fig.update_layout(height=height, xaxis=dict(type="log", title="odds ratio (active in class vs elsewhere)"),
                      plot_bgcolor="white", margin=dict(l=10, r=10, t=10, b=10))
    return fig


def landmark_profile(profile: pd.DataFrame, *, height: int = 260) -> go.Figure:
    """Mean activation (z vs all training positions) at offsets around each landmark, 5′→3′ on the gene's strand."""
    fig = go.Figure()
    for name, g in profile.groupby("landmark", sort=False):
        fig.add_trace(go.Scatter(x=g["offset"], y=g["z"], mode="lines", name=str(name)))
    fig.add_vline(x=0, line_dash="dot", line_color="#999")
    fig.update_layout(height=height, xaxis=dict(title="offset from landmark (bp, 5′→3′)"),
                      yaxis=dict(title="mean activation (z)"), plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h"))
    return fig


def feature_track(track: FeatureTrack, *, height: int = 180, title: str | None = None) -> go.Figure:
    """One feature's activation at every base of a region (x = 1-based position), a zero line."""
    fig = go.Figure(go.Scatter(x=track.positions, y=track.values, mode="lines", name=track.label,
                               line=dict(color="#2ca02c"),
                               hovertemplate="%{x}: %{y:.3g}<extra>" + track.label + "</extra>"))
    fig.add_hline(y=0, line_color="#bbb", line_width=1)
    fig.update_layout(title=title if title is not None else f"Feature {track.label} — {track.source}",
                      height=height, plot_bgcolor="white", showlegend=False,
                      xaxis=dict(title=f"{track.chrom} position (1-based)"), yaxis=dict(title="activation"),
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def concept_chart(hits: pd.DataFrame, *, height: int = 280) -> go.Figure:
    """The concept search's features: held-out AUROC per feature (★ = beats both controls), the k-mer
    baseline's AUROC for the same concept as a dashed line, chance (0.5) dotted."""
    labels = [f"{f} {n}{' ★' if b else ''}" for f, n, b in zip(hits["feature"], hits["name"], hits["beats_both"])]
    fig = go.Figure(go.Bar(x=labels, y=hits["auroc"], marker_color=np.where(hits["beats_kmer"], "#1f77b4", "#aaa"),
                           name="feature AUROC", hovertemplate="%{x}: AUROC %{y:.3f}<extra></extra>"))
    if len(hits):
        k = float(hits["kmer_auroc"].iloc[0])
        fig.add_hline(y=k, line_dash="dash", line_color="#d62728", annotation_text=f"k-mer baseline {k:.3f}")
    fig.add_hline(y=0.5, line_dash="dot", line_color="#999")
    fig.update_layout(height=height, plot_bgcolor="white", yaxis=dict(title="held-out AUROC", range=[0, 1]),
                      xaxis=dict(title="feature", type="category"), margin=dict(l=10, r=10, t=10, b=10))
    return fig
