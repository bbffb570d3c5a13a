"""Attribution maps, ISM, seqlets, JASPAR matching and the attribution page.

Independent references: a PWM oracle with a JASPAR fungal motif planted at known positions
(tests/toy_models.py), brute-force single-mutant scoring through ``model.log_probs``, string
dinucleotide counts, captum-free completeness sums.
"""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import app_on_page, random_dna
from sklearn.metrics import roc_auc_score
from toy_models import PWMOracle, plant

from glm_explore import attribution as A
from glm_explore import motifs as M
from glm_explore.errors import GlmExploreError
from glm_explore.sequence import encode, one_hot, reverse_complement

MOTIF_ID = "MA0412.3"  # UME6 (URS1), 12 bp; its consensus is matched back to it by TOMTOM
SITES = [30, 95, 160]
CP = "NC_000932"


@pytest.fixture(scope="module")
def fungi():
    return M.jaspar_motifs("fungi")


@pytest.fixture(scope="module")
def oracle_case(fungi):
    motif = M.find_motif(MOTIF_ID, fungi)
    site = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    rng = np.random.default_rng(7)
    seq, planted = plant(random_dna(rng, 200), site, SITES)
    return PWMOracle(motif.pwm), seq, planted, motif


# --------------------------------------------------------------------------------------------
# Oracle: every method ranks the planted bases highest; TOMTOM names the planted motif
# --------------------------------------------------------------------------------------------

CASES = [("integrated_gradients", "zeros"), ("integrated_gradients", "uniform"), ("integrated_gradients", "shuffle"),
         ("saliency", "zeros"), ("input_x_gradient", "zeros"), ("deeplift", "zeros"), ("deeplift", "shuffle")]


@pytest.mark.parametrize("method,baseline", CASES)
def test_oracle_methods_rank_planted_positions(oracle_case, method, baseline):
    oracle, seq, planted, _ = oracle_case
    res = A.attribute(oracle, seq, method=method, baseline=baseline, n_steps=50, n_baselines=10)
    assert res.values.shape == (4, len(seq))
    assert roc_auc_score(planted, np.abs(res.per_position)) >= 0.95


def test_oracle_ism_ranks_planted_positions_and_matches_brute_force(oracle_case):
    oracle, seq, planted, _ = oracle_case
    ism = A.saturation_mutagenesis(oracle, seq, batch_size=97)
    assert roc_auc_score(planted, np.abs(ism.importance)) >= 0.95
    ref = oracle.score_string(seq)
    for i in [0, 31, 100, 199]:
        for b in "ACGT":
            want = 0.0 if b == seq[i] else oracle.score_string(seq[:i] + b + seq[i + 1:]) - ref
            assert ism.delta["ACGT".index(b), i] == pytest.approx(want, abs=1e-4)


def test_oracle_seqlets_cover_sites_and_tomtom_names_the_motif(oracle_case, fungi):
    oracle, seq, planted, motif = oracle_case
    res = A.attribute(oracle, seq, method="integrated_gradients", baseline="zeros")
    seqlets = M.call_seqlets(res)
    covered = np.zeros(len(seq), dtype=bool)
    for row in seqlets.itertuples():
        covered[row.start:row.end] = True
    assert covered[planted].all()  # every planted base is inside a seqlet
    assert len(seqlets) == len(SITES)
    table = M.match_seqlets(seqlets, fungi)
    assert (table["match_1_id"] == motif.matrix_id).all()
    assert (table["match_1_p"] < table["match_2_p"]).all()
    site = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    for row in table.itertuples():  # the aligned part of each seqlet's map lies on the planted site
        got = M.matched_values(res.values, row)
        lo = row.start - row.match_1_offset
        assert row.match_1_strand == "+" and got.shape == (4, len(site)) and lo in SITES
        assert "".join("ACGT"[i] for i in np.abs(got).argmax(axis=0)) == site


@pytest.mark.parametrize("pos", [0, 7, 15])
@pytest.mark.parametrize("minus", [False, True])
def test_tomtom_alignment_slices_the_site_on_the_motif_strand(fungi, rng, pos, minus):
    """A 30-bp query with the UME6 consensus (or its reverse complement) at ``pos``: the aligned slice
    is exactly the consensus, read on the motif's strand."""
    motif = M.find_motif(MOTIF_ID, fungi)
    site = "".join("ACGT"[i] for i in motif.pwm.argmax(axis=0))
    query = random_dna(rng, pos) + (reverse_complement(site) if minus else site) + random_dna(rng, 18 - pos)
    weight = np.zeros(30)
    weight[pos:pos + 12] = 1.0
    best = M.tomtom_matches([M.seqlet_query(query, weight)], fungi, n_top=1)[0].iloc[0]
    assert best["matrix_id"] == MOTIF_ID and best["strand"] == ("-" if minus else "+")
    got = M.aligned_values(one_hot(query), best["offset"], best["overlap"], best["strand"])
    np.testing.assert_array_equal(got, one_hot(site))


