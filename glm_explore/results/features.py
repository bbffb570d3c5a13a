"""Results of the learned-features dictionary (:mod:`glm_explore.features`).

* :class:`FeatureRun` — one pass of the pipeline (trained model, random-weight model, or shuffled sequences):
  one row per feature (sites, best TOMTOM match, best class enrichment, scores) and the features' PFMs.
* :class:`FeatureDictionary` — the trained run with both controls beside it, the per-feature control
  comparison, class enrichment, top genome sites, landmark profiles and the headline counts. Saved as one
  JSON file (what the page opens at once for the default model).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

RUN_COLUMNS = ["feature", "n_sites", "described", "best_id", "best_name", "best_p", "best_q", "matches",
               "best_class", "odds_ratio", "ci_low", "ci_high", "class_q", "motif_score", "class_score"]


def _frame(records: list | dict) -> pd.DataFrame:
    return pd.DataFrame(records)


def _records(df: pd.DataFrame | None, digits: int = 4) -> list | None:
    """Rows as JSON records, floats to ``digits`` significant digits (small q-values stay non-zero)."""
    if df is None:
        return None
    out = df.copy()
    for c in out.columns:
        if out[c].dtype.kind == "f":
            out[c] = [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in out[c]]
    return json.loads(out.to_json(orient="records"))


def _encoder_json(enc: dict | None) -> dict | None:
    """Arrays as base64 (``W_enc`` float16, the rest float32, little-endian) with their shapes; scalars as is."""
    if enc is None:
        return None
    out = {}
    for k, v in enc.items():
        if isinstance(v, np.ndarray):
            dt = "<f2" if k == "W_enc" else "<f4"
            out[k] = {"dtype": dt, "shape": list(v.shape), "b64": base64.b64encode(v.astype(dt).tobytes()).decode()}
        else:
            out[k] = v
    return out


def _encoder_from(d: dict | None) -> dict | None:
    if not d:
        return None
    return {k: (np.frombuffer(base64.b64decode(v["b64"]), dtype=v["dtype"]).astype(np.float32).reshape(v["shape"])
                if isinstance(v, dict) else v) for k, v in d.items()}


def _landmarks_from(d: dict) -> dict:
    return {**d, "profiles": {k: np.asarray(v, dtype=float) for k, v in d["profiles"].items()}} if d else {}


@dataclass(frozen=True)
class FeatureTrack:
    """One feature's activation along a genome region: ``values`` (L,) at bases ``start .. start + L − 1``
    (0-based) of ``chrom``; ``label`` names the feature, ``source`` its dictionary."""

    feature: int
    label: str
    chrom: str
    start: int
    values: np.ndarray
    source: str = ""

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based positions."""
        return np.arange(self.start + 1, self.start + 1 + len(self.values))


@dataclass(frozen=True)
class FeatureRun:
    """One pass: ``table`` (columns :data:`RUN_COLUMNS`), ``pfms`` (F, 4, w) over A,C,G,T."""

    label: str
    table: pd.DataFrame
    pfms: np.ndarray

    @property
    def n_features(self) -> int:
        return len(self.table)

    def named(self, q: float = 0.05) -> int:
        """Described features whose best TOMTOM match has q < ``q``."""
        return int((self.table["described"] & (self.table["best_q"] < q)).sum())

    def enriched(self, q: float = 0.05) -> int:
        """Described features with a class enrichment at q < ``q`` and OR lower bound > 1."""
        t = self.table
        return int((t["described"] & (t["class_q"] < q) & (t["ci_low"] > 1)).sum())

    def to_dict(self, pfms: bool = True) -> dict:
        """JSON-ready; ``pfms=False`` leaves the PFMs out (the controls' are not shown, only their numbers)."""
        return {"label": self.label, "table": _records(self.table),
                "pfms": np.round(self.pfms, 3).tolist() if pfms else []}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureRun:
        table = _frame(d["table"])
        table["described"] = table["described"].astype(bool)
        return cls(label=d["label"], table=table, pfms=np.asarray(d["pfms"], dtype=float))


