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
    keeps the figure light for windows of a few thousand columns.
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


# ---------------------------------------------------------------------------------------------
# Nucleotide logits: aligned tracks, MLM vs CLM comparison, dependency heatmap
# ---------------------------------------------------------------------------------------------

_P_COLS = ["p_A", "p_C", "p_G", "p_T"]


def logo_heights_from_table(table: pd.DataFrame, kind: str = "information") -> np.ndarray:
    """(4, L) letter heights from a ``logits.position_table``: 'probability' or 'information' (p · IC bits)."""
    p = table[_P_COLS].to_numpy(dtype=float).T
    if kind == "probability":
        return p
    return p * table["ic_bits"].to_numpy(dtype=float)[None, :]


def _logo_top(tables, logo: str) -> float:
    """y-axis top for logos: 1 for probabilities; for p · IC the tallest column (≥ 0.25 bits, ≤ 2),
    so that weak models' logos stay readable (the axis says bits)."""
    if logo == "probability":
        return 1.0
    top = max((float(np.nanmax(t["ic_bits"])) for t in tables if len(t)), default=2.0)
    return float(min(2.0, max(0.25, 1.08 * top)))


def logits_tracks(table: pd.DataFrame, *, data=None, logo: str = "information", title: str = "",
                  height: int | None = None) -> go.Figure:
    """Aligned tracks over one region, sharing x zoom/pan: sequence logo, P(ref), entropy and (with a
    :class:`~glm_explore.datasets.GenomeData` and a ``chrom`` column) the annotation lane.

    ``table`` is :func:`glm_explore.logits.position_table` output (1-based ``pos``). ``logo``:
    'information' (letters p_b · IC, bits) or 'probability' (letters p_b, columns sum to 1).
    P(ref) bars are red where the model's top base differs from the reference.
    """
    from plotly.subplots import make_subplots

    with_ann = data is not None and "chrom" in table.columns and len(table)
    rows = 4 if with_ann else 3
    titles = ["logo (bits: p · IC)" if logo == "information" else "logo (probability)", "P(ref)",
              "entropy (bits)"] + (["annotation"] if with_ann else [])
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.4, 0.2, 0.2, 0.2][:rows] if with_ann else [0.5, 0.25, 0.25],
                        subplot_titles=titles)
    pos = table["pos"].to_numpy()
    start = int(pos[0]) if len(pos) else 1
    for tr in logo_traces(logo_heights_from_table(table, logo), start, showlegend=False):
        fig.add_trace(tr, row=1, col=1)
    disagree = table["model_disagrees"].to_numpy(dtype=bool)
    fig.add_trace(go.Bar(
        x=pos, y=table["p_ref"], marker_color=np.where(disagree, "#d62728", "#4c78a8"), name="P(ref)",
        showlegend=False, customdata=np.c_[table["ref"], table["top_base"], table["top_p"]],
        hovertemplate="pos %{x} ref %{customdata[0]}<br>P(ref) %{y:.3f}<br>top %{customdata[1]} "
                      "(%{customdata[2]:.3f})<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=pos, y=table["entropy_bits"], mode="lines", line=dict(color="#555", width=1),
                             name="entropy", showlegend=False,
                             hovertemplate="pos %{x}<br>H %{y:.3f} bits<extra></extra>"), row=3, col=1)
    if with_ann:
        chrom = data.genome.resolve(str(table["chrom"].iloc[0]))
        s0, e0 = start - 1, int(pos[-1])
        genes = data.genes()
        for tr in annotation_traces(data.classes_in(chrom, s0, e0), genes[genes["Chromosome"] == chrom], s0, e0):
            fig.add_trace(tr, row=4, col=1)
        fig.update_yaxes(visible=False, range=[-0.1, 2.1], row=4, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_yaxes(range=[0, 2], row=3, col=1)
    fig.update_yaxes(range=[0, _logo_top([table], logo)], row=1, col=1)
    fig.update_xaxes(range=[start - 1, start + len(pos)], row=rows, col=1)
    fig.update_xaxes(title_text="position (1-based)", row=rows, col=1)
    fig.update_layout(title=title, height=height or (620 if with_ann else 500), plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=60 if title else 30, b=10), hovermode="closest",
                      legend=dict(orientation="h", y=-0.12), bargap=0.05)
    return fig


