"""Per-position nucleotide predictions: exact masked marginals (MLM), next-token (CLM), tracks.

All arrays are (4, L) over A,C,G,T in natural log unless a name says bits.

Typical use::

    w = region_window(data.genome, "chrI:1001-1512", model)   # region + receptive-field context
    res = nucleotide_logits(model, w)                          # PositionLogits, (4, L) log-probs
    table = position_table(res, data)                          # one row per position (1-based pos)

Command line: ``python -m glm_explore logits --region chrI:1000-1500 --out x.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import MAX_FLANK as MAX_FLANK  # re-exported: the CLI's --flank bound
from .context import context_flank
from .errors import InputTooLargeError, ObjectiveError
from .io.genome import MAX_REGION_BP, Genome, Region, Window, fetch_window, parse_region
from .models.base import GenomicLM, Progress
from .results import PositionLogits
from .results.logits import LN2 as LN2  # array rules shared with results and plots, re-exported
from .results.logits import entropy_bits as entropy_bits
from .results.logits import information_content as information_content
from .results.logits import logo_heights as logo_heights
from .results.logits import reference_log_probs
from .sequence import ALPHABET, clean_sequence, encode, reverse_complement


def mask_groups(length: int, receptive_field: int | None, positions: np.ndarray | None = None) -> list[np.ndarray]:
    """Position groups that can be masked together without changing any masked marginal.

    With a receptive field of R bases on each side, two masks farther apart than R never see each
    other, so positions ``r, r + (R+1), r + 2(R+1), …`` share one copy: R+1 copies instead of L.
    ``receptive_field=None`` (unbounded, e.g. transformers) gives one position per copy.
    ``positions`` (sorted 0-based indices, default all) restricts which positions get predicted.
    """
    pos = np.arange(length) if positions is None else np.asarray(positions, dtype=np.int64)
    if receptive_field is None:
        return [pos[k:k + 1] for k in range(len(pos))]
    stride = receptive_field + 1
    groups = [pos[pos % stride == r] for r in range(min(stride, length))]
    return [g for g in groups if g.size]


def masked_marginals(model: GenomicLM, seq: str, *, batch_size: int = 128, exact: bool = True,
                     positions: np.ndarray | None = None, progress: Progress | None = None) -> np.ndarray:
    """(4, L) log P(x_i = b | x_{-i}) with position i masked, for every i (MLM only).

    ``exact=True`` uses the model's single-mask cones where it declares ``capabilities.masked_sites``
    (the built-in CNNs: one clean pass, then each position's receptive-field cone), ``model.masked_sites``
    for models whose tokens hold several bases (``capabilities.k != 1``: k-mer, BPE; one masked copy per
    token, every base of it read from that copy, equal to masking each base alone), else
    :func:`mask_groups` with the model's receptive field (exact for finite receptive fields; one mask
    per copy otherwise); ``exact=False`` is the one-mask-per-copy brute
    force. ``positions`` (0-based) limits the prediction to those columns (the others are NaN), e.g.
    the requested region inside a window padded with context.
    """
    if model.info.objective != "mlm":
        raise ObjectiveError(f"{model.info.name} is a causal LM: masked marginals need an MLM; "
                             "use mode 'next' (next-token probabilities) instead.")
    L = len(seq)
    out = np.full((4, L), np.nan, dtype=np.float32)
    caps = model.info.capabilities
    if exact and (caps.masked_sites or caps.k != 1):  # cones, or multi-base tokens: one masked copy per token
        return _cone_marginals(model, seq, out, positions, progress)
    groups = mask_groups(L, model.info.receptive_field if exact else None, positions)
    for start in range(0, len(groups), batch_size):
        chunk = groups[start:start + batch_size]
        masked = np.zeros((len(chunk), L), dtype=bool)
        for row, g in enumerate(chunk):
            masked[row, g] = True
        lp = model.log_probs([seq] * len(chunk), masked, batch_size=batch_size)
        for row, g in enumerate(chunk):
            out[:, g] = lp[row][:, g]
        if progress:
            progress(min(1.0, (start + len(chunk)) / len(groups)), f"masked copies {start + len(chunk)}/{len(groups)}")
    return out


CONE_ROW = 4096  # positions per row handed to ``model.masked_sites`` (plus R bases of context each side)


def _cone_marginals(model: GenomicLM, seq: str, out: np.ndarray, positions: np.ndarray | None,
                    progress: Progress | None) -> np.ndarray:
    """:func:`masked_marginals` through ``model.masked_sites``: runs of up to :data:`CONE_ROW` positions, each
    with R bases of context on both sides (cut at the sequence ends, where the model pads as in the whole
    sequence), so every column equals the whole-sequence single-mask prediction."""
    R = model.info.receptive_field
    R = len(seq) if R is None else R  # unbounded (multi-base-token models): the whole sequence is context
    pos = np.arange(len(seq)) if positions is None else np.sort(np.asarray(positions, dtype=np.int64))
    for k in range(0, len(pos), CONE_ROW):
        p = pos[k:k + CONE_ROW]
        a, b = max(0, int(p[0]) - R), min(len(seq), int(p[-1]) + R + 1)
        out[:, p] = model.masked_sites([seq[a:b]], np.zeros(len(p), dtype=np.int64), p - a).T
        if progress:
            progress(min(1.0, (k + len(p)) / len(pos)), f"positions {k + len(p):,}/{len(pos):,}")
    return out


def unmasked_log_probs(model: GenomicLM, seq: str) -> np.ndarray:
    """(4, L) single forward pass without masks ("reconstruction"): fast, an approximation for MLMs."""
    return model.log_probs([seq])[0]


def next_token_log_probs(model: GenomicLM, seq: str) -> np.ndarray:
    """(4, L) log P(x_i | x_<i) for a CLM from one forward pass."""
    if model.info.objective != "clm":
        raise ObjectiveError(f"{model.info.name} is a masked LM: next-token probabilities need a CLM; "
                             "use mode 'exact' (masked marginals) instead.")
    return model.log_probs([seq])[0]


def rc_average(fn, seq: str) -> np.ndarray:
    """Average ``fn(seq)`` with ``fn(reverse_complement(seq))`` mapped back to the forward strand.

    Position i of the reverse strand is L-1-i of the forward one and base b becomes its complement;
    with rows in A,C,G,T order, complementing is reversing the row order.
    """
    fwd = fn(seq)
    rev = fn(reverse_complement(seq))[::-1, ::-1]
    return (fwd + rev) / 2


def position_log_probs(model: GenomicLM, seq: str, *, mode: str = "exact", rc: bool = False,
                       batch_size: int = 128, positions: np.ndarray | None = None,
                       progress: Progress | None = None) -> np.ndarray:
    """(4, L) log-probs by ``mode``: 'exact' / 'brute' (MLM masked marginals), 'unmasked' (MLM),
    'next' (CLM). ``rc=True`` averages log-probs with the reverse-complement strand (GPN), position i
    of the reverse strand mapped to L-1-i and bases complemented. Columns are renormalised after
    averaging. ``positions`` (0-based) limits masked marginals to those columns (others NaN)."""
    L = len(seq)
    n_pass = 2 if rc else 1

    def fn(s: str, k: int, pos: np.ndarray | None) -> np.ndarray:
        prog = None
        if progress is not None:
            def prog(f: float, msg: str) -> None:
                progress((k + f) / n_pass, msg + (" (reverse strand)" if k else ""))
        if mode in {"exact", "brute"}:
            return masked_marginals(model, s, batch_size=batch_size, exact=mode == "exact", positions=pos,
                                    progress=prog)
        if mode == "unmasked":
            out = unmasked_log_probs(model, s)
        elif mode == "next":
            out = next_token_log_probs(model, s)
        else:
            raise ObjectiveError(f"Unknown mode {mode!r}: choose one of {', '.join(MODES)}.")
        if prog:
            prog(1.0, "forward pass")
        return out

    lp = fn(seq, 0, positions)
    if rc:
        rpos = None if positions is None else np.sort(L - 1 - np.asarray(positions))
        lp = (lp + fn(reverse_complement(seq), 1, rpos)[::-1, ::-1]) / 2
    with np.errstate(invalid="ignore"):  # NaN columns (not in ``positions``) stay NaN
        return lp - np.logaddexp.reduce(lp, axis=0, keepdims=True)  # renormalise after averaging


def mean_bits_per_base(log_p_ref: np.ndarray) -> float:
    """Mean log-likelihood of the reference in bits per base (log2) from (L,) natural-log values
    (e.g. :func:`position_table`'s ``log_p_ref``); NaN positions (N) are skipped, NaN if none is left."""
    values = np.asarray(log_p_ref, dtype=np.float64)
    values = values[~np.isnan(values)]
    return float(values.mean() / LN2) if values.size else float("nan")


# ---------------------------------------------------------------------------------------------
# Inputs, results, derived tracks
# ---------------------------------------------------------------------------------------------

MODES = {
    "exact": "exact masked marginals (MLM; one masked copy per position, batched by receptive field)",
    "unmasked": "unmasked reconstruction (MLM; one forward pass, an approximation)",
    "next": "next-token P(x_i | x_<i) (CLM; one forward pass)",
    "brute": "masked marginals, one mask per copy (MLM; slow reference for 'exact')",
}
MAX_LOGITS_BP = MAX_REGION_BP  # 2 kb


def resolve_mode(model: GenomicLM, mode: str = "auto") -> str:
    """``mode`` checked against the model's objective; 'auto' → 'exact' (MLM) or 'next' (CLM)."""
    objective = model.info.objective
    if mode == "auto":
        return "exact" if objective == "mlm" else "next"
    if mode not in MODES:
        raise ObjectiveError(f"Unknown mode {mode!r}: choose one of auto, {', '.join(MODES)}.")
    if (mode == "next") != (objective == "clm"):
        need = "a causal LM (CLM)" if mode == "next" else "a masked LM (MLM)"
        raise ObjectiveError(f"Mode {mode!r} needs {need}, but {model.info.name} is a {objective.upper()}; "
                             f"use mode {'next' if objective == 'clm' else 'exact'!r} or pick another model.")
    return mode


def sequence_input(text: str, *, name: str = "pasted sequence", max_len: int = MAX_LOGITS_BP) -> str:
    """A pasted sequence cleaned (see :func:`~glm_explore.sequence.clean_sequence`) and size-checked."""
    seq = clean_sequence(text, name=name)
    if len(seq) > max_len:
        raise InputTooLargeError(f"The {name} is {len(seq):,} bp; the limit here is {max_len:,} bp. "
                                 "Paste a shorter sequence.")
    return seq


def nucleotide_logits(model: GenomicLM, source: str | Window, *, mode: str = "auto", rc: bool = False,
                      batch_size: int = 128, name: str = "", progress: Progress | None = None) -> PositionLogits:
    """Per-position predictions for a sequence or a genome :class:`~glm_explore.io.genome.Window`.

    A ``Window`` (from :func:`region_window`) is computed with its context and cropped to its
    region, so the edges of the region see real flanking sequence; a plain string is used as is
    (positions 1..L). ``mode``: 'auto' (exact for an MLM, next for a CLM), 'exact', 'unmasked',
    'next' or 'brute' (see :data:`MODES`). Returns :class:`~glm_explore.results.PositionLogits`
    whose ``log_probs`` are (4, L_region), natural log, A,C,G,T.
    """
    mode = resolve_mode(model, mode)
    if isinstance(source, Window):
        seq, offset, n = source.seq, source.offset, source.region.length
        chrom, start, note = source.region.chrom, source.region.start, source.note
        flank = max(source.offset, len(source.seq) - source.offset - n)
    else:
        seq = clean_sequence(source, name=name or "sequence")
        if len(seq) > MAX_LOGITS_BP:
            raise InputTooLargeError(f"{name or 'The sequence'} is {len(seq):,} bp; the limit is {MAX_LOGITS_BP:,} bp.")
        offset, n, chrom, start, note, flank = 0, len(seq), None, 0, "", 0
    if model.info.max_len and len(seq) > model.info.max_len:
        lp, stitch_note = stitched_log_probs(model, seq, offset, n, mode=mode, rc=rc, batch_size=batch_size,
                                             progress=progress)
        note = f"{note} {stitch_note}".strip()
    else:
        lp = position_log_probs(model, seq, mode=mode, rc=rc, batch_size=batch_size,
                                positions=np.arange(offset, offset + n), progress=progress)[:, offset:offset + n]
    return PositionLogits(log_probs=np.ascontiguousarray(lp, dtype=np.float32),
                          seq=seq[offset:offset + n], model=model.info.name, objective=model.info.objective,
                          mode=mode, rc=rc, chrom=chrom, start=start, name=name, flank=flank, note=note)


def stitch_plan(length: int, start: int, n: int, max_len: int, flank: int) -> list[tuple[int, int, int, int]]:
    """Overlapping model inputs that cover positions ``[start, start + n)`` of a ``length``-bp sequence when the
    model reads at most ``max_len`` bp: 0-based half-open ``(in_lo, in_hi, core_lo, core_hi)`` per input, the
    cores tiling the span in order, each input its core plus up to ``flank`` bp each side (less at the
    sequence's ends). Raises :class:`InputTooLargeError` when ``max_len`` leaves no core beside two flanks."""
    core = max_len - 2 * flank
    if core < 1:
        raise InputTooLargeError(f"A model that reads {max_len:,} bp has no room for {flank:,} bp of context on "
                                 "each side; choose a shorter region.")
    plan = []
    for lo in range(start, start + n, core):
        hi = min(start + n, lo + core)
        plan.append((max(0, lo - flank), min(length, hi + flank), lo, hi))
    return plan


def stitch_flank(model: GenomicLM) -> int:
    """Context (bp) each side of a stitched input's core: the receptive field when one is declared and leaves
    room (stitching is then exact), else a quarter of the model's input length."""
    rf, max_len = model.info.receptive_field, int(model.info.max_len)
    if rf is not None and max_len - 2 * int(rf) >= max_len // 4:
        return int(rf)
    return max_len // 4


def stitched_log_probs(model: GenomicLM, seq: str, start: int, n: int, *, mode: str, rc: bool = False,
                       batch_size: int = 128, progress: Progress | None = None) -> tuple[np.ndarray, str]:
    """(4, n) log-probs of positions ``[start, start + n)`` of ``seq``, longer than the model reads at once: the
    span is cut into the cores of :func:`stitch_plan`, each predicted from its own input (core ± the flank of
    :func:`stitch_flank`) and the cores joined. Returns the array and the note the page shows (exact when
    the flank covers the model's receptive field; otherwise every base still sees ≥ the flank, or the
    sequence's end, on each side)."""
    flank = stitch_flank(model)
    plan = stitch_plan(len(seq), start, n, int(model.info.max_len), flank)
    out = np.full((4, n), np.nan)
    for k, (a, b, lo, hi) in enumerate(plan):
        part = None
        if progress is not None:
            def part(f: float, msg: str, k: int = k) -> None:
                progress((k + f) / len(plan), f"window {k + 1}/{len(plan)}: {msg}")
        lp = position_log_probs(model, seq[a:b], mode=mode, rc=rc, batch_size=batch_size,
                                positions=np.arange(lo - a, hi - a), progress=part)
        out[:, lo - start:hi - start] = lp[:, lo - a:hi - a]
    rf = model.info.receptive_field
    exact = rf is not None and flank >= int(rf)
    note = (f"This input ({len(seq):,} bp with its context) is longer than {model.info.name} reads at once "
            f"({int(model.info.max_len):,} bp), so it was predicted in {len(plan)} overlapping windows whose "
            f"centres are stitched: each base sees {flank:,} bp of context on each side (or up to the "
            f"sequence's end)" + (", its whole receptive field, so the values are exact." if exact else
                                  ", not the whole input."))
    return out, note


def region_window(genome: Genome, region: Region | str, model: GenomicLM | None = None, *,
                  flank: int | None = None, max_len: int = MAX_LOGITS_BP) -> Window:
    """The region with ``flank`` bases of context each side (default: :func:`glm_explore.context.context_flank`,
    the model's receptive field capped at :data:`MAX_FLANK` and fitted to its input length), cut safely at
    contig edges (``Window.note`` says so). ``region`` may be '1-based chrom:start-end'."""
    if flank is None:
        length = (parse_region(region) if isinstance(region, str) else region).length
        flank = context_flank(model, region_length=length) if model is not None else 0
    return fetch_window(genome, region, flank=max(0, int(flank)), max_len=max_len)

def position_table(result: PositionLogits, data=None) -> pd.DataFrame:
    """One row per position: the derived tracks of a :class:`PositionLogits`.

    Columns: ``chrom`` (regions only), ``pos`` (1-based), ``ref``, ``p_A … p_T``, ``p_ref``,
    ``log_p_ref`` (per-position log-likelihood, natural log; NaN at N), ``entropy_bits``, ``ic_bits``,
    ``top_base`` and ``top_p`` (the model's most likely base), ``model_disagrees`` (top base ≠ ref) and
    ``disagreeing_base`` (the top base where it differs from ref, else empty). With a
    :class:`~glm_explore.io.datasets.GenomeData` for a genome region, also ``region_class``.
    """
    lp = result.log_probs.astype(np.float64)
    p = np.exp(lp)
    ref_lp = reference_log_probs(lp, result.seq)
    top = p.argmax(axis=0)
    top_base = np.array(list(ALPHABET))[top]
    ref = np.array(list(result.seq)) if result.length else np.array([], dtype=str)
    disagree = (top_base != ref) & (encode(result.seq) < 4)
    df = pd.DataFrame({"pos": result.positions, "ref": ref})
    if result.chrom is not None:
        df.insert(0, "chrom", result.chrom)
    for b, base in enumerate(ALPHABET):
        df[f"p_{base}"] = p[b]
    df["p_ref"] = np.exp(ref_lp)
    df["log_p_ref"] = ref_lp
    df["entropy_bits"] = entropy_bits(lp)
    df["ic_bits"] = 2.0 - df["entropy_bits"]
    df["top_base"] = top_base
    df["top_p"] = p.max(axis=0)
    df["model_disagrees"] = disagree
    df["disagreeing_base"] = np.where(disagree, top_base, "")
    if data is not None and result.chrom is not None:
        from .io.annotation import CLASSES

        codes = data.classes_in(result.chrom, result.start, result.start + result.length)
        df["region_class"] = np.array(CLASSES)[codes]
    df.attrs.update({"model": result.model, "mode": result.mode, "rc": result.rc, "label": result.label})
    return df
