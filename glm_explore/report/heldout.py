"""Where a model knows more than k-mers: held-out bits/base and top-1 accuracy per region class.

Any :class:`~glm_explore.models.base.GenomicLM` is scored on held-out windows against the *fair* count
baseline of the same context (SCIENCE.md, "Baselines for model quality"): two-sided for an MLM, left
context for a CLM, its order and smoothing chosen on a validation slice that is neither trained on by
the baseline nor scored. Typical use::

    split = heldout_split(data)                         # train / validation / held-out span
    base = fair_baseline(model, split)                  # CountModel of the model's kind
    wins = class_windows(data, split, per_class=30)     # held-out windows, balanced by class
    per_base = score_windows(model, data, wins, base)   # one row per scored base
    table = class_table(per_base)                       # per class + "all", with bootstrap CIs
    show = showcase_windows(per_base, wins)             # where the model beats the counts most

Coordinates are 0-based half-open in every table except ``region`` (1-based inclusive, for people).
Bits are log2; ``margin_bits`` = model − baseline, negative = model better.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..context import context_flank
from ..count_baselines import CountModel, cross_entropy_bits, select_count_model
from ..errors import InputTooLargeError, ObjectiveError, RegionError
from ..evaluate import BASELINE_GRID, block_bootstrap_ci
from ..io.annotation import CLASSES
from ..io.datasets import GenomeData
from ..io.genome import Region, fetch_window
from ..logits import position_log_probs, resolve_mode
from ..models.base import GenomicLM, Progress
from ..region_windows import (
    DEFAULT_CENTER,
    DEFAULT_STRIDE,
    _non_overlapping,
    candidate_windows,
    choose_split,
    region_string,
)
from ..train import VAL_SLICE

LN2 = np.log(2.0)
HELDOUT_FRACTION = 0.2  # one chromosome: its last 20 % is held out (windows.choose_split's rule)
VAL_FRACTION = 0.1  # validation slice: 10 % of a chromosome, taken from the training side
MIN_SPLIT_BP = 1_000  # the training part, the validation slice and the held-out span need at least this
PER_BASE_COLUMNS = ["window", "chrom", "pos", "label", "bits_model", "bits_baseline", "hit_model", "hit_baseline"]
CLASS_TABLE_COLUMNS = ["class", "n_bases", "n_windows", "bits_model", "bits_baseline", "margin_bits", "ci_lo",
                       "ci_hi", "acc_model", "acc_baseline", "model_better", "windows_model_better"]
SHOWCASE_COLUMNS = ["class", "window", "chrom", "start", "end", "region", "gain_bits", "n_bases"]


@dataclass(frozen=True, eq=False)
class HeldoutSplit:
    """Which bases fit the count baseline, which choose its order, which are scored.

    ``train``: codes (int64, A=0…T=3, N=4) of the baseline's training sequences, one array per entry
    of ``train_regions`` (``(chrom, start, end)``, 0-based half-open); ``val``: codes of the validation
    slice ``val_region`` (order/smoothing selection only); the scored held-out span is
    ``chrom[start:end]``. ``note`` says the rule in one sentence, 1-based coordinates.
    """

    train: list[np.ndarray]
    val: np.ndarray
    chrom: str
    start: int
    end: int
    note: str
    train_regions: tuple[tuple[str, int, int], ...] = ()
    val_region: tuple[str, int, int] = ("", 0, 0)

    @property
    def region(self) -> str:
        """The held-out span as users read it (1-based inclusive)."""
        return region_string(self.chrom, self.start, self.end)


def _check_size(what: str, n: int, genome_name: str) -> None:
    if n < MIN_SPLIT_BP:
        raise RegionError(f"Genome {genome_name} is too small for a held-out report: its {what} would be {n:,} bp "
                          f"(need at least {MIN_SPLIT_BP:,} bp).")


def heldout_split(data: GenomeData) -> HeldoutSplit:
    """The train / validation / held-out split of ``data`` for the held-out report.

    * Several chromosomes: the held-out chromosome is ``data.heldout_chrom``, else the last one
      (:func:`glm_explore.region_windows.choose_split`); it is scored whole. Validation slice: the last
      100 kb of ``chrXV`` when the genome has one and a held-out chromosome is declared — exactly
      :func:`glm_explore.train.training_arrays` on the bundled yeast, so the baseline matches the
      model card — else the last 10 % of the last training chromosome. ``train`` = every other
      chromosome, the validation slice cut off.
    * One chromosome (choose_split's rule): its last 20 % is held out, validation is the 10 % of the
      chromosome just before the cut, ``train`` is everything before that.

    Raises :class:`~glm_explore.errors.RegionError` when any part would be under 1 kb.
    """
    genome = data.genome
    chroms = genome.chroms
    heldout, cut, _ = choose_split(data, chroms, heldout_fraction=HELDOUT_FRACTION)
    n = genome.lengths[heldout]
    if len(chroms) == 1:
        vstart = cut - int(round(n * VAL_FRACTION))
        for what, size in (("held-out segment", n - cut), ("validation slice", cut - vstart),
                           ("training part", vstart)):
            _check_size(what, size, genome.name)
        codes = genome.codes(heldout)
        note = (f"One chromosome: the count baseline is fit on {region_string(heldout, 0, vstart)}, its order "
                f"chosen on {region_string(heldout, vstart, cut)}, and both are scored on the held-out "
                f"{region_string(heldout, cut, n)} (last {HELDOUT_FRACTION:.0%}).")
        return HeldoutSplit([codes[:vstart]], codes[vstart:cut], heldout, cut, n, note,
                            ((heldout, 0, vstart),), (heldout, vstart, cut))
    rest = [c for c in chroms if c != heldout]
    if data.heldout_chrom == heldout and VAL_SLICE[0] in rest and genome.lengths[VAL_SLICE[0]] > VAL_SLICE[1]:
        vchrom, vlen = VAL_SLICE
    else:
        vchrom = rest[-1]
        vlen = int(round(genome.lengths[vchrom] * VAL_FRACTION))
    vn = genome.lengths[vchrom]
    _check_size("held-out chromosome", n, genome.name)
    _check_size("validation slice", vlen, genome.name)
    _check_size("training part", sum(genome.lengths[c] for c in rest) - vlen, genome.name)
    train, regions, val = [], [], np.empty(0, dtype=np.int64)
    for chrom in rest:
        codes = genome.codes(chrom)
        if chrom == vchrom:
            val, codes = codes[vn - vlen:], codes[:vn - vlen]
        train.append(codes)
        regions.append((chrom, 0, len(codes)))
    why = "the dataset's held-out chromosome" if heldout == data.heldout_chrom else "the last chromosome"
    note = (f"The count baseline is fit on {len(rest)} training chromosome(s), its order chosen on "
            f"{region_string(vchrom, vn - vlen, vn)}, and both are scored on held-out {heldout} ({why}).")
    return HeldoutSplit(train, val, heldout, 0, n, note, tuple(regions), (vchrom, vn - vlen, vn))


def fair_baseline(model: GenomicLM, split: HeldoutSplit, *, ks: range | list[int] | None = None,
                  params: dict[str, list[float]] | None = None) -> CountModel:
    """The count model of the same kind as ``model`` (MLM: k bases each side; CLM: k to the left), fit
    on ``split.train``, order/scheme/parameter chosen on ``split.val`` by
    :func:`~glm_explore.count_baselines.select_count_model`.

    Orders and parameters default to :data:`glm_explore.evaluate.BASELINE_GRID` (``ks``/``params``
    override them, e.g. a short grid on toy genomes). When the model has a finite receptive field R
    the orders are capped at R, so the baseline never sees more context than the model can
    (if no order of the grid is ≤ R, order R alone); unbounded models (R = None) keep the grid.
    """
    kind = model.info.objective
    grid_ks, grid_params = BASELINE_GRID[kind]
    orders = list(grid_ks if ks is None else ks)
    rf = model.info.receptive_field
    if rf is not None:
        orders = [k for k in orders if k <= rf] or [int(rf)]
    params = params or grid_params
    key = (kind, tuple(orders), json.dumps(params, sort_keys=True), split.chrom, split.start, split.end,
           tuple(len(t) for t in split.train), len(split.val), hash(split.val.tobytes()))
    if key not in _BASELINES:  # the grid search on a genome takes minutes: once per process
        _BASELINES[key] = select_count_model(kind, split.train, split.val, ks=orders, params=params).model
        while len(_BASELINES) > 8:
            _BASELINES.pop(next(iter(_BASELINES)))
    return _BASELINES[key]


_BASELINES: dict[tuple, CountModel] = {}


def class_windows(data: GenomeData, split: HeldoutSplit, *, per_class: int = 30, length: int = 512,
                  stride: int = DEFAULT_STRIDE, center: int = DEFAULT_CENTER, seed: int = 0) -> pd.DataFrame:
    """Non-overlapping held-out windows, at most ``per_class`` per region class, drawn with ``seed``.

    Candidates are :func:`glm_explore.region_windows.candidate_windows` over the held-out span (starts every
    ``stride`` bp from ``split.start``; label = the one class of the central ``center`` bp; all bases
    A/C/G/T), made non-overlapping greedily rarest class first, then sampled. Columns ``chrom, start,
    end, label`` (0-based half-open), sorted by start, index 0..n-1 (= the window id of
    :func:`score_windows`).
    """
    if per_class < 1:
        raise RegionError(f"Need at least one window per class, got {per_class}.")
    if split.end - split.start < length:
        raise RegionError(f"The held-out span {split.region} is {split.end - split.start:,} bp, shorter than one "
                          f"{length:,} bp window; choose a shorter window length.")
    labels = data.labels[split.chrom][split.start:split.end]
    codes = data.genome.codes(split.chrom)[split.start:split.end]
    cand = candidate_windows(labels, codes, length=length, stride=stride, center=center)
    cand = pd.DataFrame({"chrom": split.chrom, "start": cand["start"].to_numpy() + split.start,
                         "end": cand["end"].to_numpy() + split.start,
                         "label": np.asarray(CLASSES, dtype=object)[cand["label_code"].to_numpy(dtype=np.int64)]})
    pool = _non_overlapping(cand) if len(cand) else cand
    rng = np.random.default_rng(seed)
    parts = []
    for cls in CLASSES:
        g = pool[pool["label"] == cls]
        if len(g) > per_class:
            g = g.loc[np.sort(rng.choice(g.index.to_numpy(), per_class, replace=False))]
        parts.append(g)
    table = pd.concat(parts) if parts else cand
    return table.sort_values("start").reset_index(drop=True)[["chrom", "start", "end", "label"]]


def scored_context(model: GenomicLM, baseline: CountModel, length: int) -> tuple[int, int, int]:
    """(flank, bases needed left, bases needed right) for scoring windows of ``length`` bp.

    ``flank`` = :func:`glm_explore.context.context_flank` (the receptive field, capped at 512 bp; for
    an unbounded model what fits its ``max_len``): context fetched around each window. A base is
    scored only when the genome has ``flank`` bases on each side the model reads (both for an MLM,
    the left for a CLM) and the baseline's full context, so no base is predicted from a cut context.
    """
    flank = context_flank(model, region_length=length)
    left, right = baseline.margin
    causal = model.info.objective == "clm"
    return flank, max(flank, left), right if causal else max(flank, right)


def sampled_columns(model: GenomicLM, columns: np.ndarray, passes: int | None) -> np.ndarray:
    """The columns of a window that masked marginals score in at most ``passes`` masked copies.

    Exact masked marginals of an MLM with receptive field R mask positions R+1 apart together, so a window
    costs R+1 forward passes (143 for the default) however few positions it has. Keeping only the columns of
    ``passes`` evenly spaced phases ``col mod (R+1)`` is a systematic sample of the window (as
    ``python -m glm_explore evaluate --offsets`` does) at ``passes``/(R+1) of the cost; an unbounded MLM keeps
    ``passes`` evenly spaced columns. CLMs (one pass for every column) and ``passes=None`` keep all."""
    if passes is None or model.info.objective != "mlm" or len(columns) == 0:
        return columns
    rf = model.info.receptive_field
    if rf is None:
        keep = np.unique(np.linspace(0, len(columns) - 1, min(passes, len(columns))).round().astype(np.int64))
        return columns[keep]
    phases = np.unique(np.linspace(0, rf, min(passes, rf + 1)).round().astype(np.int64))
    return columns[np.isin(columns % (rf + 1), phases)]


def score_windows(model: GenomicLM, data: GenomeData, windows: pd.DataFrame, baseline: CountModel, *,
                  rc: bool = False, batch_size: int = 128, passes: int | None = None,
                  progress: Progress | None = None) -> pd.DataFrame:
    """One row per scored base of ``windows``: the model's and the baseline's bits and top-1 hits.

    Each window is fetched with :func:`scored_context`'s flank of genome context around it (left only
    for a CLM), so bases at the window edges see full context; bases without that context at contig
    ends, and non-ACGT targets, are not scored. Model: ``position_log_probs(mode=resolve_mode(model))``
    — exact masked marginals (MLM) or next-token (CLM); ``rc=True`` averages both strands (MLM only).
    Baseline: ``baseline.log_probs`` on the chromosome's codes (the same genome context).

    Columns: ``window`` (int, positional row of ``windows``), ``chrom``, ``pos`` (0-based), ``label``
    (region class of the BASE, from ``data.labels``), ``bits_model``, ``bits_baseline`` (−log2 p of the
    reference base), ``hit_model``, ``hit_baseline`` (top-1 base = reference). ``passes`` limits an MLM to
    a systematic sample of each window's bases (:func:`sampled_columns`; None = every base). ``progress(fraction,
    message)`` is called after each window.
    """
    mode = resolve_mode(model)
    causal = model.info.objective == "clm"
    if rc and causal:
        raise ObjectiveError(f"{model.info.name} is a causal LM: averaging with the reverse strand would give it "
                             "right context, unfair to its left-context baseline; score with rc=False.")
    if len(windows) == 0:
        return pd.DataFrame({c: [] for c in PER_BASE_COLUMNS})
    length = int((windows["end"] - windows["start"]).max())
    flank, need_left, need_right = scored_context(model, baseline, length)
    codes_of: dict[str, np.ndarray] = {}
    names = np.asarray(CLASSES, dtype=object)
    frames = []
    for w, (chrom, s, e) in enumerate(zip(windows["chrom"], windows["start"], windows["end"])):
        if chrom not in codes_of:
            codes_of[chrom] = data.genome.codes(chrom)
        codes = codes_of[chrom]
        pos = np.arange(int(s), int(e))
        pos = pos[(pos >= need_left) & (pos < len(codes) - need_right) & (codes[pos] < 4)]
        if len(pos):
            win = fetch_window(data.genome, Region(chrom, int(s), int(e)), flank=flank, max_len=int(e) - int(s))
            seq = win.seq[:win.offset + int(e) - int(s)] if causal else win.seq
            if model.info.max_len and len(seq) > model.info.max_len:
                raise InputTooLargeError(f"{model.info.name} reads at most {model.info.max_len:,} bp but a window with "
                                         f"context is {len(seq):,} bp; choose a shorter window length.")
            col = sampled_columns(model, pos - win.context.start, passes)
            pos = col + win.context.start
            if not len(col):
                continue
            lp = position_log_probs(model, seq, mode=mode, rc=rc, batch_size=batch_size, positions=col)[:, col].T
            lp_base = baseline.log_probs(codes, pos)
            target = codes[pos]
            frames.append(pd.DataFrame({
                "window": w, "chrom": chrom, "pos": pos, "label": names[data.labels[chrom][pos].astype(np.int64)],
                "bits_model": cross_entropy_bits(lp.astype(np.float64), target),
                "bits_baseline": cross_entropy_bits(lp_base, target),
                "hit_model": lp.argmax(axis=1) == target, "hit_baseline": lp_base.argmax(axis=1) == target}))
        if progress is not None:
            progress((w + 1) / len(windows), f"window {w + 1}/{len(windows)}")
    if not frames:
        return pd.DataFrame({c: [] for c in PER_BASE_COLUMNS})
    return pd.concat(frames, ignore_index=True)[PER_BASE_COLUMNS]


def _classes_present(labels: pd.Series) -> list[str]:
    present = set(labels.unique())
    return [c for c in CLASSES if c in present] + sorted(present - set(CLASSES))


def class_table(per_base: pd.DataFrame, *, reps: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per region class (of the base) present in ``per_base``, then ``"all"``: model vs baseline.

    Columns: ``class``, ``n_bases``, ``n_windows`` (windows holding bases of the class),
    ``bits_model``, ``bits_baseline`` (mean bits/base), ``margin_bits`` (model − baseline; negative =
    model better), ``ci_lo``, ``ci_hi`` (95 % block bootstrap of the margin over windows,
    :func:`glm_explore.evaluate.block_bootstrap_ci` with ``reps``/``seed``), ``acc_model``,
    ``acc_baseline`` (top-1 accuracy), ``model_better`` (``ci_hi < 0``), ``windows_model_better`` (windows
    whose mean margin over their bases of the class is < 0: robust to the few windows of repeated DNA that a
    long-context count model memorises). ``all`` weights the sampled windows, i.e. classes about equally —
    not the genome's class mix (the model card's genome-wide figure). Empty input → no rows.
    """
    rows = []
    if len(per_base):
        groups = [(c, per_base[per_base["label"] == c]) for c in _classes_present(per_base["label"])]
        for name, g in [*groups, ("all", per_base)]:
            diff = (g["bits_model"] - g["bits_baseline"]).to_numpy(dtype=np.float64)
            lo, hi = block_bootstrap_ci(diff, g["window"].to_numpy(), reps=reps, seed=seed)
            per_window = pd.Series(diff).groupby(g["window"].to_numpy()).mean()
            rows.append({"class": name, "n_bases": len(g), "n_windows": int(g["window"].nunique()),
                         "windows_model_better": int((per_window < 0).sum()),
                         "bits_model": float(g["bits_model"].mean()), "bits_baseline": float(g["bits_baseline"].mean()),
                         "margin_bits": float(diff.mean()), "ci_lo": lo, "ci_hi": hi,
                         "acc_model": float(g["hit_model"].mean()), "acc_baseline": float(g["hit_baseline"].mean()),
                         "model_better": bool(hi < 0)})
    return pd.DataFrame(rows, columns=CLASS_TABLE_COLUMNS)


