"""How far a model looks (fed by :mod:`glm_explore.context_curve` and :mod:`glm_explore.dependency`):
bits vs visible context per region class, and the banded dependency map."""

from __future__ import annotations

import warnings

import numpy as np
import plotly.graph_objects as go

from ..results.context_curve import ContextCurve
from ..results.logits import BandedDependencyMap
from .common import CLASS_COLORS

ZERO_X = 0.5  # where width 0 sits on the log x axis (labelled "0")


def _x(widths) -> np.ndarray:
    w = np.asarray(widths, dtype=float)
    return np.where(w == 0, ZERO_X, w)


def _rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[k:k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def context_curve_chart(result: ContextCurve, *, classes: list[str] | None = None, show_all: bool = True,
                        value: str = "bits") -> go.Figure:
    """Mean bits/base (or mean P(ref), ``value="p_ref"``) vs visible context width per region class, with
    95 % bootstrap ribbons, a log x axis (width 0 drawn at 0.5 and labelled 0), the receptive field / full
    width marked by a dashed line and each class's w90 by a marker on its curve.

    ``result``: a :class:`~glm_explore.context_curve.ContextCurve`; ``classes`` limits the classes drawn.
    """
    curve, w90 = result.curve, result.w90.set_index("class")
    names = [c for c in dict.fromkeys(curve["class"]) if (classes is None or c in classes)
             and (show_all or c != "all")]
    lo_col, hi_col = ("ci_lo", "ci_hi") if value == "bits" else ("p_ref_lo", "p_ref_hi")
    fig = go.Figure()
    for name in names:
        g = curve[curve["class"] == name].sort_values("width")
        color = CLASS_COLORS.get(name, "#000000")
        x = _x(g["width"])
        fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[g[hi_col], g[lo_col].to_numpy()[::-1]], fill="toself",
                                 fillcolor=_rgba(color, 0.15), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(
            x=x, y=g[value], mode="lines+markers", name=f"{name} (n={int(g['n_positions'].iloc[0])})",
            line=dict(color=color, width=3 if name == "all" else 2, dash="dot" if name == "all" else "solid"),
            legendgroup=name, customdata=np.c_[g["width"], g[lo_col], g[hi_col]],
            hovertemplate=f"{name}: w=%{{customdata[0]}}<br>{value} %{{y:.3f}} "
                          "(95 % CI %{customdata[1]:.3f}–%{customdata[2]:.3f})<extra></extra>"))
        w = w90["w90"].get(name, np.nan) if name in w90.index else np.nan
        if np.isfinite(w):
            y = float(g.loc[g["width"] == w, value].iloc[0])
            fig.add_trace(go.Scatter(x=_x([w]), y=[y], mode="markers", marker=dict(symbol="diamond-open", size=13,
                                     color=color, line=dict(width=2)), legendgroup=name, showlegend=False,
                                     hovertemplate=f"{name}: 90 % of the gain at w = {int(w)}<extra></extra>"))
    what = "receptive field R" if result.receptive_field is not None else "width cap"
    # on a log axis plotly places shapes at data x but annotations at log10(x)
    fig.add_vline(x=result.full_width, line_dash="dash", line_color="#555")
    fig.add_annotation(x=float(np.log10(result.full_width)), y=1, yref="paper", text=f"{what} = {result.full_width}",
                       showarrow=False, xanchor="right", yanchor="bottom", font=dict(size=11, color="#555"))
    ticks = [0] + [int(2 ** k) for k in range(0, int(np.log2(max(result.full_width, 1))) + 1)]
    fig.update_layout(
        title=f"How far {result.model} looks: {result.truncation_label} (◇ = 90 % of the gain)",
        xaxis=dict(type="log", title="visible context w (bases" + (" each side)" if result.objective == "mlm"
                                                                  else " to the left)"),
                   tickvals=_x(ticks), ticktext=[str(t) for t in ticks]),
        yaxis=dict(title="bits per base (−log2 P(ref))" if value == "bits" else "mean P(ref)"),
        height=480, margin=dict(l=10, r=10, t=50, b=10), legend=dict(title="region class"))
    return fig


def banded_dependency_heatmap(dep: BandedDependencyMap, *, zmax: float | None = None, max_columns: int = 1500) -> go.Figure:
    """A :class:`~glm_explore.results.BandedDependencyMap` drawn in band coordinates: x = query position i
    (1-based, substituted), y = offset j − i of the target (bases; > 0 = downstream), colour = max |Δ log-odds|
    (natural log) scaled to ``zmax`` (default the 99th percentile). Maps longer than ``max_columns`` are shown
    max-pooled over consecutive queries (the hover says how many)."""
    z = np.asarray(dep.bands, dtype=float).T  # (2B + 1, L)
    step = max(1, int(np.ceil(z.shape[1] / max_columns)))
    if step > 1:
        pad = (-z.shape[1]) % step
        zp = np.pad(z, ((0, 0), (0, pad)), constant_values=np.nan).reshape(z.shape[0], -1, step)
        with warnings.catch_warnings():  # an all-NaN block (N queries) stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            z = np.nanmax(zp, axis=2)
    x = dep.positions[::step]
    y = np.arange(-dep.band, dep.band + 1)
    finite = z[np.isfinite(z)]
    zmax = zmax if zmax is not None else (float(np.quantile(finite, 0.99)) if finite.size else 1.0)
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale="Reds", zmin=0, zmax=max(zmax, 1e-6),
                               colorbar=dict(title="max |Δ log-odds|"),
                               hovertemplate="query %{x} · target offset %{y:+d}<br>dependency %{z:.3f}"
                                             + (f" (max of {step} queries)" if step > 1 else "") + "<extra></extra>"))
    fig.update_layout(title=f"Nucleotide dependencies within ±{dep.band} bp: {dep.label} ({dep.model})"
                            + ("" if dep.exact else " — approximation"),
                      xaxis=dict(title="query position i (1-based, substituted)"),
                      yaxis=dict(title="target offset j − i (bases)"), height=480,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
