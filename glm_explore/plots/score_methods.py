"""The "Which score?" figure (fed by :func:`glm_explore.calibration.methods.compare_methods`): AUROC with its bootstrap
CI per scoring method and class pair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

METHOD_COLORS = {"llr": "#1f77b4", "entropy_weighted_llr": "#17becf", "embedding_cosine": "#9467bd",
                 "embedding_l2": "#e377c2", "clm_delta_ll": "#ff7f0e", "dependency_row": "#2ca02c"}


def method_auroc_chart(ranking: pd.DataFrame) -> go.Figure:
    """AUROC (y) of every method per class pair (x, grouped), error bars the 95 % bootstrap CI; dotted line at
    0.5 (chance). ``ranking``: :attr:`~glm_explore.results.calibration.MethodComparison.ranking` (``pair, rank,
    method, label, auroc, ci_lo, ci_hi``). One trace per method, named by its label, in order of first rank."""
    fig = go.Figure()
    pairs = list(dict.fromkeys(ranking["pair"]))
    for method, g in ranking.groupby("method", sort=False):
        g = g.set_index("pair").reindex(pairs)
        fig.add_trace(go.Scatter(
            x=pairs, y=g["auroc"], mode="markers", name=str(g["label"].dropna().iat[0]),
            marker=dict(size=10, color=METHOD_COLORS.get(str(method), "#555")),
            error_y=dict(type="data", symmetric=False, array=g["ci_hi"] - g["auroc"],
                         arrayminus=g["auroc"] - g["ci_lo"]),
            customdata=np.c_[g["rank"], g["ci_lo"], g["ci_hi"]],
            hovertemplate="%{x}<br>AUROC %{y:.3f} (CI %{customdata[1]:.3f}–%{customdata[2]:.3f}), rank "
                          "%{customdata[0]}<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#888")
    fig.update_layout(scattermode="group", title="AUROC per class pair (95 % bootstrap CI; 0.5 = chance, > 0.5 = the "
                                                 "second class scored more deleterious)",
                      yaxis_title="AUROC", height=380, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.2))
    return fig