def logits_comparison(tables: dict[str, pd.DataFrame], *, logo: str = "information", title: str = "") -> go.Figure:
    """Several models on the same region (e.g. MLM vs CLM), aligned: one logo row per model and one
    row overlaying their P(ref). ``tables`` maps a label to its ``position_table``; x is shared."""
    from plotly.subplots import make_subplots

    labels = list(tables)
    n = len(labels)
    fig = make_subplots(rows=n + 1, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[f"{k}: logo" for k in labels] + ["P(ref)"])
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
    for r, (label, table) in enumerate(tables.items(), start=1):
        pos = table["pos"].to_numpy()
        for tr in logo_traces(logo_heights_from_table(table, logo), int(pos[0]) if len(pos) else 1):
            fig.add_trace(tr, row=r, col=1)
        fig.update_yaxes(range=[0, _logo_top(tables.values(), logo)],  # one scale for every model
                         title_text="bits" if logo == "information" else "p", row=r, col=1)
        ll = np.nansum(table["log_p_ref"].to_numpy(dtype=float)) / np.log(2)
        fig.add_trace(go.Scatter(x=pos, y=table["p_ref"], mode="lines", line=dict(color=palette[(r - 1) % 4]),
                                 name=f"{label} (Σ log2 P(ref) = {ll:.1f} bits)",
                                 hovertemplate=f"{label}<br>pos %{{x}}<br>P(ref) %{{y:.3f}}<extra></extra>"),
                      row=n + 1, col=1)
    fig.update_yaxes(range=[0, 1], row=n + 1, col=1)
    fig.update_xaxes(title_text="position (1-based)", row=n + 1, col=1)
    fig.update_layout(title=title, height=220 * n + 220, plot_bgcolor="white", hovermode="closest",
                      margin=dict(l=10, r=10, t=60 if title else 30, b=10), legend=dict(orientation="h", y=-0.12))
    return fig


def dependency_heatmap(dep, *, title: str = "", zmax: float | None = None) -> go.Figure:
    """L×L nucleotide dependency map (:class:`~glm_explore.results.DependencyMap`): row = query
    position i (substituted), column = target position j; colour = max |Δ log-odds| (natural log)."""
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


# ---------------------------------------------------------------- embedding explorer

def embedding_scatter(frame: pd.DataFrame, *, color: str = "class", x: str = "x", y: str = "y", title: str = "",
                      axis_titles: tuple[str, str] = ("PC1", "PC2"), height: int = 560) -> go.Figure:
    """Scatter of window projections (from ``embed.window_frame`` + a :class:`Projection`).

    ``frame`` needs ``x``/``y``, ``region`` (1-based ``chrom:start-end``), ``class`` and the
    ``color`` column: categorical (``class``, ``chrom``, ``strand``, ``split``: one legend entry per
    value, click to toggle) or numeric (``gc``: a colour scale). ``customdata[0]`` is the row
    number in ``frame`` so a selection maps back to a window.
    """
    fig = go.Figure()
    scatter = go.Scatter if len(frame) <= 5000 else go.Scattergl  # SVG (no WebGL needed) unless many points
    rows = np.arange(len(frame))
    hover = "%{customdata[1]}<br>class: %{customdata[2]}<extra>%{customdata[3]}</extra>"
    extra = frame[color].astype(str) if color != "class" else frame["split"].astype(str)
    custom = np.stack([rows, frame["region"].astype(str), frame["class"].astype(str), extra], axis=1)
    if pd.api.types.is_numeric_dtype(frame[color]):
        fig.add_trace(scatter(
            x=frame[x], y=frame[y], mode="markers", customdata=custom, hovertemplate=hover, name=color,
            marker=dict(size=6, color=frame[color], colorscale="Viridis", showscale=True,
                        colorbar=dict(title=color)),
        ))
    else:
        values = frame[color].astype(str)
        cats = [c for c in CLASSES if c in set(values)] if color == "class" else sorted(set(values))
        palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf"]
        for i, cat in enumerate(cats):
            m = (values == cat).to_numpy()
            col = CLASS_COLORS.get(cat, palette[i % len(palette)]) if color == "class" else palette[i % len(palette)]
            fig.add_trace(scatter(
                x=frame[x][m], y=frame[y][m], mode="markers", name=f"{cat} ({int(m.sum())})",
                customdata=custom[m], hovertemplate=hover, marker=dict(size=6, color=col, opacity=0.8),
            ))
    fig.update_layout(title=title, xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], height=height,
                      legend=dict(title=color, itemsizing="constant"), margin=dict(l=10, r=10, t=40, b=10),
                      dragmode="select")
    return fig


