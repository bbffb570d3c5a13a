"""Model report, variant-effect sanity: held-out SNVs by coding effect, their LLRs, AUROCs with CIs.

Checked against independent computations: pairwise counting for the AUROC, Biopython's
``Seq.translate`` of the genome's own codon for the effect classes, and an oracle "model" whose
LLR is known in closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from Bio.Seq import Seq

from glm_explore.io.annotation import CLASS_CODE
from glm_explore.models.adapter import BaseAdapter
from glm_explore.models.base import ModelInfo
from glm_explore.report.variant_sanity import (
    EFFECT_CLASSES,
    effect_aurocs,
    effect_scores,
    effect_summary,
    heldout_snvs,
)
from glm_explore.sequence import reverse_complement

SPAN = ("chrXVI", 200_000, 320_000)
P = np.array([0.1, 0.4, 0.4, 0.1])  # the oracle's P(A, C, G, T) everywhere (complement-symmetric)


def brute_auroc(a, b) -> float:
    """P(a > b) + ½ P(a = b) by counting every pair."""
    wins = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    return wins / (len(a) * len(b))


class ConstantOracle(BaseAdapter):
    """MLM that predicts P at every masked position whatever the context: LLR = log P[alt] − log P[ref]."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="constant-oracle", objective="mlm", tokenization="char", max_len=10_000,
                              n_layers=1, dim=1, source="test", receptive_field=2)

    def log_probs(self, seqs, masked=None, *, batch_size=64):
        return np.broadcast_to(np.log(P)[None, :, None], (len(seqs), 4, len(seqs[0]))).copy()


@pytest.fixture(scope="module")
def snvs(yeast):
    return heldout_snvs(yeast, *SPAN, per_class=60, seed=1)


def random_scores(rng, n=(40, 55, 30, 47)):
    """Integer-valued LLRs (many ties) per class, and a few unscored (NaN) rows."""
    rows = [(e, float(rng.integers(-6, 3)) - 2 * k) for k, (e, m) in enumerate(zip(EFFECT_CLASSES, n))
            for _ in range(m)]
    df = pd.DataFrame(rows, columns=["effect", "llr"])
    df.loc[rng.choice(len(df), 5, replace=False), "llr"] = np.nan
    return df


def test_auroc_equals_pairwise_count(rng):
    scores = random_scores(rng)
    pairs = (("synonymous", "missense"), ("intergenic", "stop_gained"), ("missense", "synonymous"))
    out = effect_aurocs(scores, pairs=pairs, reps=300, seed=4)
    assert list(out.columns) == ["pair", "a", "b", "n_a", "n_b", "auroc", "ci_lo", "ci_hi", "sign"]
    for r in out.itertuples():
        a = scores.loc[scores["effect"] == r.a, "llr"].dropna().to_numpy()
        b = scores.loc[scores["effect"] == r.b, "llr"].dropna().to_numpy()
        assert (r.n_a, r.n_b) == (len(a), len(b))
        assert r.auroc == pytest.approx(brute_auroc(a, b), abs=1e-12)
        assert r.ci_lo <= r.auroc <= r.ci_hi and r.ci_lo < r.ci_hi
        assert f"P(LLR of {r.a} > LLR of {r.b})" in r.sign and "deleterious" in r.sign
    # swapping the pair mirrors the AUROC: P(a > b) = 1 − P(b > a)
    assert out["auroc"].iat[0] == pytest.approx(1 - out["auroc"].iat[2], abs=1e-12)
    pd.testing.assert_frame_equal(out, effect_aurocs(scores, pairs=pairs, reps=300, seed=4))


def test_perfect_separation_and_empty_class():
    scores = pd.DataFrame({"effect": ["synonymous"] * 6 + ["missense"] * 4,
                           "llr": [0.1, 0.5, 0.2, 0.3, 0.9, 0.4, -1.0, -2.0, -0.5, -3.0]})
    out = effect_aurocs(scores, reps=100).set_index("pair")
    row = out.loc["synonymous vs missense"]
    assert (row["auroc"], row["ci_lo"], row["ci_hi"]) == (1.0, 1.0, 1.0)  # every bootstrap sample separates too
    empty = out.loc["synonymous vs stop_gained"]
    assert empty["n_b"] == 0 and np.isnan(empty["auroc"]) and np.isnan(empty["ci_lo"])


