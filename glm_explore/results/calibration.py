"""Calibration results (see :mod:`glm_explore.calibration`): a model's SNV score background per region class,
and the methods-compared table of variant scores.

**Percentile rule** (one definition, used everywhere): the percentile of a score ``x`` within a background
is the *fraction of background SNVs whose LLR is ≤ x* (ties count as at-or-below). So ``1 − percentile``
is the fraction scoring strictly higher, and "lower than 97 % of possible SNVs" means ``1 − pct ≥ 0.97``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CalibrationError

FORMAT_VERSION = 1
# what the percentiles add to a variants table (dtype per column; variants/parquet.py merges this declaration)
COLUMNS = {"llr_pct_class": "float64", "llr_pct_genome": "float64"}


@dataclass(frozen=True, eq=False)
class ClassBackground:
    """The sorted LLRs of one region class, kept as order statistics.

    ``values`` (K,) float64, ascending: the LLRs of ranks ``ranks`` (K,) int64 (0-based, ascending) among
    the ``n`` scored SNVs of the class. When every score is kept (``K == n``) ``ranks`` is ``0 … n−1`` and
    percentiles are exact; otherwise ``K`` evenly spaced order statistics, first and last included, and
    the fraction ≤ x is read off the highest kept rank at or below ``x`` (an underestimate by less than
    one gap, ``n / (K − 1)`` SNVs). ``n_sites``: the class's A/C/G/T bases in the span (its weight in
    the genome-wide percentile); ``n_scored_sites``: how many of them were scored (all three SNVs each).
    """

    name: str
    values: np.ndarray
    ranks: np.ndarray
    n: int
    n_sites: int
    n_scored_sites: int

    @property
    def exact(self) -> bool:
        """Whether every scored LLR is kept."""
        return len(self.values) == self.n

    def fraction_at_or_below(self, x: np.ndarray | float) -> np.ndarray:
        """Fraction of the class's scored SNVs with LLR ≤ ``x`` (NaN for NaN ``x``; NaN for an empty class)."""
        x = np.asarray(x, dtype=np.float64)
        if self.n == 0:
            return np.full(x.shape, np.nan)
        j = np.searchsorted(self.values, x, side="right")
        rank = np.where(j > 0, self.ranks[np.maximum(j - 1, 0)] + 1, 0)
        return np.where(np.isnan(x), np.nan, rank / self.n)