def confusion_heatmap(confusion: pd.DataFrame, *, title: str = "Probe confusion (held-out windows)") -> go.Figure:
    """Heatmap of a confusion matrix (rows true class, columns predicted; from ``Separation.confusion``).

    Colour = fraction of the true class's windows (row-normalised); text = counts.
    """
    counts = confusion.to_numpy()
    frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(
        z=frac, x=[str(c) for c in confusion.columns], y=[str(r) for r in confusion.index], zmin=0, zmax=1,
        colorscale="Blues", text=counts, texttemplate="%{text}", colorbar=dict(title="fraction"),
        hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%})<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="predicted", yaxis_title="true", height=380,
                      yaxis=dict(autorange="reversed"), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def layer_sweep_plot(sweep: pd.DataFrame, *, title: str = "Probe macro-F1 per layer (held-out windows)"
                     ) -> go.Figure:
    """Line plot of ``reduce.layer_sweep``: model macro-F1 per layer with 95 % CI, the k-mer baseline dashed."""
    model = sweep[sweep["features"] == "model"]
    fig = go.Figure(go.Scatter(
        x=model["layer"], y=model["macro_f1"], mode="lines+markers", name="model",
        error_y=dict(type="data", symmetric=False, array=model["hi"] - model["macro_f1"],
                     arrayminus=model["macro_f1"] - model["lo"]),
        hovertemplate="layer %{x}: macro-F1 %{y:.3f}<extra></extra>",
    ))
    for _, row in sweep[sweep["features"] != "model"].iterrows():
        fig.add_hline(y=row["macro_f1"], line_dash="dash", line_color="#7f7f7f",
                      annotation_text=f"{row['features']} {row['macro_f1']:.3f} "
                                      f"({row['lo']:.3f}–{row['hi']:.3f})")
    fig.update_layout(title=title, xaxis_title="layer (0 = input embedding)", yaxis_title="macro-F1",
                      yaxis=dict(range=[0, 1]), height=360, margin=dict(l=10, r=10, t=40, b=10))
    return fig


# ---------------------------------------------------------------------------------------------
# Variant effects (glm_explore.variants): score distributions, synonymy, ref vs alt tracks
# ---------------------------------------------------------------------------------------------

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


