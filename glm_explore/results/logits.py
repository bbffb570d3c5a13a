"""Per-position predictions over one sequence (see :mod:`glm_explore.logits`), and the two array rules
results derive from them: :func:`reference_log_probs` and :func:`log_odds` ((4, L) natural-log
probabilities, rows A,C,G,T)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sequence import encode
from .coordinates import _OnSequence


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


@dataclass(frozen=True)
class PositionLogits(_OnSequence):
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
class DependencyMap(_OnSequence):
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
