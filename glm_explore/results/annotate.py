"""Genome annotation by transfer learning (:mod:`glm_explore.annotate`): the train / held-out split, a fit's
scores and tables, and a head's per-base output over a region (0-based half-open coordinates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from ..io.annotation import CLASSES
from ..io.genome import Region, parse_region

Span = tuple[str, int, int]  # (chrom, start, end), 0-based half-open


class FittedHead(Protocol):
    """What a result reads of a fitted head (:class:`glm_explore.annotate.heads.AnnotationHead`): its ``kind``,
    output ``classes``, feature ``spec`` (``spec.describe()``), ``name`` and per-base ``predict_proba``."""

    kind: str
    classes: tuple[str, ...]
    spec: object

    @property
    def name(self) -> str: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class AnnotationSplit:
    """Training spans and the held-out span of a genome (0-based half-open); ``note`` says the rule."""

    train: tuple[Span, ...]
    heldout: Span
    note: str

    @property
    def heldout_region(self) -> str:
        """The held-out span as users read it (1-based inclusive)."""
        return str(Region(*self.heldout))


@dataclass(frozen=True, eq=False)
class AnnotationFit:
    """Everything a page shows about one fit (0-based half-open coordinates in every table).

    * ``head`` / ``baseline``: the head on the model's hidden states and the k-mer head (same kind);
    * ``scores``: one row per feature set (``model``, ``k-mer``): ``head`` (description), ``macro_f1``,
      ``ci_lo``, ``ci_hi`` (95 % block bootstrap over held-out tiles), ``accuracy``, ``n_bases``, ``n_tiles``;
      ``diff_ci``: the paired 95 % CI of macro-F1 model − k-mer (same resampled tiles);
    * ``metrics``: per class and feature set (:func:`glm_explore.annotate.metrics.class_metrics`);
    * ``confusion``: ``{"model": DataFrame, "k-mer": DataFrame}`` (rows true, columns predicted);
    * ``train_tiles``: ``chrom, start, end, input_start, input_end`` (input = bases read as context);
      ``train_bases``: ``chrom, pos, class`` of every labelled base the heads were fit on;
    * ``heldout``: one row per scored held-out base: ``chrom, pos, tile, true, model, k-mer`` (classes as
      categoricals over CLASSES); ``heldout_tiles``: ``chrom, start, end``;
    * ``split`` (its ``note`` says the rule), ``params``, ``notes``, ``seconds`` (wall time per stage).
    """

    model: str
    genome: str
    head: FittedHead
    baseline: FittedHead
    split: AnnotationSplit
    scores: pd.DataFrame
    diff_ci: tuple[float, float]
    metrics: pd.DataFrame
    confusion: dict[str, pd.DataFrame]
    train_tiles: pd.DataFrame
    train_bases: pd.DataFrame
    heldout: pd.DataFrame
    heldout_tiles: pd.DataFrame
    params: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    seconds: dict = field(default_factory=dict)

    def macro_f1(self, features: str = "model") -> float:
        return float(self.scores.set_index("features").loc[features, "macro_f1"])

    def train_overlap(self, region: Region | str) -> int:
        """How many of ``region``'s bases lie in tiles the heads were trained on (0 = a fair region to show)."""
        region = parse_region(region) if isinstance(region, str) else region
        t = self.train_tiles[self.train_tiles["chrom"] == region.chrom]
        lo = np.maximum(t["start"].to_numpy(), region.start)
        hi = np.minimum(t["end"].to_numpy(), region.end)
        return int(np.clip(hi - lo, 0, None).sum())

    def summary(self) -> dict:
        """JSON-ready summary: what was fit, on what, and the held-out macro-F1s."""
        sc = self.scores.set_index("features")
        return {"model": self.model, "genome": self.genome, "heldout": self.split.heldout_region,
                "split": self.split.note, "head": self.head.kind, "features": self.head.spec.describe(),
                "baseline": self.baseline.spec.describe(), "classes": list(self.head.classes),
                "n_train_bases": int(len(self.train_bases)), "n_train_tiles": int(len(self.train_tiles)),
                "n_heldout_bases": int(len(self.heldout)), "n_heldout_tiles": int(len(self.heldout_tiles)),
                "macro_f1": {f: {"value": float(sc.loc[f, "macro_f1"]), "ci95": [float(sc.loc[f, "ci_lo"]),
                                                                              float(sc.loc[f, "ci_hi"])]}
                             for f in sc.index},
                "macro_f1_diff": {"value": float(sc.loc["model", "macro_f1"] - sc.loc["k-mer", "macro_f1"]),
                                  "ci95": list(self.diff_ci)},
                "per_class_f1": {f: dict(zip(g["class"], g["f1"].round(4))) for f, g in self.metrics.groupby("features")},
                "params": self.params, "notes": list(self.notes), "seconds": self.seconds}


@dataclass(frozen=True, eq=False)
class RegionPrediction:
    """A head's per-base output over ``chrom[start:end]`` (0-based half-open).

    ``probs`` (L, K) float32 over ``classes`` (the head's, CLASSES order); ``predicted`` (L,) codes into
    :data:`~glm_explore.io.annotation.CLASSES` (the most probable class); ``true`` (L,) codes of the genome's
    annotation, or None for a bare genome; ``head`` and ``model`` say what produced it; ``note`` any caveat.
    """

    chrom: str
    start: int
    end: int
    classes: tuple[str, ...]
    probs: np.ndarray
    predicted: np.ndarray
    true: np.ndarray | None
    head: str
    model: str
    note: str = ""

    @property
    def region(self) -> str:
        return str(Region(self.chrom, self.start, self.end))

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based positions."""
        return np.arange(self.start + 1, self.end + 1)

    def table(self) -> pd.DataFrame:
        """One row per base: ``chrom, pos`` (1-based), ``predicted``, ``true`` (when known), ``p_<class>``."""
        out = pd.DataFrame({"chrom": self.chrom, "pos": self.positions,
                            "predicted": np.asarray(CLASSES, dtype=object)[self.predicted]})
        if self.true is not None:
            out["true"] = np.asarray(CLASSES, dtype=object)[self.true]
        for j, c in enumerate(self.classes):
            out[f"p_{c}"] = self.probs[:, j]
        return out
