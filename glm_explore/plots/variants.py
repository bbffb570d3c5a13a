"""Variant effects: score distributions per region class, synonymous vs nonsynonymous, ref vs alt tracks.

Fed by: :func:`glm_explore.variants.score_variants` / ``score_vcf`` tables (one row per variant, an
``llr`` column; :func:`glm_explore.variants.synonymy` for CDS variants), and
:func:`glm_explore.variants.delta_track` (a :class:`~glm_explore.results.VariantTracks`) with,
optionally, :func:`glm_explore.variants.embedding_shift` (an :class:`~glm_explore.results.EmbeddingShift`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..io.annotation import CLASSES
from ..results.indels import IndelView, LengthBias
from ..results.logits import logo_heights
from ..results.variants import EmbeddingShift, VariantTracks
from .common import CLASS_COLORS, POSITION_TITLE, logo_traces

_SYN_COLORS = {"synonymous": "#2ca02c", "nonsynonymous": "#d62728"}


def variant_score_histogram(scores: pd.DataFrame, *, by: str = "region_class", score: str = "llr",
                            title: str = "Variant scores by region class", nbins: int = 40) -> go.Figure:
    """Overlaid, density-normalised histograms of ``score`` per group of ``by``.

    ``scores`` is :func:`glm_explore.variants.score_variants` / ``score_vcf`` output; unscored rows
    (NaN) are left out. Negative = alt less likely under the model = more likely deleterious.
    """
    d = scores[[by, score]].dropna()
    groups = [c for c in CLASSES if c in set(d[by])] + sorted(set(d[by]) - set(CLASSES), key=str)
    lo, hi = (float(d[score].min()), float(d[score].max())) if len(d) else (0.0, 1.0)
    size = (hi - lo) / nbins if hi > lo else 1.0
    fig = go.Figure()
    for g in groups:
        x = d.loc[d[by] == g, score]
        fig.add_trace(go.Histogram(
            x=x, name=f"{g} (n={len(x)}, mean {x.mean():+.2f})", histnorm="probability density", opacity=0.55,
            xbins=dict(start=lo, end=hi + size, size=size), marker_color=CLASS_COLORS.get(str(g)),
            hovertemplate=f"{g}<br>{score} %{{x}}<br>density %{{y:.3f}}<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#555")
    fig.update_layout(title=title, barmode="overlay", height=380, xaxis_title=f"{score} (natural log; "
                      "negative = alt less likely)", yaxis_title="density", legend=dict(orientation="v"),
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def synonymy_comparison(scores: pd.DataFrame, *, score: str = "llr", synonymy: str = "synonymy",
                        codon_pos: str = "CODON_POS", title: str = "CDS: synonymous vs nonsynonymous") -> go.Figure:
    """Box plots (mean marked) of ``score`` for synonymous vs nonsynonymous CDS variants, overall and
    per codon position. ``scores`` needs a ``synonymy`` column ('synonymous' / 'nonsynonymous', e.g.
    from :func:`glm_explore.variants.synonymy`) and a codon-position column (1-3)."""
    d = scores[scores[synonymy].notna() & scores[score].notna()].copy()
    d["group"] = "all CDS"
    parts = [d]
    if codon_pos in d:
        per = d[d[codon_pos].notna()].copy()
        per["group"] = "codon pos " + per[codon_pos].astype(str).str.replace(".0", "", regex=False)
        parts.append(per)
    d = pd.concat(parts, ignore_index=True)
    order = ["all CDS"] + sorted(set(d["group"]) - {"all CDS"})
    fig = go.Figure()
    for syn in ("synonymous", "nonsynonymous"):
        s = d[d[synonymy] == syn]
        counts = s.groupby("group").size()
        fig.add_trace(go.Box(
            x=s["group"], y=s[score], name=f"{syn} (n={int(counts.get('all CDS', 0))})",
            marker_color=_SYN_COLORS[syn], boxmean=True, boxpoints="outliers"))
    fig.add_hline(y=0, line_dash="dot", line_color="#555")
    fig.update_layout(title=title, boxmode="group", height=400, yaxis_title=f"{score} (natural log)",
                      xaxis=dict(categoryorder="array", categoryarray=order), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def variant_tracks(tracks: VariantTracks, embedding: EmbeddingShift | None = None, *, logo: str = "information", title: str = "") -> go.Figure:
    """Ref vs alt per-position predictions around a variant and the delta, x shared (1-based).

    ``tracks`` is a :class:`~glm_explore.results.VariantTracks` (:func:`glm_explore.variants.delta_track`):
    rows are the ref-sequence logo, the alt-sequence logo, and the delta track — max |Δ log-odds| per
    position (bars) and Δ log P(reference base) (line). With an :class:`~glm_explore.results.EmbeddingShift`
    (:func:`glm_explore.variants.embedding_shift`), a last row shows the per-position embedding delta
    ‖h_alt − h_ref‖. The variant is marked by a dashed line.
    """
    rows = 4 if embedding is not None else 3
    titles = [f"reference sequence: logo ({'bits: p · IC' if logo == 'information' else 'probability'})",
              f"with {tracks.variant.ref}>{tracks.variant.alt}: logo",
              "delta track: max |Δ log-odds| (bars), Δ log P(reference base) (line)"]
    if embedding is not None:
        titles.append(f"embedding delta ‖h_alt − h_ref‖ (layer {embedding.layer})")
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=titles,
                        row_heights=[0.28, 0.28, 0.26, 0.18] if rows == 4 else [0.34, 0.34, 0.32])
    pos = tracks.positions
    start = int(pos[0])
    for r, pl in ((1, tracks.ref), (2, tracks.alt)):
        for tr in logo_traces(logo_heights(pl.log_probs.astype(float), logo), start):
            fig.add_trace(tr, row=r, col=1)
        fig.update_yaxes(range=[0, 2 if logo == "information" else 1], row=r, col=1)
    table = tracks.table()
    fig.add_trace(go.Bar(x=pos, y=table["max_abs_delta_log_odds"], marker_color="#9467bd", name="max |Δ log-odds|",
                         hovertemplate="pos %{x}<br>max |Δ log-odds| %{y:.3f}<extra></extra>"), row=3, col=1)
    fig.add_trace(go.Scatter(x=pos, y=table["delta_log_p_ref_base"], mode="lines", line=dict(color="#333", width=1),
                             name="Δ log P(ref base)",
                             hovertemplate="pos %{x}<br>Δ log P(ref base) %{y:+.3f}<extra></extra>"), row=3, col=1)
    if embedding is not None:
        e0 = embedding.region.start + 1
        ex = np.arange(e0, e0 + len(embedding.local))
        keep = (ex >= pos[0]) & (ex <= pos[-1])
        fig.add_trace(go.Scatter(x=ex[keep], y=embedding.local[keep], mode="lines", line=dict(color="#ff7f0e"),
                                 name="‖Δh‖", hovertemplate="pos %{x}<br>‖Δh‖ %{y:.3f}<extra></extra>"), row=4, col=1)
    for r in range(1, rows + 1):
        fig.add_vline(x=tracks.variant.pos, line_dash="dash", line_color="#d62728", line_width=1, row=r, col=1)
    fig.update_xaxes(range=[start - 1, int(pos[-1]) + 1], row=rows, col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=rows, col=1)
    fig.update_layout(title=title, height=240 * rows, plot_bgcolor="white", hovermode="closest", showlegend=True,
                      legend=dict(orientation="h", y=-0.08), margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig


_ALLELE_COLORS = {"ref": "#1f77b4", "alt": "#d62728"}


def indel_tracks(view: IndelView, *, logo: str = "information", title: str = "") -> go.Figure:
    """Ref and alt allele predictions of one indel / SV aligned at the breakpoint, and their difference.

    ``view`` is an :class:`~glm_explore.results.IndelView` (:func:`glm_explore.variants.indel_view`): rows are
    the reference allele's logo, the alternate allele's logo (gap columns marked ``−``, the event block
    shaded), and log P(own base) of each allele per column with their difference (bars) where both have a
    base. x = alignment column (hover shows the reference coordinate).
    """
    titles = [f"reference allele: logo ({'bits: p · IC' if logo == 'information' else 'probability'})",
              f"alternate allele ({view.kind}, {view.len_change:+d} bp): logo",
              "log P(own base): ref, alt (lines); alt − ref where both have a base (bars)"]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=titles,
                        row_heights=[0.34, 0.34, 0.32])
    x = view.columns
    for r, (lp, seq) in enumerate(((view.ref_lp, view.ref_seq), (view.alt_lp, view.alt_seq)), start=1):
        for tr in logo_traces(logo_heights(np.nan_to_num(lp.astype(float), nan=-1e4), logo), 1):
            fig.add_trace(tr, row=r, col=1)
        gaps = [k + 1 for k, c in enumerate(seq) if c == "-"]
        if gaps:
            fig.add_trace(go.Scatter(x=gaps, y=[1.0] * len(gaps), mode="text", text=["−"] * len(gaps),
                                     textfont=dict(size=18, color="#555"), name="gap", showlegend=r == 1,
                                     hovertemplate="gap<extra></extra>"), row=r, col=1)
        fig.update_yaxes(range=[0, 2 if logo == "information" else 1], row=r, col=1)
    table = view.table()
    pos_text = [str(p) if p > 0 else "—" for p in view.ref_pos]
    for allele, col in (("ref", "log_p_ref_allele"), ("alt", "log_p_alt_allele")):
        fig.add_trace(go.Scatter(x=x, y=table[col], mode="lines+markers", name=f"log P({allele} base)",
                                 line=dict(color=_ALLELE_COLORS[allele], width=1), marker=dict(size=3),
                                 customdata=pos_text, hovertemplate=f"column %{{x}} (ref pos %{{customdata}})<br>"
                                 f"log P({allele} base) %{{y:.3f}}<extra></extra>"), row=3, col=1)
    fig.add_trace(go.Bar(x=x, y=table["delta"], name="alt − ref", marker_color="#9467bd", opacity=0.6,
                         hovertemplate="column %{x}<br>alt − ref %{y:+.3f}<extra></extra>"), row=3, col=1)
    lo, hi = view.event_cols
    for r in (1, 2, 3):
        fig.add_vrect(x0=lo + 0.5, x1=hi + 0.5, fillcolor="#d62728", opacity=0.08, line_width=0, row=r, col=1)
    fig.update_xaxes(title_text="alignment column (the event block shaded; gaps −)", row=3, col=1)
    fig.update_layout(title=title, height=720, plot_bgcolor="white", hovermode="closest",
                      legend=dict(orientation="h", y=-0.1), margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig


def length_bias_plot(bias: LengthBias, *, score: str = "llr", title: str = "") -> go.Figure:
    """Score vs length change of random background events with the pooled least-squares line (slope, 95 % CI).

    ``bias`` is a :class:`~glm_explore.results.LengthBias` (:func:`glm_explore.variants.length_bias`); x is the
    signed length change (inserted − deleted bases: deletions left of 0, insertions right), one marker colour
    per kind. ``score``: ``llr`` (sum) or ``llr_mean`` (per base).
    """
    t = bias.table
    fig = go.Figure()
    for kind, color in (("DEL", "#1f77b4"), ("INS", "#ff7f0e")):
        part = t[t["kind"] == kind]
        if len(part):
            fig.add_trace(go.Scatter(x=part["len_change"], y=part[score], mode="markers", name=f"{kind} (n={len(part)})",
                                     marker=dict(color=color, size=7, opacity=0.7),
                                     hovertemplate=f"{kind} %{{x:+d}} bp<br>{score} %{{y:.3f}}<extra></extra>"))
    f = bias.fit("all", score)
    if f and np.isfinite(f.get("slope", np.nan)):
        xs = np.array([t["len_change"].min(), t["len_change"].max()], dtype=float)
        fig.add_trace(go.Scatter(x=xs, y=f["intercept"] + f["slope"] * xs, mode="lines", name="least squares",
                                 line=dict(color="#333", dash="dash")))
        slope = f"slope {f['slope']:+.4f}/bp (95% CI {f['ci_low']:+.4f} … {f['ci_high']:+.4f})"
    else:
        slope = "slope: too few events"
    fig.add_hline(y=0, line_dash="dot", line_color="#999")
    fig.update_layout(title=title or f"{bias.model}: {score} vs length, random {bias.background} events — {slope}",
                      height=380, xaxis_title="length change (bp, inserted − deleted)", yaxis_title=f"{score} (natural log)",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
