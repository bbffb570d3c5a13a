"""Per-position predictions over one sequence (see :mod:`glm_explore.logits`), the dependency maps
(:mod:`glm_explore.dependency`), and the array rules results and plots derive from them:
:func:`reference_log_probs`, :func:`log_odds`, :func:`entropy_bits`, :func:`information_content` and
:func:`logo_heights` ((4, L) natural-log probabilities, rows A,C,G,T)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sequence import encode
from .coordinates import OnSequence


def reference_log_probs(log_probs: np.ndarray, seq: str) -> np.ndarray:
    """(L,) log P(reference base); NaN at N."""
    codes = encode(seq)
    out = np.full(len(codes), np.nan, dtype=np.float64)
    ok = codes < 4
    out[ok] = log_probs[codes[ok], np.nonzero(ok)[0]]
    return out


def log_odds(log_probs: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """log(p / (1 − p)) of natural-log probabilities, p clipped to [eps, 1 − eps] to stay finite."""
    p = np.clip(np.exp(np.asarray(log_probs, dtype=np.float64)), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


LN2 = np.log(2.0)


def entropy_bits(log_probs: np.ndarray) -> np.ndarray:
    """(L,) Shannon entropy −Σ_b p_b log2 p_b of (4, L) natural-log probabilities."""
    p = np.exp(log_probs)
    return -(p * log_probs).sum(axis=0) / LN2


def information_content(log_probs: np.ndarray) -> np.ndarray:
    """(L,) information content 2 − H bits."""
    return 2.0 - entropy_bits(log_probs)


def logo_heights(log_probs: np.ndarray, kind: str = "information") -> np.ndarray:
    """(4, L) sequence-logo letter heights from (4, L) natural-log probabilities: 'probability' (p_b,
    columns sum to 1) or 'information' (p_b · IC bits, IC = 2 − H). The one definition every logo
    uses (model predictions, position tables, JASPAR matrices); log p = −inf (p = 0) adds 0 to H."""
    lp = np.maximum(np.asarray(log_probs, dtype=float), -1e4)  # −inf → finite so 0 · log 0 = 0; NaN stays NaN
    p = np.exp(lp)
    if kind == "probability":
        return p
    if kind == "information":
        return p * information_content(lp)[None, :]
    raise ValueError(f"kind must be 'probability' or 'information', got {kind!r}")


@dataclass(frozen=True)
class PositionLogits(OnSequence):
    """Per-position predictions over A,C,G,T for one sequence (see :mod:`glm_explore.logits`).

    ``log_probs`` is (4, L) natural log, rows A,C,G,T, renormalised per column. ``seq`` is the
    analysed sequence (the requested region, context already cropped). ``chrom``/``start`` place
    it in the genome (0-based start; ``chrom=None`` for pasted / uploaded sequences, whose
    positions count from 1). ``mode`` is 'exact' (masked marginals), 'brute' (one mask per
    copy, same numbers), 'unmasked' (single-pass reconstruction, an approximation) or 'next'
    (CLM next-token). ``note`` records context cut at a contig edge and similar caveats.
    """

    log_probs: np.ndarray
    seq: str
    model: str
    objective: str
    mode: str
    rc: bool = False
    chrom: str | None = None
    start: int = 0
    name: str = ""
    flank: int = 0
    note: str = ""

    @property
    def approximate(self) -> bool:
        """True for the unmasked single-pass reconstruction of an MLM."""
        return self.mode == "unmasked"

    @property
    def probs(self) -> np.ndarray:
        return np.exp(self.log_probs)

    @property
    def mode_label(self) -> str:
        return {"exact": "exact masked marginals", "brute": "masked marginals (one mask per copy)",
                "unmasked": "unmasked reconstruction (approximation)",
                "next": "next-token P(x_i | x_<i)"}.get(self.mode, self.mode) + (", RC-averaged" if self.rc else "")


@dataclass(frozen=True)
class DependencyMap(OnSequence):
    """Nucleotide dependency map (Tomaz da Silva et al. 2024) over one sequence.

    ``matrix[i, j]`` (L, L) is the largest absolute change in log-odds of the predicted
    distribution at target j over the 3 substitutions at query i (natural log; the diagonal is set
    to NaN). ``chrom``/``start`` as in :class:`PositionLogits`.
    """

    matrix: np.ndarray
    seq: str
    model: str
    objective: str
    chrom: str | None = None
    start: int = 0
    name: str = ""


@dataclass(frozen=True, eq=False)
class BandedDependencyMap(OnSequence):
    """Nucleotide dependencies within ``band`` bases of each query (see :mod:`glm_explore.dependency`).

    ``bands`` (L, 2·band + 1) float32: ``bands[i, k]`` = max over the 3 substitutions at query i of
    max_b |Δ log-odds p_j(b)| at target ``j = i + k − band`` (natural log), NaN where j is off the
    sequence, j = i, or i holds N. ``chrom``/``start`` as in :class:`DependencyMap`.
    ``exact``: True when the model's receptive field bounds every row (finite R).
    """

    bands: np.ndarray
    band: int
    seq: str
    model: str
    objective: str
    chrom: str | None = None
    start: int = 0
    name: str = ""
    exact: bool = True
    note: str = ""

    def dense(self, fill: float = np.nan) -> np.ndarray:
        """(L, L) float32 map, ``fill`` outside |i − j| ≤ band (NaN: not computed; 0.0 is the true value there
        when ``exact`` and band ≥ R, since a substitution cannot reach past the receptive field)."""
        L, B = self.length, self.band
        out = np.full((L, L), fill, dtype=np.float32)
        i = np.repeat(np.arange(L), 2 * B + 1)
        j = i + np.tile(np.arange(-B, B + 1), L)
        ok = (j >= 0) & (j < L)
        out[i[ok], j[ok]] = self.bands.ravel()[ok]
        return out

    def to_dependency_map(self, fill: float = np.nan) -> DependencyMap:
        """The dense :class:`DependencyMap` (for ``plots.logits.dependency_heatmap``), ``fill`` outside the band
        (see :meth:`dense`)."""
        return DependencyMap(matrix=self.dense(fill), seq=self.seq, model=self.model, objective=self.objective,
                             chrom=self.chrom, start=self.start, name=self.name)
