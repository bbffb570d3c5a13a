"""Small frozen result objects passed from compute functions to plots (see DESIGN.md).

Each carries its arrays plus what produced them (model, region, parameters). Coordinates inside are
0-based; ``positions`` give the 1-based coordinates users see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .genome import Region


class _OnSequence:
    """Coordinates shared by results over one sequence with ``seq``, ``chrom`` and 0-based ``start``."""

    seq: str
    chrom: str | None
    start: int

    @property
    def length(self) -> int:
        return len(self.seq)

    @property
    def region(self) -> Region | None:
        return None if self.chrom is None else Region(self.chrom, self.start, self.start + self.length)

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based coordinates (genome coordinates for a region, 1..L otherwise)."""
        return np.arange(self.start + 1, self.start + self.length + 1)

    @property
    def label(self) -> str:
        """``chrom:start-end`` (1-based) or, off the genome, :meth:`_unplaced_label`."""
        return str(self.region) if self.chrom is not None else self._unplaced_label()

    def _unplaced_label(self) -> str:
        return getattr(self, "name", "") or "sequence"


@dataclass(frozen=True)
class PositionLogits(_OnSequence):
    """Per-position predictions over A,C,G,T for one sequence (see :mod:`glm_explore.logits`).

    ``log_probs`` is (4, L) natural log, rows A,C,G,T, renormalised per column. ``seq`` is the
    analysed sequence (the requested region, context already cropped). ``chrom``/``start`` place
    it in the genome (0-based start; ``chrom=None`` for pasted / uploaded sequences, whose
    positions count from 1). ``mode`` is 'exact' (masked marginals), 'brute' (one mask per
    copy, same numbers), 'unmasked' (single-pass reconstruction, an approximation) or 'next'
    (CLM next-token). ``note`` records context cut at a contig edge and similar caveats.
    """

    log_probs: np.ndarray
    seq: str
    model: str
    objective: str
    mode: str
    rc: bool = False
    chrom: str | None = None
    start: int = 0
    name: str = ""
    flank: int = 0
    note: str = ""

    @property
    def approximate(self) -> bool:
        """True for the unmasked single-pass reconstruction of an MLM."""
        return self.mode == "unmasked"

    @property
    def probs(self) -> np.ndarray:
        return np.exp(self.log_probs)

    @property
    def mode_label(self) -> str:
        return {"exact": "exact masked marginals", "brute": "masked marginals (one mask per copy)",
                "unmasked": "unmasked reconstruction (approximation)",
                "next": "next-token P(x_i | x_<i)"}.get(self.mode, self.mode) + (", RC-averaged" if self.rc else "")


@dataclass(frozen=True)
class DependencyMap(_OnSequence):
    """Nucleotide dependency map (Tomaz da Silva et al. 2024) over one sequence.

    ``matrix[i, j]`` (L, L) is the largest absolute change in log-odds of the predicted
    distribution at target j over the 3 substitutions at query i (natural log; the diagonal is set
    to NaN). ``chrom``/``start`` as in :class:`PositionLogits`.
    """

    matrix: np.ndarray
    seq: str
    model: str
    objective: str
    chrom: str | None = None
    start: int = 0
    name: str = ""



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
            from .errors import GlmExploreError

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

        from .errors import GlmExploreError
        from .sequence import read_text_file

        return cls.from_json(read_text_file(Path(path), GlmExploreError, "probe file"))

    @classmethod
    def from_json(cls, text: str) -> LinearProbe:
        """Read :meth:`to_json` output; a file of another kind raises a what-to-fix error."""
        import json

        from .errors import GlmExploreError

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
class Attributions(_OnSequence):
    """An attribution map of one target over one sequence (see :mod:`glm_explore.attribution`).

    ``values`` (4, L) is the map drawn in the logo (natural-log units of the target; for one-hot
    inputs nonzero mostly at the observed base; negative = pushes the target down).
    ``hypothetical`` (4, L) is the gradient-like term for every base (Saliency: gradient; IG:
    path-averaged gradient; DeepLift: multipliers), after the one-hot correction when
    ``params['correct']``. ``target_value`` = f(x); ``baseline_value`` = f(x′) (mean over
    baselines) and ``delta`` = Σ values − (f(x) − f(x′)) (captum's convergence delta, for the
    uncorrected map) for IG / DeepLift, else None. ``chrom``/``start`` as in :class:`PositionLogits`.
    """

    values: np.ndarray
    hypothetical: np.ndarray
    seq: str
    method: str
    target: str
    model: str
    target_value: float
    baseline_value: float | None = None
    delta: float | None = None
    params: dict | None = None
    chrom: str | None = None
    start: int = 0
    notes: tuple[str, ...] = ()

    @property
    def per_position(self) -> np.ndarray:
        """(L,) attribution summed over the 4 bases."""
        return np.nansum(self.values, axis=0)

    @property
    def relative_delta(self) -> float | None:
        """|delta| / |f(x) − f(x′)| (completeness gap as a fraction), None without a baseline."""
        if self.delta is None or self.baseline_value is None:
            return None
        return abs(self.delta) / max(abs(self.target_value - self.baseline_value), 1e-12)

    def _unplaced_label(self) -> str:
        return f"1-{self.length}"

    def crop(self, lo: int, hi: int) -> Attributions:
        """The map over ``seq[lo:hi]`` (0-based offsets into this map), coordinates shifted."""
        from dataclasses import replace

        return replace(self, values=self.values[:, lo:hi], hypothetical=self.hypothetical[:, lo:hi],
                       seq=self.seq[lo:hi], start=self.start + lo)


