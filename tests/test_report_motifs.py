"""Model report, motif knowledge: FIMO hits in held-out promoters and P(ref) profiles around them,
checked on a toy genome with planted motifs and an oracle MLM whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import random_dna

from glm_explore.count_baselines import CountModel
from glm_explore.io.annotation import CLASS_CODE
from glm_explore.io.datasets import GenomeData
from glm_explore.io.genome import Genome
from glm_explore.models.adapter import BaseAdapter
from glm_explore.models.base import ModelInfo
from glm_explore.motifs import JasparMotif, find_motif
from glm_explore.report.motif_profile import motif_profiles, promoter_motif_hits, rank_motifs
from glm_explore.sequence import encode, reverse_complement

KNOWN = "GACTTCAGGTCA"  # the motif the oracle knows
CONTROL = "CATGGATACGTT"  # planted just as often, unknown to the oracle
W = len(KNOWN)
Q = 0.5 + 0.04 * np.arange(W)  # oracle's P(motif base) at each motif position: 0.50 … 0.94 (asymmetric)
CHROM, LENGTH, SPAN = "chrT", 14_000, (0, 10_000)
PROMOTERS = [(600 + 1000 * j, 900 + 1000 * j) for j in range(12)]  # j = 10, 11 lie past the span


def pwm(consensus: str) -> np.ndarray:
    p = np.full((4, len(consensus)), 0.01)
    p[encode(consensus), np.arange(len(consensus))] = 0.97
    return p


class MotifOracle(BaseAdapter):
    """MLM that knows one motif: at a masked position i, if the unmasked bases of a motif-long window
    through i read ``KNOWN`` (or its reverse complement) everywhere but at i, it predicts the motif's
    base there with probability Q[k] (k = position in the motif, motif orientation), the other three
    (1 − Q[k]) / 3 each; otherwise uniform. Receptive field = motif width."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="motif-oracle", objective="mlm", tokenization="char", max_len=100_000,
                              n_layers=1, dim=1, source="test", receptive_field=W)

    def log_probs(self, seqs, masked=None, *, batch_size=64):
        L = len(seqs[0])
        out = np.full((len(seqs), 4, L), np.log(0.25))
        for n, s in enumerate(seqs):
            for i in np.flatnonzero(masked[n]):
                for site, minus in ((KNOWN, False), (reverse_complement(KNOWN), True)):
                    for j in range(W):  # i is window base j
                        a = i - j
                        if a < 0 or a + W > L or not all(t == j or (not masked[n, a + t] and s[a + t] == site[t])
                                                         for t in range(W)):
                            continue
                        k = W - 1 - j if minus else j
                        p = np.full(4, (1 - Q[k]) / 3)
                        p["ACGT".index(site[j])] = Q[k]
                        out[n, :, i] = np.log(p)
        return out


