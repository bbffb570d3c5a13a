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

from ..io.annotation import CLASS_CODE, _introns
from ..io.datasets import GenomeData
from ..models.base import GenomicLM
from ..sequence import encode, reverse_complement
from ..variants.effects import SO_TERMS, coding_transcripts, transcript_snvs
from ..variants.score import score_variants
from ..variants.settings import VariantScoreSettings
from ..variants.stats import score_summary

EFFECT_CLASSES = ("stop_gained", "missense", "synonymous", "intergenic")
SNV_COLUMNS = ["chrom", "pos", "ref", "alt", "effect", "gene", "aa"]
DEFAULT_PAIRS = (("synonymous", "missense"), ("synonymous", "stop_gained"), ("intergenic", "missense"))
ANNOTATION_CLASSES = ("splice_region", "promoter_motif")
METHOD_CLASSES = EFFECT_CLASSES + ANNOTATION_CLASSES
# the pairs of the methods comparison (glm_explore.calibration.methods): the report's three, plus the two
# annotation classes against intergenic DNA (the milder class first)
METHOD_PAIRS = DEFAULT_PAIRS + (("intergenic", "splice_region"), ("intergenic", "promoter_motif"))
# splice-region bases, intron coordinates on the transcript strand: the 6 first (yeast donor GTATGT, canonical GT
# at +1/+2) and the 3 last (acceptor YAG, canonical AG at −2/−1)
DONOR_BP, ACCEPTOR_BP = 6, 3
MIN_INTRON_BP = 30  # shorter "introns" in the annotation are frameshift / sequencing-gap artefacts (1 bp in yeast)
MOTIF_MIN_BITS = 1.0  # promoter-motif sites: motif columns with at least this information content
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


def splice_sites(data: GenomeData, chrom: str, start: int, end: int) -> pd.DataFrame:
    """The splice-region bases of the annotated introns lying wholly inside ``chrom[start:end]`` (0-based half-open).

    Introns: :mod:`glm_explore.io.annotation`'s rule (gaps between consecutive exons, else CDS parts, of one
    transcript), each interval once, at least :data:`MIN_INTRON_BP` long, canonical GT…AG on the transcript's
    strand. Sites: intron bases +1…+:data:`DONOR_BP` (donor) and −:data:`ACCEPTOR_BP`…−1 (acceptor), counted on
    the transcript strand (a minus-strand intron's donor is its right end). Columns ``pos0`` (0-based genome
    position), ``site`` (e.g. ``donor+2``, ``acceptor-1``), ``intron`` (``start-end``, 0-based half-open,
    strand); by position. Empty without an annotation.
    """
    cols = ["pos0", "site", "intron"]
    if data.annotation is None:
        return pd.DataFrame(columns=cols)
    chrom = data.genome.resolve(chrom)
    f = data.annotation.features
    iv = _introns(f)
    iv = iv.assign(Strand=f.loc[iv.index, "Strand"].to_numpy())
    iv = iv[(iv["Chromosome"] == chrom) & (iv["Start"] >= start) & (iv["End"] <= end)
            & (iv["End"] - iv["Start"] >= MIN_INTRON_BP)].drop_duplicates(["Start", "End", "Strand"])
    rows = []
    for s0, e0, strand in zip(iv["Start"].astype(int), iv["End"].astype(int), iv["Strand"].astype(str)):
        seq = data.genome.fetch(chrom, s0, e0).upper()
        tx = reverse_complement(seq) if strand == "-" else seq
        if not (tx.startswith("GT") and tx.endswith("AG")):
            continue
        offsets = [(k, f"donor+{k + 1}") for k in range(DONOR_BP)] + [
            (len(tx) - ACCEPTOR_BP + k, f"acceptor-{ACCEPTOR_BP - k}") for k in range(ACCEPTOR_BP)]
        for k, name in offsets:
            pos0 = e0 - 1 - k if strand == "-" else s0 + k
            rows.append((pos0, name, f"{s0}-{e0}{strand}"))
    out = pd.DataFrame(rows, columns=cols).drop_duplicates("pos0")
    return out.sort_values("pos0", ignore_index=True)


