"""Per-base classification heads over frozen features: ``logistic`` and ``conv``.

* ``logistic`` — the region-class probe's classifier (:func:`glm_explore.reduce.probe_pipeline`:
  StandardScaler → multinomial logistic regression, ``class_weight="balanced"``, C = 0.1) on each
  sampled training base's feature vector. Context: the base alone.
* ``conv`` — a small 1-D CNN over the per-base features (standardised with the training bases' mean and
  SD): Conv1d(D → 32, kernel 9, zero padding) → ReLU → Conv1d(32 → classes, kernel 1). Adam (lr 3e-3,
  weight decay 1e-4), ``epochs`` passes over the training tiles in batches of 8, cross-entropy on the
  sampled training bases only, each class weighted by n / (K · n_class) (sklearn's "balanced"); seeded,
  without touching torch's global RNG. Context: 4 bases each side.

Priors: both heads are fit with balanced class weights, i.e. for equal class priors. With ``prior`` set
(:func:`~glm_explore.annotate.fit_annotator`'s ``prior="genome"``: the training chromosomes' class
frequencies) the probabilities are re-weighted by Bayes' rule, p'(c|x) ∝ p(c|x) · prior_c, the usual
correction for a known shift of class priors.

Both heads have the same form on either feature set (model states or k-mer frequencies), which is what
makes the k-mer baseline "the same capacity". :meth:`AnnotationHead.predict_proba` takes contiguous
per-base features (L, D) and returns (L, K) probabilities over :attr:`AnnotationHead.classes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..reduce import probe_pipeline
from .features import FeatureSpec

HEADS = ("logistic", "conv")
CONV_KERNEL = 9
CONV_HIDDEN = 32
CONV_BATCH = 8
DEFAULT_EPOCHS = 30


@dataclass(frozen=True, eq=False)
class AnnotationHead:
    """A fitted head: ``kind`` (logistic / conv), the features it reads (``spec``), its output ``classes``
    (names, :data:`~glm_explore.io.annotation.CLASSES` order), ``context`` (bases each side it looks at),
    ``n_train`` labelled training bases, and the fitted ``estimator`` (sklearn pipeline or torch module
    with the standardisation ``mean``/``scale``)."""

    kind: str
    spec: FeatureSpec
    classes: tuple[str, ...]
    estimator: object
    context: int
    n_train: int
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    prior: np.ndarray | None = None  # (K,) class priors applied to the balanced probabilities; None = equal

    @property
    def name(self) -> str:
        return f"{self.kind} head on {self.spec.describe()}"

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Contiguous per-base features (L, D) → (L, K) class probabilities (rows sum to 1)."""
        if self.kind == "logistic":
            p = self.estimator.predict_proba(np.asarray(X, dtype=np.float64))
        else:
            Z = (np.asarray(X, dtype=np.float32) - self.mean) / self.scale
            with torch.inference_mode():
                logits = self.estimator(torch.from_numpy(Z.T.copy())[None])[0].T
                p = torch.softmax(logits.double(), dim=-1).numpy()
        if self.prior is not None:
            p = p * self.prior
            p /= p.sum(axis=1, keepdims=True)
        return p.astype(np.float32)


def _conv_net(dim: int, n_classes: int) -> nn.Module:
    return nn.Sequential(nn.Conv1d(dim, CONV_HIDDEN, CONV_KERNEL, padding=CONV_KERNEL // 2), nn.ReLU(),
                         nn.Conv1d(CONV_HIDDEN, n_classes, 1))


def head_context(kind: str) -> int:
    """Bases each side a head of ``kind`` reads."""
    return CONV_KERNEL // 2 if kind == "conv" else 0


def fit_head(kind: str, spec: FeatureSpec, X: list[np.ndarray], y: list[np.ndarray], classes: tuple[str, ...], *,
             epochs: int = DEFAULT_EPOCHS, seed: int = 0) -> AnnotationHead:
    """Fit a head on training tiles: ``X`` per-tile features (L_i, D), ``y`` per-tile targets (L_i,) int
    (index into ``classes``; -1 = not a training base). Every class must have training bases."""
    rows = np.concatenate([x[t >= 0] for x, t in zip(X, y)])
    target = np.concatenate([t[t >= 0] for t in y])
    if kind == "logistic":
        pipe = probe_pipeline().fit(rows.astype(np.float64), target)
        return AnnotationHead("logistic", spec, classes, pipe, 0, len(target))
    if kind != "conv":
        raise ValueError(f"head must be one of {', '.join(HEADS)}, got {kind!r}")
    mean = rows.mean(axis=0).astype(np.float32)
    scale = rows.std(axis=0).astype(np.float32)
    scale[scale < 1e-6] = 1.0
    counts = np.bincount(target, minlength=len(classes)).astype(np.float64)
    weight = torch.tensor(len(target) / (len(classes) * np.maximum(counts, 1)), dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _conv_net(rows.shape[1], len(classes))
        opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
        gen = torch.Generator().manual_seed(seed)
        loss_fn = nn.CrossEntropyLoss(weight=weight, ignore_index=-1, reduction="sum")
        has = [i for i, t in enumerate(y) if (t >= 0).any()]
        for _ in range(epochs):
            order = [has[i] for i in torch.randperm(len(has), generator=gen).tolist()]
            for b in range(0, len(order), CONV_BATCH):
                idx = order[b:b + CONV_BATCH]
                L = max(len(y[i]) for i in idx)
                xb = np.zeros((len(idx), rows.shape[1], L), dtype=np.float32)
                yb = np.full((len(idx), L), -1, dtype=np.int64)
                for j, i in enumerate(idx):
                    xb[j, :, :len(y[i])] = ((X[i] - mean) / scale).T
                    yb[j, :len(y[i])] = y[i]
                yt = torch.from_numpy(yb)
                loss = loss_fn(net(torch.from_numpy(xb)), yt) / weight[yt[yt >= 0]].sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
    net.eval()
    return AnnotationHead("conv", spec, classes, net, CONV_KERNEL // 2, len(target), mean, scale)
