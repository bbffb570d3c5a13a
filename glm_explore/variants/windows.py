"""Sequence windows around variants (the length and centring rule live in :mod:`glm_explore.context`),
and the model's own per-window SNV rule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..context import centered_window_bounds
from ..io.genome import Genome, Region
from ..models.base import GenomicLM
from ..results import Variant
from .validate import OK, ChromCache, checked_variant


def site_windows(genome: Genome, cache: ChromCache, chroms: Sequence[str], pos0: Sequence[int], window: int
                 ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Reference windows of length ``window`` around sites ``(chroms[n], pos0[n])`` (0-based).

    Returns ``(seqs, starts, offsets)``: N sequences (shorter only on contigs shorter than the
    window), (N,) 0-based window starts and (N,) indices of each site in its window
    (:func:`~glm_explore.context.centered_window_bounds`).
    """
    seqs, starts, offs = [], [], []
    for c, p in zip(chroms, pos0):
        s, o = centered_window_bounds(int(p), window, genome.lengths[c])
        seqs.append(cache[c][s:s + min(window, genome.lengths[c])])
        starts.append(s)
        offs.append(o)
    return seqs, np.array(starts, dtype=np.int64), np.array(offs, dtype=np.int64)


def tokenizer_reasons(model: GenomicLM, genome: Genome, cache: ChromCache, variants: pd.DataFrame,
                      reasons: list[str], chroms: list, pos0: np.ndarray, window: int) -> list[str]:
    """``reasons`` with the model's own SNV rule applied to the rows still ``"ok"`` (BPE: same token
    count, exactly one token differs; DNALLM).

    Models that declare no SNV rule (``capabilities.snv_rule``: character, k-mer, built-in) score every valid SNV.
    """
    rule = model.snv_skip_reason if model.info.capabilities.snv_rule else None
    rows = [i for i, r in enumerate(reasons) if r == OK]
    if rule is None or not rows:
        return reasons
    seqs, _, offs = site_windows(genome, cache, [chroms[i] for i in rows], pos0[rows], window)
    out = list(reasons)
    for i, seq, off in zip(rows, seqs, offs):
        why = rule(seq, int(off), str(variants["alt"].iat[i]).upper())
        if why:
            out[i] = why
    return out


def variant_windows(genome: Genome, variant: Variant, window: int) -> tuple[str, str, Region, int]:
    """``(ref_seq, alt_seq, region, offset)`` for one checked variant: the reference window, the same
    window with the ALT base, the window's 0-based half-open region, and the variant's index in it."""
    chrom, pos0 = checked_variant(genome, variant)
    start, off = centered_window_bounds(pos0, window, genome.lengths[chrom])
    ref_seq = genome.fetch(chrom, start, start + min(window, genome.lengths[chrom]))
    alt_seq = ref_seq[:off] + variant.alt.upper() + ref_seq[off + 1:]
    return ref_seq, alt_seq, Region(chrom, start, start + len(ref_seq)), off