def motif_sites(data: GenomeData, chrom: str, start: int, end: int, *, motifs=None, threshold: float = 1e-4,
                min_bits: float = MOTIF_MIN_BITS, seed: int = 0) -> pd.DataFrame:
    """Bases of JASPAR motif instances in the promoters of ``chrom[start:end]`` (0-based half-open).

    Instances: FIMO hits (p ≤ ``threshold``, both strands, wholly inside promoter-labelled bases) from
    :func:`glm_explore.report.motif_profile.promoter_motif_hits` (``motifs`` default: JASPAR CORE fungi). Sites:
    the hit's bases at motif columns with information content ≥ ``min_bits`` (2 − H of the column, bits; a
    minus-strand hit's column k sits at ``end − 1 − k``). Columns ``pos0``, ``site`` (``motif col k``), ``p_value``;
    a base in several hits keeps the strongest (lowest p); by position.
    """
    from ..motifs import jaspar_motifs
    from .motif_profile import promoter_motif_hits

    cols = ["pos0", "site", "p_value"]
    motifs = jaspar_motifs() if motifs is None else tuple(motifs)
    hits = promoter_motif_hits(data, chrom, start, end, motifs=motifs, threshold=threshold, seed=seed)
    if hits.empty:
        return pd.DataFrame(columns=cols)
    bits = {}
    for m in motifs:
        p = np.clip(np.asarray(m.pwm, dtype=float), 1e-12, 1)
        bits[m.matrix_id] = 2 + (p * np.log2(p)).sum(axis=0)
    rows = []
    for h in hits.itertuples():
        for k in np.flatnonzero(bits[h.motif_id] >= min_bits):
            pos0 = int(h.end) - 1 - int(k) if h.strand == "-" else int(h.start) + int(k)
            rows.append((pos0, f"{h.motif} ({h.motif_id}) col {k + 1}{h.strand}", float(h.p_value)))
    out = pd.DataFrame(rows, columns=cols).sort_values(["pos0", "p_value"], kind="stable")
    return out.drop_duplicates("pos0").reset_index(drop=True)


def annotation_snvs(data: GenomeData, chrom: str, start: int, end: int, *, per_class: int = 150, seed: int = 0,
                    classes: tuple[str, ...] = ANNOTATION_CLASSES, motifs=None) -> pd.DataFrame:
    """Up to ``per_class`` SNVs at splice-region sites (:func:`splice_sites`) and at promoter-motif sites
    (:func:`motif_sites`) inside ``chrom[start:end]``: a seeded uniform sample of the class's A/C/G/T sites
    (one SNV per site), ALT uniform among the other three (``numpy.random.default_rng([seed, 26])``, so the
    coding / intergenic draw of :func:`heldout_snvs` with the same seed is unchanged).

    Columns :data:`SNV_COLUMNS` plus ``site`` (``donor+2``, ``MCM1 (MA0331.1) col 3+``, …); ``gene`` and ``aa``
    are None; sorted by ``pos``.
    """
    chrom = data.genome.resolve(chrom)
    rng = np.random.default_rng([seed, 26])
    parts = []
    for name in classes:
        if name == "splice_region":
            sites = splice_sites(data, chrom, start, end)
        elif name == "promoter_motif":
            sites = motif_sites(data, chrom, start, end, motifs=motifs, seed=seed)
        else:
            raise ValueError(f"unknown annotation SNV class {name!r}; choose from {ANNOTATION_CLASSES}")
        if sites.empty:
            continue
        refs = np.array([data.genome.fetch(chrom, p, p + 1).upper() for p in sites["pos0"]])
        sites = sites[np.isin(refs, list("ACGT"))].assign(ref=refs[np.isin(refs, list("ACGT"))])
        pick = np.sort(rng.choice(len(sites), size=min(per_class, len(sites)), replace=False))
        sites = sites.iloc[pick]
        alts = ["ACGT".replace(r, "")[k] for r, k in zip(sites["ref"], rng.integers(0, 3, len(sites)))]
        parts.append(pd.DataFrame({"chrom": chrom, "pos": sites["pos0"].to_numpy(np.int64) + 1,
                                   "ref": sites["ref"].to_numpy(), "alt": alts, "effect": name, "gene": None,
                                   "aa": None, "site": sites["site"].to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=[*SNV_COLUMNS, "site"])
    return pd.concat(parts, ignore_index=True).sort_values(["pos", "effect"], ignore_index=True)


def method_snvs(data: GenomeData, chrom: str, start: int, end: int, *, per_class: int = 150, seed: int = 0,
                motifs=None) -> pd.DataFrame:
    """The SNVs of the methods comparison: :func:`heldout_snvs` (the report's four classes) and
    :func:`annotation_snvs` (splice-region, promoter-motif), ``per_class`` each, seeded; columns
    :data:`SNV_COLUMNS` + ``site``; sorted by ``pos``."""
    coding = heldout_snvs(data, chrom, start, end, per_class=per_class, seed=seed).assign(site=None)
    extra = annotation_snvs(data, chrom, start, end, per_class=per_class, seed=seed, motifs=motifs)
    parts = [p for p in (coding, extra) if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else coding
    return out.sort_values(["pos", "effect"], ignore_index=True)


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
