"""Cost before compute: how long a job will take on the loaded model, said before it starts, and an ETA while it runs.

A job's time is ``fixed + per_unit × units`` (units: predicted positions, SNVs, windows). Both numbers are
**measured on this model**: the job itself is run on a small probe of ``p`` and ``2p`` units (a straight line
through the two times, so a one-off clean pass does not inflate the per-unit rate), and the line is kept per
model and job shape for the rest of the process, so the second estimate is free. Forward-pass counts in the
text come from the path the model takes (:func:`logits_passes`).

Typical use (CLI and pages)::

    cost = logits_cost(model, window, mode="exact", rc=True)
    if cost.long:                      # > LONG_SECONDS
        print(cost.text())             # "≈ 3 min: 500 positions, 84 forward passes of 1.0 kb (measured …)"

:func:`eta_progress` wraps a :data:`~glm_explore.models.base.Progress` callback so its message ends with the
time left (from the fraction done so far).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .models.base import GenomicLM, Progress

LONG_SECONDS = float(os.environ.get("GLM_EXPLORE_LONG_SECONDS", 20))  # shown before a job starts above this (s)
_LINES: dict[tuple, tuple[float, float]] = {}  # (id(model), job key) → (fixed s, s per unit)


def duration_text(seconds: float) -> str:
    """``≈ 40 s``, ``≈ 3 min``, ``≈ 1.5 h`` (rounded; never ``≈ 0 s``)."""
    if seconds < 90:
        return f"≈ {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"≈ {round(seconds / 60)} min"
    return f"≈ {seconds / 3600:.1f} h"


def length_text(bp: int) -> str:
    """``512 bp``, ``1.5 kb``, ``2.0 Mb``."""
    if bp < 1000:
        return f"{bp} bp"
    if bp < 1_000_000:
        return f"{bp / 1000:.1f} kb"
    return f"{bp / 1e6:.1f} Mb"


@dataclass(frozen=True)
class Cost:
    """An estimate: ``seconds`` for ``units`` of ``unit`` (``"positions"``, ``"SNVs"``, ``"windows"``) on
    ``model``; ``passes`` forward passes of ``pass_bp`` bases when known (0 = not counted); ``per_unit`` and
    ``fixed`` the measured line (seconds), ``probe`` how many units it was measured on."""

    seconds: float
    units: int
    unit: str
    model: str
    per_unit: float
    fixed: float = 0.0
    passes: int = 0
    pass_bp: int = 0
    probe: int = 0
    also: str = ""  # a second part of the job, said after the units (e.g. "ISM of 100 positions")

    @property
    def long(self) -> bool:
        """Worth saying before the job starts (more than :data:`LONG_SECONDS`)."""
        return self.seconds > LONG_SECONDS

    def text(self) -> str:
        """One line: ``≈ 3 min: 500 positions, 84 forward passes of 1.0 kb (0.36 s per position, measured on
        24 positions of default-mlm)``."""
        head = f"{duration_text(self.seconds)}: {self.units:,} {self.unit}"
        if self.passes:
            head += f", {self.passes:,} forward passes of {length_text(self.pass_bp)}"
        if self.also:
            head += f" + {self.also}"
        how = (f"{self.per_unit:.3g} s per {self.unit.rstrip('s') or self.unit}, measured on {self.probe} "
               f"{self.unit} of {self.model}") if self.probe else f"measured on {self.model}"
        return f"{head} ({how})"


def fitted_line(run: Callable[[int], object], units: int, probe: int, *,
                clock: Callable[[], float] = time.perf_counter, min_seconds: float = 0.5,
                single_above: float = 15.0) -> tuple[float, float, int]:
    """``(fixed, per_unit, probe)`` seconds of ``run(k)`` (the job on its first ``k`` units) from timing
    ``k = p`` and ``k = 2·p``. ``p`` starts at ``probe`` and grows ×4 while a run takes under ``min_seconds`` (so
    a fast model is timed at the batch sizes the real job uses, a slow one on a few units). When ``units`` is at
    most ``2·p``: one run of ``units`` and a zero fixed part. When the ``p`` run alone takes ``single_above``
    seconds or more (a 100 M-parameter model), the ``2·p`` run is skipped: the per-unit time is that run's
    average, fixed part included (an estimate on the long side, reached in a third of the time). The per-unit
    time is never negative and the fixed part never below 0."""
    p = max(1, probe)
    while True:
        if units <= 2 * p:
            t0 = clock()
            run(max(1, units))
            return 0.0, (clock() - t0) / max(1, units), max(1, units)
        t0 = clock()
        run(p)
        a = clock() - t0
        if a >= single_above:
            return 0.0, a / p, p
        if a >= min_seconds or units <= 8 * p:
            break
        p *= 4
    t1 = clock()
    run(2 * p)
    b = clock() - t1
    per_unit = max((b - a) / p, a / p / 4, 0.0)  # a noisy second probe never makes units free
    fixed = max(0.0, a - per_unit * p)
    return fixed, per_unit, p


def estimate(model: GenomicLM, key: tuple, units: int, unit: str, run: Callable[[int], object], *,
             probe: int, passes: int = 0, pass_bp: int = 0, clock: Callable[[], float] = time.perf_counter) -> Cost:
    """The :class:`Cost` of ``units`` from the line measured for (``model``, ``key``) — measured now with
    :func:`fitted_line` the first time, then remembered for this process."""
    k = (id(model), *key)
    if k not in _LINES:
        fixed, per, p = fitted_line(run, units, probe, clock=clock)
        _LINES[k] = (fixed, per, p)
    fixed, per, p = _LINES[k]
    return Cost(fixed + per * units, int(units), unit, model.info.name, per, fixed, passes, pass_bp, p)


def _bucket(bp: int) -> int:
    """Window lengths within 25 % share one measured line (cost per pass grows with length)."""
    return int(round(math.log(max(bp, 1), 1.25)))


def logits_passes(model: GenomicLM, n: int, window_bp: int, *, mode: str, rc: bool) -> int:
    """Forward passes of a ``window_bp`` input for ``n`` predicted positions: one per strand for ``next`` /
    ``unmasked``; for exact masked marginals one clean pass per strand with single-mask cones
    (``capabilities.masked_sites`` on a character model: the cones are counted in the per-position time), one
    per token for k-mer / BPE models, one per receptive-field group for bounded models, else one per base."""
    from .logits import mask_groups

    strands = 2 if rc else 1
    if mode in {"next", "unmasked"}:
        return strands
    caps = model.info.capabilities
    if mode == "exact" and caps.masked_sites and caps.k == 1:
        return strands
    if mode == "exact" and caps.k != 1:
        return strands * math.ceil(n / max(1, caps.k))
    rf = model.info.receptive_field if mode == "exact" else None
    return strands * len(mask_groups(n, rf))


def logits_cost(model: GenomicLM, seq: str, offset: int, n: int, *, mode: str, rc: bool = False,
                batch_size: int = 128, probe: int = 24) -> Cost:
    """Cost of predicting positions ``[offset, offset + n)`` of ``seq`` (a region with its context) in ``mode``
    (:func:`glm_explore.logits.position_log_probs`), measured on the first ``probe`` / ``2·probe`` positions
    with the same context length. ``next`` / ``unmasked`` cost one pass whatever ``n``: measured once."""
    from .logits import position_log_probs

    if model.info.max_len and len(seq) > model.info.max_len:  # stitched: probe one window's worth
        cut = int(model.info.max_len)
        offset = min(offset, cut // 4)
        seq = seq[:cut]

    def run(k: int) -> None:
        position_log_probs(model, seq, mode=mode, rc=rc, batch_size=batch_size,
                           positions=np.arange(offset, offset + min(k, n)))

    passes = logits_passes(model, n, len(seq), mode=mode, rc=rc)
    if mode in {"next", "unmasked"}:
        return estimate(model, ("logits", mode, rc, _bucket(len(seq))), 1, "passes", run, probe=1,
                        passes=passes, pass_bp=len(seq))
    return estimate(model, ("logits", mode, rc, _bucket(len(seq)), batch_size), n, "positions", run, probe=probe,
                    passes=passes, pass_bp=len(seq))


def variants_cost(model: GenomicLM, genome, variants: pd.DataFrame, settings=None, *, probe: int = 6) -> Cost:
    """Cost of :func:`glm_explore.variants.score_variants` on ``variants`` (rows: SNVs or events), measured on
    its first ``probe`` / ``2·probe`` rows."""
    from .variants.score import score_variants
    from .variants.settings import VariantScoreSettings

    s = settings or VariantScoreSettings()

    def run(k: int) -> None:
        score_variants(model, genome, variants.iloc[:k], s)

    return estimate(model, ("variants", s), len(variants), "variants", run, probe=probe)


def vcf_cost(model: GenomicLM, genome, vcf_path, settings=None, *, records: int, probe: int = 6) -> Cost:
    """Cost of scoring a VCF of ``records`` records: :func:`variants_cost` measured on the first scorable rows of
    its first chunk, scaled to ``records`` (one allele per record assumed)."""
    from .variants.settings import VariantScoreSettings
    from .variants.vcf import VcfChunks

    s = settings or VariantScoreSettings()
    first = next((ok for _, ok, _, _ in VcfChunks(vcf_path, genome, dataclasses.replace(s, limit=2 * probe, chunk_size=2 * probe))
                  if len(ok)), None)
    if first is None:
        return Cost(0.0, int(records), "variants", model.info.name, 0.0)
    c = variants_cost(model, genome, first[["chrom", "pos", "ref", "alt"]].reset_index(drop=True), s, probe=probe)
    return Cost(c.fixed + c.per_unit * records, int(records), "variants", c.model, c.per_unit, c.fixed, probe=c.probe)


def embed_cost(model: GenomicLM, seqs: list[str], settings=None, *, probe: int = 4) -> Cost:
    """Cost of :func:`glm_explore.embed.embed_windows` on ``seqs`` (windows of one length), measured on the first
    ``probe`` / ``2·probe`` windows: one forward pass per window."""
    from .embed import EmbedSettings, embed_windows

    s = settings or EmbedSettings()
    bp = len(seqs[0]) if seqs else 0

    def run(k: int) -> None:
        embed_windows(model, list(seqs[:k]), s)

    return estimate(model, ("embed", s, _bucket(bp)), len(seqs), "windows", run, probe=probe,
                    passes=len(seqs), pass_bp=bp)


def attribution_cost(model: GenomicLM, genome, region, settings, *, probe=None, probe_steps: int = 3) -> Cost:
    """Cost of :func:`glm_explore.attribution.attribute_region` with ``settings``: Integrated Gradients as
    gradient passes (``n_steps`` × the baselines: the line measured on runs of ``probe_steps`` / 2× steps with
    one baseline), plus ISM as 3 forward passes per position (measured on a ``probe_steps``-bp region at the
    same place, so a slightly shorter input). Saliency, input × gradient and DeepLift take one or a few
    gradient passes: measured by running them."""
    from .attribution import attribute_region
    from .io.genome import Region, parse_region

    s = settings
    region = parse_region(region) if isinstance(region, str) else region
    total = fixed = per = 0.0
    units, unit, probed, also = 0, "gradient passes", 0, ""
    if s.method == "integrated_gradients":
        n_b = 1 if s.baseline in {"zeros", "uniform"} else int(s.n_baselines)

        def run_ig(k: int) -> None:
            attribute_region(model, genome, region, dataclasses.replace(s, n_steps=max(1, k), n_baselines=1,
                                                                         ism=False), probe=probe)

        c = estimate(model, ("ig", region.length, s.target, s.target_spec, s.flank, s.batch_size), s.n_steps * n_b,
                     "gradient passes", run_ig, probe=probe_steps)
        total, fixed, per, units, probed = c.seconds, c.fixed, c.per_unit, c.units, c.probe
    elif s.method != "ism":
        c = estimate(model, ("grad", s.method, s.baseline, s.n_baselines, region.length, s.target_spec), 1,
                     "gradient passes", lambda k: attribute_region(model, genome, region,
                                                                   dataclasses.replace(s, ism=False), probe=probe),
                     probe=1)
        total, fixed, per, units, probed = c.seconds, c.fixed, c.per_unit, c.units, c.probe
    if s.ism or s.method == "ism":
        mid = region.start + region.length // 2
        small = Region(region.chrom, max(region.start, mid - probe_steps), mid + probe_steps)

        def run_ism(k: int) -> None:
            sub = Region(small.chrom, small.start, min(small.end, small.start + max(1, k)))
            attribute_region(model, genome, sub, dataclasses.replace(s, method="ism", target_spec=""), probe=probe)

        c = estimate(model, ("ism", s.target, s.flank, s.batch_size), region.length, "positions", run_ism,
                     probe=probe_steps)
        total += c.seconds
        if not units:
            fixed, per, units, unit, probed = c.fixed, c.per_unit, c.units, "ISM positions", c.probe
        else:
            also = f"ISM of {region.length:,} positions"
    return Cost(total, units, unit, model.info.name, per, fixed, probe=probed, also=also)


def features_cost(model: GenomicLM, data, settings, *, probe: int = 4) -> Cost:
    """Cost of :func:`glm_explore.features.build_dictionary` with ``settings`` (a ``FeatureSettings``): its forward
    passes — the sampled windows on the trained model, on the random-weights control and dinucleotide-shuffled,
    plus the landmark windows — at the per-window time measured on ``probe`` / ``2·probe`` windows of the same
    length; the description of every feature (sites, PFMs, TOMTOM, FIMO, enrichment) in its three runs, timed
    on 4 and 8 stand-in features over the same windows; and (SAE dictionaries) two SAE fits, the line of a
    fit's time against its steps measured on 10 and 20 steps."""
    from .features.activations import conv_channels, layer_activations, sample_windows
    from .features.dictionary import describe_run
    from .features.sae import SAESettings, fit_sae
    from .motifs import jaspar_motifs

    ws = sample_windows(data, length=settings.length, center=settings.center, per_class=settings.per_class,
                        seed=settings.seed)
    seqs = ws.table["sequence"].tolist()
    n_land = 4 * settings.n_landmarks if settings.landmarks and getattr(data, "annotation", None) is not None else 0
    windows = 3 * len(seqs) + n_land

    def acts(k: int) -> np.ndarray:
        if settings.source == "channels":
            return conv_channels(model, seqs[:k], settings.layer)
        return layer_activations(model, seqs[:k], settings.layer)

    c = estimate(model, ("features", settings.source, settings.layer, _bucket(settings.length)), windows, "windows",
                 acts, probe=probe, passes=windows, pass_bp=settings.length)
    n_features = settings.n_features if settings.source == "sae" else int(acts(1).shape[2])
    train = ws.table[ws.table["split"] == "train"]
    test = ws.table[ws.table["split"] == "test"]
    rng = np.random.default_rng(settings.seed)
    motifs = jaspar_motifs(settings.tax)
    classes = sorted(set(test["label"]))

    def describe_features(f: int) -> None:
        a_tr = rng.gamma(0.3, size=(len(train), settings.length, f)).astype(np.float32)
        a_te = rng.gamma(0.3, size=(len(test), settings.length, f)).astype(np.float32)
        describe_run("cost probe", a_tr, train["sequence"].tolist(), a_te, test["label"].to_numpy(), before=7,
                     after=7, settings=settings, motifs=motifs, classes=classes)

    d = estimate(model, ("describe", settings.tax, settings.length, settings.per_class), n_features,
                 "features", describe_features, probe=4)
    seconds, also = c.seconds + 3 * d.seconds, f"describing {n_features:,} features × 3 runs"
    if settings.source == "sae":
        rows = rng.normal(size=(4096, int(model.info.dim))).astype(np.float32)
        fit = estimate(model, ("sae", settings.n_features, settings.k), settings.steps, "steps", lambda k: fit_sae(
            rows, SAESettings(n_features=settings.n_features, k=settings.k, steps=k, seed=settings.seed)), probe=10)
        seconds += 2 * fit.seconds
        also += f" + 2 SAE fits of {settings.steps:,} steps"
    return dataclasses.replace(c, seconds=seconds, also=also)


