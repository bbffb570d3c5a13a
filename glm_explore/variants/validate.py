"""Which SNVs can be scored: the reasons a row is skipped, and the
chromosome cache that lets validation and window fetching read each chromosome once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import (
    RegionError,
    VariantError,
)
from ..io.genome import Genome
from ..results import Variant
from ..sequence import ALPHABET

BASE_INDEX = {b: i for i, b in enumerate(ALPHABET)}  # A,C,G,T → row of a (4, L) / column of an (N, 4) array

# reasons a record / row is not scored (summary keys)
REASON_INDEL = "indel or length-changing"
REASON_SYMBOLIC = "symbolic or missing ALT"
REASON_NON_ACGT = "non-ACGT allele"
REASON_CONTIG = "unknown contig"
REASON_RANGE = "position out of range"
REASON_REF = "REF mismatch"
REASON_SAME = "ALT equals REF"
OK = "ok"


class _LazyChrom:
    """Slices of one chromosome read on demand through pyfaidx (for chromosomes too big to hold)."""

    def __init__(self, genome: Genome, chrom: str) -> None:
        self.genome, self.chrom = genome, chrom

    def __getitem__(self, k):
        if isinstance(k, slice):
            return self.genome.fetch(self.chrom, k.start or 0, k.stop)
        return self.genome.fetch(self.chrom, k, k + 1)


class ChromCache:
    """Chromosome sequences held in memory (uppercase ASCII, 1 byte per base), each read from the FASTA once.

    When the whole genome fits in ``max_total_bp`` (the yeast genome is 12 Mb) every chromosome read stays
    (read on first use); otherwise only the last ``size`` chromosomes stay, so a VCF sorted by chromosome
    streams chromosome by chromosome and memory is bounded by the chromosome sizes, never by the VCF's
    length. Chromosomes over ``max_bp`` are read window by window through pyfaidx instead.
    """

    def __init__(self, genome: Genome, size: int = 2, max_bp: int = 256_000_000,
                 max_total_bp: int = 200_000_000) -> None:
        self.genome, self.size, self.max_bp, self._d = genome, size, max_bp, {}
        self.keep_all = genome.total_length <= max_total_bp

    def __getitem__(self, chrom: str):
        if self.genome.lengths[chrom] > self.max_bp:
            return _LazyChrom(self.genome, chrom)
        if chrom not in self._d:
            if not self.keep_all and len(self._d) >= self.size:
                self._d.pop(next(iter(self._d)))
            self._d[chrom] = self.genome.fetch(chrom)
        return self._d[chrom]


def check_variant(genome: Genome, chrom: str, pos: int, ref: str, alt: str,
                  cache: ChromCache | None = None) -> tuple[str, str | None, int]:
    """Validate one SNV. Returns ``(reason, resolved_chrom, pos0)``; reason is ``"ok"`` when scorable.

    Checks, in order: alleles are single A/C/G/T bases (else indel / symbolic / non-ACGT), the
    contig is known (chr-prefix and roman/arabic aliases via :meth:`Genome.resolve`), ``pos``
    (1-based) lies on the contig, and ``ref`` matches the genome.
    """
    ref, alt = str(ref).upper(), str(alt).upper()
    if not alt or alt in {".", "*"} or alt.startswith("<") or "[" in alt or "]" in alt:
        return REASON_SYMBOLIC, None, -1
    if len(ref) != 1 or len(alt) != 1:
        return REASON_INDEL, None, -1
    if ref not in BASE_INDEX or alt not in BASE_INDEX:
        return REASON_NON_ACGT, None, -1
    if ref == alt:
        return REASON_SAME, None, -1
    try:
        name = genome.resolve(str(chrom))
    except RegionError:
        return REASON_CONTIG, None, -1
    try:
        pos0 = int(pos) - 1
    except (TypeError, ValueError):
        return REASON_RANGE, name, -1
    if not 0 <= pos0 < genome.lengths[name]:
        return REASON_RANGE, name, pos0
    base = cache[name][pos0] if cache is not None else genome.fetch(name, pos0, pos0 + 1)
    if base != ref:
        return REASON_REF, name, pos0
    return OK, name, pos0


def check_table(genome: Genome, df: pd.DataFrame, cache: ChromCache) -> tuple[list[str], list, np.ndarray]:
    """:func:`check_variant` for every row of a ``chrom, pos, ref, alt`` table.

    Returns ``(reasons, resolved_chroms, pos0)``: one reason (``"ok"`` when scorable) and resolved
    contig name (None when unknown) per row, and (N,) 0-based positions (−1 when unknown).
    """
    missing = {"chrom", "pos", "ref", "alt"} - set(df.columns)
    if missing:
        raise VariantError(f"variants table lacks column(s) {', '.join(sorted(missing))}: "
                           "give chrom, pos (1-based), ref, alt.")
    reasons, chroms, pos0 = [], [], []
    for c, p, r, a in zip(df["chrom"], df["pos"], df["ref"], df["alt"]):
        reason, name, q = check_variant(genome, c, p, r, a, cache)
        reasons.append(reason)
        chroms.append(name)
        pos0.append(q)
    return reasons, chroms, np.array(pos0, dtype=np.int64)


def checked_variant(genome: Genome, variant: Variant) -> tuple[str, int]:
    """``(resolved_chrom, pos0)`` of one typed variant, or a :class:`VariantError` that says what to fix."""
    reason, chrom, pos0 = check_variant(genome, variant.chrom, variant.pos, variant.ref, variant.alt)
    if reason == OK:
        return chrom, pos0
    note = ""
    if reason == REASON_REF:
        note = f" (the genome has {genome.fetch(chrom, pos0, pos0 + 1)} at {chrom}:{variant.pos})"
    elif reason == REASON_RANGE:
        note = f" ({chrom} has {genome.lengths[chrom]:,} bp)"
    elif reason == REASON_CONTIG:
        note = f" (this genome has {', '.join(genome.chroms[:6])}{', …' if len(genome.chroms) > 6 else ''})"
    raise VariantError(f"Cannot score {variant}: {reason}{note}. Give a single-base REF that matches the genome "
                       "and a different single-base ALT (A, C, G or T).")
