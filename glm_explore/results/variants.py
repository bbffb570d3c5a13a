"""Variant-effect values (see :mod:`glm_explore.variants`): the typed variant, embedding shift, delta
tracks, group tests, VCF pass counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io.genome import Region
from .logits import PositionLogits, log_odds, reference_log_probs


@dataclass(frozen=True)
class Variant:
    """A single-nucleotide variant; ``pos`` is 1-based as in VCF (the input of the single-variant views)."""

    chrom: str
    pos: int
    ref: str
    alt: str

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}{self.ref}>{self.alt}"


@dataclass(frozen=True)
class EmbeddingShift:
    """Ref vs alt window representations at ``layer`` (pooled with :func:`glm_explore.embed.pool`)."""

    cosine_distance: float  # 1 − cos(pooled h_ref, pooled h_alt)
    euclidean: float  # ‖pooled h_alt − pooled h_ref‖₂
    local: np.ndarray  # (L,) ‖h_alt[i] − h_ref[i]‖₂ per window position
    region: Region  # the window, 0-based half-open
    offset: int  # index of the variant in the window
    layer: int
    pooling: str

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based genome coordinates of :attr:`local`."""
        return np.arange(self.region.start + 1, self.region.end + 1)


@dataclass(frozen=True)
class VariantTracks:
    """Per-position predictions around a variant on the ref and the alt sequence.

    ``ref`` and ``alt`` are :class:`~glm_explore.results.PositionLogits` over the same shown region
    (computed with the model's context around it by :func:`glm_explore.logits.nucleotide_logits`).
    """

    variant: Variant
    ref: PositionLogits
    alt: PositionLogits
    offset: int  # index of the variant in the shown region
    llr: float  # log P(alt) − log P(ref) at the variant from ``ref`` (masked modes; NaN for CLM / unmasked)

    @property
    def positions(self) -> np.ndarray:
        return self.ref.positions

    @property
    def delta(self) -> np.ndarray:
        """(4, L) alt − ref log-probabilities per base and position (natural log)."""
        return self.alt.log_probs.astype(np.float64) - self.ref.log_probs.astype(np.float64)

    @property
    def dependency(self) -> np.ndarray:
        """(L,) max over bases of |Δ log-odds| per position (the nucleotide dependency of Tomaz da
        Silva et al. 2024 for this one substitution, :func:`glm_explore.logits.log_odds`)."""
        return np.abs(log_odds(self.alt.log_probs) - log_odds(self.ref.log_probs)).max(axis=0)

    def table(self) -> pd.DataFrame:
        """One row per position: ``pos``, ``ref``/``alt`` base, P(ref base) under both, the delta."""
        ref_lp = reference_log_probs(self.ref.log_probs.astype(np.float64), self.ref.seq)
        alt_lp = reference_log_probs(self.alt.log_probs.astype(np.float64), self.ref.seq)
        return pd.DataFrame({"pos": self.positions, "ref_base": list(self.ref.seq), "alt_seq_base": list(self.alt.seq),
                             "log_p_ref_base_refseq": ref_lp, "log_p_ref_base_altseq": alt_lp,
                             "delta_log_p_ref_base": alt_lp - ref_lp, "max_abs_delta_log_odds": self.dependency})


@dataclass(frozen=True)
class GroupComparison:
    """Two-sided Mann–Whitney U test of ``score`` between groups ``a`` and ``b``."""

    a: str
    b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    u: float
    p_value: float

    def sentence(self) -> str:
        return (f"{self.a} mean {self.mean_a:+.3f} (n={self.n_a}) vs {self.b} mean {self.mean_b:+.3f} "
                f"(n={self.n_b}); Mann–Whitney U = {self.u:.0f}, two-sided p = {self.p_value:.2g}")


@dataclass(frozen=True)
class VcfSummary:
    """Counts after a pass over a VCF: records read, alleles seen and scored, and skips per reason.

    ``skipped`` maps each reason to its allele count (a fresh dict per summary: readers build a new
    summary after each batch, :func:`dataclasses.replace` gives an updated copy).
    """

    records: int = 0
    alleles: int = 0
    scored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    stopped_at_limit: bool = False

    def _by_count(self) -> list[tuple[str, int]]:
        return Counter(self.skipped).most_common()

    def table(self) -> pd.DataFrame:
        rows = [{"outcome": "scored", "count": self.scored}]
        rows += [{"outcome": f"skipped: {k}", "count": v} for k, v in self._by_count()]
        return pd.DataFrame(rows)

    def line(self) -> str:
        skips = ", ".join(f"{k}: {v}" for k, v in self._by_count()) or "none"
        return (f"{self.records:,} records, {self.alleles:,} alleles: {self.scored:,} scored; "
                f"skipped — {skips}" + (" (stopped at the requested limit)" if self.stopped_at_limit else ""))
