"""Projections (PCA, UMAP) and class-separation numbers for window embeddings, with a k-mer baseline.

* Projection: ``StandardScaler`` → PCA (scikit-learn) or UMAP (umap-learn, fixed ``random_state``).
* Separation (:func:`separation`), always fit on TRAINING windows and scored on HELD-OUT ones
  (overlapping windows share sequence, so random splits would leak): kNN accuracy, a
  logistic-regression probe's macro-F1 (bootstrap 95 % CI over held-out windows), per-class F1 and
  confusion matrix. The silhouette score (no fitting) is over all windows.
* Baseline (:func:`kmer_features`): canonical k-mer frequencies of the whole window (a k-mer and
  its reverse complement count as one), k = 1..6. A representation "separates region classes"
  only as much as it beats this baseline; the probe on model + k-mer features together asks
  whether the model knows anything k-mers don't.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, silhouette_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .errors import (
    TooFewWindowsError,
)
from .models.adapter import batches_by_length
from .results import Embeddings, LinearProbe, Projection, Separation
from .sequence import encode

KNN_K = 15
N_BOOT = 500


# ---------------------------------------------------------------- projections

def pca_coords(X: np.ndarray, *, n_components: int = 2, seed: int = 0) -> Projection:
    """Standardize ``X`` (N, D) and project on its first principal components → (N, n_components)."""
    Z = StandardScaler().fit_transform(np.asarray(X, dtype=np.float64))
    n_components = min(n_components, *Z.shape)
    pca = PCA(n_components=n_components, random_state=seed)
    coords = pca.fit_transform(Z)
    return Projection(coords=coords.astype(np.float32), method="PCA", params={"seed": seed},
                      explained=tuple(float(v) for v in pca.explained_variance_ratio_))


def umap_coords(X: np.ndarray, *, n_neighbors: int = 15, min_dist: float = 0.1, metric: str = "euclidean",
                seed: int = 0) -> Projection:
    """Standardize ``X`` (N, D), then UMAP to 2-D with a fixed ``random_state`` (reproducible, single-threaded)."""
    import umap

    Z = StandardScaler().fit_transform(np.asarray(X, dtype=np.float32))
    if len(Z) <= 3:
        raise TooFewWindowsError(f"UMAP needs more than 3 windows, got {len(Z)}.")
    reducer = umap.UMAP(n_neighbors=min(n_neighbors, len(Z) - 1), min_dist=min_dist, metric=metric,
                        random_state=seed, n_components=2, n_jobs=1)
    coords = reducer.fit_transform(Z)
    return Projection(coords=np.asarray(coords, dtype=np.float32), method="UMAP",
                      params={"n_neighbors": n_neighbors, "min_dist": min_dist, "metric": metric, "seed": seed})


def warm_umap() -> None:
    """Run a tiny UMAP once so numba compiles its kernels (seconds) before the user asks for one."""
    rng = np.random.default_rng(0)
    umap_coords(rng.normal(size=(60, 8)), n_neighbors=5, seed=0)


# ---------------------------------------------------------------- k-mer baseline

@lru_cache(maxsize=8)
def canonical_kmers(k: int) -> tuple[tuple[str, ...], np.ndarray]:
    """(canonical k-mers in lexicographic order, (4**k,) map from k-mer index → canonical column).

    A k-mer's index is its base-4 number with A=0, C=1, G=2, T=3 (first base most significant);
    its canonical form is the smaller of it and its reverse complement.
    """
    if not 1 <= k <= 6:
        raise ValueError(f"k must be between 1 and 6, got {k}")
    idx = np.arange(4**k)
    digits = (idx[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4  # (4**k, k)
    rc = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)).sum(axis=1)
    canon = np.minimum(idx, rc)
    uniq, column = np.unique(canon, return_inverse=True)
    names = tuple("".join("ACGT"[d] for d in digits[u]) for u in uniq)
    return names, column


def kmer_counts(seqs: Sequence[str], k: int) -> np.ndarray:
    """(N, n_canonical) counts of canonical k-mers in each sequence; k-mers holding N are skipped.

    Vectorised: integer codes → rolling base-4 index (a sliding-window dot product) → one
    ``bincount`` over (row, column) pairs.
    """
    names, column = canonical_kmers(k)
    n_col = len(names)
    out = np.zeros((len(seqs), n_col), dtype=np.int64)
    weights = 4 ** np.arange(k - 1, -1, -1)
    for rows in batches_by_length([len(s) for s in seqs], max(1, len(seqs))):
        if len(seqs[rows[0]]) < k:
            continue
        codes = np.stack([encode(seqs[i]) for i in rows])  # (n, L)
        win = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)  # (n, L-k+1, k)
        valid = (win < 4).all(axis=2)
        index = (np.minimum(win, 3) * weights).sum(axis=2)
        cols = column[index]
        flat = (np.arange(len(rows))[:, None] * n_col + cols)[valid]
        out[rows] = np.bincount(flat, minlength=len(rows) * n_col).reshape(len(rows), n_col)
    return out


def kmer_features(seqs: Sequence[str], k: int = 4) -> np.ndarray:
    """(N, n_canonical) canonical k-mer frequencies (counts / k-mers in the window), float32."""
    counts = kmer_counts(seqs, k)
    total = counts.sum(axis=1, keepdims=True)
    return (counts / np.maximum(total, 1)).astype(np.float32)


def kmer_brute_force(seq: str, k: int) -> dict[str, int]:
    """Canonical k-mer counts of one sequence by plain Python (a reference for tests)."""
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    out: dict[str, int] = {}
    for i in range(len(seq) - k + 1):
        kmer = seq[i:i + k]
        if set(kmer) - set("ACGT"):
            continue
        rc = "".join(comp[b] for b in reversed(kmer))
        key = min(kmer, rc)
        out[key] = out.get(key, 0) + 1
    return out


# ---------------------------------------------------------------- separation numbers

def macro_f1_from_confusion(cm: np.ndarray) -> float:
    """Macro-F1 over the rows of a (K, K) confusion matrix (rows true, columns predicted); F1 = 0 when undefined."""
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1.mean())


def bootstrap_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str], *, n_boot: int = N_BOOT,
                       seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of macro-F1 over ``classes`` when held-out windows are resampled."""
    k = len(classes)
    pos = {c: i for i, c in enumerate(classes)}
    t = np.array([pos[c] for c in y_true])
    p = np.array([pos.get(c, -1) for c in y_pred])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(t), size=(n_boot, len(t)))
    scores = np.empty(n_boot)
    for b, d in enumerate(draws):
        tt, pp = t[d], p[d]
        cm = np.zeros((k, k + 1), dtype=np.int64)  # extra column: predicted a class absent from the test set
        np.add.at(cm, (tt, np.where(pp < 0, k, pp)), 1)
        present = np.bincount(tt, minlength=k) > 0
        tp = np.diag(cm[:, :k]).astype(float)
        denom = cm[:, :k].sum(axis=0) + cm.sum(axis=1)
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        scores[b] = f1[present].mean()
    lo, hi = np.percentile(scores, [2.5, 97.5])
    return float(lo), float(hi)


