"""Window embeddings, their projections, class separation, probes and the labelled windows
(see :mod:`glm_explore.embed`, :mod:`glm_explore.reduce`, :mod:`glm_explore.region_windows`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Embeddings:
    """Pooled window embeddings (see :mod:`glm_explore.embed`).

    ``vectors`` is (N, n_layers, D) float32, one (D,) vector per window and layer in ``layers``
    (0 = input embedding, n = last block). ``pooling`` / ``center`` / ``rc`` say how the
    per-position states of windows of ``window_length`` bp were pooled.
    """

    vectors: np.ndarray
    layers: tuple[int, ...]
    model: str
    pooling: str
    center: int
    rc: bool
    window_length: int

    def __len__(self) -> int:
        return self.vectors.shape[0]

    def features(self, layers: int | tuple[int, ...] | list[int] | None = None) -> np.ndarray:
        """(N, len(layers)·D): the chosen layers concatenated (default: the last one held)."""
        if layers is None:
            layers = (self.layers[-1],)
        elif isinstance(layers, int | np.integer):
            layers = (int(layers),)
        missing = [k for k in layers if k not in self.layers]
        if missing:
            raise ValueError(f"layer(s) {missing} were not embedded; available: {list(self.layers)}")
        return np.concatenate([self.vectors[:, self.layers.index(k)] for k in layers], axis=1)


@dataclass(frozen=True)
class Projection:
    """2-D coordinates (N, 2) of windows from ``method`` ('PCA' / 'UMAP') after standardizing.

    ``explained`` is PCA's explained-variance ratio per axis (empty for UMAP).
    """

    coords: np.ndarray
    method: str
    params: dict
    explained: tuple[float, ...] = ()


@dataclass(frozen=True)
class Separation:
    """How well one feature set separates region classes (see :func:`glm_explore.reduce.separation`).

    Fit on training windows, scored on held-out ones: ``knn_accuracy`` (kNN classifier),
    ``macro_f1`` / ``per_class_f1`` / ``confusion`` (logistic-regression probe; confusion rows =
    true class, columns = predicted, counts), ``macro_f1_ci`` a bootstrap 95 % interval over
    held-out windows. ``silhouette`` is over all windows (standardized features, Euclidean).
    ``predictions`` are the probe's held-out predictions in held-out order.
    """

    name: str
    knn_accuracy: float
    silhouette: float
    macro_f1: float
    macro_f1_ci: tuple[float, float]
    per_class_f1: dict
    confusion: pd.DataFrame
    classes: tuple[str, ...]
    n_train: int
    n_test: int
    n_features: int
    predictions: np.ndarray


@dataclass(frozen=True)
class LinearProbe:
    """A fitted region-class probe over pooled embeddings (see :func:`glm_explore.reduce.fit_probe`).

    Logistic regression on standardized features: the class logits of a feature vector ``v`` (D,)
    are ``weight @ ((v − mean) / scale) + bias`` (K,), and log P(class | v) is their log-softmax
    (natural log). ``classes`` (K,) name the rows of ``weight`` (K, D). The embedding recipe it
    was fit on: ``layers`` (concatenated in this order), ``pooling``, ``center`` (bp), ``rc``
    (reverse-complement averaging) and ``window_length`` (bp), for model ``model``.
    ``heldout_macro_f1`` is the probe's macro-F1 on held-out windows (NaN when none were held out).
    """

    classes: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[int, ...]
    pooling: str
    center: int
    rc: bool
    window_length: int
    model: str
    n_train: int = 0
    heldout_macro_f1: float = float("nan")

    def class_logits(self, X: np.ndarray) -> np.ndarray:
        """(N, K) class logits of features ``X`` (N, D)."""
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale) @ self.weight.T + self.bias

    def log_proba(self, X: np.ndarray) -> np.ndarray:
        """(N, K) log P(class | features), natural log."""
        z = self.class_logits(X)
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def class_index(self, name: str) -> int:
        if name not in self.classes:
            from ..errors import GlmExploreError

            raise GlmExploreError(f"The probe has no class {name!r}; choose one of {', '.join(self.classes)}.")
        return self.classes.index(name)

    def to_json(self) -> str:
        import json

        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v) if isinstance(v, tuple) else v)
             for k, v in d.items()}
        return json.dumps({"glm_explore_probe": 1, **d})

    @classmethod
    def load(cls, path: str) -> LinearProbe:
        """Read a probe file written with :meth:`to_json` (``embed --probe-out``)."""
        from pathlib import Path

        from ..errors import GlmExploreError
        from ..sequence import read_text_file

        return cls.from_json(read_text_file(Path(path), GlmExploreError, "probe file"))

    @classmethod
    def from_json(cls, text: str) -> LinearProbe:
        """Read :meth:`to_json` output; a file of another kind raises a what-to-fix error."""
        import json

        from ..errors import GlmExploreError

        try:
            d = json.loads(text)
            if not isinstance(d, dict) or d.pop("glm_explore_probe", None) != 1:
                raise ValueError("not a probe file")
            arrays = {k: np.asarray(d[k], dtype=np.float64) for k in ("weight", "bias", "mean", "scale")}
            probe = cls(**{**d, **arrays, "classes": tuple(d["classes"]), "layers": tuple(d["layers"])})
        except (ValueError, TypeError, KeyError) as exc:
            raise GlmExploreError("This is not a probe file written by glm-explore: make one with "
                                  "`python -m glm_explore embed … --probe-out probe.json`.") from exc
        K, D = probe.weight.shape if probe.weight.ndim == 2 else (0, 0)
        if K != len(probe.classes) or probe.bias.shape != (K,) or probe.mean.shape != (D,) or probe.scale.shape != (D,):
            raise GlmExploreError("The probe file's arrays do not fit together (classes × features); write it again.")
        return probe


@dataclass(frozen=True)
class WindowSet:
    """Sampled, labelled region-class windows (see :func:`glm_explore.region_windows.make_windows`).

    ``table`` has one row per window: ``chrom, start, end`` (0-based half-open), ``label`` (class
    name), ``split`` ('train' / 'test'), ``strand`` ('+', '-', '±' both, '.' none: strand of the
    annotated genes/transcripts, promoters included, over the window centre), ``gc`` (fraction of
    the window), ``sequence``. ``counts`` has one row per class: candidate windows per split before
    sampling (``train_before``, ``test_before``) and after (``train``, ``test``).
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    params: dict
    split_note: str
    dropped: tuple[str, ...] = ()  # classes present in the genome with no window passing the centre rule
    too_small: tuple[str, ...] = ()  # classes with too few training / held-out windows to judge
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def labels(self) -> np.ndarray:
        return self.table["label"].to_numpy()

    @property
    def train_mask(self) -> np.ndarray:
        """(N,) bool: True for training windows, False for held-out ones."""
        return (self.table["split"] == "train").to_numpy()

    @property
    def sequences(self) -> list[str]:
        return self.table["sequence"].tolist()

    def __len__(self) -> int:
        return len(self.table)

    def of_class(self, label: str, n: int | None = None) -> pd.DataFrame:
        """The rows of class ``label``, held-out windows first (in sample order), at most ``n``."""
        rows = self.table[self.table["label"] == label]
        if rows.empty:
            from ..errors import GlmExploreError

            raise GlmExploreError(f"No windows of class {label!r} in the sample; choose one of "
                                  f"{', '.join(sorted(set(self.labels)))}.")
        return rows.sort_values("split", kind="stable").head(n)  # "test" sorts before "train"
