"""Genome annotation by transfer learning: lanes of predicted vs annotated classes, per-class scores.

Fed by: :func:`glm_explore.annotate.annotate_region` (:class:`~glm_explore.results.RegionPrediction`) for
:func:`annotation_lanes`, :func:`glm_explore.annotate.fit_annotator` (:class:`~glm_explore.results.AnnotationFit`)
for :func:`class_score_chart`. The confusion matrix of a fit draws with
:func:`glm_explore.plots.embeddings.confusion_heatmap` (``fit.confusion["model"]``).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.annotate import AnnotationFit, RegionPrediction
from .common import CLASS_COLORS, LANE_YAXIS, POSITION_TITLE, annotation_lane_traces, annotation_traces

FEATURE_COLORS = {"model": "#1f77b4", "k-mer": "#bbbbbb"}
MAX_PROB_POINTS = 20_000  # longer regions draw probabilities as means over equal bins


def _binned(pred: RegionPrediction, max_points: int) -> tuple[np.ndarray, np.ndarray, int]:
    """x (1-based bin centres) and (n_bins, K) mean probabilities; bin width 1 when the region is short."""
    L = len(pred.probs)
    step = max(1, int(np.ceil(L / max_points)))
    n = L // step * step
    probs = pred.probs[:n].reshape(-1, step, pred.probs.shape[1]).mean(axis=1) if step > 1 else pred.probs
    x = pred.start + 1 + np.arange(len(probs)) * step + (step - 1) / 2
    return x, probs, step


def annotation_lanes(pred: RegionPrediction, *, data=None, baseline: RegionPrediction | None = None,
                     title: str = "", max_points: int = MAX_PROB_POINTS) -> go.Figure:
    """Lanes over one region, top to bottom: the annotation (region classes and genes of ``data``, a
    :class:`~glm_explore.io.datasets.GenomeData`; else ``pred.true`` when known), the head's predicted class,
    the ``baseline`` head's (k-mer) predicted class when given, and the head's per-class probabilities.
    Colours are the region classes'; one legend entry per class toggles it in every lane."""
    lanes: list[tuple[str, list, dict]] = []
    start, end = pred.start, pred.end
    if data is not None:
        lanes.append(("annotation", annotation_lane_traces(data, pred.chrom, start, end), LANE_YAXIS))
    elif pred.true is not None:
        lanes.append(("annotation", annotation_traces(pred.true, None, start, end), dict(visible=False, range=[-0.1, 1.1])))
    lanes.append(("predicted", annotation_traces(pred.predicted, None, start, end), dict(visible=False, range=[-0.1, 1.1])))
    if baseline is not None:
        lanes.append(("k-mer head", annotation_traces(baseline.predicted, None, start, end),
                      dict(visible=False, range=[-0.1, 1.1])))
    rows = len(lanes) + 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.12] * len(lanes) + [1 - 0.12 * len(lanes)],
                        subplot_titles=[name for name, _, _ in lanes] + [""])
    shown: set[str] = set()
    for r, (_, traces, yaxis) in enumerate(lanes, start=1):
        for tr in traces:
            if tr.name in CLASS_COLORS:
                tr.showlegend = tr.name not in shown
                shown.add(tr.name)
            fig.add_trace(tr, row=r, col=1)
        fig.update_yaxes(**yaxis, row=r, col=1)
    x, probs, step = _binned(pred, max_points)
    for j, cls in enumerate(pred.classes):
        fig.add_trace(go.Scatter(x=x, y=probs[:, j], mode="lines", name=cls, legendgroup=f"class-{cls}",
                                 showlegend=cls not in shown, line=dict(color=CLASS_COLORS.get(cls, "#000"), width=1.5),
                                 hovertemplate=f"{cls}: %{{y:.2f}} at %{{x:,.0f}}<extra></extra>"), row=rows, col=1)
    ytitle = "P(class)" if step == 1 else f"P(class), mean per {step} bp"
    fig.update_yaxes(title_text=ytitle, range=[0, 1.02], row=rows, col=1)
    fig.update_xaxes(title_text=POSITION_TITLE, row=rows, col=1)
    fig.update_layout(title=title or f"{pred.head} — {pred.region}", height=260 + 60 * len(lanes),
                      margin=dict(l=10, r=10, t=60, b=40), legend=dict(title="class"))
    return fig


def class_score_chart(fit: AnnotationFit, *, metric: str = "f1") -> go.Figure:
    """Per-class held-out ``metric`` (f1, precision, recall or mcc) of the model head vs the k-mer head, grouped
    bars; the legend gives each head's macro-F1 with its 95 % block-bootstrap CI."""
    if metric not in ("f1", "precision", "recall", "mcc"):
        raise ValueError(f"metric must be f1, precision, recall or mcc, got {metric!r}")
    scores = fit.scores.set_index("features")
    fig = go.Figure()
    for features, g in fit.metrics.groupby("features", sort=False):
        s = scores.loc[features]
        fig.add_trace(go.Bar(
            x=g["class"], y=g[metric], name=f"{features}: macro-F1 {s['macro_f1']:.3f} ({s['ci_lo']:.3f}–{s['ci_hi']:.3f})",
            marker_color=FEATURE_COLORS.get(features), customdata=np.c_[g["support"], g["precision"], g["recall"]],
            hovertemplate=f"{features} · %{{x}}: {metric} %{{y:.3f}}<br>precision %{{customdata[1]:.3f}} · recall "
                          "%{customdata[2]:.3f}<br>%{customdata[0]:,} held-out bases<extra></extra>"))
    lo = -1 if metric == "mcc" else 0
    fig.update_layout(barmode="group", title=f"Held-out {metric} per class ({fit.split.heldout_region}): "
                                             f"{fit.head.kind} head on the model vs on k-mers",
                      yaxis=dict(title=metric, range=[lo, 1]), xaxis_title=None, height=380,
                      margin=dict(l=10, r=10, t=50, b=40), legend=dict(orientation="h", y=-0.15))
    return fig
