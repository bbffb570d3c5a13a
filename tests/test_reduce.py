"""k-mer baseline by brute force, separation metrics vs scikit-learn, no held-out leakage, projections."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_dna
from sklearn.metrics import f1_score

from glm_explore.reduce import (
    TooFewWindowsError,
    all_canonical,
    bootstrap_macro_f1,
    canonical_kmers,
    compare_separation,
    kmer_brute_force,
    kmer_counts,
    kmer_features,
    layer_sweep,
    macro_f1_from_confusion,
    pca_coords,
    separation,
    separation_table,
)
from glm_explore.results import Embeddings


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_kmer_counts_match_brute_force(k, rng):
    names, _ = canonical_kmers(k)
    assert list(names) == all_canonical(k)
    assert len(names) == (4**k + (4 ** (k // 2) if k % 2 == 0 else 0)) // 2
    seqs = [random_dna(rng, n) for n in (40, 40, 57, 3)]
    seqs[1] = seqs[1][:10] + "N" + seqs[1][11:]  # k-mers holding N are skipped
    got = kmer_counts(seqs, k)
    for row, s in zip(got, seqs):
        want = kmer_brute_force(s, k)
        assert dict((n, int(c)) for n, c in zip(names, row) if c) == want


def test_kmer_features_are_frequencies_and_strand_symmetric(rng):
    s = random_dna(rng, 300)
    from glm_explore.sequence import reverse_complement

    f = kmer_features([s, reverse_complement(s)], 4)
    np.testing.assert_allclose(f.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(f[0], f[1])  # canonical k-mers: a sequence and its RC count the same


def test_macro_f1_matches_sklearn(rng):
    classes = np.array(["a", "b", "c", "d"])
    y = classes[rng.integers(0, 3, 200)]  # 'd' never true
    p = classes[rng.integers(0, 4, 200)]
    labels = ["a", "b", "c"]
    cm = np.array([[np.sum((y == t) & (p == q)) for q in labels] for t in labels])
    # predicted-'d' windows count as false negatives of their true class
    fn_extra = np.array([np.sum((y == t) & (p == "d")) for t in labels])
    tp = np.diag(cm)
    f1 = 2 * tp / (cm.sum(axis=0) + cm.sum(axis=1) + fn_extra)
    want = f1_score(y, p, labels=labels, average="macro", zero_division=0)
    assert np.isclose(f1.mean(), want)
    assert np.isclose(macro_f1_from_confusion(cm), f1_score(
        y[p != "d"], p[p != "d"], labels=labels, average="macro", zero_division=0))


def test_bootstrap_matches_sklearn_per_draw(rng):
    y = np.array(list("aabbbcccc" * 5))
    p = np.array(list("abbbcccca" * 5))
    lo, hi = bootstrap_macro_f1(y, p, ["a", "b", "c"], n_boot=40, seed=7)
    draws = np.random.default_rng(7).integers(0, len(y), size=(40, len(y)))
    scores = []
    for d in draws:
        present = sorted(set(y[d]))
        scores.append(f1_score(y[d], p[d], labels=present, average="macro", zero_division=0))
    assert np.allclose([lo, hi], np.percentile(scores, [2.5, 97.5]))


def _blobs(rng, n_per=30, d=5, sep=4.0):
    X, y = [], []
    for i, c in enumerate("abc"):
        X.append(rng.normal(size=(n_per, d)) + sep * np.eye(d)[i])
        y += [c] * n_per
    return np.vstack(X), np.array(y, dtype=object)


def test_separation_scores_and_per_class_f1(rng):
    X, y = _blobs(rng)
    train = np.arange(len(y)) % 3 != 0
    s = separation(X, y, train, n_boot=50)
    yte = y[~train]
    assert np.isclose(s.macro_f1, f1_score(yte, s.predictions, average="macro"))
    for c in "abc":
        assert np.isclose(s.per_class_f1[c], f1_score(yte, s.predictions, labels=[c], average="macro"))
    assert s.confusion.to_numpy().sum() == len(yte)
    assert s.macro_f1_ci[0] <= s.macro_f1 <= s.macro_f1_ci[1]
    assert s.n_train == train.sum() and s.n_test == (~train).sum()
    assert s.knn_accuracy > 0.8 and s.silhouette > 0.1  # well-separated blobs
    X_noise = rng.normal(size=X.shape)
    assert separation(X_noise, y, train, n_boot=20).silhouette < s.silhouette


def test_probe_and_knn_never_see_heldout_windows(rng):
    # training: 'a' near 0, 'b' near 10 (20 windows). held-out: 40 windows at 'b''s spot labelled 'a'.
    Xa = rng.normal(size=(40, 3))
    Xb = rng.normal(size=(20, 3)) + 10
    Xt = rng.normal(size=(40, 3)) * 0.1 + 10
    X = np.vstack([Xa, Xb, Xt])
    y = np.array(["a"] * 40 + ["b"] * 20 + ["a"] * 40, dtype=object)
    train = np.array([True] * 60 + [False] * 40)
    s = separation(X, y, train, n_boot=20)
    # fit on training windows only, every held-out window is predicted 'b' → both scores are 0;
    # had the 40 held-out 'a' windows been in the fit, kNN (k=15) would call them 'a'.
    assert s.knn_accuracy == 0.0
    assert set(s.predictions) == {"b"}
    # held-out labels never reach the fit: a label seen only in held-out windows is never predicted,
    # and relabelling held-out windows does not change a single prediction
    y2 = y.copy()
    y2[~train] = "novel"
    s2 = separation(X, y2, train, n_boot=20)
    assert "novel" not in set(s2.predictions)
    np.testing.assert_array_equal(s2.predictions, s.predictions)


def test_too_few_classes():
    X = np.zeros((6, 2))
    y = np.array(["a"] * 6, dtype=object)
    with pytest.raises(TooFewWindowsError):
        separation(X, y, np.array([True] * 4 + [False] * 2))


def test_compare_table_and_layer_sweep(rng):
    seqs = [random_dna(rng, 80) for _ in range(60)]
    y = np.array(["a", "b", "c"] * 20, dtype=object)
    train = np.arange(60) < 45
    X = rng.normal(size=(60, 4))
    res = compare_separation(X, seqs, y, train, k=2)
    assert [r.n_features for r in res] == [4, 10, 14]
    table = separation_table(res)
    assert list(table["features"]) == ["model", "2-mer frequencies", "model + 2-mers"]
    emb = Embeddings(vectors=rng.normal(size=(60, 3, 4)).astype(np.float32), layers=(0, 1, 2), model="m",
                     pooling="center-mean", center=10, rc=False, window_length=80)
    sweep = layer_sweep(emb, y, train, kmer_X=kmer_features(seqs, 2), kmer_name="2-mer", n_boot=20)
    assert list(sweep["layer"]) == [0, 1, 2, -1]
    assert np.isclose(sweep.iloc[1]["macro_f1"], separation(emb.features(1), y, train, n_boot=20).macro_f1)


def test_pca_is_standardized_svd(rng):
    X = rng.normal(size=(50, 6)) * np.arange(1, 7)
    p = pca_coords(X)
    Z = (X - X.mean(0)) / X.std(0)
    u, sv, vt = np.linalg.svd(Z, full_matrices=False)
    want = Z @ vt[:2].T
    for j in range(2):  # up to sign
        assert np.allclose(np.abs(p.coords[:, j]), np.abs(want[:, j]), atol=1e-4)
    assert np.allclose(p.explained, (sv[:2] ** 2) / (sv**2).sum())