def variant_tracks(tracks, embedding=None, *, logo: str = "information", title: str = "") -> go.Figure:
    """Ref vs alt per-position predictions around a variant and the delta, x shared (1-based).

    ``tracks`` is :class:`glm_explore.variants.VariantTracks`: rows are the ref-sequence logo, the
    alt-sequence logo, and the delta track — max |Δ log-odds| per position (bars) and
    Δ log P(reference base) (line). With an :class:`glm_explore.variants.EmbeddingShift`, a last
    row shows the per-position embedding delta ‖h_alt − h_ref‖. The variant is marked by a dashed line.
    """
    from plotly.subplots import make_subplots

    from .logits import logo_heights

    rows = 4 if embedding is not None else 3
    titles = [f"reference sequence: logo ({'bits: p · IC' if logo == 'information' else 'probability'})",
              f"with {tracks.variant.ref}>{tracks.variant.alt}: logo",
              "delta track: max |Δ log-odds| (bars), Δ log P(reference base) (line)"]
    if embedding is not None:
        titles.append(f"embedding delta ‖h_alt − h_ref‖ (layer {embedding.layer})")
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=titles,
                        row_heights=[0.28, 0.28, 0.26, 0.18][:rows] if rows == 4 else [0.34, 0.34, 0.32])
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
    vpos = tracks.variant.pos
    for r in range(1, rows + 1):
        fig.add_vline(x=vpos, line_dash="dash", line_color="#d62728", line_width=1, row=r, col=1)
    fig.update_xaxes(range=[start - 1, int(pos[-1]) + 1], row=rows, col=1)
    fig.update_xaxes(title_text="position (1-based)", row=rows, col=1)
    fig.update_layout(title=title, height=240 * rows, plot_bgcolor="white", hovermode="closest", showlegend=True,
                      legend=dict(orientation="h", y=-0.08), margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig


# ---------------------------------------------------------------------------------------------
# Attribution maps, ISM and motif hits (glm_explore.attribution / glm_explore.motifs)
# ---------------------------------------------------------------------------------------------

_STRAND_Y = {"+": 1.0, "-": 0.0}


def attribution_logo(attr, *, title: str = "", height: int = 260) -> go.Figure:
    """Letters scaled by attribution (:class:`~glm_explore.results.Attributions` ``values`` or an
    :class:`~glm_explore.results.ISMResult`'s mean effect), negative below the axis; x 1-based."""
    values = attr.logo_values if hasattr(attr, "logo_values") else attr.values
    return sequence_logo(values, int(attr.positions[0]), title=title, height=height,
                         yaxis_title="attribution" if not hasattr(attr, "logo_values") else "−mean Δ")


def ism_heatmap_traces(ism, *, zmax: float | None = None, showscale: bool = True) -> list:
    """Heatmap of ISM Δ (rows A,C,G,T; x 1-based) plus a dot on each reference base."""
    d = np.asarray(ism.delta, dtype=float)
    pos = ism.positions
    if zmax is None:
        finite = np.abs(d[np.isfinite(d)])
        zmax = float(np.quantile(finite, 0.99)) if finite.size and finite.max() > 0 else 1.0
    text = np.array([[f"{ism.seq[i]}→{b}" for i in range(ism.length)] for b in "ACGT"]) if ism.length else None
    heat = go.Heatmap(z=d, x=pos, y=list("ACGT"), zmid=0, zmin=-zmax, zmax=zmax, colorscale="RdBu",
                      text=text, showscale=showscale, colorbar=dict(title="Δ target", len=0.3, y=0.5),
                      hovertemplate="pos %{x} %{text}<br>Δ %{z:+.3f}<extra></extra>", name="ISM")
    ref = [b if b in "ACGT" else None for b in ism.seq]
    dots = go.Scatter(x=pos, y=ref, mode="markers", marker=dict(size=3, color="#222"), name="reference",
                      showlegend=False, hoverinfo="skip")
    return [heat, dots]


def ism_heatmap(ism, *, title: str = "", height: int = 220) -> go.Figure:
    """In-silico mutagenesis heatmap: Δ target for each base at each position (red = mutation lowers
    the target, blue = raises it; blank = undefined); dots mark the reference bases."""
    fig = go.Figure(ism_heatmap_traces(ism))
    fig.update_layout(title=title, height=height, plot_bgcolor="white", xaxis_title="position (1-based)",
                      yaxis=dict(autorange="reversed"), margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def motif_hit_traces(hits: pd.DataFrame, *, color: str = "#6a3d9a", name: str = "motif hits") -> list:
    """Boxes for FIMO hits (:func:`glm_explore.motifs.scan_motif`; 1-based ``pos_start``/``pos_end``),
    + strand on top, − strand below; darker = smaller p-value."""
    if hits is None or len(hits) == 0:
        return []
    xs, ys = [], []
    for row in hits.itertuples():
        y = _STRAND_Y.get(str(row.strand), 0.5)
        x0, x1 = row.pos_start - 0.5, row.pos_end + 0.5
        xs += [x0, x1, x1, x0, x0, None]
        ys += [y - 0.35, y - 0.35, y + 0.35, y + 0.35, y - 0.35, None]
    box = go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=color, line=dict(width=1, color=color),
                     opacity=0.7, name=name, hoverinfo="skip", showlegend=False)
    mid = go.Scatter(
        x=(hits["pos_start"] + hits["pos_end"]) / 2, y=[_STRAND_Y.get(str(s), 0.5) for s in hits["strand"]],
        mode="markers", marker=dict(size=8, opacity=0), name=name, showlegend=False,
        customdata=np.c_[hits["pos_start"], hits["pos_end"], hits["strand"], hits["p_value"], hits["matched"]],
        hovertemplate="%{customdata[0]}-%{customdata[1]} (%{customdata[2]})<br>p %{customdata[3]:.2e}<br>"
                      "%{customdata[4]}<extra>" + name + "</extra>")
    return [box, mid]


def motif_hit_lane(hits: pd.DataFrame, start: int, end: int, *, title: str = "", height: int = 120) -> go.Figure:
    """FIMO hits of one motif as a lane over 1-based ``start``..``end`` (+ strand top, − bottom)."""
    fig = go.Figure(motif_hit_traces(hits, name=str(hits["motif"].iloc[0]) if len(hits) else "motif hits"))
    fig.update_layout(title=title, height=height, plot_bgcolor="white", margin=dict(l=10, r=10, t=40 if title
                      else 10, b=10), xaxis=dict(range=[start - 0.5, end + 0.5], title="position (1-based)"),
                      yaxis=dict(range=[-0.6, 1.6], tickvals=[0, 1], ticktext=["−", "+"]))
    return fig


def seqlet_traces(seqlets: pd.DataFrame, *, y0: float, y1: float) -> list:
    """Shaded boxes marking seqlets (1-based ``pos_start``/``pos_end``) between y0 and y1."""
    if seqlets is None or len(seqlets) == 0:
        return []
    xs, ys = [], []
    for row in seqlets.itertuples():
        x0, x1 = row.pos_start - 0.5, row.pos_end + 0.5
        xs += [x0, x1, x1, x0, x0, None]
        ys += [y0, y0, y1, y1, y0, None]
    return [go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor="rgba(255,200,0,0.18)",
                       line=dict(width=0), name="seqlets", hoverinfo="skip", showlegend=True)]