def test_heldout_snvs_effects_match_an_independent_translation(yeast, snvs):
    chrom, start, end = SPAN
    assert list(snvs.columns) == ["chrom", "pos", "ref", "alt", "effect", "gene", "aa"]
    assert set(snvs["effect"]) == set(EFFECT_CLASSES)
    assert snvs["effect"].value_counts().to_dict() == {e: 60 for e in EFFECT_CLASSES}
    assert ((snvs["pos"] > start) & (snvs["pos"] <= end)).all()  # 1-based inside the 0-based span
    seq = yeast.genome.fetch(chrom)
    assert all(seq[p - 1] == r for p, r in zip(snvs["pos"], snvs["ref"]))
    assert (snvs["ref"] != snvs["alt"]).all() and snvs["alt"].isin(list("ACGT")).all()
    assert not snvs.duplicated(["pos", "effect"]).any()
    labels = yeast.labels[chrom][snvs["pos"].to_numpy() - 1]
    inter = (snvs["effect"] == "intergenic").to_numpy()
    assert (labels[inter] == CLASS_CODE["intergenic"]).all() and (labels[~inter] == CLASS_CODE["CDS"]).all()

    feats = yeast.annotation.features
    cds = feats[feats["Feature"] == "CDS"]
    checked = 0
    for r in snvs[~inter].itertuples():
        parts = cds[cds["ID"] == f"CDS:{r.gene}"]
        if len(parts) != 1 or str(parts["Frame"].iat[0]) != "0":
            continue  # spliced genes: skip, the single-part ones are read straight off the genome
        s, e, strand = int(parts["Start"].iat[0]), int(parts["End"].iat[0]), parts["Strand"].iat[0]
        p0 = r.pos - 1
        if strand == "+":
            k = (p0 - s) % 3
            codon, alt_base = seq[p0 - k:p0 - k + 3], r.alt
        else:
            k = (e - 1 - p0) % 3
            codon, alt_base = reverse_complement(seq[p0 + k - 2:p0 + k + 1]), reverse_complement(r.alt)
        alt_codon = codon[:k] + alt_base + codon[k + 1:]
        aa, bb = str(Seq(codon).translate()), str(Seq(alt_codon).translate())
        want = "synonymous" if aa == bb else "stop_gained" if bb == "*" else "missense"
        assert aa != "*" and r.effect == want, (r, codon, alt_codon)
        assert r.aa[0] == aa and r.aa[-1] == bb
        checked += 1
    assert checked >= 150
    again = heldout_snvs(yeast, *SPAN, per_class=60, seed=1)
    pd.testing.assert_frame_equal(snvs, again)


def test_oracle_llr_ordering_and_auroc(yeast, snvs):
    scores = effect_scores(ConstantOracle(), yeast, snvs)
    assert (scores["status"] == "ok").all()
    idx = {b: i for i, b in enumerate("ACGT")}
    known = np.log(P[[idx[a] for a in snvs["alt"]]]) - np.log(P[[idx[r] for r in snvs["ref"]]])
    np.testing.assert_allclose(scores["llr"], known, rtol=1e-6, atol=1e-9)

    summary = effect_summary(scores).set_index("effect")
    assert list(summary.index) == list(EFFECT_CLASSES)
    means = pd.Series(known, index=snvs["effect"]).groupby(level=0).mean()
    np.testing.assert_allclose(summary.loc[means.index, "mean"], means, rtol=1e-6, atol=1e-9)
    assert (summary["ci_low"] <= summary["mean"]).all() and (summary["mean"] <= summary["ci_high"]).all()

    out = effect_aurocs(scores, reps=200)
    for r in out.itertuples():
        a = known[(snvs["effect"] == r.a).to_numpy()]
        b = known[(snvs["effect"] == r.b).to_numpy()]
        assert r.auroc == pytest.approx(brute_auroc(np.round(a, 9), np.round(b, 9)), abs=1e-6)