# --------------------------------------------------------------------------------------------
# Targets equal independent computations through model.log_probs
# --------------------------------------------------------------------------------------------

def _pll(model, seq, start, end):
    total = 0.0
    for i in range(start, end):
        masked = np.zeros((1, len(seq)), dtype=bool)
        masked[0, i] = True
        total += float(model.log_probs([seq], masked)[0][encode(seq[i])[0], i])
    return total


def test_targets_equal_log_probs(tiny_mlm, tiny_clm, rng):
    seq = random_dna(rng, 40)
    masked = np.zeros((1, 40), dtype=bool)
    masked[0, 17] = True
    want = tiny_mlm.log_probs([seq], masked)[0][encode(seq[17])[0], 17]
    x = torch.from_numpy(one_hot(seq))[None]
    with torch.no_grad():
        assert float(A.make_target(tiny_mlm, seq, "mlm_position", 17)(x)) == pytest.approx(want, abs=1e-5)
        span = A.make_target(tiny_mlm, seq, "mlm_span", 5, 35)
        assert span.copies == tiny_mlm.info.receptive_field + 1  # mask groups: R + 1 copies, not 30
        assert float(span(x)) == pytest.approx(_pll(tiny_mlm, seq, 5, 35), abs=1e-4)
        lp = tiny_clm.log_probs([seq])[0]
        want_clm = sum(lp[encode(seq[i])[0], i] for i in range(10, 30))
        assert float(A.make_target(tiny_clm, seq, "clm_span", 10, 30)(x)) == pytest.approx(want_clm, abs=1e-4)


def test_wrong_target_for_objective_and_bad_positions(tiny_mlm, tiny_clm):
    seq = "ACGTNACGTA" * 3
    with pytest.raises(GlmExploreError, match="causal"):
        A.make_target(tiny_clm, seq, "mlm_position", 3)
    with pytest.raises(GlmExploreError, match="masked LM"):
        A.make_target(tiny_mlm, seq, "clm_span", 0, 10)
    with pytest.raises(GlmExploreError, match="not A/C/G/T"):
        A.make_target(tiny_mlm, seq, "mlm_position", 4)
    with pytest.raises(GlmExploreError, match="not inside"):
        A.make_target(tiny_mlm, seq, "mlm_span", 20, 40)
    with pytest.raises(GlmExploreError, match="Unknown attribution method"):
        A.attribute(A.make_target(tiny_mlm, seq, "mlm_position", 3), seq, method="shap")


# --------------------------------------------------------------------------------------------
# IG completeness, gradient correction, DeepLift warnings
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,baseline", [("mlm_position", "zeros"), ("mlm_position", "uniform"),
                                           ("mlm_position", "shuffle"), ("mlm_span", "uniform"),
                                           ("clm_span", "shuffle"), ("clm_span", "zeros")])
def test_ig_completeness_within_one_percent(tiny_mlm, tiny_clm, rng, kind, baseline):
    seq = random_dna(rng, 32)
    model, span = {"mlm_position": (tiny_mlm, (16, None)), "mlm_span": (tiny_mlm, (12, 18)),
                   "clm_span": (tiny_clm, (0, 32))}[kind]
    target = A.make_target(model, seq, kind, *span)
    res = A.attribute(target, seq, method="integrated_gradients", baseline=baseline, n_steps=50, n_baselines=2)
    # f(x) independently of the target module: through model.log_probs / one-hot algebra
    if kind == "mlm_position":
        masked = np.zeros((1, 32), dtype=bool)
        masked[0, 16] = True
        f_x = float(model.log_probs([seq], masked)[0][encode(seq[16])[0], 16])
    elif kind == "mlm_span":
        f_x = _pll(model, seq, 12, 18)
    else:
        f_x = float((model.log_probs([seq])[0] * one_hot(seq)).sum())
    assert res.target_value == pytest.approx(f_x, abs=1e-4)
    gap = abs(res.values.sum() - (f_x - res.baseline_value))
    assert gap <= 0.01 * abs(f_x - res.baseline_value)
    assert abs(res.delta) == pytest.approx(gap, abs=1e-4)
    if baseline == "zeros":
        assert np.all(res.values[one_hot(seq) == 0] == 0)  # (x − 0) ⊙ g is zero off the observed base
        if kind == "clm_span":
            assert res.baseline_value == 0.0  # Σ_b x_b · log P(b) vanishes at x′ = 0


