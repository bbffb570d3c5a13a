"""Plotly figures from results; no model calls here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .annotation import CLASSES

CLASS_COLORS = {
    "CDS": "#1f77b4", "UTR": "#17becf", "intron": "#ff7f0e", "tRNA": "#2ca02c", "rRNA": "#98df8a",
    "ncRNA": "#9467bd", "repeat": "#d62728", "promoter": "#e377c2", "intergenic": "#7f7f7f",
}
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def class_counts_bar(counts: pd.Series, title: str = "Bases per region class") -> go.Figure:
    """Horizontal bar chart of bases per class (from ``GenomeData.class_counts()``)."""
    counts = counts[counts > 0].reindex([c for c in CLASSES if c in counts.index and counts[c] > 0])
    total = counts.sum()
    fig = go.Figure(go.Bar(
        x=counts.values, y=counts.index, orientation="h",
        marker_color=[CLASS_COLORS[c] for c in counts.index],
        text=[f"{v / total:.1%}" for v in counts.values], textposition="auto",
        hovertemplate="%{y}: %{x:,} bp<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="bases", yaxis_title="region class", height=320,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed"))
    return fig


# ---------------------------------------------------------------------------------------------
# Sequence logos and annotation lanes (shared by the logits, attribution and variant pages)
# ---------------------------------------------------------------------------------------------

def _arc(cx: float, cy: float, r: float, a0: float, a1: float, n: int = 24) -> list[tuple[float, float]]:
    t = np.radians(np.linspace(a0, a1, n))
    return list(zip(cx + r * np.cos(t), cy + r * np.sin(t)))


def _letter_glyphs() -> dict[str, np.ndarray]:
    """Each letter as one closed polygon (k, 2) in the unit box; holes cut in with zero-width slits."""
    a = [(0, 0), (0.22, 0), (0.3, 0.25), (0.5, 0.25), (0.5, 0.4), (0.36, 0.4), (0.5, 0.78), (0.64, 0.4),
         (0.5, 0.4), (0.5, 0.25), (0.7, 0.25), (0.78, 0), (1, 0), (0.6, 1), (0.4, 1), (0, 0)]
    c = _arc(0.5, 0.5, 0.5, 45, 315) + _arc(0.5, 0.5, 0.29, 315, 45)
    g = _arc(0.5, 0.5, 0.5, 45, 360) + [(0.55, 0.5), (0.55, 0.36), (0.76, 0.36)] + _arc(0.5, 0.5, 0.29, 330, 45)
    t = [(0, 1), (1, 1), (1, 0.82), (0.6, 0.82), (0.6, 0), (0.4, 0), (0.4, 0.82), (0, 0.82)]
    return {k: np.asarray(v + [v[0]], dtype=float) for k, v in zip("ACGT", [a, c, g, t])}


_GLYPHS = _letter_glyphs()


def logo_traces(heights: np.ndarray, start: int = 1, *, width: float = 0.9, min_height: float = 1e-3,
                hover: bool = True, showlegend: bool = False) -> list[go.Scatter]:
    """Plotly traces drawing a sequence logo: letters A/C/G/T stacked per column.

    ``heights`` is (4, L) in A,C,G,T order; column i is drawn at x = ``start + i`` (pass the 1-based
    genome coordinate of column 0). Positive heights stack upwards from 0 with the tallest letter on
    top; negative heights stack downwards from 0 with the most negative letter at the bottom (for
    attribution logos). Letters shorter than ``min_height`` are skipped. One filled trace per base
    keeps the figure light for windows of a few thousand columns.
    """
    h = np.asarray(heights, dtype=float)
    if h.ndim != 2 or h.shape[0] != 4:
        raise ValueError(f"heights must have shape (4, L), got {h.shape}")
    h = np.nan_to_num(h)
    L = h.shape[1]
    xs: dict[int, list[np.ndarray]] = {b: [] for b in range(4)}
    ys: dict[int, list[np.ndarray]] = {b: [] for b in range(4)}
    for sign in (1.0, -1.0):
        part = np.where(sign * h > 0, np.abs(h), 0.0)
        order = np.argsort(part, axis=0)  # smallest first: nearest the axis
        sorted_h = np.take_along_axis(part, order, axis=0)
        base = np.cumsum(sorted_h, axis=0) - sorted_h  # distance from the axis where each letter starts
        for rank in range(4):
            for b in range(4):
                cols = np.nonzero((order[rank] == b) & (sorted_h[rank] > min_height))[0]
                if cols.size == 0:
                    continue
                glyph = _GLYPHS["ACGT"[b]]
                x0 = (start + cols - width / 2)[:, None]
                hh = sorted_h[rank, cols][:, None]
                b0 = base[rank, cols][:, None]
                y_bottom = b0 if sign > 0 else -(b0 + hh)
                gx = x0 + glyph[None, :, 0] * width
                gy = y_bottom + glyph[None, :, 1] * hh
                sep = np.full((len(cols), 1), np.nan)
                xs[b].append(np.hstack([gx, sep]).ravel())
                ys[b].append(np.hstack([gy, sep]).ravel())
    traces: list[go.Scatter] = []
    for b, letter in enumerate("ACGT"):
        x = np.concatenate(xs[b]) if xs[b] else np.array([])
        y = np.concatenate(ys[b]) if ys[b] else np.array([])
        traces.append(go.Scatter(x=x, y=y, mode="lines", fill="toself", fillcolor=BASE_COLORS[letter],
                                 line=dict(width=0, color=BASE_COLORS[letter]), name=letter, hoverinfo="skip",
                                 showlegend=showlegend, legendgroup=letter))
    if hover:
        pos = np.arange(L) + start
        top = np.clip(h, 0, None).sum(axis=0)
        traces.append(go.Scatter(
            x=pos, y=top, mode="markers", marker=dict(size=6, opacity=0), name="", showlegend=False,
            customdata=h.T, hovertemplate="pos %{x}<br>A %{customdata[0]:.3f}  C %{customdata[1]:.3f}<br>"
                                          "G %{customdata[2]:.3f}  T %{customdata[3]:.3f}<extra></extra>"))
    return traces


def sequence_logo(heights: np.ndarray, start: int = 1, *, title: str = "", yaxis_title: str = "bits",
                  height: int = 260, width: float = 0.9) -> go.Figure:
    """A sequence logo of (4, L) letter heights (A,C,G,T), column i at x = ``start + i``.

    Negative heights are drawn below the axis (attribution logos). Typical inputs: probabilities
    (heights sum to 1 per column), ``p · IC`` in bits (see :func:`glm_explore.logits.logo_heights`),
    or attribution scores.
    """
    fig = go.Figure(logo_traces(heights, start, width=width))
    h = np.nan_to_num(np.asarray(heights, dtype=float))
    lo, hi = min(0.0, np.clip(h, None, 0).sum(axis=0).min()), max(0.0, np.clip(h, 0, None).sum(axis=0).max())
    pad = 0.05 * max(hi - lo, 1e-9)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title="position (1-based)", yaxis_title=yaxis_title, plot_bgcolor="white",
                      yaxis=dict(range=[lo - pad, hi + pad], zeroline=True, zerolinecolor="#999"),
                      xaxis=dict(range=[start - 0.5 - 0.5, start + h.shape[1] - 0.5 + 0.5]), hovermode="closest")
    return fig


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of equal values: (value, start, end) with end exclusive."""
    if len(codes) == 0:
        return []
    cut = np.flatnonzero(np.diff(codes)) + 1
    starts = np.r_[0, cut]
    ends = np.r_[cut, len(codes)]
    return [(int(codes[s]), int(s), int(e)) for s, e in zip(starts, ends)]


