"""Motif knowledge: does a model predict known promoter motifs better than a k-mer count model?

1. :func:`promoter_motif_hits` — FIMO (memelite, as :func:`glm_explore.motifs.scan_motif`) hits of
   JASPAR motifs in the promoter bases (``data.labels`` class ``promoter``) of a held-out span;
   every contiguous promoter segment is scanned with every motif in one batched FIMO call.
2. :func:`motif_profiles` — per motif and offset from the motif start (in the motif's
   orientation, ``−flank … width + flank − 1``; minus-strand hits read from their right end so
   offsets align), the model's P(reference base) averaged over the motif's instances, beside the
   count baseline's. Model P(ref) comes from :func:`glm_explore.logits.position_log_probs`
   (masked marginals for an MLM, next-token for a CLM) on windows that carry the model's context
   around the needed positions: nearby hits share one window, never one model call per hit.
3. :func:`rank_motifs` — a motif the model learned shows a bump in P(ref) inside the motif that
   the baseline lacks: ``bump = (model_in − model_flank) − (baseline_in − baseline_flank)``, the
   model's in-motif rise over its flanks minus the baseline's. Motifs are ranked by it.

P(ref) is a probability (not a log); the reference base is read on the genome's forward strand
(P of a base equals P of its complement on the other strand, so strand does not change it).
Coordinates: 0-based half-open in every table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..context import context_flank
from ..count_baselines import CountModel
from ..io.annotation import CLASS_CODE
from ..io.datasets import GenomeData
from ..logits import position_log_probs, resolve_mode
from ..models.base import GenomicLM, Progress
from ..motifs import JasparMotif, _runs, jaspar_motifs
from ..sequence import encode, one_hot

HIT_COLUMNS = ["motif_id", "motif", "chrom", "start", "end", "strand", "score", "p_value"]
PROFILE_COLUMNS = ["motif_id", "motif", "offset", "in_motif", "p_ref_model", "p_ref_baseline", "n"]
RANK_COLUMNS = ["motif_id", "motif", "n", "model_in", "baseline_in", "model_flank", "baseline_flank", "bump"]


def promoter_segments(data: GenomeData, chrom: str, start: int, end: int) -> list[tuple[int, int]]:
    """Contiguous runs of promoter-labelled bases in ``chrom[start:end]``: 0-based half-open genome
    intervals, in order."""
    promoter = data.classes_in(chrom, start, end) == CLASS_CODE["promoter"]
    return [(start + a, start + b) for a, b in _runs(promoter, 0)]


def promoter_motif_hits(data: GenomeData, chrom: str, start: int, end: int, *,
                        motifs: tuple[JasparMotif, ...] | None = None, threshold: float = 1e-4,
                        max_per_motif: int = 200, promoter_bp: int | None = None, seed: int = 0) -> pd.DataFrame:
    """FIMO hits (both strands, p ≤ ``threshold``) of ``motifs`` (default: JASPAR CORE fungi) lying
    wholly inside promoter bases of ``chrom[start:end]`` (0-based half-open).

    Segments are zero-padded to one length and scanned in one call (padding reads as N, which
    scores 0); hits reaching into the padding are dropped. A motif with more than
    ``max_per_motif`` hits keeps a seeded random subset. Columns :data:`HIT_COLUMNS`:
    ``start``/``end`` 0-based half-open genome coordinates, ``strand`` '+'/'-', ``score`` (log2
    odds vs uniform), ``p_value``; rows by motif then position. ``promoter_bp`` scans a seeded random subset
    of whole promoter segments of at most that many bases in total (the profiles' cost grows with it).
    """
    from memelite import fimo

    motifs = jaspar_motifs() if motifs is None else tuple(motifs)
    chrom = data.genome.resolve(chrom)
    shortest = min((m.length for m in motifs), default=0)
    segs = [(a, b) for a, b in promoter_segments(data, chrom, start, end) if b - a >= max(shortest, 1)]
    if promoter_bp is not None and segs:
        order = np.random.default_rng([seed, 1]).permutation(len(segs))
        total = np.cumsum([segs[i][1] - segs[i][0] for i in order])
        segs = sorted(segs[i] for i in order[total <= promoter_bp])
    if not segs or not motifs:
        return pd.DataFrame(columns=HIT_COLUMNS)
    x = np.zeros((len(segs), 4, max(b - a for a, b in segs)), dtype=np.float32)
    for k, (a, b) in enumerate(segs):
        x[k, :, :b - a] = one_hot(data.genome.fetch(chrom, a, b))
    seg_start = np.array([a for a, _ in segs])
    seg_len = np.array([b - a for a, b in segs])
    tables = fimo({m.matrix_id: np.ascontiguousarray(m.pwm, dtype=np.float64) for m in motifs}, x,
                  threshold=threshold, reverse_complement=True)
    rng = np.random.default_rng(seed)
    frames = []
    for m, h in zip(motifs, tables):
        if h.empty:
            continue
        k = h["sequence_name"].astype(int).to_numpy()
        s, e = h["start"].astype(int).to_numpy(), h["end"].astype(int).to_numpy()
        ok = e <= seg_len[k]
        if ok.sum() > max_per_motif:
            keep = np.zeros(len(ok), dtype=bool)
            keep[rng.choice(np.flatnonzero(ok), size=max_per_motif, replace=False)] = True
            ok = keep
        frames.append(pd.DataFrame({
            "motif_id": m.matrix_id, "motif": m.name, "chrom": chrom, "start": seg_start[k[ok]] + s[ok],
            "end": seg_start[k[ok]] + e[ok], "strand": h["strand"].astype(str).to_numpy()[ok],
            "score": h["score"].to_numpy(float)[ok], "p_value": h["p-value"].to_numpy(float)[ok]}))
    if not frames:
        return pd.DataFrame(columns=HIT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = {m.matrix_id: i for i, m in enumerate(motifs)}
    out = out.sort_values(["motif_id", "start", "strand"], key=lambda c: c.map(order) if c.name == "motif_id" else c)
    return out.reset_index(drop=True)[HIT_COLUMNS]


def _pieces(intervals: list[tuple[int, int]], piece: int, gap: int) -> list[tuple[int, int]]:
    """Sorted intervals merged when at most ``gap`` apart (and the union ≤ ``piece`` bp), long ones cut."""
    cut = [(a, min(a + piece, e)) for s, e in sorted(intervals) for a in range(s, e, piece)]
    out: list[tuple[int, int]] = []
    for a, b in cut:
        if out and a - out[-1][1] <= gap and max(b, out[-1][1]) - out[-1][0] <= piece:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _piece_and_context(model: GenomicLM, piece_bp: int) -> tuple[int, int]:
    """(longest span scored in one window, context bases each side) that fit the model's input."""
    if model.info.receptive_field is None:
        piece = max(1, min(piece_bp, model.info.max_len // 2))
        return piece, context_flank(model, region_length=piece)
    ctx = context_flank(model)
    return max(1, min(piece_bp, model.info.max_len - 2 * ctx)), ctx


def _model_p_ref(model: GenomicLM, seq: str, codes: np.ndarray, intervals: list[tuple[int, int]], *,
                 rc: bool, piece_bp: int, progress: Progress | None, done: list[int], total: int) -> np.ndarray:
    """(len(seq),) model P(ref) at the bases of ``intervals`` (NaN elsewhere and at N)."""
    mode = resolve_mode(model)
    piece, ctx = _piece_and_context(model, piece_bp)
    out = np.full(len(seq), np.nan)
    for a, b in _pieces(intervals, piece, 2 * ctx):
        lo, hi = max(0, a - ctx), min(len(seq), b + ctx)
        lp = position_log_probs(model, seq[lo:hi], mode=mode, rc=rc, positions=np.arange(a - lo, b - lo))
        ref = codes[a:b]
        cols = np.arange(a - lo, b - lo)
        out[a:b] = np.where(ref < 4, np.exp(lp[np.minimum(ref, 3), cols]), np.nan)
        done[0] += b - a
        if progress:
            progress(min(1.0, done[0] / max(total, 1)), f"model P(ref): {done[0]:,}/{total:,} bp")
    return out


def _baseline_p_ref(baseline: CountModel, codes: np.ndarray, intervals: list[tuple[int, int]]) -> np.ndarray:
    """(len(codes),) count-model P(ref) at the bases of ``intervals`` that have its full context."""
    out = np.full(len(codes), np.nan)
    left, right = baseline.margin
    pos = np.unique(np.concatenate([np.arange(a, b) for a, b in intervals]))
    pos = pos[(pos >= left) & (pos < len(codes) - right) & (codes[pos] < 4)] if len(pos) else pos
    if len(pos):
        out[pos] = np.exp(baseline.log_probs(codes, pos)[np.arange(len(pos)), codes[pos]])
    return out


def motif_profiles(model: GenomicLM, data: GenomeData, hits: pd.DataFrame, baseline: CountModel, *,
                   flank: int = 20, rc: bool = False, piece_bp: int = 1000,
                   progress: Progress | None = None) -> pd.DataFrame:
    """Mean P(ref) of the model and of ``baseline`` per motif and offset around its ``hits``.

    ``hits``: :func:`promoter_motif_hits` rows (``motif_id, motif, chrom, start, end, strand``).
    Offset o of a hit is genome position ``start + o`` on '+' and ``end − 1 − o`` on '-', for
    o in ``−flank … width + flank − 1``. Each stretch of needed bases (hits ± ``flank``; stretches
    closer than twice the context merged, at most ``piece_bp`` bp) is scored once, with the model's
    context (:func:`glm_explore.context.context_flank`) around it; ``rc`` averages with the reverse
    strand. Columns :data:`PROFILE_COLUMNS`: ``in_motif`` (0 ≤ offset < width), ``p_ref_model`` /
    ``p_ref_baseline`` (means over instances, NaN skipped: off the contig, N bases, baseline
    context missing), ``n`` (instances with a model value at that offset).
    """
    if hits.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    total = int(sum((hits["end"] - hits["start"] + 2 * flank).clip(lower=0)))
    done = [0]
    p_model: dict[str, np.ndarray] = {}
    p_base: dict[str, np.ndarray] = {}
    for chrom, g in hits.groupby("chrom", sort=False):
        seq = data.genome.fetch(chrom)
        codes = encode(seq)
        n = len(seq)
        intervals = [(max(0, s - flank), min(n, e + flank)) for s, e in zip(g["start"], g["end"])]
        p_model[chrom] = _model_p_ref(model, seq, codes, intervals, rc=rc, piece_bp=piece_bp, progress=progress,
                                      done=done, total=total)
        p_base[chrom] = _baseline_p_ref(baseline, codes, intervals)
    rows = []
    for (mid, name), g in hits.groupby(["motif_id", "motif"], sort=False):
        width = int((g["end"] - g["start"]).iloc[0])
        offsets = np.arange(-flank, width + flank)
        start, end = g["start"].to_numpy(int)[:, None], g["end"].to_numpy(int)[:, None]
        pos = np.where(g["strand"].to_numpy()[:, None] == "-", end - 1 - offsets, start + offsets)  # (H, O)
        chroms = g["chrom"].to_numpy()
        vm = np.full(pos.shape, np.nan)
        vb = np.full(pos.shape, np.nan)
        for h, c in enumerate(chroms):
            inside = (pos[h] >= 0) & (pos[h] < len(p_model[c]))
            vm[h, inside] = p_model[c][pos[h, inside]]
            vb[h, inside] = p_base[c][pos[h, inside]]
        with warnings.catch_warnings():  # an all-NaN offset is NaN, as intended
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_m, mean_b = np.nanmean(vm, axis=0), np.nanmean(vb, axis=0)
        rows.append(pd.DataFrame({"motif_id": mid, "motif": name, "offset": offsets,
                                  "in_motif": (offsets >= 0) & (offsets < width), "p_ref_model": mean_m,
                                  "p_ref_baseline": mean_b, "n": np.isfinite(vm).sum(axis=0)}))
    return pd.concat(rows, ignore_index=True)[PROFILE_COLUMNS]


def rank_motifs(profiles: pd.DataFrame, *, min_instances: int = 5) -> pd.DataFrame:
    """One row per motif with at least ``min_instances`` instances, largest ``bump`` first.

    ``n`` = instances (the most at any offset); ``model_in`` / ``baseline_in`` = mean P(ref) over
    the in-motif offsets, ``model_flank`` / ``baseline_flank`` over the flank offsets (means of the
    per-offset means); ``bump = (model_in − model_flank) − (baseline_in − baseline_flank)``: how much
    more the model's P(ref) rises inside the motif than the count baseline's. Columns
    :data:`RANK_COLUMNS`.
    """
    rows = []
    for (mid, name), g in profiles.groupby(["motif_id", "motif"], sort=False):
        n = int(g["n"].max()) if len(g) else 0
        if n < min_instances:
            continue
        inside, out = g[g["in_motif"].astype(bool)], g[~g["in_motif"].astype(bool)]
        r = {"motif_id": mid, "motif": name, "n": n,
             "model_in": inside["p_ref_model"].mean(), "baseline_in": inside["p_ref_baseline"].mean(),
             "model_flank": out["p_ref_model"].mean(), "baseline_flank": out["p_ref_baseline"].mean()}
        r["bump"] = (r["model_in"] - r["model_flank"]) - (r["baseline_in"] - r["baseline_flank"])
        rows.append(r)
    out = pd.DataFrame(rows, columns=RANK_COLUMNS)
    return out.sort_values("bump", ascending=False, ignore_index=True, na_position="last")