def showcase_windows(per_base: pd.DataFrame, windows: pd.DataFrame, *, per_class: int = 3,
                     min_bases: int = 20) -> pd.DataFrame:
    """Per region class, the windows where the model beats the baseline most on that class's bases.

    A window's gain for a class is the mean of ``bits_baseline − bits_model`` over its bases of that
    class (positive = model better); only windows with at least ``min_bases`` such bases and a positive
    gain qualify, at most ``per_class`` per class, largest gain first (classes in
    :data:`~glm_explore.io.annotation.CLASSES` order). Columns: ``class``, ``window`` (id), ``chrom``,
    ``start``, ``end`` (0-based half-open), ``region`` (1-based inclusive ``chrom:start-end``),
    ``gain_bits``, ``n_bases``.
    """
    if len(per_base) == 0:
        return pd.DataFrame(columns=SHOWCASE_COLUMNS)
    gain = per_base.assign(gain=per_base["bits_baseline"] - per_base["bits_model"])
    agg = gain.groupby(["label", "window"]).agg(gain_bits=("gain", "mean"), n_bases=("gain", "size")).reset_index()
    agg = agg[(agg["n_bases"] >= min_bases) & (agg["gain_bits"] > 0)]
    parts = []
    for cls in _classes_present(agg["label"]):
        top = agg[agg["label"] == cls].sort_values(["gain_bits", "window"], ascending=[False, True]).head(per_class)
        parts.append(top)
    if not parts:
        return pd.DataFrame(columns=SHOWCASE_COLUMNS)
    out = pd.concat(parts, ignore_index=True).rename(columns={"label": "class"})
    rows = windows.iloc[out["window"].to_numpy()]
    out["chrom"] = rows["chrom"].to_numpy()
    out["start"] = rows["start"].to_numpy()
    out["end"] = rows["end"].to_numpy()
    out["region"] = [region_string(c, int(s), int(e)) for c, s, e in zip(out["chrom"], out["start"], out["end"])]
    return out[SHOWCASE_COLUMNS]
