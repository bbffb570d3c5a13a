"""A genome-browser view (see :mod:`glm_explore.browser`): the locus, the data window and its tracks.

Coordinates are 0-based half-open inside; ``Region.__str__`` gives the 1-based locus users read.
Only the data window's values are held (never a whole contig), so a view is small enough to travel
to a page or be inlined into a handout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..io.genome import Region


@dataclass(frozen=True)
class SignalTrack:
    """One value per base (or per bin of ``step`` bases) from ``start``: a wig lane.

    ``values`` is float32 (n,), NaN where there is no value; base ``start + i * step`` holds ``values[i]``.
    ``group`` names the paired / merged lane it belongs to ('' for a lane of its own), e.g. the four
    bars of a logo lane.
    """

    id: str
    name: str
    chrom: str
    start: int
    values: np.ndarray
    color: str = "#1f77b4"
    step: int = 1
    group: str = ""
    min_value: float | None = None
    max_value: float | None = None
    description: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.values) * self.step


@dataclass(frozen=True)
class FeatureTrack:
    """Intervals for an annotation lane: ``features`` rows of ``chrom, start, end, name, strand, type``
    (0-based half-open) plus optional ``color`` per row (e.g. a variant's LLR as colour)."""

    id: str
    name: str
    features: tuple[dict, ...]
    color: str = "#2b5f9e"
    searchable: bool = False
    description: str = ""


@dataclass(frozen=True)
class BrowserView:
    """What a genome browser shows: ``locus`` (the visible region), ``window`` (the region whose data is
    held, ⊇ locus ∩ contig), the window's ``sequence`` and the lanes, in display order.

    ``genes`` maps upper-case gene names to 1-based loci for the whole genome (the browser's search
    box); ``notes`` say what was left out (e.g. model tracks of a view over 20 kb).
    """

    genome: str
    locus: Region
    window: Region
    contig_length: int
    sequence: str
    tracks: tuple[SignalTrack | FeatureTrack, ...]
    model: str = ""
    genes: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def track_ids(self) -> list[str]:
        return [t.id for t in self.tracks]

    def track(self, track_id: str) -> SignalTrack | FeatureTrack:
        """The lane ``track_id`` (KeyError if the view has none)."""
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(track_id)
