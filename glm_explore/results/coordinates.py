"""Coordinates shared by results over one sequence (0-based inside, 1-based ``positions``)."""

from __future__ import annotations

import numpy as np

from ..io.genome import Region


class OnSequence:
    """Coordinates shared by results over one sequence with ``seq``, ``chrom`` and 0-based ``start``."""

    seq: str
    chrom: str | None
    start: int

    @property
    def length(self) -> int:
        return len(self.seq)

    @property
    def region(self) -> Region | None:
        return None if self.chrom is None else Region(self.chrom, self.start, self.start + self.length)

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based coordinates (genome coordinates for a region, 1..L otherwise)."""
        return np.arange(self.start + 1, self.start + self.length + 1)

    @property
    def label(self) -> str:
        """``chrom:start-end`` (1-based) or, off the genome, :meth:`_unplaced_label`."""
        return str(self.region) if self.chrom is not None else self._unplaced_label()

    def _unplaced_label(self) -> str:
        return getattr(self, "name", "") or "sequence"
