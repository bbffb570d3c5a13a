"""Using a feature dictionary (glm_explore.features.query): concept-first search, activation tracks, allele effects,
FIMO overlap and the SAE encoder's round trip — each number checked against sklearn / direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_features import PLANTED, planted_model, random_seqs

from glm_explore.errors import GlmExploreError
from glm_explore.features import FeatureSettings, SAESettings, build_dictionary, fit_sae
from glm_explore.features.activations import conv_channels
from glm_explore.features.describe import fimo_fraction, fimo_mask
from glm_explore.features.query import (
    activation_track,
    allele_deltas,
    concept_search,
    concept_windows,
    features_changed_by_allele,
    motif_inside,
    rank_features,
    region_track,
)
from glm_explore.features.sae import encoder_arrays, fit_from_encoder
from glm_explore.motifs import find_motif, scan_motif
from glm_explore.reduce import kmer_features
from glm_explore.results import Variant
from glm_explore.results.features import FeatureDictionary

pytestmark = pytest.mark.usefixtures("one_thread_module")

SETTINGS = FeatureSettings(layer=1, length=200, center=100, per_class=15, min_sites=5)


@pytest.fixture(scope="module")
def planted():
    """(model, chloroplast data, dictionary) for a one-block MLM whose channel 0 is REB1's log-odds filter."""
    from glm_explore.io.datasets import load_dataset

    model = planted_model(find_motif(PLANTED).pwm)
    data = load_dataset("chloroplast")
    return model, data, build_dictionary(model, data, SETTINGS)


def test_rank_features_aurocs_equal_sklearn(planted):
    _, _, fd = planted
    rng = np.random.default_rng(4)
    scores = np.round(rng.normal(size=(120, fd.n_features)), 1)  # ties on purpose
    pos = rng.random(120) < 0.35
    df = rank_features(scores, pos, fd, 0.6, top=None)
    assert len(df) == fd.n_features and df["auroc"].is_monotonic_decreasing
    for r in df.itertuples():
        assert r.auroc == pytest.approx(roc_auc_score(pos, scores[:, r.feature]), abs=1e-12)
        assert r.delta == pytest.approx(r.auroc - 0.6) and r.beats_kmer == (r.auroc > 0.6)
        assert r.name == fd.table["best_name"].iloc[r.feature]
    assert (df["n_pos"] == pos.sum()).all() and len(rank_features(scores, pos, fd, 0.6, top=3)) == 3


@pytest.mark.parametrize(("kind", "concept"), [("region class", "CDS"), ("landmark", "start codon")])
def test_concept_search_aurocs_and_baseline_equal_sklearn_on_the_same_windows(planted, kind, concept):
    model, data, fd = planted
    hits = concept_search(model, data, fd, kind, concept, per_class=15, top=None)
    w = concept_windows(data, fd, kind, concept, per_class=15)
    (tr, ytr), (te, yte) = w["train"], w["test"]
    lo, hi = w["span"]
    acts = conv_channels(model, te, 1)[:, lo:hi]
    scores = acts.mean(axis=1) if kind == "region class" else acts.max(axis=1)
    for r in hits.itertuples():
        assert r.auroc == pytest.approx(roc_auc_score(yte, scores[:, r.feature]), abs=1e-12)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=0))
    clf.fit(kmer_features([s[lo:hi] for s in tr], 4), ytr)
    want = roc_auc_score(yte, clf.decision_function(kmer_features([s[lo:hi] for s in te], 4)))
    assert hits.attrs["kmer_auroc"] == pytest.approx(want, abs=1e-9)
    assert (hits["kmer_auroc"] == hits.attrs["kmer_auroc"]).all()
    assert hits["n_pos"].iloc[0] == yte.sum() and hits["n_neg"].iloc[0] == (~yte).sum()
    if kind == "landmark":  # windows centred on a landmark: positives come first, then the region windows
        assert yte[:yte.sum()].all() and not yte[yte.sum():].any()


def test_concept_search_rejects_unknown_concepts_in_one_line(planted):
    model, data, fd = planted
    with pytest.raises(GlmExploreError, match="choose one of"):
        concept_search(model, data, fd, "landmark", "poly-A signal")
    with pytest.raises(GlmExploreError, match="Concept kind"):
        concept_search(model, data, fd, "gene", "x")
    with pytest.raises(GlmExploreError, match="No JASPAR motif"):
        concept_search(model, data, fd, "motif", "NOT-A-TF")


def test_motif_labels_and_fimo_overlap_match_per_sequence_scans(one_thread):
    motif = find_motif(PLANTED)
    rng = np.random.default_rng(5)
    seqs = random_seqs(60, 120, rng)
    for i in range(0, 60, 2):
        a = int(rng.integers(0, 111))
        seqs[i] = seqs[i][:a] + "".join("ACGT"[b] for b in motif.pwm.argmax(0)) + seqs[i][a + 9:]
    by_hand_inside, by_hand_mask = [], np.zeros((60, 120), bool)
    for i, s in enumerate(seqs):
        h = scan_motif(s, motif)
        by_hand_inside.append(bool(((h["start"] >= 30) & (h["end"] <= 90)).any()))
        for a, b in zip(h["start"], h["end"]):
            by_hand_mask[i, a:b] = True
    assert motif_inside(seqs, motif, 30, 90).tolist() == by_hand_inside and any(by_hand_inside)
    mask = fimo_mask(seqs, (motif,))
    np.testing.assert_array_equal(mask, by_hand_mask)
    sites = pd.DataFrame({"feature": [0, 0, 0, 2], "window": [0, 1, 2, 3], "pos": [5, 50, 100, 7]})
    frac = fimo_fraction(sites, mask, 3)
    assert frac[0] == pytest.approx(np.mean([mask[0, 5], mask[1, 50], mask[2, 100]])) and np.isnan(frac[1])
    assert frac[2] == float(mask[3, 7])


