"""Which bases a genome-wide track covers, cut into chunks: the unit of work, resume and parallelism.

A :class:`Chunk` is a 0-based half-open interval of one contig with its position in the plan
(``index``). :func:`plan_chunks` cuts whole contigs or the merged intervals of a BED into chunks of at
most ``chunk_bp`` bases, in genome order. :func:`read_regions_bed` reads and checks a BED of regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import (
    RegionError,
    TrackError,
)
from ..io.datasets import as_genome
from ..io.genome import Region

DEFAULT_CHUNK_BP = 100_000


@dataclass(frozen=True)
class Chunk:
    """One unit of track work: ``chrom[start:end]`` (0-based half-open), ``index`` its place in the plan."""

    index: int
    chrom: str
    start: int
    end: int

    @property
    def region(self) -> Region:
        return Region(self.chrom, self.start, self.end)

    @property
    def length(self) -> int:
        return self.region.length

    def __str__(self) -> str:  # 1-based inclusive, as users read it
        return str(self.region)


def read_regions_bed(path: str | Path, genome) -> pd.DataFrame:
    """A BED of regions → ``Chromosome, Start, End`` (0-based half-open, the genome's contig names).

    Read and line-checked by :func:`glm_explore.io.annotation.read_annotation` (pyranges' reader); every
    contig must be in ``genome`` (aliases such as chr1/chrI accepted) and every interval inside its
    contig, else :class:`RegionError` naming the first offending row (1-based coordinates).
    """
    from ..io.annotation import read_annotation

    path = Path(path)
    if path.suffix.lower() not in {".bed"} and not path.name.lower().endswith(".bed.gz"):
        raise RegionError(f"--regions {path.name}: give a BED file named .bed or .bed.gz (chrom, start, end columns).")
    genome = as_genome(genome)
    df = read_annotation(path).features[["Chromosome", "Start", "End"]].copy()
    df["Chromosome"] = [genome.resolve(str(c)) for c in df["Chromosome"]]  # RegionError names the unknown contig
    length = df["Chromosome"].map(genome.lengths)
    past = df[df["End"] > length]
    if len(past):
        row = past.iloc[0]
        raise RegionError(f"{path.name}: {row.Chromosome}:{int(row.Start) + 1}-{int(row.End)} runs past the end of "
                          f"{row.Chromosome} ({genome.lengths[row.Chromosome]:,} bp); {len(past)} region(s) lie outside "
                          "the genome. Is the BED for this genome?")
    return df.astype({"Start": "int64", "End": "int64"}).reset_index(drop=True)


def _merged(genome, regions) -> pd.DataFrame:
    """Regions (a PyRanges or a DataFrame with Chromosome/Start/End) merged per contig, in genome order."""
    import pyranges as pr

    df = regions.df if isinstance(regions, pr.PyRanges) else pd.DataFrame(regions)
    missing = {"Chromosome", "Start", "End"} - set(df.columns)
    if missing:
        raise TrackError(f"regions need the columns Chromosome, Start, End (missing {', '.join(sorted(missing))}).")
    df = df[["Chromosome", "Start", "End"]].copy()
    df["Chromosome"] = [genome.resolve(str(c)) for c in df["Chromosome"]]
    df = df[df["End"] > df["Start"]]
    if df.empty:
        raise TrackError("The regions are empty: give at least one interval with end > start.")
    for row in df.itertuples():
        if row.Start < 0 or row.End > genome.lengths[row.Chromosome]:
            raise RegionError(f"{row.Chromosome}:{row.Start + 1}-{row.End} is outside {row.Chromosome} "
                              f"(1-{genome.lengths[row.Chromosome]:,}).")
    merged = pr.PyRanges(df).merge().df[["Chromosome", "Start", "End"]]
    merged["Chromosome"] = merged["Chromosome"].astype(str)
    order = {c: i for i, c in enumerate(genome.chroms)}
    return merged.assign(_o=merged["Chromosome"].map(order)).sort_values(["_o", "Start"]).drop(columns="_o")


def plan_chunks(genome, *, chroms: list[str] | None = None, regions=None,
                chunk_bp: int = DEFAULT_CHUNK_BP) -> list[Chunk]:
    """Chunks of at most ``chunk_bp`` bases covering the requested bases, in genome order.

    ``chroms``: contig names (aliases accepted; default every contig of ``genome``); ``regions``: a
    PyRanges or DataFrame (``Chromosome, Start, End``, 0-based half-open; overlaps merged) instead.
    Chunks start at each contig's / merged interval's start and are numbered 0, 1, … in order.
    """
    genome = as_genome(genome)
    if chunk_bp < 1:
        raise TrackError(f"chunk_bp must be at least 1, got {chunk_bp}.")
    if chroms is not None and regions is not None:
        raise TrackError("Give contigs or regions, not both.")
    if regions is not None:
        spans = [(r.Chromosome, int(r.Start), int(r.End)) for r in _merged(genome, regions).itertuples()]
    else:
        wanted = set(genome.chroms if chroms is None else (genome.resolve(c) for c in chroms))
        names = [c for c in genome.chroms if c in wanted]  # genome order: the order of a bigWig's header
        if not names:
            raise TrackError("No contigs requested: name at least one.")
        spans = [(c, 0, genome.lengths[c]) for c in names]
    out: list[Chunk] = []
    for chrom, lo, hi in spans:
        for s in range(lo, hi, chunk_bp):
            out.append(Chunk(len(out), chrom, s, min(hi, s + chunk_bp)))
    return out