@dataclass(frozen=True, eq=False)
class Background:
    """SNV score backgrounds per region class of one model on one genome's held-out span.

    ``classes`` maps a region-class name to its :class:`ClassBackground` (classes with no scored SNV
    are left out). ``chrom, start, end``: the span (0-based half-open). ``settings``: what the scores
    used (``rc``, ``window``, ``clm_reduce``, ``sites_per_class``, ``seed``, the scorer), so a score is
    compared only with a background of the same kind; ``seconds``: wall time of the computation.
    """

    model: str
    objective: str
    genome: str
    chrom: str
    start: int
    end: int
    classes: dict[str, ClassBackground]
    settings: dict = field(default_factory=dict)
    seconds: float = float("nan")

    @property
    def region(self) -> str:
        """The span as users read it (1-based inclusive)."""
        return f"{self.chrom}:{self.start + 1:,}-{self.end:,}"

    @property
    def n(self) -> int:
        """Scored SNVs over all classes."""
        return sum(c.n for c in self.classes.values())

    def weights(self) -> dict[str, float]:
        """Each class's share of the span's A/C/G/T bases among the classes kept (sums to 1)."""
        tot = sum(c.n_sites for c in self.classes.values())
        return {k: c.n_sites / tot for k, c in self.classes.items()} if tot else {}

    def table(self) -> pd.DataFrame:
        """One row per class: ``class, n_sites, n_scored_sites, n_snvs, exact, weight, q01, q05, median, q95,
        q99`` (quantiles read as the smallest kept LLR whose fraction ≤ reaches the level)."""
        rows, w = [], self.weights()
        for k, c in self.classes.items():
            frac = (c.ranks + 1) / c.n
            qs = {f"q{int(q * 100):02d}" if q != 0.5 else "median": float(c.values[min(np.searchsorted(frac, q),
                                                                                          len(frac) - 1)])
                  for q in (0.01, 0.05, 0.5, 0.95, 0.99)}
            rows.append({"class": k, "n_sites": c.n_sites, "n_scored_sites": c.n_scored_sites, "n_snvs": c.n,
                         "exact": c.exact, "weight": w[k], **qs})
        return pd.DataFrame(rows)

    def save(self, path: str | Path) -> None:
        """Write a compressed ``.npz``: per class ``values/<class>``, ``ranks/<class>`` and a JSON ``meta``."""
        meta = {"version": FORMAT_VERSION, "model": self.model, "objective": self.objective, "genome": self.genome,
                "chrom": self.chrom, "start": self.start, "end": self.end, "settings": self.settings,
                "seconds": self.seconds,
                "classes": {k: {"n": c.n, "n_sites": c.n_sites, "n_scored_sites": c.n_scored_sites}
                            for k, c in self.classes.items()}}
        arrays = {"meta": np.array(json.dumps(meta))}
        for k, c in self.classes.items():
            arrays[f"values/{k}"] = c.values.astype(np.float32)
            arrays[f"ranks/{k}"] = c.ranks.astype(np.int32)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Background:
        """Read a file written by :meth:`save`; :class:`~glm_explore.errors.CalibrationError` if it is not one."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                arrays = {k: z[k] for k in z.files if k != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise CalibrationError(f"{path} is not a score background (.npz written by `python -m glm_explore "
                                   f"background`): {exc}") from exc
        if meta.get("version") != FORMAT_VERSION:
            raise CalibrationError(f"{path} has background format {meta.get('version')!r}, this version reads "
                                   f"{FORMAT_VERSION}: recompute it with `python -m glm_explore background`.")
        classes = {k: ClassBackground(k, arrays[f"values/{k}"].astype(np.float64),
                                      arrays[f"ranks/{k}"].astype(np.int64), int(v["n"]), int(v["n_sites"]),
                                      int(v["n_scored_sites"]))
                   for k, v in meta["classes"].items()}
        return cls(meta["model"], meta["objective"], meta["genome"], meta["chrom"], int(meta["start"]),
                   int(meta["end"]), classes, meta.get("settings", {}), float(meta.get("seconds", float("nan"))))


@dataclass(frozen=True, eq=False)
class MethodComparison:
    """Variant-score methods compared on held-out SNVs of known effect classes.

    ``scores``: one row per SNV (``chrom, pos, ref, alt, effect`` + one column per method, each oriented so
    that *lower = predicted more deleterious*); ``aurocs``: one row per (method, class pair) with ``auroc``,
    ``ci_lo``, ``ci_hi`` (bootstrap); ``ranking``: per class pair, methods by AUROC (``rank`` 1 = best).
    """

    model: str
    objective: str
    methods: tuple[str, ...]
    scores: pd.DataFrame
    aurocs: pd.DataFrame
    ranking: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)

    def best(self) -> dict[str, str]:
        """The best method per class pair (``"a vs b"`` → method)."""
        top = self.ranking[self.ranking["rank"] == 1]
        return dict(zip(top["pair"], top["method"]))

    def best_sentence(self, pair: str) -> str:
        """One sentence on the best method of ``pair`` (``"a vs b"``): its AUROC and CI, and whether its CI
        overlaps the runner-up's AUROC (then the two are not told apart by this sample)."""
        g = self.ranking[self.ranking["pair"] == pair]
        if g.empty:
            return f"{pair}: no method could be scored (a class has no SNV)."
        top = g.iloc[0]
        a, b = pair.split(" vs ")
        an = {c: "an" if c[:1] in "aeiou" else "a" for c in (a, b)}
        text = (f"**{pair}**: best is **{top['label']}**, AUROC {top['auroc']:.3f} (95 % CI {top['ci_lo']:.3f}–"
                f"{top['ci_hi']:.3f}; P(score of {an[a]} {a} SNV > {an[b]} {b} SNV), 0.5 = chance)")
        if len(g) > 1:
            second = g.iloc[1]
            tie = second["auroc"] >= top["ci_lo"]
            text += (f"; runner-up {second['label']} {second['auroc']:.3f}"
                     + (", inside the best one's CI, so the two are not separated by this sample" if tie else ""))
        if top["ci_lo"] <= 0.5:
            text += "; its CI includes 0.5 (chance)"
        return text + "."

    def save(self, path: str | Path) -> None:
        """Write one JSON file: model, objective, methods, notes, and the three tables (records; floats kept to
        6 significant digits)."""
        def records(df: pd.DataFrame) -> list[dict]:
            return json.loads(df.to_json(orient="records", double_precision=6))

        doc = {"version": FORMAT_VERSION, "model": self.model, "objective": self.objective,
               "methods": list(self.methods), "notes": self.notes, "scores": records(self.scores),
               "aurocs": records(self.aurocs), "ranking": records(self.ranking)}
        Path(path).write_text(json.dumps(doc, separators=(",", ":")))

    @classmethod
    def load(cls, path: str | Path) -> MethodComparison:
        """Read a file written by :meth:`save`; :class:`~glm_explore.errors.CalibrationError` if it is not one."""
        try:
            doc = json.loads(Path(path).read_text())
            return cls(doc["model"], doc["objective"], tuple(doc["methods"]), pd.DataFrame(doc["scores"]),
                       pd.DataFrame(doc["aurocs"]), pd.DataFrame(doc["ranking"]), dict(doc.get("notes", {})))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{path} is not a method comparison (JSON written by `python -m glm_explore "
                                   f"score-methods --save`): {exc}") from exc