def test_dictionary_has_fimo_fraction_and_the_planted_channel_sits_in_hits(planted):
    _, _, fd = planted
    assert "fimo_fraction" in fd.table and 0 <= fd.headline["fimo_background"] <= 1
    assert fd.table["fimo_fraction"].dropna().between(0, 1).all()
    # one chromosome (the chloroplast): landmark profiles come from its training part, before the held-out cut
    assert fd.landmarks and sum(fd.landmarks["n"].values()) > 0


def test_activation_track_and_region_track_read_the_same_channel(planted):
    model, data, fd = planted
    chrom = data.genome.chroms[0]
    seq = data.genome.fetch(chrom, 1000, 1300)
    full = conv_channels(model, [seq], 1)[0]
    np.testing.assert_array_equal(activation_track(model, fd, seq, 0), full[:, 0])
    tr = region_track(model, data.genome, fd, f"{chrom}:1101-1200", 3, flank=100)
    np.testing.assert_array_equal(tr.values, full[100:200, 3])
    assert tr.positions[0] == 1101 and tr.positions[-1] == 1200 and tr.label.startswith("3: ")
    with pytest.raises(GlmExploreError, match="features 0..7"):
        activation_track(model, fd, seq, 8)


def test_other_weights_are_refused(planted):
    _, _, fd = planted
    torch.manual_seed(3)
    other = planted_model(np.full((4, 9), 0.25), seed=3)
    with pytest.raises(GlmExploreError, match="other weights"):
        activation_track(other, fd, "ACGT" * 10, 0)


def test_allele_that_breaks_a_planted_site_changes_the_planted_channel_most(planted):
    model, data, fd = planted
    chrom = data.genome.chroms[0]
    motif = find_motif(PLANTED)
    seq = data.genome.fetch(chrom, 5000, 7000)
    ch0 = conv_channels(model, [seq], 1)[0, :, 0]
    c = int(np.argmax(ch0[10:-10])) + 10  # the strongest REB1-like site in 2 kb: break its most informative base
    j = int(np.argmax(motif.pwm.max(0)))
    pos0 = 5000 + c - 4 + j
    ref = data.genome.fetch(chrom, pos0, pos0 + 1)
    alt = "ACGT"[int(np.argmin(motif.pwm[:, j]))]
    alt = alt if alt != ref else "ACGT"[(("ACGT".index(ref)) + 1) % 4]
    df = features_changed_by_allele(model, fd, data.genome, Variant(chrom, pos0 + 1, ref, alt), radius=10, top=None)
    assert df["feature"].iloc[0] == 0  # the planted detector's log-odds weights dwarf the random channels'
    # every row by hand: the window centred on the variant, ref and alt channels, the largest |alt − ref|
    from glm_explore.io.datasets import as_genome
    from glm_explore.variants.windows import variant_windows

    r_seq, a_seq, _, off = variant_windows(as_genome(data.genome), Variant(chrom, pos0 + 1, ref, alt), 200)
    acts = conv_channels(model, [r_seq, a_seq], 1)
    d = acts[1, off - 10:off + 11] - acts[0, off - 10:off + 11]
    for r in df.itertuples():
        k = int(np.abs(d[:, r.feature]).argmax())
        assert r.delta == pytest.approx(float(d[k, r.feature])) and r.offset == k - 10
        assert r.ref_peak == pytest.approx(float(acts[0, off - 10 + k, r.feature]))
    assert df["abs_delta"].is_monotonic_decreasing
    site = off + 4 - j  # the broken site's centre in the variant's window (the variant is its column j)
    assert acts[1, site, 0] < acts[0, site, 0]


def test_allele_deltas_by_hand():
    ref = np.zeros((7, 2))
    alt = ref.copy()
    alt[2, 0], alt[4, 0], alt[6, 1] = 1.0, -3.0, 5.0
    d, col, r, a = allele_deltas(ref, alt, 3, 2)
    assert d.tolist() == [-3.0, 0.0] and col.tolist() == [4, 1] and a.tolist() == [-3.0, 0.0]


def test_sae_encoder_round_trips_through_the_saved_dictionary(tmp_path, planted, one_thread):
    _, _, fd = planted
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 12)).astype(np.float32)
    fit = fit_sae(x, SAESettings(n_features=16, k=3, steps=100, batch_size=256))
    enc = encoder_arrays(fit)
    np.testing.assert_array_equal(fit_from_encoder(enc).encode(x), fit.encode(x))  # exact in memory
    saved = FeatureDictionary(**{**fd.__dict__, "encoder": enc})
    back = FeatureDictionary.load(saved.save(tmp_path / "sae.json"))
    z, zb = fit.encode(x), fit_from_encoder(back.encoder).encode(x)  # W_enc travels as float16
    same = ((z > 0) == (zb > 0)).all(axis=1)  # a near-tie at the k-th latent may flip: rare
    assert same.mean() > 0.97
    np.testing.assert_allclose(zb[same], z[same], atol=0.01 * np.abs(z).max())
    assert back.encoder["k"] == 3 and FeatureDictionary.load(fd.save(tmp_path / "c.json")).encoder is None
