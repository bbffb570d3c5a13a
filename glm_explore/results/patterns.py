"""TF-MoDISco patterns of many windows and of their shuffled control (the recipe: :mod:`glm_explore.patterns`),
with their JSON form (the shipped reports)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Pattern:
    """One TF-MoDISco pattern, trimmed (see :mod:`glm_explore.patterns`).

    ``cwm`` (4, w) mean contribution (natural-log units of the target) and ``ppm`` (4, w) base
    frequencies of its seqlets, A,C,G,T rows; ``centres`` (n_seqlets,) seqlet centres, 0-based bp
    into the window; ``matches``: up to three TOMTOM rows ``(matrix_id, name, q_value)``, best first.
    """

    name: str
    sign: int
    cwm: np.ndarray
    ppm: np.ndarray
    n_seqlets: int
    n_windows: int
    centres: np.ndarray
    matches: tuple[tuple[str, str, float], ...] = ()

    def label(self, q: float = 0.05) -> str:
        """The best JASPAR name when its q ≤ ``q``, else ``unnamed``."""
        return self.matches[0][1] if self.matches and self.matches[0][2] <= q else "unnamed"

    @property
    def consensus(self) -> str:
        return "".join("ACGT"[i] for i in np.argmax(self.ppm, axis=0))

    def to_dict(self) -> dict:
        return {"name": self.name, "sign": self.sign, "cwm": np.round(self.cwm, 5).tolist(),
                "ppm": np.round(self.ppm, 4).tolist(), "n_seqlets": self.n_seqlets, "n_windows": self.n_windows,
                "centres": np.asarray(self.centres, dtype=int).tolist(),
                "matches": [[m[0], m[1], float(m[2])] for m in self.matches]}

    @classmethod
    def from_dict(cls, d: dict) -> Pattern:
        return cls(name=str(d["name"]), sign=int(d["sign"]), cwm=np.asarray(d["cwm"], dtype=float),
                   ppm=np.asarray(d["ppm"], dtype=float), n_seqlets=int(d["n_seqlets"]),
                   n_windows=int(d["n_windows"]), centres=np.asarray(d["centres"], dtype=int),
                   matches=tuple((str(m[0]), str(m[1]), float(m[2])) for m in d["matches"]))


@dataclass(frozen=True)
class PatternReport:
    """TF-MoDISco patterns of many windows and of their shuffled control (see :mod:`glm_explore.patterns`).

    ``window_length`` bp; ``attribution_s`` / ``modisco_s``: seconds spent (real + control);
    ``fingerprint``: the model weights' hash (a shipped report is shown only for the same weights).
    """

    patterns: tuple[Pattern, ...]
    control: tuple[Pattern, ...]
    n_windows: int
    window_length: int
    region_class: str
    model: str
    target: str
    settings: dict = field(default_factory=dict)
    genome: str = ""
    fingerprint: str = ""
    attribution_s: float = float("nan")
    modisco_s: float = float("nan")

    @property
    def q(self) -> float:
        return float(self.settings.get("q", 0.05))

    def named(self, patterns: tuple[Pattern, ...] | None = None) -> int:
        """How many patterns have a JASPAR name at q ≤ ``self.q``."""
        return sum(p.label(self.q) != "unnamed" for p in (self.patterns if patterns is None else patterns))

    def table(self, control: bool = False) -> pd.DataFrame:
        """One row per pattern: ``pattern, sign, seqlets, windows, consensus, match, match_id, q_value,
        median_position`` (1-based bp in the window)."""
        rows = [{"pattern": p.name, "sign": "+" if p.sign > 0 else "−", "seqlets": p.n_seqlets, "windows": p.n_windows,
                 "consensus": p.consensus, "match": p.label(self.q),
                 "match_id": p.matches[0][0] if p.matches else "", "q_value": p.matches[0][2] if p.matches else np.nan,
                 "median_position": float(np.median(p.centres)) + 1 if len(p.centres) else np.nan}
                for p in (self.control if control else self.patterns)]
        return pd.DataFrame(rows, columns=["pattern", "sign", "seqlets", "windows", "consensus", "match", "match_id",
                                           "q_value", "median_position"])

    def to_json(self) -> str:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["patterns"] = [p.to_dict() for p in self.patterns]
        d["control"] = [p.to_dict() for p in self.control]
        return json.dumps(d, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PatternReport:
        d = json.loads(text)
        d["patterns"] = tuple(Pattern.from_dict(p) for p in d["patterns"])
        d["control"] = tuple(Pattern.from_dict(p) for p in d["control"])
        return cls(**d)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> PatternReport:
        return cls.from_json(Path(path).read_text())
