"""Motif patterns across many windows: TF-MoDISco (modisco-lite) on hypothetical contributions.

Recipe (Shrikumar et al. 2018; BPNet, Avsec et al. 2021), one region class at a time:

1. **Attribute** every window (:func:`glm_explore.attribution.attribute_windows`; default IG with
   dinucleotide-shuffled references and the one-hot gradient correction) and turn each map into
   hypothetical contributions (:func:`glm_explore.attribution.hypothetical.hypothetical_contributions`).
2. **TF-MoDISco** (``modiscolite.tfmodisco.TFMoDISco``): seqlets where the windowed contribution
   sum passes an FDR threshold against a Laplace null, clustered by similarity of their
   hypothetical contributions (Leiden), aggregated into patterns. Settings are scaled down from the
   package defaults for ~100 windows (:class:`PatternSettings`).
3. Each pattern: its **CWM** (mean contribution per base and position, (4, w), natural-log units
   of the target), PPM, seqlet count, the windows it occurs in, the **positions** of its seqlets'
   centres in the window (0-based), and its **TOMTOM** names against JASPAR CORE (the PPM trimmed to
   the columns whose Σ|CWM| ≥ 30 % of the maximum, as modisco's own report does).
4. **Control**: the same pipeline on attributions of dinucleotide-shuffled copies of the same
   windows (same composition, no real motif instances). Its pattern count is how many patterns
   TF-MoDISco forms by chance at these settings.

Reports save to small JSON files; the default model's promoter report ships in
``glm_explore/data/reports/patterns-<model>--<genome>--<class>.json``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import motifs as mf
from .attribution import METHODS, AttributionSettings, attribute_windows, dinucleotide_shuffles
from .attribution.hypothetical import modisco_inputs
from .errors import GlmExploreError
from .models.base import Progress
from .results import Attributions
from .results.patterns import Pattern, PatternReport

MIN_WINDOWS = 10  # fewer windows rarely give TF-MoDISco enough seqlets to form a pattern
MAX_WINDOWS = 2000
TRIM = 0.3  # CWM trimming for TOMTOM and logos: columns with Σ|CWM| ≥ TRIM · max
PATTERN_METHODS = ("integrated_gradients", "deeplift")


@dataclass(frozen=True)
class PatternSettings:
    """Everything a pattern run depends on besides the model and the windows.

    Attribution: ``method`` (IG or DeepLift), ``baseline``, ``n_steps`` (IG), ``n_baselines``
    (shuffled references averaged), ``target`` (``default`` or ``probe``). TF-MoDISco:
    ``window_size`` (sliding window for seqlet calling, bp), ``flank`` (bp added each side),
    ``min_seqlets`` (a sign's seqlets needed before clustering), ``min_cluster`` (seqlets per final
    pattern), ``leiden_runs``, ``fdr`` (seqlet FDR). ``seed``: the shuffles of the control.
    TOMTOM: ``tax`` (JASPAR CORE group) and ``q`` (a name is kept when its q ≤ ``q``).
    """

    n_windows: int = 100
    target: str = "default"
    method: str = "integrated_gradients"
    baseline: str = "shuffle"
    n_steps: int = 16
    n_baselines: int = 2
    window_size: int = 15
    flank: int = 5
    min_seqlets: int = 20
    min_cluster: int = 10
    leiden_runs: int = 10
    fdr: float = 0.2
    seed: int = 0
    tax: str = "fungi"
    q: float = 0.05

    def modisco_kwargs(self) -> dict:
        """Keyword arguments of ``TFMoDISco`` for these settings."""
        return dict(sliding_window_size=self.window_size, flank_size=self.flank,
                    min_metacluster_size=self.min_seqlets, final_min_cluster_size=self.min_cluster,
                    n_leiden_runs=self.leiden_runs, target_seqlet_fdr=self.fdr,
                    trim_to_window_size=max(self.window_size + 2 * self.flank, 10),
                    initial_flank_to_add=self.flank, min_num_to_trim_to=min(30, self.min_cluster))


# ---------------------------------------------------------------------------------------------
# TF-MoDISco and its patterns
# ---------------------------------------------------------------------------------------------

def trim_bounds(cwm: np.ndarray, frac: float = TRIM) -> tuple[int, int]:
    """[lo, hi) of the columns between the first and last with Σ_b |cwm| ≥ ``frac`` · max ((4, w) in)."""
    score = np.abs(np.asarray(cwm)).sum(axis=0)
    keep = np.flatnonzero(score >= frac * score.max()) if score.max() > 0 else np.arange(score.size)
    return int(keep.min()), int(keep.max()) + 1


def _pattern(raw, name: str, sign: int, length: int) -> Pattern:
    """A trimmed :class:`Pattern` from a modiscolite ``SeqletSet`` (arrays (w, 4))."""
    cwm, ppm = np.asarray(raw.contrib_scores, dtype=float).T, np.asarray(raw.sequence, dtype=float).T
    lo, hi = trim_bounds(cwm)
    mid = (lo + hi) / 2
    centres = [s.end - mid if s.is_revcomp else s.start + mid for s in raw.seqlets]
    return Pattern(name=name, sign=sign, cwm=cwm[:, lo:hi], ppm=ppm[:, lo:hi], n_seqlets=len(raw.seqlets),
                   n_windows=len({s.example_idx for s in raw.seqlets}),
                   centres=np.clip(np.floor(centres), 0, length - 1).astype(int))


def run_modisco(attrs: list[Attributions], settings: PatternSettings = PatternSettings()) -> list[Pattern]:
    """TF-MoDISco on the hypothetical contributions of ``attrs`` (one length); patterns unnamed,
    positive ones (``pos_k``, raising the target) before negative ones (``neg_k``)."""
    from modiscolite.tfmodisco import TFMoDISco

    x, h = modisco_inputs(attrs)
    if not np.isfinite(h).all():
        raise GlmExploreError("The attribution maps contain NaN or infinite values; TF-MoDISco cannot use them.")
    pos, neg = TFMoDISco(x, h, **settings.modisco_kwargs())
    out = [_pattern(p, f"pos_{i}", 1, x.shape[1]) for i, p in enumerate(pos or [])]
    return out + [_pattern(p, f"neg_{i}", -1, x.shape[1]) for i, p in enumerate(neg or [])]


def name_patterns(patterns: list[Pattern], motifs: tuple[mf.JasparMotif, ...] | None = None) -> list[Pattern]:
    """The patterns with their three best TOMTOM matches (trimmed PPM vs JASPAR; memelite)."""
    from dataclasses import replace

    if not patterns:
        return []
    tables = mf.tomtom_matches([p.ppm for p in patterns], motifs, n_top=3)
    return [replace(p, matches=tuple(zip(t["matrix_id"], t["name"], t["q_value"].astype(float))))
            for p, t in zip(patterns, tables)]


# ---------------------------------------------------------------------------------------------
# Drivers: windows in, report out
# ---------------------------------------------------------------------------------------------

def shuffled_windows(windows: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """The same rows with each ``sequence`` dinucleotide-shuffled (tangermeme; one shuffle per row,
    seed ``seed + row``): same composition and dinucleotide counts, motif instances destroyed."""
    out = windows.copy()
    seqs = []
    for i, s in enumerate(out["sequence"].astype(str)):
        sh = dinucleotide_shuffles(s, 1, seed=seed + i)[0]
        seqs.append("".join(np.where(sh.sum(axis=0) > 0, np.array(list("ACGT"))[sh.argmax(axis=0)], "N")))
    out["sequence"] = seqs
    return out


def check_settings(settings: PatternSettings, n_available: int | None = None) -> None:
    """One-line errors for settings a user can get wrong (window count, method)."""
    if settings.method not in PATTERN_METHODS:
        raise GlmExploreError(f"TF-MoDISco needs hypothetical contributions from a reference-based method; "
                              f"choose --method {' or '.join(PATTERN_METHODS)} (got {settings.method}).")
    if not MIN_WINDOWS <= settings.n_windows <= MAX_WINDOWS:
        raise GlmExploreError(f"TF-MoDISco needs at least {MIN_WINDOWS} windows (at most {MAX_WINDOWS}) to form "
                              f"patterns; got {settings.n_windows}.")
    if n_available is not None and n_available < MIN_WINDOWS:
        raise GlmExploreError(f"Only {n_available} windows of this class in the sample; TF-MoDISco needs at least "
                              f"{MIN_WINDOWS}. Choose a class with more windows.")


def _stage(progress: Progress | None, lo: float, hi: float, label: str) -> Progress | None:
    if progress is None:
        return None
    return lambda f, msg: progress(lo + (hi - lo) * f, f"{label}: {msg}")


def patterns_from_attributions(attrs: list[Attributions], control_attrs: list[Attributions], *,
                               settings: PatternSettings = PatternSettings(),
                               motifs: tuple[mf.JasparMotif, ...] | None = None, region_class: str = "",
                               progress: Progress | None = None, **meta) -> PatternReport:
    """TF-MoDISco on real and control maps, patterns named by TOMTOM; ``meta``: the other
    :class:`PatternReport` fields (model, target, genome, fingerprint, attribution_s)."""
    motifs = mf.jaspar_motifs(settings.tax) if motifs is None else motifs
    t0 = time.perf_counter()
    if progress:
        progress(0.0, "TF-MoDISco on the windows")
    real = run_modisco(attrs, settings)
    if progress:
        progress(0.5, "TF-MoDISco on the shuffled control")
    control = run_modisco(control_attrs, settings) if control_attrs else []
    modisco_s = time.perf_counter() - t0
    if progress:
        progress(0.9, "TOMTOM against JASPAR")
    named = name_patterns(real + control, motifs)
    targets = {a.target for a in attrs}
    target = attrs[0].target if len(targets) == 1 else f"per window, e.g. {attrs[0].target}"
    meta = {"model": attrs[0].model, "target": target} | meta
    return PatternReport(patterns=tuple(named[:len(real)]), control=tuple(named[len(real):]), n_windows=len(attrs),
                         window_length=len(attrs[0].seq), region_class=region_class, settings=asdict(settings),
                         modisco_s=modisco_s, **meta)


def find_patterns(model, windows: pd.DataFrame, *, settings: PatternSettings = PatternSettings(),
                  region_class: str = "", probe=None, probe_class: str | None = None, genome: str = "",
                  fingerprint: str = "", progress: Progress | None = None) -> PatternReport:
    """Patterns of ``windows`` (rows with ``chrom, start, sequence``; the first ``settings.n_windows``
    are used) and of their dinucleotide-shuffled control, for ``model`` (a GenomicLM)."""
    check_settings(settings, len(windows))
    if len(windows) < settings.n_windows:
        raise GlmExploreError(f"Only {len(windows)} windows of class {region_class or 'this class'} in the sample; "
                              f"ask for at most {len(windows)}.")
    windows = windows.head(settings.n_windows)
    attribution = AttributionSettings(target=settings.target, probe_class=probe_class or region_class,
                                      method=settings.method, baseline=settings.baseline, n_steps=settings.n_steps,
                                      n_baselines=settings.n_baselines, correct=True)
    t0 = time.perf_counter()
    attrs = attribute_windows(model, windows, attribution, probe=probe,
                              progress=_stage(progress, 0.0, 0.4, "attributing windows"))
    control = attribute_windows(model, shuffled_windows(windows, seed=settings.seed), attribution, probe=probe,
                                progress=_stage(progress, 0.4, 0.8, "attributing shuffled windows"))
    attribution_s = time.perf_counter() - t0
    return patterns_from_attributions(attrs, control, settings=settings, region_class=region_class,
                                      progress=_stage(progress, 0.8, 1.0, "patterns"), genome=genome,
                                      fingerprint=fingerprint, attribution_s=attribution_s)


def shipped_path(model_key: str, genome: str, region_class: str) -> Path:
    """Where the shipped pattern report of a built-in model, bundled genome and class lives."""
    from .io.datasets import DATA_DIR

    return DATA_DIR / "reports" / f"patterns-{model_key}--{genome}--{region_class}.json"


def shipped_patterns(model_key: str, genome: str, region_class: str, fingerprint: str) -> PatternReport | None:
    """The shipped pattern report when it exists and was computed for exactly these weights."""
    path = shipped_path(model_key, genome, region_class)
    if not path.exists():
        return None
    rep = PatternReport.load(path)
    return rep if rep.fingerprint == fingerprint else None


__all__ = ["MIN_WINDOWS", "METHODS", "PATTERN_METHODS", "Pattern", "PatternReport", "PatternSettings",
           "check_settings", "find_patterns", "name_patterns", "patterns_from_attributions", "run_modisco",
           "shipped_path", "shipped_patterns", "shuffled_windows", "trim_bounds"]
