"""Shared drawing pieces for every plot module: colours, sequence-logo letters and annotation lanes.

Fed by: letter heights from :func:`glm_explore.results.logits.logo_heights` (or attribution values), and the
region classes / genes of a :class:`~glm_explore.io.datasets.GenomeData` looked up by
:func:`region_annotation`, the one place a lane reads the annotation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..io.annotation import CLASSES

CLASS_COLORS = {
    "CDS": "#1f77b4", "UTR": "#17becf", "intron": "#ff7f0e", "tRNA": "#2ca02c", "rRNA": "#98df8a",
    "ncRNA": "#9467bd", "repeat": "#d62728", "promoter": "#e377c2", "intergenic": "#7f7f7f",
}
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}
LANE_YAXIS = dict(visible=False, range=[-0.1, 2.1])  # y axis of an annotation lane (classes 0–1, genes 1.3–2)
POSITION_TITLE = "position (1-based)"


# ---------------------------------------------------------------------------------------------
# Sequence logos
# ---------------------------------------------------------------------------------------------

def _arc(cx: float, cy: float, r: float, a0: float, a1: float, step: float) -> list[tuple[float, float]]:
    t = np.radians(np.linspace(a0, a1, int(round(abs(a1 - a0) / step)) + 1))  # steps dividing 45° hit 90/180/270
    return list(zip(cx + r * np.cos(t), cy + r * np.sin(t)))


def _letter_glyphs(step: float) -> dict[str, np.ndarray]:
    """Each letter as one closed polygon (k, 2) in the unit box; holes cut in with zero-width slits.
    ``step``: degrees between points on the round letters (C, G)."""
    a = [(0, 0), (0.22, 0), (0.3, 0.25), (0.5, 0.25), (0.5, 0.4), (0.36, 0.4), (0.5, 0.78), (0.64, 0.4),
         (0.5, 0.4), (0.5, 0.25), (0.7, 0.25), (0.78, 0), (1, 0), (0.6, 1), (0.4, 1), (0, 0)]
    c = _arc(0.5, 0.5, 0.5, 45, 315, step) + _arc(0.5, 0.5, 0.29, 315, 45, step)
    g = (_arc(0.5, 0.5, 0.5, 45, 360, step) + [(0.55, 0.5), (0.55, 0.36), (0.76, 0.36)]
         + _arc(0.5, 0.5, 0.29, 330, 45, step))
    t = [(0, 1), (1, 1), (1, 0.82), (0.6, 0.82), (0.6, 0), (0.4, 0), (0.4, 0.82), (0, 0.82)]
    return {k: np.asarray(v + [v[0]], dtype=float) for k, v in zip("ACGT", [a, c, g, t])}


_GLYPHS = {"fine": _letter_glyphs(7.5), "coarse": _letter_glyphs(22.5)}  # coarse for long windows


def logo_traces(heights: np.ndarray, start: int = 1, *, width: float = 0.9, min_height: float = 1e-3,
                hover: bool = True, showlegend: bool = False) -> list[go.Scatter]:
    """Plotly traces drawing a sequence logo: letters A/C/G/T stacked per column.

    ``heights`` is (4, L) in A,C,G,T order; column i is drawn at x = ``start + i`` (pass the 1-based
    genome coordinate of column 0). Positive heights stack upwards from 0 with the tallest letter on
    top; negative heights stack downwards from 0 with the most negative letter at the bottom (for
    attribution logos). Letters shorter than ``min_height`` are skipped. One filled trace per base
    (named 'A'…'T', in that order) keeps the figure light for windows of a few thousand columns; with
    ``hover`` a fifth, invisible trace carries the (L, 4) heights as ``customdata``.
    """
    h = np.asarray(heights, dtype=float)
    if h.ndim != 2 or h.shape[0] != 4:
        raise ValueError(f"heights must have shape (4, L), got {h.shape}")
    h = np.nan_to_num(h)
    L = h.shape[1]
    glyphs = _GLYPHS["fine" if L <= 300 else "coarse"]
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
                glyph = glyphs["ACGT"[b]]
                x0 = (start + cols - width / 2)[:, None]
                hh = sorted_h[rank, cols][:, None]
                b0 = base[rank, cols][:, None]
                y_bottom = b0 if sign > 0 else -(b0 + hh)
                gx = x0 + glyph[None, :, 0] * width
                gy = y_bottom + glyph[None, :, 1] * hh
                sep = np.full((len(cols), 1), np.nan)
                xs[b].append(np.hstack([gx, sep]).ravel().astype(np.float32))
                ys[b].append(np.hstack([gy, sep]).ravel().astype(np.float32))
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


# ---------------------------------------------------------------------------------------------
# Annotation lanes
# ---------------------------------------------------------------------------------------------

def region_annotation(data, chrom: str, start: int, end: int) -> tuple[np.ndarray, pd.DataFrame]:
    """What an annotation lane shows over ``chrom[start:end]`` (0-based half-open) of a
    :class:`~glm_explore.io.datasets.GenomeData`: the (end-start,) region-class codes into
    :data:`~glm_explore.io.annotation.CLASSES` and the genes overlapping the span (``Chromosome, Start,
    End, Strand, Feature, Name``, 0-based half-open, one row per distinct start/end/name).
    ``chrom`` may be any alias the genome resolves."""
    chrom = data.genome.resolve(chrom)
    genes = data.genes()
    genes = genes[(genes["Chromosome"] == chrom) & (genes["End"] > start) & (genes["Start"] < end)]
    return data.classes_in(chrom, start, end), genes.drop_duplicates(subset=["Start", "End", "Name"])


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of equal values: (value, start, end) with end exclusive."""
    if len(codes) == 0:
        return []
    cut = np.flatnonzero(np.diff(codes)) + 1
    starts = np.r_[0, cut]
    ends = np.r_[cut, len(codes)]
    return [(int(codes[s]), int(s), int(e)) for s, e in zip(starts, ends)]