def separation(X: np.ndarray, labels: np.ndarray, train_mask: np.ndarray, *, name: str = "features",
               knn_k: int = KNN_K, n_boot: int = N_BOOT, seed: int = 0) -> Separation:
    """Fit on ``X[train_mask]`` only, score on ``X[~train_mask]``: kNN accuracy, probe macro-F1 (+CI).

    ``X`` (N, D) features, ``labels`` (N,) class names, ``train_mask`` (N,) bool. Standardization
    is part of each fitted pipeline, so held-out windows never inform the scaler either. Scores use
    the classes present among held-out windows.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=object)
    train_mask = np.asarray(train_mask, dtype=bool)
    Xtr, ytr, Xte, yte = X[train_mask], labels[train_mask], X[~train_mask], labels[~train_mask]
    if len(set(ytr)) < 2:
        raise TooFewWindowsError("The training windows hold fewer than 2 classes: add chromosomes, "
                                 "raise the per-class cap or shorten the centre.")
    if len(yte) == 0:
        raise TooFewWindowsError("There are no held-out windows: include the held-out chromosome.")
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=min(knn_k, len(ytr))))
    knn.fit(Xtr, ytr)
    knn_acc = float((knn.predict(Xte) == yte).mean())
    probe = probe_pipeline().fit(Xtr, ytr)
    pred = probe.predict(Xte)
    cols = list(probe.classes_) + sorted(set(yte) - set(probe.classes_))  # + classes never seen in training
    classes = tuple(c for c in cols if c in set(yte))
    cm = pd.crosstab(pd.Categorical(yte, categories=cols), pd.Categorical(pred, categories=cols), dropna=False)
    cm = cm.loc[list(classes)]
    cm.index.name, cm.columns.name = "true", "predicted"
    per_class = {}
    for c in classes:
        tp = int(cm.loc[c, c])
        denom = int(cm.loc[c].sum()) + int(cm[c].sum())
        per_class[c] = 2 * tp / denom if denom else 0.0
    macro = float(np.mean(list(per_class.values())))
    ci = bootstrap_macro_f1(yte, pred, classes, n_boot=n_boot, seed=seed)
    Z = StandardScaler().fit_transform(X)
    n_sil = min(len(Z), 3000)  # silhouette is O(N²): a fixed random subsample above 3,000 windows
    sil = float(silhouette_score(Z, labels, sample_size=n_sil, random_state=seed)) if len(set(labels)) > 1 else float("nan")
    return Separation(name=name, knn_accuracy=knn_acc, silhouette=sil, macro_f1=macro, macro_f1_ci=ci,
                      per_class_f1=per_class, confusion=cm, classes=classes, n_train=int(train_mask.sum()),
                      n_test=int((~train_mask).sum()), n_features=X.shape[1], predictions=pred)


def probe_pipeline():
    """The region-class probe: standardize, then class-balanced multinomial logistic regression (C = 0.1)."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced", C=0.1))