def attribution_tracks(attr, *, ism=None, data=None, hits: pd.DataFrame | None = None,
                       seqlets: pd.DataFrame | None = None, title: str = "") -> go.Figure:
    """Aligned tracks over one window, shared x (1-based): attribution logo (seqlets shaded), ISM
    heatmap (with an :class:`~glm_explore.results.ISMResult`), FIMO hit lane (with ``hits``) and the
    annotation lane (with a :class:`~glm_explore.datasets.GenomeData` and a genomic ``attr.chrom``)."""
    from plotly.subplots import make_subplots

    lanes = ["logo"] + (["ism"] if ism is not None else []) + (["hits"] if hits is not None else []) + \
        (["annotation"] if data is not None and attr.chrom is not None else [])
    heights = {"logo": 0.45, "ism": 0.25, "hits": 0.12, "annotation": 0.18}
    names = {"logo": f"attribution ({getattr(attr, 'method', 'ISM: −mean Δ')})", "ism": "ISM: Δ target per substitution",
             "hits": f"FIMO hits{': ' + str(hits['motif'].iloc[0]) if hits is not None and len(hits) else ''}",
             "annotation": "annotation"}
    fig = make_subplots(rows=len(lanes), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        row_heights=[heights[k] for k in lanes], subplot_titles=[names[k] for k in lanes])
    start, end = int(attr.positions[0]), int(attr.positions[-1])
    values = np.nan_to_num(np.asarray(attr.logo_values if hasattr(attr, "logo_values") else attr.values, dtype=float))
    lo = min(0.0, float(np.clip(values, None, 0).sum(axis=0).min()))
    hi = max(0.0, float(np.clip(values, 0, None).sum(axis=0).max()))
    pad = 0.05 * max(hi - lo, 1e-9)
    for tr in seqlet_traces(seqlets, y0=lo - pad, y1=hi + pad) + logo_traces(values, start):
        fig.add_trace(tr, row=1, col=1)
    fig.update_yaxes(range=[lo - pad, hi + pad], zeroline=True, zerolinecolor="#999", title_text="attr.", row=1,
                     col=1)
    for r, lane in enumerate(lanes[1:], start=2):
        if lane == "ism":
            for tr in ism_heatmap_traces(ism):
                fig.add_trace(tr, row=r, col=1)
            fig.update_yaxes(autorange="reversed", row=r, col=1)
        elif lane == "hits":
            for tr in motif_hit_traces(hits):
                fig.add_trace(tr, row=r, col=1)
            fig.update_yaxes(range=[-0.6, 1.6], tickvals=[0, 1], ticktext=["−", "+"], row=r, col=1)
        else:
            chrom = data.genome.resolve(attr.chrom)
            genes = data.genes()
            for tr in annotation_traces(data.classes_in(chrom, start - 1, end), genes[genes["Chromosome"] == chrom],
                                        start - 1, end):
                fig.add_trace(tr, row=r, col=1)
            fig.update_yaxes(visible=False, range=[-0.1, 2.1], row=r, col=1)
    fig.update_xaxes(range=[start - 1, end + 1], row=len(lanes), col=1)
    fig.update_xaxes(title_text="position (1-based)", row=len(lanes), col=1)
    fig.update_layout(title=title, height=260 + 130 * (len(lanes) - 1), plot_bgcolor="white", hovermode="closest",
                      legend=dict(orientation="h", y=-0.12), margin=dict(l=10, r=10, t=60 if title else 30, b=10))
    return fig


