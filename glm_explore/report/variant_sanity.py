"""Variant-effect sanity check: does a model's LLR separate coding effect classes on held-out SNVs?

SNVs are made like the demo VCF (``scripts/make_demo_vcf.py``), but inside a held-out span:
coding effects from clean CDSs (:mod:`glm_explore.variants.effects`), intergenic sites from the
region labels. Each SNV gets the model's score (:func:`glm_explore.variants.score.score_variants`:
masked LLR for an MLM, Δ log-likelihood for a CLM).

**Sign convention**: LLR = log P(alt) − log P(ref), natural log; negative = the alternate allele is
less likely under the model = predicted more deleterious. For a pair (a, b) the AUROC is
P(LLR of a random ``a`` SNV > LLR of a random ``b`` SNV), ties counted ½ (sklearn's
``roc_auc_score`` with ``a`` as the positive class). With ``a`` the milder class (synonymous,
intergenic) and ``b`` the harsher one (missense, stop-gained), AUROC > 0.5 means the model scores
the harsher class as more deleterious, as expected; 0.5 is chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.annotation import CLASS_CODE
from ..io.datasets import GenomeData
from ..models.base import GenomicLM
from ..sequence import encode
from ..variants.effects import SO_TERMS, coding_transcripts, transcript_snvs
from ..variants.score import score_variants
from ..variants.settings import VariantScoreSettings
from ..variants.stats import score_summary

EFFECT_CLASSES = ("stop_gained", "missense", "synonymous", "intergenic")
SNV_COLUMNS = ["chrom", "pos", "ref", "alt", "effect", "gene", "aa"]
DEFAULT_PAIRS = (("synonymous", "missense"), ("synonymous", "stop_gained"), ("intergenic", "missense"))
SIGN_TEXT = ("AUROC = P(LLR of {a} > LLR of {b}), ties ½; LLR = log P(alt) − log P(ref) (natural log), "
             "negative = alt less likely = predicted more deleterious; > 0.5 = {b} scored more deleterious.")


def _coding_candidates(data: GenomeData, chrom: str, start: int, end: int) -> pd.DataFrame:
    """Every SNV of clean CDS bases in ``[start, end)`` labelled CDS and covered by exactly one clean CDS."""
    tables = [transcript_snvs(t, start, end) for t in coding_transcripts(data, [chrom])
              if ((t.pos >= start) & (t.pos < end)).any()]
    tables = [t for t in tables if len(t)]
    if not tables:
        return pd.DataFrame(columns=["chrom", "pos0", "ref", "alt", "codon_pos", "effect", "gene", "aa"])
    snvs = pd.concat(tables, ignore_index=True)
    genes_per_pos = snvs.groupby("pos0")["gene"].nunique()
    single = genes_per_pos.index[genes_per_pos == 1]
    labels = data.labels[chrom]
    keep = snvs["pos0"].isin(single) & (labels[snvs["pos0"].to_numpy()] == CLASS_CODE["CDS"])
    snvs = snvs[keep].copy()
    snvs["effect"] = snvs["effect"].map(SO_TERMS)
    return snvs


def heldout_snvs(data: GenomeData, chrom: str, start: int, end: int, *, per_class: int = 150,
                 seed: int = 0) -> pd.DataFrame:
    """Up to ``per_class`` SNVs of each class in :data:`EFFECT_CLASSES` inside ``chrom[start:end]``
    (0-based half-open), seeded.

    Coding classes (``stop_gained``, ``missense``, ``synonymous``): every substitution of bases of
    clean CDSs (:func:`~glm_explore.variants.effects.coding_transcripts`, as in the demo VCF) that
    are labelled CDS and lie in exactly one clean CDS, classified by translating the codon
    (``stop_lost`` is left out); ``intergenic``: bases labelled intergenic with an A/C/G/T
    reference, ALT uniform among the other three. At most one SNV per site within a class.

    Columns: ``chrom``, ``pos`` (1-based, as in VCF), ``ref``, ``alt`` (forward strand), ``effect``,
    ``gene`` and ``aa`` (``RefCodonAlt``, 1-based codon; None for intergenic); sorted by ``pos``.
    """
    chrom = data.genome.resolve(chrom)
    rng = np.random.default_rng(seed)
    coding = _coding_candidates(data, chrom, start, end)
    parts = []
    for effect in EFFECT_CLASSES[:3]:
        cand = coding[coding["effect"] == effect]
        cand = cand.iloc[rng.permutation(len(cand))].drop_duplicates("pos0")
        parts.append(cand.iloc[:per_class])
    seq = data.genome.fetch(chrom, start, end)
    codes = encode(seq)
    sites = np.flatnonzero((data.classes_in(chrom, start, end) == CLASS_CODE["intergenic"]) & (codes < 4))
    pick = np.sort(rng.choice(sites, size=min(per_class, len(sites)), replace=False))
    refs = [seq[i] for i in pick]
    alts = ["ACGT".replace(r, "")[k] for r, k in zip(refs, rng.integers(0, 3, len(pick)))]
    parts.append(pd.DataFrame({"chrom": chrom, "pos0": pick + start, "ref": refs, "alt": alts,
                               "effect": "intergenic", "gene": None, "aa": None}))
    out = pd.concat([p for p in parts if len(p)] or [parts[-1]], ignore_index=True)
    out["pos"] = out["pos0"].astype(np.int64) + 1
    out = out.sort_values(["pos", "effect"], ignore_index=True)
    return out[SNV_COLUMNS]


def effect_scores(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame,
                  settings: VariantScoreSettings | None = None) -> pd.DataFrame:
    """``snvs`` with the model's variant score added (:func:`~glm_explore.variants.score.score_variants` with
    ``settings``): ``status``, ``llr`` (natural log, negative = alt less likely), the per-allele columns and
    ``region_class``."""
    return score_variants(model, data, snvs, settings)


def _auroc(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(len(a)), np.zeros(len(b))], np.r_[a, b]))


def effect_aurocs(scores: pd.DataFrame, *, pairs=DEFAULT_PAIRS, reps: int = 1000, seed: int = 0,
                  confidence: float = 0.95, score: str = "llr") -> pd.DataFrame:
    """AUROC of each ``(a, b)`` pair of effect classes with a stratified bootstrap CI.

    ``auroc`` = P(``score`` of an ``a`` SNV > that of a ``b`` SNV), ties ½ (``roc_auc_score``, ``a``
    positive). CI: percentile interval of ``reps`` bootstrap AUROCs, each resampling the ``a`` and
    the ``b`` SNVs separately with replacement (seeded). Rows with a NaN score are dropped; a pair
    with an empty class gets NaN. Columns: ``pair`` ("a vs b"), ``a``, ``b``, ``n_a``, ``n_b``,
    ``auroc``, ``ci_lo``, ``ci_hi``, ``sign`` (the convention in words).
    """
    d = scores[["effect", score]].dropna()
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2 * 100
    rows = []
    for a, b in pairs:
        xa = d.loc[d["effect"] == a, score].to_numpy(float)
        xb = d.loc[d["effect"] == b, score].to_numpy(float)
        auc = lo = hi = np.nan
        if len(xa) and len(xb):
            auc = _auroc(xa, xb)
            boot = [_auroc(xa[rng.integers(0, len(xa), len(xa))], xb[rng.integers(0, len(xb), len(xb))])
                    for _ in range(reps)]
            lo, hi = np.percentile(boot, [tail, 100 - tail])
        rows.append({"pair": f"{a} vs {b}", "a": a, "b": b, "n_a": len(xa), "n_b": len(xb), "auroc": auc,
                     "ci_lo": float(lo), "ci_hi": float(hi), "sign": SIGN_TEXT.format(a=a, b=b)})
    return pd.DataFrame(rows)


def effect_summary(scores: pd.DataFrame, *, score: str = "llr") -> pd.DataFrame:
    """Per effect class (order of :data:`EFFECT_CLASSES`, others after): ``effect``, ``n``, ``mean``,
    ``ci_low``/``ci_high`` (95 % t-interval of the mean), ``median`` of ``score`` (NaN rows dropped;
    :func:`~glm_explore.variants.stats.score_summary`)."""
    out = score_summary(scores, "effect", score=score)
    if out.empty:
        return pd.DataFrame(columns=["effect", "n", "mean", "ci_low", "ci_high", "median"])
    rank = {e: i for i, e in enumerate(EFFECT_CLASSES)}
    return out.sort_values("effect", key=lambda s: s.map(lambda e: rank.get(e, len(rank))), ignore_index=True)