def attribution_windows_cost(model: GenomicLM, windows: pd.DataFrame, settings, *, probe=None,
                             probe_windows: int = 1) -> Cost:
    """Cost of :func:`glm_explore.attribution.attribute_windows` over ``windows`` (one attribution map each),
    measured on the first ``probe_windows`` / 2× windows."""
    from .attribution import attribute_windows

    def run(k: int) -> None:
        attribute_windows(model, windows.iloc[:k], settings, probe=probe)

    bp = int(windows["sequence"].str.len().max()) if "sequence" in windows and len(windows) else 0
    return estimate(model, ("attribute_windows", settings, _bucket(bp)), len(windows), "windows", run,
                    probe=probe_windows)


def context_curve_cost(model: GenomicLM, data, *, classes=None, per_class: int = 20, per_window: int = 1,
                       truncation: str = "auto", seed: int = 0, probe: int = 2) -> Cost:
    """Cost of :func:`glm_explore.context_curve.context_curve` on its sampled held-out positions (every width of
    the model's grid per position), measured on the first ``probe`` / 2× positions."""
    from .context_curve import context_curve, sample_positions

    positions = sample_positions(data, classes=classes, per_class=per_class, per_window=per_window, seed=seed)

    def run(k: int) -> None:
        context_curve(model, data, positions.iloc[:k], truncation=truncation, reps=10, seed=seed)

    return estimate(model, ("context_curve", truncation), len(positions), "positions", run, probe=probe)


def units_within(cost: Cost, seconds: float = 60.0) -> int:
    """How many units of ``cost``'s job finish in ``seconds`` on its measured line (``(seconds − fixed) /
    per_unit``, floored, ≥ 0); all of them when units are free."""
    if cost.per_unit <= 0:
        return cost.units
    return max(0, int((seconds - cost.fixed) // cost.per_unit))


def eta_progress(progress: Progress, *, clock: Callable[[], float] = time.perf_counter,
                 min_fraction: float = 0.02) -> Progress:
    """``progress`` with ``· about 2 min left`` appended to each message once ``min_fraction`` is done (time left
    = elapsed × (1 − f) / f)."""
    t0 = clock()

    def wrapped(fraction: float, message: str) -> None:
        f = min(1.0, max(0.0, float(fraction)))
        if f >= min_fraction and f < 1.0:
            left = (clock() - t0) * (1 - f) / f
            message = f"{message} · {duration_text(left).replace('≈', 'about')} left"
        progress(f, message)

    return wrapped
