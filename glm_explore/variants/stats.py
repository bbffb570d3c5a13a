"""Score distributions by group: t-interval summaries, Mann–Whitney tests, synonymy of CDS variants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import GroupComparison
from .validate import VariantError

NONSYNONYMOUS = ("missense", "nonsense", "stop_lost")
SUMMARY_COLUMNS = ("n", "mean", "ci_low", "ci_high", "median")


def score_summary(scores: pd.DataFrame, by: str, *, score: str = "llr", confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``by``: ``n``, ``mean``, ``ci_low``/``ci_high`` (t-interval of the mean), ``median``.

    Rows with a NaN score (not scored) are dropped first.
    """
    from scipy import stats

    d = scores[[by, score]].dropna()
    rows = []
    for key, g in d.groupby(by, sort=True):
        x = g[score].to_numpy(float)
        n, m = len(x), float(x.mean())
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        rows.append({by: key, "n": n, "mean": m, "ci_low": m - half, "ci_high": m + half,
                     "median": float(np.median(x))})
    return pd.DataFrame(rows)


def compare_groups(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("a", "b")) -> GroupComparison:
    """Mann–Whitney U (scipy, two-sided) between score arrays ``a`` and ``b`` (NaNs dropped)."""
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, float)[~np.isnan(np.asarray(a, float))]
    b = np.asarray(b, float)[~np.isnan(np.asarray(b, float))]
    if len(a) == 0 or len(b) == 0:
        raise VariantError(f"Cannot compare {names[0]} with {names[1]}: one group has no scored variants.")
    res = mannwhitneyu(a, b, alternative="two-sided")
    return GroupComparison(names[0], names[1], len(a), len(b), float(a.mean()), float(b.mean()),
                           float(res.statistic), float(res.pvalue))


COLUMNS = {"synonymy": "string"}  # the column score_vcf_table adds with synonymy()


def synonymy(scores: pd.DataFrame, column: str = "EFFECT") -> pd.Series:
    """'synonymous' / 'nonsynonymous' / None from an EFFECT-style column (demo VCF)."""
    eff = scores.get(column, pd.Series([None] * len(scores), index=scores.index)).astype(object)
    return eff.map(lambda e: "synonymous" if e == "synonymous" else "nonsynonymous" if e in NONSYNONYMOUS else None)


def cds_summary_table(scores: pd.DataFrame, *, score: str = "llr") -> pd.DataFrame:
    """:func:`score_summary` of the CDS variants by synonymy, by ``EFFECT`` and by ``CODON_POS``, stacked.

    CDS variants are the rows with a ``synonymy`` label (the column, or :func:`synonymy` of
    ``EFFECT`` when absent). Returns one row per group: ``group`` ('nonsynonymous' / 'synonymous',
    then each EFFECT, then 'codon pos 1' …), ``n``, ``mean``, ``ci_low``, ``ci_high`` (95 %
    t-interval of the mean) and ``median`` of ``score``; a grouping column the table lacks is left out.
    """
    syn = scores["synonymy"] if "synonymy" in scores else synonymy(scores)
    cds = scores.assign(synonymy=syn)[syn.notna()]
    parts = []
    for column, prefix in (("synonymy", ""), ("EFFECT", ""), ("CODON_POS", "codon pos ")):
        if column not in cds:
            continue
        part = score_summary(cds, column, score=score)
        if part.empty:
            continue
        if prefix:
            part[column] = prefix + part[column].astype(str)
        parts.append(part.rename(columns={column: "group"}))
    if not parts:
        return pd.DataFrame(columns=["group", *SUMMARY_COLUMNS])
    return pd.concat(parts, ignore_index=True)
