"""What the page, the CLI and scripts call: a genome region (or a table of windows) in, maps out."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..context import context_flank
from ..errors import GlmExploreError
from ..io.genome import Region
from ..models.base import GenomicLM, Progress
from ..results import Attributions, ISMResult, LinearProbe
from .gradients import METHODS, attribute
from .ism import saturation_mutagenesis
from .settings import AttributionSettings
from .targets import default_kind, default_target, make_target

ATTRIBUTION_FLANK_CAP = 256  # most context bases each side of an attribution region


def attribution_flank(model: GenomicLM) -> int:
    """Bases of context fetched on each side of an attribution region: :func:`~glm_explore.context.context_flank`
    capped at 256 (the receptive field, or 256 when it is unbounded)."""
    return context_flank(model, cap=ATTRIBUTION_FLANK_CAP)


def parse_target_spec(spec: str, region: Region) -> tuple[int, int] | None:
    """``'1030'`` or ``'1001-1060'`` (1-based genome coordinates inside ``region``) → 0-based
    half-open offsets into the region; blank → None (the default target)."""
    spec = (spec or "").replace(",", "").strip()
    if not spec:
        return None
    try:
        a, _, b = spec.partition("-")
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise GlmExploreError(f"Cannot read target position {spec!r}: write one 1-based position (e.g. "
                              f"{region.start + 1}) or a span (e.g. {region.start + 1}-{region.end}).") from None
    if not region.start + 1 <= lo <= hi <= region.end:
        raise GlmExploreError(f"Target {spec} is outside the region {region}: pick positions inside it.")
    return lo - 1 - region.start, hi - region.start


def attribute_region(model: GenomicLM, genome, region: Region | str, settings: AttributionSettings, *,
                     probe: LinearProbe | None = None, progress: Progress | None = None
                     ) -> tuple[Attributions | None, ISMResult | None]:
    """Attribution (and optionally ISM) of a target over a genome ``region``, cropped to the region.

    The model sees ``settings.flank`` bases of context each side (default :func:`attribution_flank`; cut
    at contig edges). ``settings.target`` defaults to ``mlm_position`` (MLM) / ``clm_span`` (CLM);
    ``settings.target_spec`` is a 1-based position or span inside the region (blank: the default target of
    :func:`~glm_explore.attribution.targets.default_span` over the region — the known base nearest
    its centre for a position target, the whole region for a span, the probe's own pooling for
    ``probe``). ``settings.method='ism'`` runs ISM only. ``probe``: the fitted probe of the probe target.
    """
    from ..io.genome import fetch_window, parse_region

    s = settings
    if isinstance(region, str):
        region = parse_region(region)
    flank = attribution_flank(model) if s.flank is None else s.flank
    win = fetch_window(genome, region, flank=flank, max_len=s.max_len)
    kind = s.kind or default_kind(model)
    span = parse_target_spec(s.target_spec, win.region)
    lo, hi = win.offset, win.offset + win.region.length
    targeting = dict(origin=win.context.start, probe=probe, probe_class=s.probe_class)
    if span is None:
        tgt = default_target(model, win.seq, kind, lo=lo, hi=hi, **targeting)
    else:
        tgt = make_target(model, win.seq, kind, span[0] + lo, None if kind == "mlm_position" else span[1] + lo,
                          **targeting)
    common = dict(model=model.info.name, chrom=win.context.chrom, start=win.context.start)
    attr = ism_res = None
    if s.method != "ism":
        attr = attribute(tgt, win.seq, method=s.method, baseline=s.baseline, n_steps=s.n_steps,
                         n_baselines=s.n_baselines, correct=s.correct, batch_size=s.batch_size, progress=progress,
                         **common)
        attr = attr.crop(lo, hi)
        if win.note:
            attr = replace(attr, notes=attr.notes + (win.note,))
    if s.ism or s.method == "ism":
        ism_res = saturation_mutagenesis(tgt, win.seq, batch_size=s.batch_size, within=(lo, hi), progress=progress,
                                         **common).crop(lo, hi)
    return attr, ism_res


def attribute_windows(model: GenomicLM, windows: pd.DataFrame, settings: AttributionSettings, *,
                      probe: LinearProbe | None = None, progress: Progress | None = None) -> list[Attributions]:
    """One attribution map per window, for seqlets across many windows (:func:`glm_explore.motifs.seqlets_many`).

    ``windows`` has one row per window with ``chrom``, ``start`` (0-based) and ``sequence`` (e.g.
    the rows of a :class:`~glm_explore.results.WindowSet` table). Each window is its own context.
    ``settings.target``: ``'probe'`` (log P(``settings.probe_class``) under ``probe``, pooled as the probe
    was fit — on the windows the probe was fit on this is exactly its score), or a likelihood target at
    its default (``None`` / ``'default'`` → :func:`~glm_explore.attribution.targets.default_target`: MLM
    log P(ref) at the known base nearest the centre, CLM log-likelihood of the window). The region-only
    settings (``target_spec``, ``ism``, ``flank``, ``max_len``) are not used.
    """
    s = settings
    if s.method not in METHODS:
        raise GlmExploreError(f"Unknown attribution method {s.method!r} for many windows; choose one of "
                              f"{', '.join(METHODS)}.")
    if len(windows) == 0:
        raise GlmExploreError("No windows to attribute: choose a class that has windows in the sample.")
    out = []
    for i, row in enumerate(windows.itertuples(index=False)):
        seq = str(row.sequence)
        tgt = default_target(model, seq, s.kind, origin=int(row.start), probe=probe, probe_class=s.probe_class)
        out.append(attribute(tgt, seq, method=s.method, baseline=s.baseline, n_steps=s.n_steps,
                             n_baselines=s.n_baselines, correct=s.correct, batch_size=s.batch_size,
                             model=model.info.name, chrom=str(row.chrom), start=int(row.start)))
        if progress:
            progress((i + 1) / len(windows), f"window {i + 1}/{len(windows)}")
    return out


def attribution_table(attr: Attributions | None, ism: ISMResult | None = None) -> pd.DataFrame:
    """One row per position (for downloads / the CLI): ``chrom, pos`` (1-based), ``ref``, ``attr_A..T``
    and ``attribution`` (Σ over bases) from ``attr``; ``ism_A..T`` (Δ target) and ``ism_importance``
    (−mean Δ) from ``ism``."""
    main = attr if attr is not None else ism
    if main is None:
        raise GlmExploreError("Nothing to tabulate: run an attribution method or ISM first.")
    df = pd.DataFrame({"chrom": main.chrom, "pos": main.positions, "ref": list(main.seq)})
    if attr is not None:
        for b, base in enumerate("ACGT"):
            df[f"attr_{base}"] = attr.values[b]
        df["attribution"] = attr.per_position
    if ism is not None:
        for b, base in enumerate("ACGT"):
            df[f"ism_{base}"] = ism.delta[b]
        df["ism_importance"] = ism.importance
    return df
