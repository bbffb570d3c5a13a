"""How far does a model look? Prediction quality as the visible context is cut to w bases.

For each chosen (or sampled) genome position p and each width w of a grid, the model predicts the
reference base with only w bases of context visible; bits = −log2 P(ref), P(ref) in [0, 1].

Truncation rules (``truncation``):

* ``"mask"`` (MLM default): the input is the genome around p, ``p − F … p + F`` (F = the full width,
  below); p itself and every base farther than w from p is fed the model's **mask token**
  (``GenomicLM.log_probs(masked=…)``), so the model knows a base is there but not which. For the
  built-in ConvLM that is the MASK channel, the input it was trained on for hidden bases (not the
  all-zero padding it sees past a sequence end, nor the N channel).
* ``"crop"`` (MLM): the input is cut to ``p − w … p + w`` with p masked: what the model sees near a
  sequence end (for the ConvLM: zero padding beyond).
* ``"left"`` (CLM, the only rule there): the input is cut to ``p − w … p``, so exactly w bases precede
  p (the model's start-of-sequence context before them); column w is P(x_p | those w bases).

The full width F is the model's receptive field R (``ModelInfo.receptive_field``; bases each side for
an MLM, to the left for a CLM): at w = F the prediction is the full-context one (exact masked marginal
/ next-token) — a base farther than R cannot change it. For unbounded models F = ``cap`` (default
:data:`~glm_explore.context.MAX_FLANK`), fitted to the model's ``max_len``. Widths must lie in 0..F.

Batching: one position per input row of length 2F+1 (mask), 2w+1 (crop) or w+1 (left), many rows per
forward. For a finite receptive field that is the cost of packing positions > 2R apart into one long
masked window (``logits.mask_groups``) without the unused bases between them.

Per class: mean bits per width with 95 % bootstrap CIs resampling windows (the same draws for every
width), and **w90** — the smallest width of the grid whose bits are at most
``bits(w_min) − 0.9·(bits(w_min) − bits(F))`` (90 % of the gain from the smallest width to the full
context), with its bootstrap CI. Typical use::

    res = context_curve(model, data, classes=["CDS", "promoter"], per_class=20)
    res.curve, res.w90                               # tables; plots.context_curve draws them
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import MAX_FLANK
from .errors import (
    ContextWidthError,
    ObjectiveError,
    RegionError,
)
from .io.annotation import CLASSES
from .io.datasets import GenomeData
from .models.base import GenomicLM, Progress
from .region_windows import DEFAULT_CENTER
from .results.context_curve import ContextCurve
from .sequence import encode

LN2 = np.log(2.0)
TRUNCATIONS = ("mask", "crop", "left")
POINT_COLUMNS = ["chrom", "pos", "label", "window", "width", "log_p_ref", "p_ref", "bits"]
CURVE_COLUMNS = ["class", "width", "n_positions", "n_windows", "bits", "ci_lo", "ci_hi", "p_ref", "p_ref_lo",
                 "p_ref_hi"]
W90_COLUMNS = ["class", "n_positions", "w_min", "bits_w_min", "full_width", "bits_full", "gain_bits", "w90",
               "w90_lo", "w90_hi"]
MAX_POSITIONS = 100_000


# ---------------------------------------------------------------------------------------------
# Widths
# ---------------------------------------------------------------------------------------------

def full_width(model: GenomicLM, *, cap: int = MAX_FLANK) -> int:
    """F: the model's receptive field R, or for an unbounded model ``cap`` fitted to its ``max_len``
    (rows are 2F+1 bases for an MLM, F+1 for a CLM)."""
    rf = model.info.receptive_field
    if rf is not None:
        return int(rf)
    if cap < 1:
        raise ContextWidthError(f"The width cap must be at least 1, got {cap}.")
    room = (model.info.max_len - 1) // (2 if model.info.is_mlm else 1) if model.info.max_len else cap
    return max(1, min(int(cap), room))


def width_grid(model: GenomicLM, *, cap: int = MAX_FLANK) -> tuple[int, ...]:
    """Default widths: 0, then powers of two below F, then F (e.g. 0, 1, 2, 4, …, 128, 142)."""
    F = full_width(model, cap=cap)
    grid = {0, F}
    w = 1
    while w < F:
        grid.add(w)
        w *= 2
    return tuple(sorted(grid))


def check_widths(widths, model: GenomicLM, *, cap: int = MAX_FLANK) -> tuple[int, ...]:
    """``widths`` as sorted unique ints in 0..F, with F appended (the full-context reference)."""
    F = full_width(model, cap=cap)
    values = []
    for w in widths:
        if isinstance(w, (bool, np.bool_)) or int(w) != w:
            raise ContextWidthError(f"Widths are whole numbers of bases, got {w!r}.")
        values.append(int(w))
    if not values:
        raise ContextWidthError("Give at least one context width (bases), e.g. 0,1,2,4,8.")
    bad = [w for w in values if w < 0]
    if bad:
        raise ContextWidthError(f"Context widths must be ≥ 0 bases, got {bad[0]}.")
    what = "receptive field" if model.info.receptive_field is not None else "width cap"
    bad = [w for w in values if w > F]
    if bad:
        raise ContextWidthError(f"Width {bad[0]} is past {model.info.name}'s {what} F = {F} bases (beyond it the "
                                f"prediction cannot change); use widths in 0..{F}.")
    return tuple(sorted(set(values) | {F}))


def resolve_truncation(model: GenomicLM, truncation: str = "auto") -> str:
    """'auto' → 'mask' (MLM) or 'left' (CLM); otherwise checked against the objective."""
    mlm = model.info.is_mlm
    if truncation == "auto":
        return "mask" if mlm else "left"
    if truncation not in TRUNCATIONS:
        raise ObjectiveError(f"Unknown truncation {truncation!r}: choose auto, {', '.join(TRUNCATIONS)}.")
    if (truncation == "left") == mlm:
        need = "'mask' or 'crop'" if mlm else "'left'"
        raise ObjectiveError(f"Truncation {truncation!r} does not fit {model.info.name}, a "
                             f"{model.info.objective.upper()}: use {need}.")
    return truncation


def _margins(truncation: str, F: int) -> tuple[int, int]:
    """Bases needed left and right of a position for every width up to F."""
    return (F, 0) if truncation == "left" else (F, F)


# ---------------------------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------------------------

def check_classes(classes) -> list[str]:
    """Region-class names checked against :data:`~glm_explore.io.annotation.CLASSES` (None = all)."""
    if classes is None:
        return list(CLASSES)
    names = [c.strip() for c in classes if c and c.strip()]
    bad = [c for c in names if c not in CLASSES]
    if bad or not names:
        raise RegionError(f"Unknown region class {bad[0] if bad else '(none given)'!r}; choose from "
                          f"{', '.join(CLASSES)}.")
    return list(dict.fromkeys(names))


def sample_positions(data: GenomeData, *, classes=None, per_class: int = 20, per_window: int = 1,
                     margins: tuple[int, int] = (0, 0), seed: int = 0) -> pd.DataFrame:
    """Held-out positions per region class (``report.heldout``'s split and windows).

    ``per_class`` windows per class from :func:`~glm_explore.report.heldout.class_windows` (non-overlapping
    512-bp held-out windows whose centre 100 bp are one class), ``per_window`` positions drawn (``seed``)
    from each window's centre 100 bp. Positions without ``margins`` = (left, right) bases of contig
    around them are dropped. Columns ``chrom, pos`` (0-based), ``label``, ``window`` (block id).
    """
    from .report.heldout import class_windows, heldout_split

    names = check_classes(classes)
    if per_class < 1 or per_window < 1:
        raise RegionError(f"Need at least one window per class and one position per window, got {per_class} "
                          f"and {per_window}.")
    if per_window > DEFAULT_CENTER:
        raise RegionError(f"A window's centre holds {DEFAULT_CENTER} positions; ask for at most that many per window.")
    wins = class_windows(data, heldout_split(data), per_class=per_class, seed=seed)
    wins = wins[wins["label"].isin(names)].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    rows = []
    for w, (chrom, s, e, label) in enumerate(wins[["chrom", "start", "end", "label"]].itertuples(index=False)):
        c0 = int(s) + (int(e) - int(s) - DEFAULT_CENTER) // 2
        picks = np.sort(rng.choice(DEFAULT_CENTER, per_window, replace=False)) + c0
        n = data.genome.lengths[chrom]
        for p in picks:
            if p - margins[0] >= 0 and p + margins[1] < n:
                rows.append((chrom, int(p), label, w))
    return pd.DataFrame(rows, columns=["chrom", "pos", "label", "window"])


def _positions_table(positions: pd.DataFrame, data: GenomeData | None) -> pd.DataFrame:
    if not {"chrom", "pos"} <= set(positions.columns):
        raise RegionError("The positions table needs columns chrom and pos (0-based).")
    out = positions[["chrom", "pos"]].copy()
    out["pos"] = out["pos"].astype(np.int64)
    if "label" in positions:
        out["label"] = positions["label"].astype(str).to_numpy()
    elif data is not None:
        out["label"] = [CLASSES[int(data.labels[data.genome.resolve(c)][p])] for c, p in zip(out["chrom"], out["pos"])]
    else:
        out["label"] = "position"
    out["window"] = positions["window"].to_numpy() if "window" in positions else np.arange(len(out))
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Truncated predictions
# ---------------------------------------------------------------------------------------------

def _rows(truncation: str, seq: str, p: int, w: int, F: int) -> tuple[str, np.ndarray | None, int]:
    """(input row, masked (len,) or None, target index) for position p of ``seq`` at width w."""
    if truncation == "left":
        return seq[p - w:p + 1], None, w
    if truncation == "crop":
        m = np.zeros(2 * w + 1, dtype=bool)
        m[w] = True
        return seq[p - w:p + w + 1], m, w
    d = np.abs(np.arange(-F, F + 1))
    return seq[p - F:p + F + 1], (d > w) | (d == 0), F


def truncated_log_probs(model: GenomicLM, genome, positions: pd.DataFrame, widths, *, truncation: str = "auto",
                        cap: int = MAX_FLANK, batch_size: int = 128, progress: Progress | None = None) -> np.ndarray:
    """(P, W, 4) natural-log P(x_p = b) for each position (rows of ``positions``: ``chrom``, 0-based ``pos``)
    and each width of ``widths`` (checked by :func:`check_widths`, which appends F), under ``truncation``.

    Raises :class:`~glm_explore.errors.RegionError` for a position whose contig does not hold the bases
    the widest row needs (F each side; CLM: F on the left).
    """
    truncation = resolve_truncation(model, truncation)
    F = full_width(model, cap=cap)
    widths = check_widths(widths, model, cap=cap)
    left, right = _margins(truncation, F)
    seqs: dict[str, str] = {}
    chroms = [genome.resolve(c) for c in positions["chrom"]]
    pos = positions["pos"].to_numpy(dtype=np.int64)
    for c, p in zip(chroms, pos):
        if c not in seqs:
            seqs[c] = genome.fetch(c)
        if p - left < 0 or p + right >= len(seqs[c]):
            raise RegionError(f"Position {c}:{p + 1} has fewer than {F} bases of context on the "
                              f"{'left' if p - left < 0 else 'right'} (contig {len(seqs[c]):,} bp); pick positions "
                              "away from the contig ends.")
    out = np.full((len(pos), len(widths), 4), np.nan, dtype=np.float64)
    total = len(widths) * max(1, -(-len(pos) // batch_size))
    done = 0
    for k, w in enumerate(widths):
        for s in range(0, len(pos), batch_size):
            rows = [_rows(truncation, seqs[c], int(p), w, F) for c, p in zip(chroms[s:s + batch_size], pos[s:s + batch_size])]
            masked = None if truncation == "left" else np.stack([m for _, m, _ in rows])
            lp = model.log_probs([r for r, _, _ in rows], masked, batch_size=batch_size)
            out[s:s + len(rows), k] = lp[np.arange(len(rows)), :, rows[0][2]]
            done += 1
            if progress is not None:
                progress(done / total, f"width {w} ({k + 1}/{len(widths)})")
    return out


# ---------------------------------------------------------------------------------------------
# Curves, CIs, w90
# ---------------------------------------------------------------------------------------------

def w90_width(widths, bits, *, fraction: float = 0.9) -> float:
    """Smallest width whose mean bits reach ``fraction`` of the gain.

    gain = ``bits[0] − bits[-1]`` (smallest width minus full context, ``widths`` ascending, the last one
    the full width). Returns the first ``widths[k]`` with ``bits[0] − bits[k] ≥ fraction · gain``; NaN when
    the gain is ≤ 0 (context does not help) or any value is NaN.
    """
    b = np.asarray(bits, dtype=np.float64)
    gain = b[0] - b[-1]
    if not np.isfinite(b).all() or gain <= 0:
        return float("nan")
    return float(np.asarray(widths)[np.argmax(b[0] - b >= fraction * gain - 1e-12)])


def bootstrap_window_means(values: np.ndarray, block: np.ndarray, *, reps: int = 1000, seed: int = 0) -> np.ndarray:
    """(reps, W) means of ``values`` (P, W) over resampled blocks (windows drawn with replacement, the
    same draws for every column): the resampling of :func:`glm_explore.evaluate.block_bootstrap_ci`."""
    rng = np.random.default_rng(seed)
    ids, inv = np.unique(block, return_inverse=True)
    sums = np.stack([np.bincount(inv, weights=values[:, k], minlength=len(ids)) for k in range(values.shape[1])], 1)
    counts = np.bincount(inv, minlength=len(ids)).astype(np.float64)
    draws = rng.integers(0, len(ids), size=(reps, len(ids)))
    return sums[draws].sum(axis=1) / counts[draws].sum(axis=1)[:, None]


def summarise(points: pd.DataFrame, widths, *, reps: int = 1000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(curve, w90) tables from a ``points`` table (see :class:`ContextCurve`); classes in CLASSES order,
    others after them, then ``"all"``."""
    widths = list(widths)
    present = list(dict.fromkeys(points["label"]))
    order = [c for c in CLASSES if c in present] + sorted(set(present) - set(CLASSES))
    curve_rows, w90_rows = [], []
    for name in [*order, "all"] if len(order) else []:
        g = points if name == "all" else points[points["label"] == name]
        wide = g.pivot_table(index=["chrom", "pos", "window"], columns="width", values="bits").reindex(columns=widths)
        pw = g.pivot_table(index=["chrom", "pos", "window"], columns="width", values="p_ref").reindex(columns=widths)
        block = wide.index.get_level_values("window").to_numpy()
        bits, p = wide.to_numpy(), pw.to_numpy()
        boot_b = bootstrap_window_means(bits, block, reps=reps, seed=seed)
        boot_p = bootstrap_window_means(p, block, reps=reps, seed=seed)
        lo, hi = np.percentile(boot_b, [2.5, 97.5], axis=0)
        plo, phi = np.percentile(boot_p, [2.5, 97.5], axis=0)
        mean_b, mean_p = bits.mean(axis=0), p.mean(axis=0)
        for k, w in enumerate(widths):
            curve_rows.append({"class": name, "width": w, "n_positions": len(bits), "n_windows": len(set(block)),
                               "bits": mean_b[k], "ci_lo": lo[k], "ci_hi": hi[k], "p_ref": mean_p[k],
                               "p_ref_lo": plo[k], "p_ref_hi": phi[k]})
        boots = np.array([w90_width(widths, b) for b in boot_b])
        ok = boots[np.isfinite(boots)]
        wlo, whi = np.percentile(ok, [2.5, 97.5]) if len(ok) else (np.nan, np.nan)
        w90_rows.append({"class": name, "n_positions": len(bits), "w_min": widths[0], "bits_w_min": mean_b[0],
                         "full_width": widths[-1], "bits_full": mean_b[-1], "gain_bits": mean_b[0] - mean_b[-1],
                         "w90": w90_width(widths, mean_b), "w90_lo": float(wlo), "w90_hi": float(whi)})
    return pd.DataFrame(curve_rows, columns=CURVE_COLUMNS), pd.DataFrame(w90_rows, columns=W90_COLUMNS)


def context_curve(model: GenomicLM, data: GenomeData, positions: pd.DataFrame | None = None, *, widths=None,
                  classes=None, per_class: int = 20, per_window: int = 1, truncation: str = "auto",
                  cap: int = MAX_FLANK, reps: int = 1000, seed: int = 0, batch_size: int = 128,
                  progress: Progress | None = None) -> ContextCurve:
    """Prediction quality vs visible context for ``positions`` or a held-out sample per class.

    ``positions``: a table with ``chrom``, ``pos`` (0-based) and optionally ``label`` (default: the
    base's region class) and ``window`` (bootstrap block; default one per position); None samples
    ``per_class`` windows × ``per_window`` positions per class of ``classes`` with
    :func:`sample_positions`. ``widths`` default :func:`width_grid`; F is always added. Positions whose
    reference is not A/C/G/T are dropped. Returns a :class:`ContextCurve`.
    """
    truncation = resolve_truncation(model, truncation)
    F = full_width(model, cap=cap)
    widths = check_widths(width_grid(model, cap=cap) if widths is None else widths, model, cap=cap)
    note = ""
    if positions is None:
        positions = sample_positions(data, classes=classes, per_class=per_class, per_window=per_window,
                                     margins=_margins(truncation, F), seed=seed)
        note = f"{len(positions)} held-out positions ({per_window} per window, ≤ {per_class} windows per class)."
    table = _positions_table(positions, data)
    if len(table) > MAX_POSITIONS:
        raise RegionError(f"{len(table):,} positions is over the limit of {MAX_POSITIONS:,}; sample fewer.")
    genome = data.genome
    ref = np.array([encode(genome.fetch(c, int(p), int(p) + 1))[0] for c, p in zip(table["chrom"], table["pos"])],
                   dtype=np.int64) if len(table) else np.zeros(0, dtype=np.int64)
    keep = ref < 4
    table, ref = table[keep].reset_index(drop=True), ref[keep]
    if not len(table):
        raise RegionError("No position with an A/C/G/T reference base to score; choose other positions or classes.")
    lp = truncated_log_probs(model, genome, table, widths, truncation=truncation, cap=cap, batch_size=batch_size,
                             progress=progress)
    lref = lp[np.arange(len(table)), :, ref]  # (P, W)
    points = table.loc[np.repeat(np.arange(len(table)), len(widths))].reset_index(drop=True)
    points["width"] = np.tile(np.asarray(widths, dtype=np.int64), len(table))
    points["log_p_ref"] = lref.ravel()
    points["p_ref"] = np.exp(points["log_p_ref"])
    points["bits"] = -points["log_p_ref"] / LN2
    curve, w90 = summarise(points, widths, reps=reps, seed=seed)
    return ContextCurve(points=points[POINT_COLUMNS], curve=curve, w90=w90, widths=widths, full_width=F,
                        receptive_field=model.info.receptive_field, model=model.info.name,
                        objective=model.info.objective, truncation=truncation, note=note)