@dataclass(frozen=True)
class ISMResult(_OnSequence):
    """In-silico saturation mutagenesis of one target over one sequence.

    ``delta`` (4, L): f(sequence with base b at i) − f(reference), natural-log units of the target;
    0 at the reference base, NaN where undefined (the masked target position, N bases).
    ``reference_value`` = f(reference); ``n_forward`` the forward passes it took.
    """

    delta: np.ndarray
    seq: str
    target: str
    model: str
    reference_value: float
    chrom: str | None = None
    start: int = 0
    n_forward: int = 0
    notes: tuple[str, ...] = ()

    @property
    def importance(self) -> np.ndarray:
        """(L,) −mean Δ over the 3 substitutions: how much the reference base supports the target."""
        d = np.asarray(self.delta, dtype=float)
        return -np.nansum(d, axis=0) / 3.0 * np.where(np.isnan(d).all(axis=0), np.nan, 1.0)

    @property
    def logo_values(self) -> np.ndarray:
        """(4, L) the mean effect as a logo: the reference letter with height :attr:`importance`."""
        from .sequence import one_hot

        return one_hot(self.seq) * np.nan_to_num(self.importance)[None, :]

    def _unplaced_label(self) -> str:
        return f"1-{self.length}"

    def crop(self, lo: int, hi: int) -> ISMResult:
        from dataclasses import replace

        return replace(self, delta=self.delta[:, lo:hi], seq=self.seq[lo:hi], start=self.start + lo)


@dataclass(frozen=True)
class WindowSet:
    """Sampled, labelled region-class windows (see :func:`glm_explore.windows.make_windows`).

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
            from .errors import GlmExploreError

            raise GlmExploreError(f"No windows of class {label!r} in the sample; choose one of "
                                  f"{', '.join(sorted(set(self.labels)))}.")
        return rows.sort_values("split", kind="stable").head(n)  # "test" sorts before "train"


@dataclass(frozen=True)
class SeqletReport:
    """Seqlets of many windows named by JASPAR (see :func:`glm_explore.motifs.seqlet_report`).

    ``seqlets``: one row per seqlet with its TOMTOM matches; ``summary``: one row per JASPAR motif
    that is some seqlet's best match at q ≤ ``q``; ``match_rate``: the fraction of seqlets with such
    a match; ``chance_rate``: the same fraction for random segments of the same windows with the
    seqlets' lengths and weights; ``threshold``: the pooled |score| threshold; ``delta_median`` /
    ``delta_worst``: the maps' relative convergence deltas (IG / DeepLift; NaN for other methods).
    """

    seqlets: pd.DataFrame
    summary: pd.DataFrame
    match_rate: float
    chance_rate: float
    threshold: float
    q: float
    n_windows: int
    delta_median: float = float("nan")
    delta_worst: float = float("nan")