def test_gradient_correction_and_saliency(tiny_mlm, rng):
    seq = random_dna(rng, 30)
    target = A.make_target(tiny_mlm, seq, "mlm_position", 15)
    raw = A.attribute(target, seq, method="saliency")
    cor = A.attribute(target, seq, method="saliency", correct=True)
    np.testing.assert_allclose(cor.hypothetical, raw.hypothetical - raw.hypothetical.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(cor.hypothetical.sum(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(cor.values, cor.hypothetical * one_hot(seq), atol=1e-7)
    # Saliency = the gradient: check one entry by a finite difference along that input coordinate
    x = torch.from_numpy(one_hot(seq))[None]
    b, i, eps = 2, 10, 1e-2
    xp, xm = x.clone(), x.clone()
    xp[0, b, i] += eps
    xm[0, b, i] -= eps
    with torch.no_grad():
        fd = (float(target(xp)) - float(target(xm))) / (2 * eps)
    assert raw.hypothetical[b, i] == pytest.approx(fd, rel=0.05, abs=1e-3)
    assert np.all(raw.hypothetical[:, 15] == 0)  # the masked target position cannot matter
    ixg = A.attribute(target, seq, method="input_x_gradient")
    np.testing.assert_allclose(ixg.values, raw.hypothetical * one_hot(seq), atol=1e-6)


def test_deeplift_warns_on_gelu_layernorm(tiny_mlm, oracle_case, rng):
    seq = random_dna(rng, 30)
    res = A.attribute(A.make_target(tiny_mlm, seq, "mlm_position", 15), seq, method="deeplift")
    assert any("GELU" in n and "LayerNorm" in n for n in res.notes)
    assert res.delta is not None
    oracle, oseq, _, _ = oracle_case
    assert not any("unreliable" in n for n in A.attribute(oracle, oseq, method="deeplift").notes)


def test_dinucleotide_shuffle_preserves_dinucleotide_counts(rng):
    seq = random_dna(rng, 300)
    shuffles = A.dinucleotide_shuffles(seq, 5, seed=3)
    assert shuffles.shape == (5, 4, 300)
    want = Counter(seq[i:i + 2] for i in range(299))
    for x in shuffles:
        assert np.all(x.sum(axis=0) == 1)
        s = "".join("ACGT"[k] for k in x.argmax(axis=0))
        assert Counter(s[i:i + 2] for i in range(299)) == want
        assert s[0] == seq[0] and s[-1] == seq[-1] and s != seq
    np.testing.assert_array_equal(shuffles, A.dinucleotide_shuffles(seq, 5, seed=3))  # seeded


# --------------------------------------------------------------------------------------------
# ISM = brute-force single-mutant scoring through model.log_probs
# --------------------------------------------------------------------------------------------

def _mutants(seq: str) -> list[tuple[int, int, str]]:
    return [(i, b, seq[:i] + base + seq[i + 1:]) for i, c in enumerate(seq) for b, base in enumerate("ACGT")
            if base != c]


def _brute(scores: np.ndarray, ref: float, muts: list[tuple[int, int, str]], length: int) -> np.ndarray:
    out = np.zeros((4, length))
    for (i, b, _), v in zip(muts, scores):
        out[b, i] = v - ref
    return out


def test_ism_equals_brute_force_on_tiny_models(tiny_mlm, tiny_clm, rng):
    """Brute force: every mutant as a string through model.log_probs (batched), no target module."""
    seq, p = random_dna(rng, 28), 14
    L, muts = 28, _mutants(seq)
    ref_code = encode(seq[p])[0]
    strings = [seq] + [m for _, _, m in muts]
    masked = np.zeros((len(strings), L), dtype=bool)
    masked[:, p] = True
    # one batch: the far-mutant check below compares float32 rows with the reference row to ~1 ulp, which
    # must not depend on which batch shape (and so which kernel) each row went through
    lp = tiny_mlm.log_probs(strings, masked, batch_size=len(strings))[:, ref_code, p]
    want = _brute(lp[1:], lp[0], muts, L)
    ism = A.saturation_mutagenesis(A.make_target(tiny_mlm, seq, "mlm_position", p), seq, batch_size=50)
    assert np.isnan(ism.delta[:, p]).all() and any("undefined" in n for n in ism.notes)
    keep = np.arange(L) != p
    np.testing.assert_allclose(ism.delta[:, keep], want[:, keep], atol=1e-5)
    assert np.abs(want[:, np.abs(np.arange(L) - p) > tiny_mlm.info.receptive_field]).max() < 1e-6

    # pseudo-log-likelihood of [10, 16): one masked copy per (string, span position)
    span = range(10, 16)
    rows = [(k, i) for k in range(len(strings)) for i in span]
    masked = np.zeros((len(rows), L), dtype=bool)
    masked[np.arange(len(rows)), [i for _, i in rows]] = True
    lp = tiny_mlm.log_probs([strings[k] for k, _ in rows], masked)
    own = [lp[r, encode(strings[k][i])[0], i] for r, (k, i) in enumerate(rows)]
    pll = np.asarray(own).reshape(len(strings), len(span)).sum(axis=1)
    got = A.saturation_mutagenesis(A.make_target(tiny_mlm, seq, "mlm_span", 10, 16), seq, batch_size=64)
    np.testing.assert_allclose(got.delta, _brute(pll[1:], pll[0], muts, L), atol=1e-4)

    lp = tiny_clm.log_probs(strings)
    ll = np.array([(lp[k] * one_hot(s))[:, 5:20].sum() for k, s in enumerate(strings)])
    clm = A.saturation_mutagenesis(A.make_target(tiny_clm, seq, "clm_span", 5, 20), seq)
    np.testing.assert_allclose(clm.delta, _brute(ll[1:], ll[0], muts, L), atol=1e-4)
    assert np.all(clm.delta[:, 20:] == 0)  # a causal model cannot look right of the span


# --------------------------------------------------------------------------------------------
# The region-class probe target = sklearn's probe on embed_windows' embeddings
# --------------------------------------------------------------------------------------------

def _probe_case(model, rng, *, n_classes=3, rc=True):
    """Random 48-bp windows with random labels; the probe and sklearn's own fit of the same pipeline."""
    from glm_explore.embed import embed_windows
    from glm_explore.reduce import fit_probe, probe_pipeline

    seqs = [random_dna(rng, 48) for _ in range(36)]
    labels = np.resize(["CDS", "intron", "promoter"][:n_classes], 36)
    train = np.arange(36) < 27
    emb = embed_windows(model, seqs, layers=[1, 3], center=16, rc=rc)
    probe = fit_probe(emb, labels, train, layers=[1, 3])
    sk = probe_pipeline().fit(emb.features((1, 3)).astype(np.float64)[train], labels[train])
    return seqs, emb, probe, sk


@pytest.mark.parametrize("n_classes,rc", [(3, True), (2, False)])
def test_probe_target_equals_sklearn_probe_on_embeddings(tiny_mlm, tiny_clm, rng, n_classes, rc):
    from glm_explore.reduce import separation

    for model in (tiny_mlm, tiny_clm):
        seqs, emb, probe, sk = _probe_case(model, rng, n_classes=n_classes, rc=rc)
        X = emb.features((1, 3)).astype(np.float64)
        want = sk.predict_log_proba(X)  # sklearn's own pipeline on numpy embeddings
        np.testing.assert_allclose(probe.log_proba(X), want, atol=1e-9)
        assert list(probe.classes) == list(sk.classes_) and probe.rc == rc and probe.center == 16
        labels, train = np.resize(probe.classes, 36), np.arange(36) < 27
        assert probe.heldout_macro_f1 == pytest.approx(separation(X, labels, train, n_boot=10).macro_f1)
        lo, hi = A.probe_span(probe, 0, 48)
        assert (lo, hi) == (16, 32)  # the centre 16 bp, as embed_windows pooled
        x = np.stack([one_hot(q) for q in seqs[:6]])
        for k, cls in enumerate(probe.classes):
            got = A.score(A.make_target(model, seqs[0], "probe", lo, hi, probe=probe, probe_class=cls), x)
            np.testing.assert_allclose(got, want[:6, k], atol=1e-5)


def test_probe_target_ig_completeness_and_ism_brute_force(tiny_mlm, rng):
    from glm_explore.embed import embed_windows

    seqs, _, probe, sk = _probe_case(tiny_mlm, rng)
    seq = seqs[30]
    target = A.make_target(tiny_mlm, seq, "probe", 16, 32, probe=probe, probe_class="promoter")
    res = A.attribute(target, seq, method="integrated_gradients", baseline="uniform", n_steps=64)
    assert abs(res.values.sum() - (res.target_value - res.baseline_value)) <= 0.01 * abs(
        res.target_value - res.baseline_value)
    # ISM against brute force: every mutant embedded as a string and scored by sklearn's pipeline
    muts = _mutants(seq)
    feats = embed_windows(tiny_mlm, [seq] + [m for _, _, m in muts], layers=[1, 3], center=16, rc=True)
    k = list(sk.classes_).index("promoter")
    lp = sk.predict_log_proba(feats.features((1, 3)))[:, k]
    ism = A.saturation_mutagenesis(target, seq, batch_size=40)
    np.testing.assert_allclose(ism.delta, _brute(lp[1:], lp[0], muts, len(seq)), atol=1e-4)
    rf = tiny_mlm.info.receptive_field
    assert np.all(ism.delta[:, :16 - rf] == 0) and np.all(ism.delta[:, 32 + rf:] == 0)
    assert any("run twice" in w for w in A.deeplift_warnings(target))  # both strands: DeepLift is warned


def test_probe_file_round_trip_and_clear_errors(tiny_mlm, tiny_clm, rng, tmp_path):
    from glm_explore.results import LinearProbe

    seqs, emb, probe, _ = _probe_case(tiny_mlm, rng)
    back = LinearProbe.from_json(probe.to_json())
    np.testing.assert_array_equal(back.log_proba(emb.features((1, 3))), probe.log_proba(emb.features((1, 3))))
    assert (back.classes, back.layers, back.pooling, back.rc) == (probe.classes, probe.layers, probe.pooling, probe.rc)
    for bad in ["{}", "[1, 2]", "not json", '{"glm_explore_probe": 1, "classes": ["a"]}']:
        with pytest.raises(GlmExploreError, match="probe file"):
            LinearProbe.from_json(bad)
    with pytest.raises(GlmExploreError, match="no class 'UTR'"):
        A.make_target(tiny_mlm, seqs[0], "probe", 16, 32, probe=probe, probe_class="UTR")
    with pytest.raises(GlmExploreError, match="fit on embeddings of tiny-mlm"):
        A.make_target(tiny_clm, seqs[0], "probe", 16, 32, probe=probe, probe_class="CDS")
    with pytest.raises(GlmExploreError, match="fitted probe"):
        A.make_target(tiny_mlm, seqs[0], "probe", 16, 32)


# --------------------------------------------------------------------------------------------
# Seqlets, JASPAR offline, FIMO
# --------------------------------------------------------------------------------------------

def test_seqlets_from_a_known_map():
    s = np.zeros(100)
    s[10:16] = 5.0
    s[14] = 0.0  # a 1-base gap is merged
    s[50:52] = -6.0  # too short: dropped
    s[70:78] = -4.0
    noise = np.random.default_rng(0).normal(0, 0.05, 100)
    seq = "A" * 100
    df = M.call_seqlets(s + noise, seq, flank=1, min_len=4)
    assert sorted(zip(df["start"], df["end"])) == [(9, 17), (69, 79)]
    assert set(df["sign"]) == {1, -1}
    t = M.seqlet_threshold(s + noise)
    a = np.abs(s + noise)
    assert t == pytest.approx(np.median(a) + 4 * max(1.4826 * np.median(np.abs(a - np.median(a))), 0.01 * a.max()))
    # across windows the threshold is pooled: a weak window alone has seqlets, next to a strong one none
    weak = s / 40 + noise / 10
    assert len(M.call_seqlets(weak, seq, flank=1)) == 2
    pooled = M.seqlets_many([s + noise, weak], flank=1, seq=seq)
    assert set(pooled["window"]) == {0} and pooled.attrs["threshold"] == pytest.approx(
        M.seqlet_threshold([s + noise, weak]))


def test_jaspar_and_tomtom_never_touch_the_network(monkeypatch, fungi):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    M.jaspar_motifs.cache_clear()
    motifs = M.jaspar_motifs("fungi")
    assert len(motifs) == 178 and all(m.pwm.shape[0] == 4 for m in motifs)
    np.testing.assert_allclose(motifs[0].pwm.sum(axis=0), 1.0)
    m = M.find_motif(MOTIF_ID, motifs)
    site = "".join("ACGT"[i] for i in m.pwm.argmax(axis=0))
    top = M.tomtom_matches([one_hot(site)], motifs, n_top=1)[0]
    assert top["matrix_id"].iloc[0] == MOTIF_ID
    with pytest.raises(GlmExploreError):
        M.find_motif("NOT_A_MOTIF", motifs)


def test_fimo_finds_planted_sites_on_both_strands(fungi, rng):
    m = M.find_motif(MOTIF_ID, fungi)
    site = "".join("ACGT"[i] for i in m.pwm.argmax(axis=0))
    bg = random_dna(rng, 150)
    seq = bg[:20] + site + bg[32:90] + reverse_complement(site) + bg[102:]
    hits = M.scan_motif(seq, m, threshold=1e-4, start=1000)
    got = {(r.start, r.strand) for r in hits.itertuples()}
    assert (20, "+") in got and (90, "-") in got
    row = hits[hits["start"] == 90].iloc[0]
    assert row["pos_start"] == 1091 and row["pos_end"] == 1102 and row["matched"] == site


# --------------------------------------------------------------------------------------------
# Region API and the page
# --------------------------------------------------------------------------------------------

SALIENCY = A.AttributionSettings(method="saliency")


@pytest.mark.parametrize("kwargs,match", [
    ({"target": "mlm"}, "Unknown target 'mlm'; choose one of mlm_position"),
    ({"method": "shap"}, "Unknown attribution method 'shap'; choose one of integrated_gradients.* or ism"),
    ({"baseline": "ones"}, "Unknown baseline 'ones'; choose one of zeros"),
    ({"n_steps": 0}, "IG steps must be a whole number ≥ 1, got 0"),
    ({"n_baselines": 2.5}, "number of baselines must be a whole number ≥ 1, got 2.5"),
    ({"flank": -1}, "flank must be a whole number ≥ 0, got -1"),
    ({"batch_size": True}, "batch size must be a whole number ≥ 1, got True"),
])
def test_attribution_settings_name_the_option_to_fix(kwargs, match):
    with pytest.raises(GlmExploreError, match=match):
        A.AttributionSettings(**kwargs)
    assert A.AttributionSettings(target="default").kind is None
    assert A.AttributionSettings(target="clm_span").kind == "clm_span"

def test_attribute_region_crops_to_region(chloroplast, tiny_mlm):
    attr, ism = A.attribute_region(tiny_mlm, chloroplast.genome, f"{CP}:1001-1030",
                                   A.AttributionSettings(method="saliency", ism=True, target_spec="1010"))
    assert attr.values.shape == (4, 30) and attr.positions[0] == 1001
    assert attr.seq == chloroplast.genome.fetch(CP, 1000, 1030)
    assert "1010" in attr.target and np.isnan(ism.delta[:, 9]).all()
    with pytest.raises(GlmExploreError, match="outside the region"):
        A.attribute_region(tiny_mlm, chloroplast.genome, f"{CP}:1001-1030", A.AttributionSettings(target_spec="2000"))
    with pytest.raises(GlmExploreError, match="limit"):
        A.attribute_region(tiny_mlm, chloroplast.genome, f"{CP}:1-5000", A.AttributionSettings())


@pytest.mark.parametrize("ns,want", [((), 120), ((120,), 119), ((120, 121), 119), ((118, 119, 120), 121)])
def test_default_target_one_rule_for_region_and_windows(tiny_mlm, tiny_clm, tmp_path, ns, want):
    """The blank target of attribute_region, default_target on the region's own sequence and
    attribute_windows pick the same genome position: the A/C/G/T base nearest the region centre
    (0-based 120 of 100-140; the left one on a tie), also when the centre base is N."""
    import pandas as pd

    from glm_explore.io.genome import Genome

    chrom = list(random_dna(np.random.default_rng(3), 400))
    for i in ns:
        chrom[i] = "N"
    (tmp_path / "g.fa").write_text(">chrT\n" + "".join(chrom) + "\n")
    genome = Genome(tmp_path / "g.fa")
    seq = genome.fetch("chrT", 100, 140)
    table = pd.DataFrame({"chrom": ["chrT"], "start": [100], "sequence": [seq]})
    for model, label in [(tiny_mlm, f"at {want + 1} |"), (tiny_clm, "of 101-140 (")]:
        attr, _ = A.attribute_region(model, genome, "chrT:101-140", SALIENCY)
        one = A.default_target(model, seq, origin=100)
        many = A.attribute_windows(model, table, SALIENCY)[0]
        assert label in attr.target and attr.target == one.description == many.target
    assert A.default_span(seq, "mlm_position") == (want - 100, want - 100 + 1)
    assert A.default_span(seq, "clm_span", 5, 9) == (5, 9)


def test_default_target_without_a_known_base(tiny_mlm, tmp_path):
    from glm_explore.errors import InvalidSequenceError
    from glm_explore.io.genome import Genome

    (tmp_path / "g.fa").write_text(">chrT\n" + "ACGT" * 25 + "N" * 40 + "ACGT" * 25 + "\n")
    genome = Genome(tmp_path / "g.fa")
    with pytest.raises(InvalidSequenceError, match="101-140 have no A/C/G/T base"):
        A.attribute_region(tiny_mlm, genome, "chrT:101-140", SALIENCY)
    with pytest.raises(InvalidSequenceError, match="101-140 have no A/C/G/T base"):
        A.default_target(tiny_mlm, "N" * 40, origin=100)


def test_attribution_page(chloroplast):
    at = app_on_page("attribution")
    assert not at.exception
    at.text_input(key="attribution_region").set_value(f"{CP}:1001-1040")
    at.selectbox(key="attribution_method").set_value("saliency")
    at.button(key="attribution_go").click()
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 1
    assert any("1021" in c.value for c in at.caption)  # default target: the region centre, 1-based
    at.selectbox(key="attribution_fimo").set_value(at.selectbox(key="attribution_fimo").options[1])
    at.run()
    assert not at.exception and not at.error
    assert any("FIMO hit" in c.value for c in at.caption)
    at.text_input(key="attribution_region").set_value(f"{CP}:1-5000")
    at.button(key="attribution_go").click()
    at.run()
    assert not at.exception and at.error and "limit" in at.error[0].value
    at.session_state["model_key"] = "default-clm"  # objective changes: only the CLM target is offered
    at.run()
    assert not at.exception and at.selectbox(key="attribution_target").value == "clm_span"


def test_cli_attribute(tmp_path, capsys, chloroplast):
    import pandas as pd

    from glm_explore.cli import main

    out = tmp_path / "attr.tsv"
    rc = main(["attribute", f"{CP}:1001-1030", "--genome", "chloroplast", "--method", "saliency", "--out", str(out)])
    assert rc == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table["pos"]) == list(range(1001, 1031))
    assert "".join(table["ref"]) == chloroplast.genome.fetch(CP, 1000, 1030)
    np.testing.assert_allclose(table[[f"attr_{b}" for b in "ACGT"]].sum(axis=1), table["attribution"], atol=1e-6)
    printed = capsys.readouterr().out
    assert "log P(" in printed and "1016" in printed and "match_1_id" in printed
    assert main(["attribute", f"{CP}:1-5000", "--genome", "chloroplast"]) == 2
    assert "limit" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Many windows: seqlets pooled across windows, the motifs page, the CLI
# --------------------------------------------------------------------------------------------

def test_attribute_windows_equals_one_window_at_a_time(tiny_mlm, rng):
    import pandas as pd

    seqs = [random_dna(rng, 40) for _ in range(3)]
    table = pd.DataFrame({"chrom": "c", "start": [0, 100, 200], "sequence": seqs})
    many = A.attribute_windows(tiny_mlm, table, SALIENCY)
    for r, s in zip(many, seqs):
        one = A.attribute(A.default_target(tiny_mlm, s), s, method="saliency")
        np.testing.assert_allclose(r.values, one.values, atol=1e-6)
    assert [r.positions[0] for r in many] == [1, 101, 201]
    assert "at 21 |" in many[0].target and "at 221 |" in many[2].target  # 1-based genome coordinates
    with pytest.raises(GlmExploreError, match="method"):
        A.attribute_windows(tiny_mlm, table, A.AttributionSettings(method="ism"))


def test_seqlets_many_pool_one_threshold_and_summary_counts(oracle_case, fungi, rng):
    """Planted UME6 sites in several windows: one pooled threshold; the summary counts them by hand."""
    import pandas as pd

    oracle, seq, planted, motif = oracle_case
    other = random_dna(rng, 200)  # no site: its seqlets (if any) must not be called UME6
    results = [A.attribute(oracle, s, method="input_x_gradient") for s in (seq, other, seq)]
    seqlets = M.seqlets_many(results)
    t = M.seqlet_threshold([M.position_scores(r) for r in results])
    assert seqlets.attrs["threshold"] == pytest.approx(t)
    matched = M.match_seqlets(seqlets, fungi)
    summary = M.motif_summary(matched)
    ume6 = matched[(matched["match_1_id"] == MOTIF_ID) & (matched["match_1_q"] <= 0.05)]
    assert set(ume6["window"]) == {0, 2} and len(ume6) >= 2 * len(SITES) - 1
    row = summary[summary["matrix_id"] == MOTIF_ID].iloc[0]
    assert (row["seqlets"], row["windows"]) == (len(ume6), 2) and summary.iloc[0]["matrix_id"] == MOTIF_ID
    assert summary.attrs["unmatched"] == int((matched["match_1_q"].fillna(1) > 0.05).sum())
    control = M.background_seqlets(matched, [r.seq for r in results], seed=1)
    assert list(control["length"]) == list(matched["length"])
    for row in control.itertuples():
        assert row.sequence == results[row.window].seq[row.start:row.end]
    chance = M.match_rate(M.match_seqlets(control, fungi))
    assert M.match_rate(matched) == pytest.approx(len(ume6) / len(matched)) and M.match_rate(matched) > chance
    rep = M.seqlet_report(results, fungi, seed=1)  # the same steps in one call
    assert (rep.match_rate, rep.chance_rate, rep.n_windows) == (M.match_rate(matched), chance, 3)
    pd.testing.assert_frame_equal(rep.summary, summary)
    assert np.isnan(rep.delta_worst)  # Input × Gradient has no convergence delta
    ig = [A.attribute(oracle, seq, method="integrated_gradients", n_steps=8)]
    rep_ig = M.seqlet_report(ig, fungi)
    assert rep_ig.delta_worst == rep_ig.delta_median == pytest.approx(ig[0].relative_delta)


def test_window_set_of_class_puts_heldout_first():
    import pandas as pd

    from glm_explore.results import WindowSet

    table = pd.DataFrame({"label": ["CDS", "promoter", "promoter", "promoter", "CDS"],
                          "split": ["test", "train", "test", "train", "train"], "start": [0, 1, 2, 3, 4]})
    ws = WindowSet(table=table, counts=pd.DataFrame(), params={}, split_note="")
    assert ws.of_class("promoter")["start"].tolist() == [2, 1, 3]  # held-out first, then sample order
    assert ws.of_class("promoter", 2)["start"].tolist() == [2, 1]
    with pytest.raises(GlmExploreError, match="choose one of CDS, promoter"):
        ws.of_class("UTR")


def test_motifs_page_and_probe_target_on_attribution_page(chloroplast):
    at = app_on_page("motifs")
    assert not at.exception and not at.error
    assert len(at.selectbox(key="motifs_target").options) == 1  # no probe yet: the likelihood target only
    at.selectbox(key="motifs_class").set_value("intergenic")
    at.slider(key="motifs_n").set_value(3)
    at.selectbox(key="motifs_method").set_value("saliency")
    at.button(key="motifs_go").click()
    at.run()
    assert not at.exception and not at.error
    assert any("3 intergenic windows" in c.value for c in at.caption)
    assert len(at.dataframe) == 2 and len(at.metric) == 3
    at.button(key="motifs_fit_probe").click()
    at.run()
    assert not at.exception and not at.error
    assert any(o.startswith("probe") for o in at.selectbox(key="motifs_target").options)
    at.selectbox(key="motifs_target").set_value("probe")
    at.selectbox(key="motifs_method").set_value("integrated_gradients")
    at.slider(key="motifs_steps").set_value(10)
    at.button(key="motifs_go").click()
    at.run()
    assert not at.exception and not at.error
    assert any("log P(intergenic" in c.value for c in at.caption)
    assert any("Convergence" in m.value for m in [*at.success, *at.warning])  # IG's delta is reported
    held = at.session_state["region_probe"]
    at.session_state["region_probe"] = {**held, "owner": "another model"}  # replaced by another model's probe
    at.run()
    assert not at.exception and not at.error and any("probe this run used is gone" in i.value for i in at.info)
    at.session_state["region_probe"] = held
    at.switch_page("pages/attribution.py")
    at.run()
    assert not at.exception and any(o.startswith("probe") for o in at.selectbox(key="attribution_target").options)
    at.text_input(key="attribution_region").set_value(f"{CP}:1001-1200")
    at.selectbox(key="attribution_target").set_value("probe")
    at.selectbox(key="attribution_probe_class").set_value("CDS")
    at.selectbox(key="attribution_method").set_value("saliency")
    at.button(key="attribution_go").click()
    at.run()
    assert not at.exception and not at.error
    assert any("log P(CDS | layer" in c.value and "1051-1150" in c.value for c in at.caption)


def _bad_probe_files(folder: Path, good: str) -> list[tuple[Path, str]]:
    """(file, word its error must contain): broken probe files a user could pass to --probe."""
    import gzip
    import json

    d = json.loads(good)
    cases = {"binary.json": (b"\x00\x01\x02probe", "binary"), "latin1.json": ("{\"é\": 1}".encode("latin-1"), "UTF-8"),
             "truncated.json.gz": (gzip.compress(good.encode())[:40], "gzip"), "empty.json": (b"", "not a probe file"),
             "list.json": (b"[1, 2, 3]", "not a probe file"),
             "shapes.json": (json.dumps({**d, "bias": d["bias"][:-1]}).encode(), "do not fit together"),
             "weights_text.json": (json.dumps({**d, "weight": "abc"}).encode(), "not a probe file")}
    out = []
    for name, (raw, word) in cases.items():
        (folder / name).write_bytes(raw)
        out.append((folder / name, word))
    return out


def test_bad_probe_files_give_one_line_errors(tiny_mlm, rng, tmp_path, capsys, chloroplast):
    from glm_explore.cli import main
    from glm_explore.results import LinearProbe

    _, _, probe, _ = _probe_case(tiny_mlm, rng)
    cases = _bad_probe_files(tmp_path, probe.to_json())
    other_model = tmp_path / "tiny.json"
    other_model.write_text(probe.to_json())  # a good file, but for another model than the CLI's default
    for path, word in [*cases, (other_model, "fit on embeddings of tiny-mlm")]:
        if path != other_model:
            with pytest.raises(GlmExploreError, match=word):
                LinearProbe.load(str(path))
        rc = main(["attribute", f"{CP}:1001-1200", "--genome", "chloroplast", "--target", "probe", "--probe",
                   str(path), "--probe-class", "CDS", "--method", "saliency"])
        err = capsys.readouterr().err
        assert rc == 2 and word.lower() in err.lower() and len(err.strip().splitlines()) == 1, (path.name, err)


def test_cli_motifs_and_probe_files(tmp_path, capsys, chloroplast):
    from glm_explore.cli import main

    probe = tmp_path / "probe.json"
    assert main(["embed", "--genome", "chloroplast", "--out", str(tmp_path / "w.parquet"), "--cap", "30",
                 "--no-umap", "--no-metrics", "--probe-out", str(probe)]) == 0
    assert "probe" in capsys.readouterr().err and probe.exists()
    out = tmp_path / "seqlets.tsv"
    assert main(["motifs", "--genome", "chloroplast", "--class", "intergenic", "--n", "3", "--target", "probe",
                 "--probe", str(probe), "--method", "saliency", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 intergenic windows" in printed and "log P(intergenic" in printed and "matrix_id" in printed
    assert main(["attribute", f"{CP}:1001-1200", "--genome", "chloroplast", "--target", "probe", "--probe",
                 str(probe), "--probe-class", "CDS", "--method", "saliency"]) == 0
    assert "log P(CDS | layer" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    for argv, msg in [(["motifs", "--genome", "chloroplast", "--class", "UTR"], "No windows of class"),
                      (["attribute", f"{CP}:1001-1200", "--genome", "chloroplast", "--target", "probe", "--probe",
                        str(bad), "--probe-class", "CDS"], "not a probe file"),
                      (["attribute", f"{CP}:1001-1200", "--genome", "chloroplast", "--target", "probe"],
                       "needs a fitted probe")]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1