def plant(seq: list[str], start: int, site: str) -> None:
    seq[start:start + len(site)] = site


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy GenomeData: random background, 12 labelled promoters (10 inside SPAN) each holding KNOWN
    and CONTROL on alternating strands, and KNOWN also planted in intergenic bases."""
    rng = np.random.default_rng(7)
    seq = list(random_dna(rng, LENGTH))
    planted = {"known": [], "control": []}
    for j, (a, _) in enumerate(PROMOTERS):
        s_known, s_ctrl = ("+", "-") if j % 2 == 0 else ("-", "+")
        plant(seq, a + 40, KNOWN if s_known == "+" else reverse_complement(KNOWN))
        plant(seq, a + 180, CONTROL if s_ctrl == "+" else reverse_complement(CONTROL))
        planted["known"].append((a + 40, a + 40 + W, s_known))
        planted["control"].append((a + 180, a + 180 + W, s_ctrl))
        plant(seq, a - 300, KNOWN)  # intergenic copy: never a promoter hit
    text = "".join(seq)
    # the design the hand calculation relies on: no window other than the planted KNOWN copies
    # reads KNOWN (either strand) with at most one mismatch, so the oracle fires only there
    windows = np.lib.stride_tricks.sliding_window_view(encode(text), W)
    near = set()
    for site in (KNOWN, reverse_complement(KNOWN)):
        near |= set(np.flatnonzero((windows == encode(site)).sum(axis=1) >= W - 1).tolist())
    assert near == {a + 40 for a, _ in PROMOTERS} | {a - 300 for a, _ in PROMOTERS}
    fasta = tmp_path_factory.mktemp("toy") / "toy.fa"
    fasta.write_text(f">{CHROM}\n{text}\n")
    labels = np.full(LENGTH, CLASS_CODE["intergenic"], dtype=np.uint8)
    for a, b in PROMOTERS:
        labels[a:b] = CLASS_CODE["promoter"]
    data = GenomeData("toy", "", Genome(fasta), None, {CHROM: labels})
    motifs = (JasparMotif("TOY0001.1", "KNOWN", pwm(KNOWN)), JasparMotif("TOY0002.1", "CONTROL", pwm(CONTROL)))
    baseline = CountModel("mlm", 2).fit([encode(text)])
    return data, motifs, planted, baseline


@pytest.fixture(scope="module")
def hits(toy):
    data, motifs, _, _ = toy
    return promoter_motif_hits(data, CHROM, *SPAN, motifs=motifs)


def in_span(planted):
    return {h for h in planted if h[0] >= SPAN[0] and h[1] <= SPAN[1]}


def test_hits_are_the_planted_promoter_sites_inside_the_span(toy, hits):
    data, _, planted, _ = toy
    assert list(hits.columns) == ["motif_id", "motif", "chrom", "start", "end", "strand", "score", "p_value"]
    assert (hits["start"] >= SPAN[0]).all() and (hits["end"] <= SPAN[1]).all()
    for h in hits.itertuples():
        assert (data.labels[CHROM][h.start:h.end] == CLASS_CODE["promoter"]).all()
        assert h.p_value <= 1e-4
    for name, key in (("KNOWN", "known"), ("CONTROL", "control")):
        got = {(int(h.start), int(h.end), h.strand) for h in hits[hits["motif"] == name].itertuples()}
        assert got == in_span(planted[key])  # neither the intergenic copies nor those past the span
    capped = promoter_motif_hits(data, CHROM, *SPAN, motifs=toy[1], max_per_motif=4, seed=3)
    assert capped.groupby("motif").size().to_dict() == {"CONTROL": 4, "KNOWN": 4}
    assert capped.merge(hits, how="left", indicator=True)["_merge"].eq("both").all()
    pd.testing.assert_frame_equal(capped, promoter_motif_hits(data, CHROM, *SPAN, motifs=toy[1], max_per_motif=4,
                                                              seed=3))


@pytest.mark.parametrize("rc", [False, True])
def test_profile_matches_the_oracle_by_hand(toy, hits, rc):
    data, _, _, baseline = toy
    flank = 20
    prof = motif_profiles(MotifOracle(), data, hits, baseline, flank=flank, rc=rc)
    offsets = np.arange(-flank, W + flank)
    inside = (offsets >= 0) & (offsets < W)
    known = prof[prof["motif"] == "KNOWN"].set_index("offset").loc[offsets]
    expected = np.where(inside, Q[np.clip(offsets, 0, W - 1)], 0.25)
    np.testing.assert_allclose(known["p_ref_model"], expected, rtol=1e-5)
    np.testing.assert_array_equal(known["in_motif"], inside)
    assert (known["n"] == 10).all()
    control = prof[prof["motif"] == "CONTROL"]
    np.testing.assert_allclose(control["p_ref_model"], 0.25, rtol=1e-5)


def brute_baseline(data, baseline, hits, flank):
    """Baseline P(ref) per hit and offset, one position at a time, strand by hand."""
    codes = data.genome.codes(CHROM)
    out = {}
    for name, g in hits.groupby("motif"):
        rows = []
        for h in g.itertuples():
            row = []
            for o in range(-flank, W + flank):
                p = h.start + o if h.strand == "+" else h.end - 1 - o
                row.append(np.exp(baseline.log_probs(codes, np.array([p]))[0, codes[p]]))
            rows.append(row)
        out[name] = np.mean(rows, axis=0)
    return out


def test_minus_strand_hits_align_with_plus_strand_hits(toy, hits):
    data, _, _, baseline = toy
    oracle = MotifOracle()
    plus = motif_profiles(oracle, data, hits[hits["strand"] == "+"], baseline, flank=5)
    minus = motif_profiles(oracle, data, hits[hits["strand"] == "-"], baseline, flank=5)
    for prof in (plus, minus):
        known = prof[prof["motif"] == "KNOWN"]
        expected = np.where(known["in_motif"], Q[known["offset"].clip(0, W - 1)], 0.25)
        np.testing.assert_allclose(known["p_ref_model"], expected, rtol=1e-5)  # Q rises: a reversed read fails
        assert (known["n"] == 5).all()
    for part, prof in ((hits[hits["strand"] == "-"], minus), (hits, motif_profiles(oracle, data, hits, baseline,
                                                                                    flank=5))):
        brute = brute_baseline(data, baseline, part, 5)
        for name, values in brute.items():
            np.testing.assert_allclose(prof[prof["motif"] == name]["p_ref_baseline"], values, rtol=1e-9)


def test_rank_puts_the_known_motif_first(toy, hits):
    data, _, _, baseline = toy
    flank = 20
    prof = motif_profiles(MotifOracle(), data, hits, baseline, flank=flank)
    ranked = rank_motifs(prof)
    assert list(ranked["motif"]) == ["KNOWN", "CONTROL"]
    brute = brute_baseline(data, baseline, hits, flank)
    inside = np.r_[np.zeros(flank, bool), np.ones(W, bool), np.zeros(flank, bool)]
    for name, model_in in (("KNOWN", Q.mean()), ("CONTROL", 0.25)):
        r = ranked.set_index("motif").loc[name]
        b_in, b_out = brute[name][inside].mean(), brute[name][~inside].mean()
        assert r["n"] == 10
        np.testing.assert_allclose([r["model_in"], r["model_flank"], r["baseline_in"], r["baseline_flank"]],
                                   [model_in, 0.25, b_in, b_out], rtol=1e-5)
        np.testing.assert_allclose(r["bump"], (model_in - 0.25) - (b_in - b_out), rtol=1e-5, atol=1e-9)
    assert rank_motifs(prof, min_instances=11).empty


def test_promoter_budget_scans_whole_promoters_up_to_the_budget(yeast):
    from glm_explore.report.motif_profile import promoter_motif_hits, promoter_segments

    segs = promoter_segments(yeast, "chrXVI", 0, 200_000)
    motif = find_motif("REB1")
    some = promoter_motif_hits(yeast, "chrXVI", 0, 200_000, motifs=(motif,), promoter_bp=5_000, seed=3)
    every = promoter_motif_hits(yeast, "chrXVI", 0, 200_000, motifs=(motif,))
    inside = [next((a, b) for a, b in segs if a <= s and e <= b) for s, e in zip(some["start"], some["end"])]
    assert len(some) < len(every) and set(zip(some["start"], some["strand"])) <= set(zip(every["start"], every["strand"]))
    assert sum(b - a for a, b in set(inside)) <= 5_000
    again = promoter_motif_hits(yeast, "chrXVI", 0, 200_000, motifs=(motif,), promoter_bp=5_000, seed=3)
    pd.testing.assert_frame_equal(some, again)