def rect_xy(x0: float, x1: float, y0: float, y1: float) -> tuple[list, list]:
    """x and y of one closed rectangle followed by a gap (None), for filled 'lines' traces."""
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def annotation_traces(classes: np.ndarray, genes: pd.DataFrame | None, start: int, end: int
                      ) -> list[go.Scatter]:
    """Traces for an annotation lane over the 0-based half-open span ``[start, end)``.

    ``classes`` and ``genes`` as returned by :func:`region_annotation`. The x axis is 1-based: base k
    is drawn at k + 1. Class bands fill y ∈ [0, 1] (one trace per class, named after it); genes fill
    y ∈ [1.3, 2] with their name and strand (clipped to the span).
    """
    traces: list[go.Scatter] = []
    by_class: dict[int, tuple[list, list]] = {}
    for code, s, e in _runs(np.asarray(classes)):
        xs, ys = by_class.setdefault(code, ([], []))
        bx, by = rect_xy(start + s + 0.5, start + e + 0.5, 0, 1)
        xs += bx
        ys += by
    for code, (xs, ys) in sorted(by_class.items()):
        name = CLASSES[code]
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=CLASS_COLORS[name],
                                 line=dict(width=0), name=name, legendgroup=f"class-{name}", showlegend=True,
                                 hoveron="fills", hoverinfo="name"))
    if genes is not None and len(genes):
        xs, ys, tx, tt = [], [], [], []
        for row in genes.itertuples():
            x0, x1 = max(row.Start, start) + 0.5, min(row.End, end) + 0.5
            bx, by = rect_xy(x0, x1, 1.3, 2)
            xs += bx
            ys += by
            arrow = {"+": "→", "-": "←"}.get(str(row.Strand), "")
            tx.append((x0 + x1) / 2)
            tt.append(f"{row.Name} {arrow}".strip())
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor="#dddddd",
                                 line=dict(width=1, color="#555"), name="genes", showlegend=False,
                                 hoverinfo="skip"))
        traces.append(go.Scatter(x=tx, y=[1.65] * len(tx), mode="text", text=tt, textfont=dict(size=11),
                                 showlegend=False, hoverinfo="text", name="genes"))
    return traces


def annotation_lane_traces(data, chrom: str, start: int, end: int) -> list[go.Scatter]:
    """The annotation lane of ``chrom[start:end]`` (0-based half-open) of a
    :class:`~glm_explore.io.datasets.GenomeData`, x in 1-based coordinates; draw it on a y axis set
    to :data:`LANE_YAXIS`."""
    return annotation_traces(*region_annotation(data, chrom, start, end), start, end)
