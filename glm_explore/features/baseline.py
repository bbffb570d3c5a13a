"""The sequence-only baseline for class-detector claims: a k-mer logistic model of the same windows.

A feature "detects" a region class only as much as it beats what composition alone gives. For each class c,
a logistic regression (scikit-learn, standardised canonical k-mer frequencies of the windows' centre span,
k = 4 by default, :func:`glm_explore.reduce.kmer_features`) is fit on the training windows (class c vs the
rest) and scored by AUROC on the held-out windows (:func:`kmer_class_auroc`). A feature's AUROC for its best
class uses its window score (mean activation over the centre span) on the same held-out windows
(:func:`score_auroc`: the Mann–Whitney U statistic / (n₁·n₀), ties counted half).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..reduce import kmer_features


def score_auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """AUROC of ``scores`` for the boolean ``positive`` (NaN when one group is empty)."""
    positive = np.asarray(positive, dtype=bool)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(np.asarray(scores, dtype=float))
    return float((r[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def kmer_class_auroc(train_seqs: list[str], train_labels: np.ndarray, test_seqs: list[str], test_labels: np.ndarray,
                     classes: list[str], *, k: int = 4, seed: int = 0) -> dict[str, float]:
    """{class: held-out AUROC of the k-mer logistic model} (module docstring)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Xtr, Xte = kmer_features(train_seqs, k), kmer_features(test_seqs, k)
    out = {}
    for cls in classes:
        y = np.asarray(train_labels) == cls
        if y.all() or not y.any():
            out[cls] = float("nan")
            continue
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)).fit(Xtr, y)
        out[cls] = score_auroc(clf.decision_function(Xte), np.asarray(test_labels) == cls)
    return out