@dataclass(frozen=True)
class FeatureDictionary:
    """A model's features with their controls.

    ``table``: the trained run's table plus ``rank_random``, ``rank_shuffled`` (empirical p of the feature's
    best score among the control's features: (1 + #control scores ≥ it) / (1 + n), on the axis — motif or
    class — where the feature does best), ``beats_random``, ``beats_shuffled``, ``beats_both``.
    ``auroc`` / ``kmer_auroc`` / ``beats_kmer``: the feature's held-out AUROC for its best class against the
    k-mer logistic baseline's for that class (:mod:`glm_explore.features.baseline`).
    ``enrichment``: feature × class odds ratios (held-out windows). ``sites``: top genome sites per feature
    (``feature, rank, chrom, start, end, activation, sequence``; 0-based half-open receptive fields).
    ``encoder``: an SAE dictionary's encoder (``W_enc`` (F, D), ``b_enc`` (F,), ``b_dec`` (D,), ``mean`` (D,),
    ``scale``, ``k``; saved as base64 little-endian float16 / float32) so activations can be recomputed; None for
    convolution channels. ``fimo_fraction``: the fraction of a feature's sites inside a JASPAR FIMO hit (chance:
    ``headline["fimo_background"]``).
    ``landmarks``: ``{"span": s, "n": {landmark: windows}, "profiles": {landmark: (F, 2s + 1) z-scored mean
    activation at offsets −s..s}}`` (:mod:`glm_explore.features.landmarks`), empty when not computed. ``headline``: counts with 95 % Clopper–Pearson CIs.
    """

    model: str
    genome: str
    source: str
    settings: dict
    fingerprint: str
    table: pd.DataFrame
    trained: FeatureRun
    random: FeatureRun | None
    shuffled: FeatureRun
    enrichment: pd.DataFrame
    sites: pd.DataFrame
    headline: dict
    landmarks: dict = field(default_factory=dict)
    sae: dict | None = None
    notes: tuple[str, ...] = ()
    seconds: float = float("nan")
    encoder: dict | None = None

    @property
    def n_features(self) -> int:
        return len(self.table)

    def feature_sites(self, feature: int) -> pd.DataFrame:
        return self.sites[self.sites["feature"] == feature].reset_index(drop=True)

    def feature_enrichment(self, feature: int) -> pd.DataFrame:
        return self.enrichment[self.enrichment["feature"] == feature].reset_index(drop=True)

    def recovered(self) -> list[str]:
        """Names of the JASPAR motifs matched (q < the settings' q) by features that beat both controls."""
        q = self.settings.get("q", 0.05)
        t = self.table[self.table["beats_both"] & (self.table["best_q"] < q)]
        return sorted(set(t["best_name"].astype(str)))

    def profile(self, feature: int) -> pd.DataFrame:
        """``landmark, offset, z`` of one feature (empty without landmarks)."""
        if not self.landmarks:
            return pd.DataFrame(columns=["landmark", "offset", "z"])
        s = int(self.landmarks["span"])
        return pd.concat([pd.DataFrame({"landmark": name, "offset": np.arange(-s, s + 1), "z": np.asarray(p)[feature]})
                          for name, p in self.landmarks["profiles"].items()], ignore_index=True)

    def _landmarks_json(self) -> dict:
        if not self.landmarks:
            return {}
        return {**self.landmarks, "profiles": {k: [[float(f"{v:.3g}") for v in row] for row in np.asarray(p)]
                                               for k, p in self.landmarks["profiles"].items()}}

    def to_dict(self) -> dict:
        return {"model": self.model, "genome": self.genome, "source": self.source, "settings": self.settings,
                "fingerprint": self.fingerprint, "table": _records(self.table), "trained": self.trained.to_dict(),
                "random": None if self.random is None else self.random.to_dict(pfms=False),
                "shuffled": self.shuffled.to_dict(pfms=False), "enrichment": _records(self.enrichment),
                "sites": _records(self.sites), "headline": self.headline,
                "landmarks": self._landmarks_json(), "sae": self.sae, "notes": list(self.notes),
                "seconds": self.seconds, "encoder": _encoder_json(self.encoder)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), separators=(",", ":")))
        return path

    @classmethod
    def load(cls, path: str | Path) -> FeatureDictionary:
        d = json.loads(Path(path).read_text())
        table = _frame(d["table"])
        for c in ("described", "beats_random", "beats_shuffled", "beats_both", "beats_kmer"):
            if c in table:
                table[c] = table[c].astype(bool)
        return cls(model=d["model"], genome=d["genome"], source=d["source"], settings=d["settings"],
                   fingerprint=d["fingerprint"], table=table, trained=FeatureRun.from_dict(d["trained"]),
                   random=None if d["random"] is None else FeatureRun.from_dict(d["random"]),
                   shuffled=FeatureRun.from_dict(d["shuffled"]), enrichment=_frame(d["enrichment"]),
                   sites=_frame(d["sites"]), headline=d["headline"], landmarks=_landmarks_from(d.get("landmarks") or {}),
                   sae=d.get("sae"), notes=tuple(d.get("notes", ())), seconds=float(d.get("seconds") or "nan"),
                   encoder=_encoder_from(d.get("encoder")))
