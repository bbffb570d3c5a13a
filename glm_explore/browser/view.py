"""A genome-browser view: a locus, the lanes asked for, their data over the view's window only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import LocusError, TrackFileError
from ..io.genome import Region
from ..models.base import GenomicLM, Progress
from ..results.browser import BrowserView, FeatureTrack, SignalTrack
from .lanes import ANNOTATION_LANES, MODEL_LANES, annotation_lanes, model_lanes, model_log_probs, stored_lanes
from .locus import MAX_MODEL_BP, data_window, gene_index, resolve_locus

ANALYSIS_LANES = {"variants": "Last scored VCF (Variant effects page)",
                  "attribution": "Last attribution map (Attribution page)"}
LANES = {**ANNOTATION_LANES, **MODEL_LANES, "stored": "Stored genome-wide track (bigWig)", **ANALYSIS_LANES}
DEFAULT_LANES = ("genes", "coding", "elements")
MAX_SEQUENCE_BP = 200_000  # the reference sequence travels only for windows up to this size
PAIR_SUFFIX = "_b"  # lane-id suffix of the second model's lanes


def check_lanes(lanes: Sequence[str]) -> tuple[str, ...]:
    """``lanes`` checked against :data:`LANES`, duplicates dropped (an unknown id raises :class:`TrackFileError`)."""
    bad = [x for x in lanes if x not in LANES]
    if bad:
        raise TrackFileError(f"Unknown track {bad[0]!r}: choose from {', '.join(LANES)}.")
    return tuple(dict.fromkeys(lanes))


def wants_model(lanes: Sequence[str]) -> bool:
    return any(x in MODEL_LANES for x in lanes)


def build_view(data, locus: Region, lanes: Sequence[str], *, log_probs: dict[str, np.ndarray] | None = None,
               stored: str | None = None, extra: Sequence[SignalTrack | FeatureTrack] = (),
               genes: dict[str, str] | None = None) -> BrowserView:
    """The view of ``locus`` (a checked region of ``data.genome``) with ``lanes`` (ids of :data:`LANES`).

    ``log_probs`` maps model names (first = the loaded model, second = its pair) to (4, L) natural-log
    probabilities over :func:`~.locus.data_window` of ``locus`` (see :func:`~.lanes.model_log_probs`);
    model lanes are left out (with a note) when it is None or the view is wider than 20 kb. ``stored`` is a
    track folder or a bigWig file for the ``stored`` lane; ``extra`` lanes (other pages' results) go last.
    """
    genome = data.genome
    lanes = check_lanes(lanes)
    size = genome.lengths[locus.chrom]
    window = data_window(locus, size)
    notes: list[str] = []
    seq = genome.fetch(window.chrom, window.start, min(window.end, window.start + MAX_SEQUENCE_BP))
    tracks: list[SignalTrack | FeatureTrack] = []
    features = data.annotation.features if data.annotation is not None else None
    ann = annotation_lanes(features, window)
    tracks += [ann[x] for x in lanes if x in ann]
    model_ids = tuple(x for x in lanes if x in MODEL_LANES)
    model_name = ""
    if model_ids:
        if locus.length > MAX_MODEL_BP:
            notes.append(f"Model tracks are computed for views up to {MAX_MODEL_BP:,} bp; this view is "
                         f"{locus.length:,} bp. Zoom in to see them.")
        elif not log_probs:
            notes.append("Model tracks were not computed for this view.")
        else:
            ref = genome.fetch(window.chrom, window.start, window.end)
            per_model = [model_lanes(lp, ref, window, name, suffix=PAIR_SUFFIX * i, which=model_ids)
                         for i, (name, lp) in enumerate(log_probs.items())]
            model_name = next(iter(log_probs))
            for lane in model_ids:  # each model lane, then its pair
                for group in per_model:
                    tracks += [t for t in group if t.id.removesuffix(PAIR_SUFFIX) == lane
                               or (lane == "logo" and t.id.startswith("logo_"))]
    if "stored" in lanes:
        if stored:
            tracks += stored_lanes(stored, window)
        else:
            notes.append("No stored genome-wide track for this genome: write one with `python -m glm_explore "
                         "track … --out tracks/NAME` or give a bigWig file.")
    tracks += list(extra)
    if genes is None:
        genes = gene_index(data.genes()) if data.annotation is not None else {}
    return BrowserView(genome=genome.name, locus=locus, window=window, contig_length=size, sequence=seq,
                       tracks=tuple(tracks), model=model_name, genes=genes, notes=tuple(notes))


def compute_view(data, locus: str, lanes: Sequence[str] = DEFAULT_LANES, *, model: GenomicLM | None = None,
                 model2: GenomicLM | None = None, rc: bool = False, stored: str | None = None,
                 progress: Progress | None = None) -> BrowserView:
    """:func:`build_view` from a typed locus (region, contig or gene name), computing the model lanes of
    ``model`` (and ``model2``, paired) over the view's window — the CLI's and the library's one call."""
    genes = gene_index(data.genes()) if data.annotation is not None else {}
    region = resolve_locus(data.genome, locus, genes)
    lanes = check_lanes(lanes)
    log_probs = None
    if wants_model(lanes) and region.length <= MAX_MODEL_BP:
        if model is None:
            raise LocusError("Model tracks need a model: pass one (the CLI's --model).")
        window = data_window(region, data.genome.lengths[region.chrom])
        log_probs = {}
        for i, m in enumerate(x for x in (model, model2) if x is not None):
            name = m.info.name if m.info.name not in log_probs else f"{m.info.name} ({i + 1})"
            log_probs[name] = model_log_probs(m, data.genome, window, rc=rc, progress=progress)
    return build_view(data, region, lanes, log_probs=log_probs, stored=stored, genes=genes)
