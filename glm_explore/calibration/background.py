"""The background a variant score is read against: the LLRs of possible SNVs per region class.

For a model and a genome with region labels (a :class:`~glm_explore.io.datasets.GenomeData`), every
A/C/G/T base of the held-out span (:func:`glm_explore.report.heldout.heldout_split`: chrXVI on the bundled
yeast) has three possible SNVs. Per region class, :func:`compute_background` scores all of them or — with
``sites_per_class`` — all three SNVs at a uniform sample of that many sites of the class (seeded,
without replacement), through the same scorer as ``score-vcf``
(:func:`glm_explore.variants.score.score_variants`: masked LLR for an MLM, Δ log-likelihood for a CLM,
same ``rc`` / ``window`` / ``clm_reduce``). The sorted scores are kept as at most ``keep`` order
statistics per class (:class:`~glm_explore.results.calibration.ClassBackground`), a few hundred kB.

Sampling rates differ between classes, so the genome-wide percentile weights each class by its share of
the span's bases (:mod:`.percentiles`), not by its number of scored SNVs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CalibrationError
from ..io.annotation import CLASSES
from ..io.datasets import DATASETS, GenomeData
from ..models.base import GenomicLM, Progress
from ..models.fingerprint import tensors_fingerprint
from ..region_windows import choose_split
from ..report.heldout import HELDOUT_FRACTION
from ..results.calibration import Background, ClassBackground
from ..sequence import ALPHABET, encode
from ..variants.score import score_variants

DEFAULT_SITES = 1_000  # sites per class (3,000 SNVs): percentiles to ~1 % (binomial sd ≤ 0.9 % at 3,000)
DEFAULT_KEEP = 2_001  # order statistics kept per class: 0.05 % steps
CHUNK = 3_000  # SNVs per scoring call (progress granularity)
BACKGROUND_DIR = Path(__file__).resolve().parent.parent / "data" / "backgrounds"


def heldout_span(data: GenomeData) -> tuple[str, int, int]:
    """``(chrom, start, end)`` (0-based half-open) of the held-out span the background is drawn from: the rule of
    :func:`glm_explore.report.heldout.heldout_split` (the dataset's held-out chromosome, else the last one,
    whole; one chromosome: its last 20 %) without that report's minimum sizes for a count baseline."""
    chrom, cut, _ = choose_split(data, data.genome.chroms, heldout_fraction=HELDOUT_FRACTION)
    return chrom, cut, data.genome.lengths[chrom]


def background_sites(data: GenomeData, chrom: str, start: int, end: int, *, sites_per_class: int | None = None,
                     seed: int = 0) -> tuple[pd.DataFrame, dict[str, int]]:
    """The SNVs to score: ``chrom, pos`` (1-based), ``ref, alt, region_class`` (three rows per site, ALT in
    A,C,G,T order), and the A/C/G/T bases per class in the span.

    Per class: every A/C/G/T base of ``chrom[start:end]`` labelled with it, or a uniform sample of
    ``sites_per_class`` of them (``numpy.random.default_rng(seed)``, classes in :data:`CLASSES` order).
    """
    if not data.labels:
        raise CalibrationError(f"Genome {data.name} has no region labels: give an annotation (FASTA,GFF3) to "
                               "compute a background per region class.")
    codes = encode(data.genome.fetch(chrom, start, end))
    labels = data.classes_in(chrom, start, end)
    rng = np.random.default_rng(seed)
    parts, n_sites = [], {}
    for code, name in enumerate(CLASSES):
        idx = np.flatnonzero((labels == code) & (codes < 4))
        if not len(idx):
            continue
        n_sites[name] = len(idx)
        if sites_per_class is not None and len(idx) > sites_per_class:
            idx = np.sort(rng.choice(idx, size=sites_per_class, replace=False))
        ref = codes[idx]
        alt = (ref[:, None] + np.arange(1, 4)[None, :]) % 4  # the three other bases
        alt = np.sort(alt, axis=1)
        parts.append(pd.DataFrame({"chrom": chrom, "pos": np.repeat(idx + start + 1, 3),
                                   "ref": np.asarray(list(ALPHABET))[np.repeat(ref, 3)],
                                   "alt": np.asarray(list(ALPHABET))[alt.ravel()], "region_class": name}))
    if not parts:
        raise CalibrationError(f"The held-out span {chrom}:{start + 1:,}-{end:,} has no A/C/G/T bases to score.")
    return pd.concat(parts, ignore_index=True), n_sites