def annotation_traces(classes: np.ndarray, genes: pd.DataFrame | None, start: int, end: int
                      ) -> list[go.Scatter]:
    """Traces for an annotation lane over the 0-based half-open span ``[start, end)``.

    ``classes`` are the (end-start,) region-class codes into :data:`CLASSES` (from
    ``GenomeData.classes_in``); ``genes`` has ``Start, End, Strand, Name`` (0-based half-open, e.g.
    ``GenomeData.genes()`` filtered to the contig). The x axis is 1-based: base k is drawn at k + 1.
    Class bands fill y ∈ [0, 1]; genes fill y ∈ [1.3, 2] with their name and strand.
    """
    traces: list[go.Scatter] = []
    by_class: dict[int, tuple[list, list]] = {}
    for code, s, e in _runs(np.asarray(classes)):
        x0, x1 = start + s + 0.5, start + e + 0.5
        xs, ys = by_class.setdefault(code, ([], []))
        xs += [x0, x1, x1, x0, x0, None]
        ys += [0, 0, 1, 1, 0, None]
    for code, (xs, ys) in sorted(by_class.items()):
        name = CLASSES[code]
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=CLASS_COLORS[name],
                                 line=dict(width=0), name=name, legendgroup=f"class-{name}", showlegend=True,
                                 hoveron="fills", hoverinfo="name"))
    if genes is not None and len(genes):
        g = genes[(genes["End"] > start) & (genes["Start"] < end)]
        g = g.drop_duplicates(subset=["Start", "End", "Name"])
        xs, ys, tx, tt = [], [], [], []
        for row in g.itertuples():
            x0, x1 = max(row.Start, start) + 0.5, min(row.End, end) + 0.5
            xs += [x0, x1, x1, x0, x0, None]
            ys += [1.3, 1.3, 2, 2, 1.3, None]
            arrow = {"+": "→", "-": "←"}.get(str(row.Strand), "")
            tx.append((x0 + x1) / 2)
            tt.append(f"{row.Name} {arrow}".strip())
        if xs:
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor="#dddddd",
                                     line=dict(width=1, color="#555"), name="genes", showlegend=False,
                                     hoverinfo="skip"))
            traces.append(go.Scatter(x=tx, y=[1.65] * len(tx), mode="text", text=tt, textfont=dict(size=11),
                                     showlegend=False, hoverinfo="text", name="genes"))
    return traces


def annotation_lane(data, region, *, height: int = 140, title: str = "") -> go.Figure:
    """Region classes and gene names of ``region`` (a 0-based :class:`~glm_explore.genome.Region`)
    from a :class:`~glm_explore.datasets.GenomeData`; x axis in 1-based coordinates."""
    chrom = data.genome.resolve(region.chrom)
    genes = data.genes()
    genes = genes[genes["Chromosome"] == chrom]
    fig = go.Figure(annotation_traces(data.classes_in(chrom, region.start, region.end), genes,
                                      region.start, region.end))
    fig.update_layout(height=height, title=title, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.3),
                      yaxis=dict(visible=False, range=[-0.1, 2.1]),
                      xaxis=dict(title="position (1-based)", range=[region.start + 0.5, region.end + 0.5]))
    return fig
