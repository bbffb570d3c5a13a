"""Model report figures (fed by :mod:`glm_explore.report`): per-class margins, motif profiles, LLR by effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .common import CLASS_COLORS

EFFECT_COLORS = {"stop_gained": "#d62728", "missense": "#ff7f0e", "synonymous": "#1f77b4", "intergenic": "#7f7f7f"}


def class_margin_chart(classes: pd.DataFrame, *, baseline: str = "count baseline") -> go.Figure:
    """Model − baseline bits/base per region class with 95 % CIs (left of 0 = the model predicts better).

    ``classes``: the report's ``classes`` table (class, margin_bits, ci_lo, ci_hi, n_bases, bits_model,
    bits_baseline); the ``all`` row is drawn last, in black.
    """
    t = classes.iloc[::-1]
    colors = [CLASS_COLORS.get(c, "#000000") for c in t["class"]]
    fig = go.Figure(go.Scatter(
        x=t["margin_bits"], y=t["class"], mode="markers", marker=dict(size=11, color=colors),
        error_x=dict(type="data", symmetric=False, array=t["ci_hi"] - t["margin_bits"],
                     arrayminus=t["margin_bits"] - t["ci_lo"], color="#555"),
        customdata=np.c_[t["bits_model"], t["bits_baseline"], t["n_bases"]],
        hovertemplate="%{y}: %{x:+.3f} bits/base<br>model %{customdata[0]:.3f} · baseline %{customdata[1]:.3f}"
                      "<br>%{customdata[2]:,} bases<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#888")
    fig.update_layout(title=f"Held-out bits/base, model − {baseline} (95 % block-bootstrap CI; < 0 = model better)",
                      xaxis_title="margin (bits/base)", yaxis_title=None, height=120 + 34 * len(t),
                      margin=dict(l=10, r=10, t=50, b=40), showlegend=False)
    return fig


def motif_profile_chart(profiles: pd.DataFrame, motif_id: str) -> go.Figure:
    """Mean P(ref) around aligned instances of one motif: model vs count baseline, the motif span shaded.

    ``profiles``: the report's ``motif_profiles`` table (motif_id, motif, offset, in_motif, p_ref_model,
    p_ref_baseline, n); x = offset from the motif's first base in its own orientation (1 = first motif base).
    """
    t = profiles[profiles["motif_id"] == motif_id].sort_values("offset")
    x = t["offset"].to_numpy() + 1
    fig = go.Figure()
    inside = x[t["in_motif"].to_numpy(dtype=bool)]
    if len(inside):
        # below the traces: the model and baseline lines inside the motif are what the chart exists to show
        fig.add_vrect(x0=inside.min() - 0.5, x1=inside.max() + 0.5, fillcolor="#f2e6ff", line_width=0, layer="below",
                      annotation_text="motif", annotation_position="top left")
    fig.add_trace(go.Scatter(x=x, y=t["p_ref_model"], name="model", mode="lines+markers", line_color="#1f77b4"))
    fig.add_trace(go.Scatter(x=x, y=t["p_ref_baseline"], name="count baseline", mode="lines+markers",
                             line=dict(color="#7f7f7f", dash="dash")))
    name = t["motif"].iat[0] if len(t) else motif_id
    n = int(t["n"].max()) if len(t) else 0
    fig.update_layout(title=f"{name} ({motif_id}): mean P(ref) over {n} held-out promoter instances",
                      xaxis_title="position relative to the motif (1 = its first base, motif orientation)",
                      yaxis_title="mean P(reference base)", yaxis_range=[0, 1], height=340,
                      margin=dict(l=10, r=10, t=50, b=40), legend=dict(orientation="h", y=1.08, x=1, xanchor="right"))
    return fig


def llr_by_effect_chart(scores: pd.DataFrame, *, score: str = "llr", by: str = "effect") -> go.Figure:
    """Box + points of the LLR (natural log, alt vs ref; < 0 = alt less likely) per effect class."""
    fig = go.Figure()
    order = [e for e in EFFECT_COLORS if e in set(scores[by])] + sorted(set(scores[by]) - set(EFFECT_COLORS))
    for effect in order:
        v = scores.loc[scores[by] == effect, score]
        fig.add_trace(go.Box(y=v, name=f"{effect} (n={len(v)})", boxpoints="all", jitter=0.4, pointpos=0,
                             marker=dict(size=3, color=EFFECT_COLORS.get(effect, "#444")), boxmean=True))
    fig.add_hline(y=0, line_dash="dot", line_color="#888")
    fig.update_layout(title="LLR of held-out SNVs by effect (log P(alt) − log P(ref), natural log)",
                      yaxis_title="LLR (nats; < 0 = alt less likely)", showlegend=False, height=380,
                      margin=dict(l=10, r=10, t=50, b=40))
    return fig


def learning_curve_chart(curve: pd.DataFrame) -> go.Figure:
    """Held-out bits/base of each version of a built-in model against its accumulated training CPU-hours
    (rows of :func:`glm_explore.evaluate.learning_curve`), with the fair count baseline of the same positions
    and the margin's 95 % CI as error bars on the model's points. Lower is better."""
    curve = curve.dropna(subset=["cpu_hours"]).sort_values("cpu_hours")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=curve["cpu_hours"], y=curve["model_bits"], mode="lines+markers", name="model",
        text=curve["version"], hovertemplate="%{text}<br>%{x:.2f} CPU-h: %{y:.4f} bits<extra></extra>",
        error_y=dict(type="data", symmetric=False, array=curve["ci_hi"] - curve["margin_bits"],
                     arrayminus=curve["margin_bits"] - curve["ci_lo"])))
    fig.add_trace(go.Scatter(x=curve["cpu_hours"], y=curve["baseline_bits"], mode="lines+markers",
                             name="count baseline (same positions)", line=dict(dash="dash")))
    fig.update_layout(xaxis_title="accumulated training CPU-hours", yaxis_title="held-out bits/base (lower is better)",
                      height=320, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12))
    return fig
