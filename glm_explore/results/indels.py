"""Indel / small-SV results (see :mod:`glm_explore.variants.indel_scores` and ``.length_bias``): the aligned
ref / alt tracks of one event and the measured length bias of a model's event scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .logits import reference_log_probs


@dataclass(frozen=True)
class IndelView:
    """One event's ref and alt predictions aligned at the breakpoint, and its scores.

    Columns (C,) are the alignment: the left flank, the event block of ``max(deleted, inserted)``
    columns (the shorter allele has gaps, ``-``, at the block's end), the right flank. ``ref_lp`` /
    ``alt_lp`` are (4, C) natural-log predictions of each allele's own window (MLM: exact masked
    marginals; CLM: next-base), NaN at gap columns. ``ref_pos`` (C,) 1-based genome coordinate of each
    reference column (−1 at gaps).
    """

    label: str
    kind: str
    length: int
    len_change: int
    ref_seq: str
    alt_seq: str
    ref_lp: np.ndarray
    alt_lp: np.ndarray
    ref_pos: np.ndarray
    event_cols: tuple[int, int]  # 0-based half-open columns of the event block
    llr: float  # raw score: Σ alt − Σ ref (CLM: length-matched windows; MLM: span PLL)
    llr_mean: float  # per-base mean, alt − ref
    z: float  # length-corrected z-score against length-matched random events (NaN when not computed)
    n_null: int  # random events behind ``z``
    method: str  # the score's method in words (MLM: says it is an approximation)
    model: str
    objective: str

    @property
    def columns(self) -> np.ndarray:
        """(C,) 1-based alignment column numbers (the x axis)."""
        return np.arange(1, len(self.ref_seq) + 1)

    def own_log_probs(self) -> tuple[np.ndarray, np.ndarray]:
        """(C,) log P(own base) of the ref and the alt allele per column (NaN at gaps)."""
        return (reference_log_probs(self.ref_lp.astype(np.float64), self.ref_seq),
                reference_log_probs(self.alt_lp.astype(np.float64), self.alt_seq))

    def table(self) -> pd.DataFrame:
        """One row per alignment column: bases, log P(own base) under each allele, their difference."""
        ref, alt = self.own_log_probs()
        return pd.DataFrame({"column": self.columns, "ref_pos": self.ref_pos, "ref_base": list(self.ref_seq),
                             "alt_base": list(self.alt_seq), "log_p_ref_allele": ref, "log_p_alt_allele": alt,
                             "delta": alt - ref})


@dataclass(frozen=True)
class LengthBias:
    """Scores of random background events vs their length, and least-squares slopes with 95 % CIs.

    ``table``: one row per event (``chrom, pos, kind, length, len_change, llr, llr_mean``); ``fits``: one
    row per ``kind`` ('all', 'DEL', 'INS') and ``score`` ('llr', 'llr_mean') with the regressor ``x``
    ('len_change' = inserted − deleted bases for 'all', 'length' per kind) and ``n, slope, ci_low,
    ci_high, intercept, r`` (score units per bp).
    """

    table: pd.DataFrame
    fits: pd.DataFrame
    model: str
    objective: str
    method: str
    background: str  # where events were drawn ("intergenic" or "anywhere on the contig")
    rc: bool
    seed: int
    max_length: int

    def fit(self, kind: str = "all", score: str = "llr") -> dict:
        """The fit row of ``kind`` and ``score`` as a dict."""
        row = self.fits[(self.fits["kind"] == kind) & (self.fits["score"] == score)]
        return row.iloc[0].to_dict() if len(row) else {}

    def sentence(self, kind: str = "all", score: str = "llr") -> str:
        f = self.fit(kind, score)
        per = "bp of length change (inserted − deleted)" if f.get("x") == "len_change" else "bp of length"
        return (f"{self.model}: {score} changes by {f.get('slope', np.nan):+.4f} per {per} (95% CI "
                f"{f.get('ci_low', np.nan):+.4f} … {f.get('ci_high', np.nan):+.4f}; n = {f.get('n', 0)} random "
                f"{self.background} events of 1–{self.max_length} bp, {kind})")