def fit_probe(emb: Embeddings, labels: np.ndarray, train_mask: np.ndarray | None = None, *,
              layers: Sequence[int] | None = None) -> LinearProbe:
    """Fit :func:`probe_pipeline` on ``emb.features(layers)`` of training windows → :class:`LinearProbe`.

    ``labels`` (N,) class names; ``train_mask`` (N,) bool (default: all windows train). The probe
    keeps the embedding recipe (layers, pooling, centre, RC, window length) so that
    :class:`glm_explore.attribution.ProbeTarget` can recompute its input differentiably. The
    held-out macro-F1 is the same number :func:`separation` reports for these features.
    """
    layers = tuple(layers) if layers is not None else (emb.layers[-1],)
    X = emb.features(layers).astype(np.float64)
    labels = np.asarray(labels, dtype=object)
    train = np.ones(len(X), dtype=bool) if train_mask is None else np.asarray(train_mask, dtype=bool)
    if len(set(labels[train])) < 2:
        raise TooFewWindowsError("The training windows hold fewer than 2 classes: a probe needs at least 2.")
    pipe = probe_pipeline().fit(X[train], labels[train])
    scaler, lr = pipe[0], pipe[-1]
    W, b = lr.coef_.astype(np.float64), lr.intercept_.astype(np.float64)
    if len(lr.classes_) == 2:  # sklearn's binary form: one logit for classes_[1]; as two softmax logits
        W, b = np.vstack([np.zeros_like(W), W]), np.r_[0.0, b]
    f1 = float("nan")
    if (~train).any():
        yte = labels[~train]
        f1 = float(f1_score(yte, pipe.predict(X[~train]), labels=sorted(set(yte)), average="macro", zero_division=0))
    return LinearProbe(classes=tuple(str(c) for c in lr.classes_), weight=W, bias=b,
                       mean=scaler.mean_.astype(np.float64), scale=scaler.scale_.astype(np.float64),
                       layers=tuple(int(k) for k in layers), pooling=emb.pooling, center=int(emb.center),
                       rc=bool(emb.rc), window_length=int(emb.window_length), model=emb.model,
                       n_train=int(train.sum()), heldout_macro_f1=f1)


def compare_separation(model_X: np.ndarray, seqs: Sequence[str], labels: np.ndarray, train_mask: np.ndarray,
                       *, k: int = 4, model_name: str = "model", **kw) -> list[Separation]:
    """[model, k-mer baseline, model + k-mer] separations on the same windows and split."""
    kmer_X = kmer_features(seqs, k)
    return [separation(model_X, labels, train_mask, name=model_name, **kw),
            separation(kmer_X, labels, train_mask, name=f"{k}-mer frequencies", **kw),
            separation(np.hstack([model_X, kmer_X]), labels, train_mask, name=f"{model_name} + {k}-mers", **kw)]


def separation_table(results: Sequence[Separation]) -> pd.DataFrame:
    """One row per feature set: kNN accuracy, silhouette, probe macro-F1 with its CI, per-class F1."""
    rows = []
    for r in results:
        rows.append({"features": r.name, "dims": r.n_features, "kNN accuracy": r.knn_accuracy,
                     "silhouette": r.silhouette, "probe macro-F1": r.macro_f1,
                     "macro-F1 95% CI": f"{r.macro_f1_ci[0]:.3f}–{r.macro_f1_ci[1]:.3f}",
                     **{f"F1 {c}": v for c, v in r.per_class_f1.items()}})
    return pd.DataFrame(rows)


def layer_sweep(emb: Embeddings, labels: np.ndarray, train_mask: np.ndarray, *, kmer_X: np.ndarray | None = None,
                kmer_name: str = "k-mer", n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Probe macro-F1 (with CI) per embedded layer, plus the k-mer baseline as a reference row.

    Columns ``layer, features, macro_f1, lo, hi, knn_accuracy``; the baseline has ``layer = -1``.
    """
    rows = []
    for layer in emb.layers:
        s = separation(emb.features(layer), labels, train_mask, name=f"layer {layer}", n_boot=n_boot, seed=seed)
        rows.append({"layer": layer, "features": "model", "macro_f1": s.macro_f1, "lo": s.macro_f1_ci[0],
                     "hi": s.macro_f1_ci[1], "knn_accuracy": s.knn_accuracy})
    if kmer_X is not None:
        s = separation(kmer_X, labels, train_mask, name=kmer_name, n_boot=n_boot, seed=seed)
        rows.append({"layer": -1, "features": kmer_name, "macro_f1": s.macro_f1, "lo": s.macro_f1_ci[0],
                     "hi": s.macro_f1_ci[1], "knn_accuracy": s.knn_accuracy})
    return pd.DataFrame(rows)


def all_canonical(k: int) -> list[str]:
    """Every canonical k-mer by brute force over ``itertools.product`` (a reference for tests)."""
    comp = str.maketrans("ACGT", "TGCA")
    return sorted({min(m, m.translate(comp)[::-1]) for m in ("".join(p) for p in itertools.product("ACGT", repeat=k))})
