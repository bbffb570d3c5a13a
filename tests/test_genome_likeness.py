"""Genome-likeness checks (glm_explore.genome_likeness) against independent computations, and the
``generate`` dispatcher against the samplers it calls."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_dna
from oracles import MarkovCLM
from scipy.spatial.distance import jensenshannon

from glm_explore import genome_likeness as gl
from glm_explore.errors import ObjectiveError, RegionError
from glm_explore.generate import generate, generated_parts, sample_clm, sample_mlm
from glm_explore.io.genome import parse_span
from glm_explore.reduce import canonical_kmers, kmer_brute_force

pytestmark = pytest.mark.usefixtures("one_thread")  # torch on one thread (conftest)


def _levenshtein(a: str, b: str) -> int:
    """Textbook dynamic programme."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_period3_equals_the_fft_bin_at_one_third(rng):
    for L in (30, 99, 300):
        seq = random_dna(rng, L)
        codes = np.array(["ACGT".index(c) for c in seq])
        power = sum(abs(np.fft.fft((codes == b).astype(float))[L // 3]) ** 2 for b in range(4))
        assert gl.period3_snr(seq) == pytest.approx(power / L, rel=1e-9)


def test_period3_is_high_for_a_codon_repeat_and_near_its_expectation_for_random_dna(rng):
    assert gl.period3_snr("ATG" * 100) == pytest.approx(100, rel=1e-9)  # 3 bases × |L/3|² / L = L/3
    vals = [gl.period3_snr(random_dna(rng, 600)) for _ in range(200)]
    assert np.mean(vals) == pytest.approx(0.75, abs=0.08)  # 1 − Σ p² for uniform bases


def test_spectrum_divergence_equals_scipy_on_brute_force_counts(rng):
    a = [random_dna(rng, 80) for _ in range(5)]
    b = ["AT" * 40, random_dna(rng, 80)]
    got = gl.spectrum_divergence(a, b, ks=(1, 2, 3))
    def spectrum(seqs, k):
        names, _ = canonical_kmers(k)
        counts = {n: 0.5 for n in names}
        for s in seqs:
            for kmer, c in kmer_brute_force(s, k).items():
                counts[kmer] += c
        v = np.array([counts[n] for n in names])
        return v / v.sum()

    for k in (1, 2, 3):
        assert got[k] == pytest.approx(jensenshannon(spectrum(a, k), spectrum(b, k), base=2) ** 2, rel=1e-9)
    same = gl.spectrum_divergence(a, a, ks=(3,))[3]
    assert same == pytest.approx(0.0, abs=1e-12)


def test_nearest_edit_fraction_equals_dynamic_programming(rng):
    seqs = [random_dna(rng, 25) for _ in range(4)]
    ref = [random_dna(rng, 25) for _ in range(6)] + [seqs[0][:20] + "AAAAA"]
    got = gl.nearest_edit_fraction(seqs, ref)
    want = [min(_levenshtein(s, r) for r in ref) / len(s) for s in seqs]
    assert np.allclose(got, want)
    assert got[0] <= 5 / 25
    own = gl.nearest_edit_fraction(ref, ref, exclude_self=True)
    assert np.allclose(own, [min(_levenshtein(r, q) for j, q in enumerate(ref) if j != i) / 25
                             for i, r in enumerate(ref)])


def test_motif_hits_per_kb_counts_what_scan_motif_finds(rng):
    from glm_explore.motifs import find_motif, jaspar_motifs, scan_motif

    motifs = (find_motif("GAL4"), find_motif("REB1"), jaspar_motifs()[5])
    site = "CGGAGGACTGTCCTCCG"  # a GAL4 UAS
    seqs = [random_dna(rng, 120) for _ in range(3)]
    seqs[1] = seqs[1][:40] + site + seqs[1][40 + len(site):]
    got = gl.motif_hits_per_kb(seqs, motifs)
    want = [sum(len(scan_motif(s, m)) for m in motifs) / (len(s) / 1000) for s in seqs]
    assert np.allclose(got, want)
    assert got[1] > 0


def test_other_model_bits_clm_is_the_mean_next_base_cross_entropy(rng):
    table = rng.dirichlet(np.ones(4), size=16)
    m = MarkovCLM(2, table)
    seqs = [random_dna(rng, 50) for _ in range(3)]
    got = gl.other_model_bits(m, seqs)
    for s, g in zip(seqs, got):
        codes = ["ACGT".index(c) for c in s]
        lp = [np.log(0.25)] * 2 + [np.log(table[4 * codes[i - 2] + codes[i - 1], codes[i]]) for i in range(2, len(s))]
        assert g == pytest.approx(-np.mean(lp) / np.log(2), rel=1e-9)


def test_other_model_bits_mlm_averages_brute_force_masked_positions(tiny_mlm, rng):
    seq = random_dna(rng, 60)
    got = gl.other_model_bits(tiny_mlm, [seq], mlm_positions=7)[0]
    pos = np.linspace(0, 59, 7).round().astype(int)
    vals = []
    for i in pos:
        masked = np.zeros((1, 60), dtype=bool)
        masked[0, i] = True
        vals.append(tiny_mlm.log_probs([seq], masked)[0, "ACGT".index(seq[i]), i])
    assert got == pytest.approx(-np.mean(vals) / np.log(2), rel=1e-5)


def test_real_windows_are_distinct_held_out_windows_of_the_class(chloroplast):
    from glm_explore.io.annotation import CLASS_CODE
    from glm_explore.report.heldout import heldout_split

    ref, ctl = gl.real_windows(chloroplast, "intergenic", 100, 6, n_control=4, seed=3)
    assert len(ref) == 6 and len(ctl) == 4 and not set(ref) & set(ctl)
    split = heldout_split(chloroplast)
    held = chloroplast.genome.fetch(split.chrom, split.start, split.end)
    labels = chloroplast.labels[split.chrom]
    for s in ref + ctl:
        at = held.find(s)
        assert at >= 0 and len(s) == 100
        assert labels[split.start + at + 50] == CLASS_CODE["intergenic"]  # the centre is of the class
    with pytest.raises(RegionError, match="held-out tRNA windows"):
        gl.real_windows(chloroplast, "tRNA", 100, 500)
    with pytest.raises(gl.LikenessError, match="Unknown region class"):
        gl.real_windows(chloroplast, "exon", 100, 5)


def test_judge_summary_matches_its_parts_and_rejects_unequal_lengths(chloroplast, tiny_mlm, tiny_clm, rng):
    ref, ctl = gl.real_windows(chloroplast, "intergenic", 90, 8, n_control=4, seed=0)
    samples = [random_dna(rng, 90) for _ in range(4)]
    like = gl.judge({"generated": samples}, ref, ctl, real_class="intergenic", other=tiny_clm, embed_model=tiny_mlm)
    s = like.summary.set_index("set")
    assert list(s.index) == [gl.REFERENCE, "generated", gl.CONTROL]
    assert s.loc["generated", "gc"] == pytest.approx(np.mean([(x.count("G") + x.count("C")) / 90 for x in samples]))
    assert s.loc["generated", "other_bits"] == pytest.approx(gl.other_model_bits(tiny_clm, samples).mean())
    assert s.loc[gl.CONTROL, "js_bits_k6"] == pytest.approx(gl.spectrum_divergence(ctl, ref, ks=(6,))[6])
    assert set(like.projection["set"]) == {gl.REFERENCE, "generated", gl.CONTROL}
    assert len(like.projection) == 8 + 4 + 4
    with pytest.raises(gl.LikenessError, match="one length"):
        gl.judge({"generated": samples + ["ACGT"]}, ref, ctl, real_class="intergenic")
    with pytest.raises(gl.LikenessError, match="generate some first"):
        gl.judge({"generated": []}, ref, ctl, real_class="intergenic")


def test_generate_dispatches_to_the_sampler_of_the_objective(tiny_mlm, tiny_clm, chloroplast):
    kw = dict(n=2, seed=4)
    got, what = generate(tiny_clm, prefix="ACGT", length=30, **kw)
    assert [s.sequence for s in got] == [s.sequence for s in sample_clm(tiny_clm, "ACGT", 30, **kw)]
    assert "continuations" in what and all(len(p) == 30 for p in generated_parts(got))
    got, what = generate(tiny_mlm, length=25, rounds=3, **kw)
    assert [s.sequence for s in got] == [s.sequence for s in sample_mlm(tiny_mlm, 25, rounds=3, **kw)]
    got, what = generate(tiny_mlm, genome=chloroplast.genome, region="NC_000932:1001-1100", span=(10, 30), **kw)
    parts = generated_parts(got)
    ref = chloroplast.genome.fetch("NC_000932", 1000, 1100)
    assert all(len(p) == 20 for p in parts)
    assert all(s.sequence[:10] == ref[:10] and s.sequence[30:] == ref[30:] for s in got)
    with pytest.raises(ObjectiveError, match="masked LM"):
        generate(tiny_clm, genome=chloroplast.genome, region="NC_000932:1001-1100", span=(1, 5))
    with pytest.raises(ObjectiveError, match="span"):
        generate(tiny_mlm, genome=chloroplast.genome, region="NC_000932:1001-1100")


@pytest.mark.parametrize("text, want", [("1-10", (0, 10)), (" 5 - 5 ", (4, 5))])
def test_parse_span(text, want):
    assert parse_span(text) == want


@pytest.mark.parametrize("text", ["10", "0-4", "9-3", "a-b", ""])
def test_parse_span_rejects(text):
    with pytest.raises(RegionError, match="a-b|1 ≤ a ≤ b"):
        parse_span(text)