def order_statistics(scores: np.ndarray, keep: int = DEFAULT_KEEP) -> tuple[np.ndarray, np.ndarray]:
    """``(values, ranks)``: all sorted ``scores`` when there are at most ``keep``, else ``keep`` evenly spaced
    order statistics (ranks ``round(j (n − 1) / (keep − 1))``, first and last included)."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    if len(s) <= keep:
        return s, np.arange(len(s), dtype=np.int64)
    ranks = np.unique(np.round(np.linspace(0, len(s) - 1, keep)).astype(np.int64))
    return s[ranks], ranks


def compute_background(model: GenomicLM, data: GenomeData, *, sites_per_class: int | None = DEFAULT_SITES,
                       seed: int = 0, keep: int = DEFAULT_KEEP, rc: bool = True, window: int | None = None,
                       clm_reduce: str = "sum", span: tuple[str, int, int] | None = None,
                       progress: Progress | None = None) -> Background:
    """The model's SNV score background per region class of the held-out span (module docstring).

    ``sites_per_class=None`` scores every possible SNV. ``span`` overrides the held-out span
    (``(chrom, start, end)``, 0-based half-open). Scores with a status other than ``ok`` are left out.
    """
    t0 = time.perf_counter()
    chrom, start, end = span or heldout_span(data)
    sites, n_sites = background_sites(data, chrom, start, end, sites_per_class=sites_per_class, seed=seed)
    llr = np.full(len(sites), np.nan)
    for lo in range(0, len(sites), CHUNK):
        part = sites.iloc[lo:lo + CHUNK]
        out = score_variants(model, data, part[["chrom", "pos", "ref", "alt"]], rc=rc, window=window,
                             clm_reduce=clm_reduce)
        llr[lo:lo + CHUNK] = np.where(out["status"].to_numpy() == "ok", out["llr"].to_numpy(float), np.nan)
        if progress is not None:
            done = min(lo + CHUNK, len(sites))
            progress(done / len(sites), f"scored {done:,} of {len(sites):,} SNVs")
    classes = {}
    for name, group in sites.assign(llr=llr).groupby("region_class", sort=False):
        ok = group["llr"].dropna().to_numpy()
        if not len(ok):
            continue
        values, ranks = order_statistics(ok, keep)
        classes[name] = ClassBackground(name, values, ranks, len(ok), n_sites[name], group["pos"].nunique())
    settings = {"rc": rc, "window": window, "clm_reduce": clm_reduce, "sites_per_class": sites_per_class,
                "seed": seed, "keep": keep, "weights": tensors_fingerprint(model),
                "scorer": "masked LLR" if model.info.objective == "mlm" else f"Δ log-likelihood ({clm_reduce})"}
    return Background(model.info.name, model.info.objective, data.name, chrom, start, end, classes, settings,
                      time.perf_counter() - t0)


def estimate_seconds(model: GenomicLM, data: GenomeData, sites: pd.DataFrame, *, probe: int = 150, rc: bool = True,
                     window: int | None = None, clm_reduce: str = "sum", seed: int = 0) -> float:
    """Seconds :func:`compute_background` would spend scoring ``sites`` (:func:`background_sites`): the time of
    ``probe`` of them drawn at random (seeded), times ``len(sites) / probe``. The cost to show before a run."""
    if not len(sites):
        return 0.0
    pick = np.random.default_rng(seed).choice(len(sites), size=min(probe, len(sites)), replace=False)
    t0 = time.perf_counter()
    score_variants(model, data, sites.iloc[np.sort(pick)][["chrom", "pos", "ref", "alt"]], rc=rc, window=window,
                   clm_reduce=clm_reduce)
    return (time.perf_counter() - t0) * len(sites) / len(pick)


def shipped_background_path(model_name: str, genome_name: str) -> Path:
    """Where the shipped background of a model on a bundled genome lives (it may not exist)."""
    key = next((k for k, d in DATASETS.items() if genome_name in (k, d.label)), genome_name)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{model_name}__{key}")
    return BACKGROUND_DIR / f"{safe}.npz"


def shipped_background(model_name: str, genome_name: str) -> Background | None:
    """The shipped background for ``model_name`` on ``genome_name``, or None when none is shipped."""
    path = shipped_background_path(model_name, genome_name)
    return Background.load(path) if path.exists() else None


def cache_path(model: GenomicLM, genome_name: str, cache_dir: str | Path | None = None) -> Path:
    """Where :func:`background_for` keeps a background it computed (keyed by the weights' fingerprint)."""
    folder = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "glm_explore" / "backgrounds"
    return folder / shipped_background_path(f"{model.info.name}-{tensors_fingerprint(model)}", genome_name).name


def background_for(model: GenomicLM, data: GenomeData, *, cache_dir: str | Path | None = None,
                   compute: bool = False, **kwargs) -> Background | None:
    """The background to read ``model``'s scores on ``data`` against: the shipped one when its weights fingerprint
    is the model's, else one cached on disk, else (``compute=True``; ``kwargs`` to :func:`compute_background`)
    computed now and cached; None when there is none and ``compute`` is False. A background made for other
    weights (a retrained default) is never used."""
    weights = tensors_fingerprint(model)
    shipped = shipped_background(model.info.name, data.name)
    if shipped is not None and shipped.settings.get("weights") == weights:
        return shipped
    path = cache_path(model, data.name, cache_dir)
    if path.exists():
        return Background.load(path)
    if not compute:
        return None
    bg = compute_background(model, data, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    bg.save(path)
    return bg
