"""Loci of the genome browser: a typed locus or gene name → a checked region, and the data window around it.

Users type 1-based inclusive ``chrom:start-end`` (commas allowed, ``chrI:1,001-2,000``), a contig name
(the whole contig) or a gene name of the annotation (``YAL067C``, case-insensitive). In code every
region is 0-based half-open (:class:`~glm_explore.io.genome.Region`).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ..errors import LocusError, RegionError
from ..io.genome import Region, parse_region

BLOCK_BP = 2000  # on-demand model values are computed (and cached) per block of this many bases, on this grid
MAX_MODEL_BP = 20_000  # views wider than this get no on-demand model lanes
GENE_PAD = 0.1  # a gene opened by name is shown with this fraction of its length each side
_CONTIG_ONLY = re.compile(r"^\s*([^:\s]+)\s*$")


def gene_index(genes: pd.DataFrame) -> dict[str, str]:
    """Upper-case gene name → its 1-based locus (``chrom:start-end``), from a gene table
    (``Chromosome, Start, End, Name``; 0-based half-open). The first of duplicated names wins."""
    out: dict[str, str] = {}
    for chrom, start, end, name in genes[["Chromosome", "Start", "End", "Name"]].itertuples(index=False):
        if isinstance(name, str) and name and name.upper() not in out:
            out[name.upper()] = f"{chrom}:{int(start) + 1}-{int(end)}"
    return out


def resolve_locus(genome, text: str, genes: dict[str, str] | None = None) -> Region:
    """The checked region of a typed locus: ``chrom:start-end``, a contig name, or a gene name.

    A gene opens with :data:`GENE_PAD` of its length on each side (cut at the contig ends).
    Raises :class:`~glm_explore.errors.LocusError` for text that is none of these and
    :class:`~glm_explore.errors.RegionError` for a region past the contig end.
    """
    text = (text or "").strip()
    if not text:
        raise LocusError("Type a locus (e.g. chrI:1,001-3,000) or a gene name.")
    if ":" in text:
        try:
            region = parse_region(text)
        except RegionError as exc:
            raise LocusError(str(exc)) from None
        try:
            return genome.check_region(region)
        except RegionError as exc:
            if "past the end" in str(exc):
                raise
            raise LocusError(str(exc)) from None
    genes = genes or {}
    if text.upper() in genes:
        region = genome.check_region(parse_region(genes[text.upper()]))
        pad = max(20, int(region.length * GENE_PAD))
        return Region(region.chrom, max(0, region.start - pad), min(genome.lengths[region.chrom], region.end + pad))
    m = _CONTIG_ONLY.match(text)
    if m:
        try:
            chrom = genome.resolve(m.group(1))
        except RegionError:
            pass
        else:
            return Region(chrom, 0, genome.lengths[chrom])
    hint = ", ".join(list(genes)[:3])
    raise LocusError(f"Unknown locus or gene {text!r}: type chrom:start-end (1-based, e.g. "
                     f"{genome.chroms[0]}:1,001-3,000), a contig name ({', '.join(genome.chroms[:3])}, …)"
                     + (f" or a gene name of the annotation (e.g. {hint})." if hint else "; this genome has no "
                        "annotation, so gene names cannot be searched."))


def data_window(region: Region, contig_length: int) -> Region:
    """The region whose data a view holds: ``region`` snapped outward to a grid, so small pans and
    zooms keep the same window (and the same cached values). Views ≤ :data:`MAX_MODEL_BP` snap to
    :data:`BLOCK_BP` (the model-block grid); wider ones to a tenth of the next power of ten above them."""
    width = max(1, region.length)
    grid = BLOCK_BP if width <= MAX_MODEL_BP else 10 ** math.ceil(math.log10(width)) // 10
    start = region.start // grid * grid
    end = min(contig_length, -(-region.end // grid) * grid)
    return Region(region.chrom, start, max(end, start + 1))


def blocks(window: Region) -> list[Region]:
    """The :data:`BLOCK_BP` blocks of the model-block grid that cover ``window`` (cut at its end)."""
    first = window.start // BLOCK_BP * BLOCK_BP
    return [Region(window.chrom, max(s, window.start), min(s + BLOCK_BP, window.end))
            for s in range(first, window.end, BLOCK_BP)]


def centred(region: Region, max_bp: int, contig_length: int) -> Region:
    """At most ``max_bp`` bases around the centre of ``region`` (for pages with a smaller limit)."""
    if region.length <= max_bp:
        return region
    mid = (region.start + region.end) // 2
    start = max(0, min(mid - max_bp // 2, contig_length - max_bp))
    return Region(region.chrom, start, start + max_bp)