def motif_pair_logos(seqlet_values: np.ndarray, motif, *, title: str = "", height: int = 220) -> go.Figure:
    """Side by side: a seqlet's attribution logo ((4, w) values) and a JASPAR motif's information logo
    (:class:`~glm_explore.motifs.JasparMotif`, bits)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=["seqlet (attribution)", f"{motif.label} (bits)"],
                        horizontal_spacing=0.08)
    for tr in logo_traces(np.asarray(seqlet_values, dtype=float), 1, hover=False):
        fig.add_trace(tr, row=1, col=1)
    for tr in logo_traces(motif.information(), 1, hover=False):
        fig.add_trace(tr, row=1, col=2)
    fig.update_yaxes(range=[0, 2], row=1, col=2)
    fig.update_layout(title=title, height=height, plot_bgcolor="white", showlegend=False,
                      margin=dict(l=10, r=10, t=50 if title else 30, b=10))
    return fig


def score_scatter(scores: pd.DataFrame, x: str, y: str, *, color: str = "region_class", stats: dict | None = None,
                  title: str = "", height: int = 460) -> go.Figure:
    """One point per variant: ``scores[x]`` against ``scores[y]`` (e.g. two models' LLRs), coloured by
    region class, with the y = x diagonal. ``stats`` (from ``compare.correlation``) goes in the title.
    Rows with NaN in either column are left out. Natural log; negative = alt less likely."""
    d = scores.dropna(subset=[x, y])
    fig = go.Figure()
    groups = d[color].fillna("unknown").astype(str) if color in d else pd.Series("variants", index=d.index)
    for g in [c for c in CLASSES if c in set(groups)] + sorted(set(groups) - set(CLASSES)):
        sub = d[groups == g]
        text = [f"{c}:{p} {r}>{a}" for c, p, r, a in zip(sub["chrom"], sub["pos"], sub["ref"], sub["alt"])] \
            if {"chrom", "pos", "ref", "alt"} <= set(sub.columns) else None
        fig.add_trace(go.Scatter(x=sub[x], y=sub[y], mode="markers", name=f"{g} (n={len(sub)})", text=text,
                                 marker=dict(size=6, opacity=0.7, color=CLASS_COLORS.get(g)),
                                 hovertemplate=f"%{{text}}<br>{x} %{{x:.3f}}<br>{y} %{{y:.3f}}<extra>{g}</extra>"))
    if len(d):
        lo = float(min(d[x].min(), d[y].min()))
        hi = float(max(d[x].max(), d[y].max()))
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x",
                                 line=dict(dash="dot", color="#888"), hoverinfo="skip"))
    if stats:
        title = (title + " · " if title else "") + \
            f"Pearson r = {stats['pearson']:.3f}, Spearman ρ = {stats['spearman']:.3f} (n = {stats['n']})"
    fig.update_layout(title=title, height=height, xaxis_title=f"{x} (natural log)", yaxis_title=f"{y} (natural log)",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
