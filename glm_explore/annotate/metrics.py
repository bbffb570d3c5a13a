"""Held-out scores of an annotation head: per-class precision / recall / F1 / MCC and macro-F1 with a
block-bootstrap CI (blocks = held-out tiles).

Classes scored are those with held-out bases (support > 0); a base predicted as a class without
held-out bases is a false negative of its true class (and scores for no class).
Undefined ratios (nothing predicted, no support) are 0, as ``zero_division=0`` in scikit-learn.
MCC is one-vs-rest per class (SegmentNT reports it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..io.annotation import CLASSES

METRIC_COLUMNS = ["features", "class", "support", "predicted", "precision", "recall", "f1", "mcc"]
N_CODES = len(CLASSES)


def confusion_codes(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(9, 9) counts, rows = true class code, columns = predicted code (both index CLASSES)."""
    flat = np.asarray(true, dtype=np.int64) * N_CODES + np.asarray(pred, dtype=np.int64)
    return np.bincount(flat, minlength=N_CODES * N_CODES).reshape(N_CODES, N_CODES)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)


def f1_from_confusion(cm: np.ndarray) -> np.ndarray:
    """Per-code F1 = 2·tp / (support + predicted) of one (9, 9) matrix or a stack (..., 9, 9)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    return _ratio(2 * tp, cm.sum(axis=-1) + cm.sum(axis=-2))


def class_metrics(true: np.ndarray, pred: np.ndarray, *, name: str = "model") -> pd.DataFrame:
    """One row per class with held-out bases (CLASSES order): ``features`` (= ``name``), ``class``,
    ``support`` (true bases), ``predicted`` (bases predicted as the class), ``precision``, ``recall``,
    ``f1``, ``mcc``. ``true``/``pred``: (n,) class codes."""
    cm = confusion_codes(true, pred)
    n = cm.sum()
    rows = []
    for c in np.flatnonzero(cm.sum(axis=1) > 0):
        tp = float(cm[c, c])
        fn = float(cm[c].sum()) - tp
        fp = float(cm[:, c].sum()) - tp
        tn = float(n) - tp - fn - fp
        denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        rows.append({"features": name, "class": CLASSES[c], "support": int(tp + fn), "predicted": int(tp + fp),
                     "precision": float(_ratio(tp, tp + fp)), "recall": float(_ratio(tp, tp + fn)),
                     "f1": float(_ratio(2 * tp, 2 * tp + fp + fn)),
                     "mcc": float((tp * tn - fp * fn) / denom) if denom > 0 else 0.0})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def confusion_frame(true: np.ndarray, pred: np.ndarray) -> pd.DataFrame:
    """Confusion matrix for people: rows = true classes with held-out bases, columns = those plus any other
    predicted class (CLASSES order); index name ``true``, columns name ``predicted``."""
    cm = confusion_codes(true, pred)
    rows = np.flatnonzero(cm.sum(axis=1) > 0)
    cols = np.flatnonzero((cm.sum(axis=1) > 0) | (cm.sum(axis=0) > 0))
    out = pd.DataFrame(cm[np.ix_(rows, cols)], index=[CLASSES[i] for i in rows], columns=[CLASSES[j] for j in cols])
    out.index.name, out.columns.name = "true", "predicted"
    return out


def macro_f1(true: np.ndarray, pred: np.ndarray) -> float:
    """Mean F1 over the classes present in ``true``."""
    cm = confusion_codes(true, pred)
    return float(f1_from_confusion(cm)[cm.sum(axis=1) > 0].mean())


def bootstrap_macro_f1(true: np.ndarray, preds: Sequence[np.ndarray], blocks: np.ndarray, *, n_boot: int = 1000,
                       seed: int = 0) -> np.ndarray:
    """(n_boot, len(preds)) macro-F1 of each prediction when whole blocks are resampled with replacement.

    Draw b takes ``rng.integers(0, n_blocks, n_blocks)`` (``rng = np.random.default_rng(seed)``, one
    (n_boot, n_blocks) array drawn at once; blocks numbered in sorted order of their ids) — the same
    draws for every prediction, so differences are paired. Macro-F1 of a draw is over the classes
    present in that draw's true bases.
    """
    ids, inv = np.unique(blocks, return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    mult = np.zeros((n_boot, len(ids)), dtype=np.float64)
    np.add.at(mult, (np.repeat(np.arange(n_boot), len(ids)), draws.ravel()), 1)
    out = np.empty((n_boot, len(preds)))
    for j, pred in enumerate(preds):
        flat = inv * N_CODES * N_CODES + np.asarray(true, dtype=np.int64) * N_CODES + np.asarray(pred, dtype=np.int64)
        per_block = np.bincount(flat, minlength=len(ids) * N_CODES * N_CODES).reshape(len(ids), -1)
        cm = (mult @ per_block).reshape(n_boot, N_CODES, N_CODES)
        f1 = f1_from_confusion(cm)
        present = cm.sum(axis=-1) > 0
        out[:, j] = (f1 * present).sum(axis=1) / present.sum(axis=1)
    return out


def percentile_ci(values: np.ndarray) -> tuple[float, float]:
    """95 % percentile interval."""
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)
