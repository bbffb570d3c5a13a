"""bigWig files with pyBigWig: write per-base values (atomically, no entry where a value is missing) and read a
region back. What a track folder holds and how its files are named lives in :mod:`glm_explore.track.bigwig`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import TrackError


def finite_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """0-based half-open ``(start, end)`` of the runs of finite values in a (L,) array."""
    edges = np.diff(np.concatenate([[0], np.isfinite(values).astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def write_bigwig(path: str | Path, header: list[tuple[str, int]], blocks: Iterable[tuple[str, int, np.ndarray]]
                 ) -> None:
    """Write ``path`` with contigs ``header`` (``(name, length)``, the file's order) and, per block
    ``(chrom, start, values)`` (0-based start, one value per base, blocks in header order), one entry per base
    with a finite value. Readers see the whole file or none (temporary file, then renamed)."""
    import pyBigWig

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    bw = pyBigWig.open(str(tmp), "w")
    try:
        bw.addHeader(header)
        for chrom, start, values in blocks:
            for s, e in finite_runs(values):
                bw.addEntries(chrom, int(start) + s, values=np.asarray(values[s:e], dtype=np.float64), span=1, step=1)
    finally:
        bw.close()
    os.replace(tmp, path)


def read_bigwig(path: str | Path, chrom: str, start: int, end: int) -> np.ndarray:
    """Values of ``chrom[start:end]`` (0-based half-open) in ``path`` as float32 (NaN where the file has none);
    :class:`~glm_explore.errors.TrackError` for an unknown contig or a range outside it."""
    import pyBigWig

    path = Path(path)
    bw = pyBigWig.open(str(path))
    try:
        size = bw.chroms().get(chrom)
        if size is None:
            raise TrackError(f"The track in {path.parent} has no contig {chrom!r} (it has "
                             f"{', '.join(list(bw.chroms())[:6])}).")
        if not 0 <= start <= end <= size:
            raise TrackError(f"{chrom}:{start + 1}-{end} is outside {chrom} (1-{size:,}) in {path.name}.")
        if end == start:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(bw.values(chrom, start, end, numpy=True), dtype=np.float32)
    finally:
        bw.close()
