"""Annotate a region with a fitted head: per-base class probabilities, predicted segments, BED / GFF3 text.

:func:`annotate_region` computes features in chunks, each with the feature context (model receptive field
or k-mer half-width) and the head's context read from the genome around it (cut only at contig ends), so
a base's prediction does not depend on the chunking or on where the region starts — and equals the
held-out prediction of :func:`~glm_explore.annotate.fit_annotator` for the same base (whose context is
cut only at the held-out span's ends).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.annotation import CLASS_CODE, CLASSES
from ..io.datasets import GenomeData, as_genome, region_labels
from ..io.genome import Genome, Region, parse_region
from ..models.base import GenomicLM, Progress
from ..results.annotate import RegionPrediction
from .features import featurizer, span_features
from .fit import AnnotateError
from .heads import AnnotationHead

MAX_REGION_BP = 1_000_000
CHUNK = 20_000
SEGMENT_COLUMNS = ["chrom", "start", "end", "class", "length", "mean_prob"]
GFF3_TYPE = {"CDS": "CDS", "UTR": "UTR", "intron": "intron", "tRNA": "tRNA", "rRNA": "rRNA", "ncRNA": "ncRNA",
             "repeat": "repeat_region", "promoter": "promoter", "intergenic": "intergenic_region"}  # Sequence Ontology


def annotate_region(head: AnnotationHead, model: GenomicLM | None, genome: GenomeData | Genome,
                    region: Region | str, *, chunk: int = CHUNK, batch_size: int = 32, smooth: int = 0,
                    progress: Progress | None = None) -> RegionPrediction:
    """Per-base class probabilities of ``head`` over ``region`` (``chrom:start-end``, 1-based inclusive, or a
    :class:`~glm_explore.io.genome.Region`), at most :data:`MAX_REGION_BP` bp. ``model`` must be the model the
    head was fit on (unused, may be None, for the k-mer head). ``smooth`` > 1: probabilities averaged over a
    centred window of that many bases (edges repeat the end value) before the most probable class is taken —
    display post-processing; the held-out scores of :func:`fit_annotator` are per base, unsmoothed."""
    if smooth < 0:
        raise AnnotateError(f"smooth is a window in bases (0 or 1 = off), got {smooth}.")
    g = as_genome(genome)
    region = g.check_region(parse_region(region) if isinstance(region, str) else region)
    if region.length > MAX_REGION_BP:
        raise AnnotateError(f"Region {region} is {region.length:,} bp; annotate at most {MAX_REGION_BP:,} bp at once.")
    if head.spec.kind == "model" and (model is None or model.info.name != head.spec.model):
        got = "no model" if model is None else model.info.name
        raise AnnotateError(f"This head was fit on {head.spec.model}'s hidden states; pass that model (got {got}).")
    feat = featurizer(head.spec, model, batch_size=batch_size)
    n = g.lengths[region.chrom]
    ctx = head.context
    if model is not None and model.info.max_len:
        chunk = min(chunk, model.info.max_len - 2 * ctx)  # unbounded models: the flank shrinks to fit max_len
    cuts = list(range(region.start, region.end, max(1, chunk)))
    probs = np.empty((region.length, len(head.classes)), dtype=np.float32)
    for i, a in enumerate(cuts):
        b = min(a + chunk, region.end)
        lo, hi = max(0, a - ctx), min(n, b + ctx)
        x = span_features(feat, g, [(region.chrom, lo, hi, 0, n)], batch_size=batch_size)[0]
        probs[a - region.start:b - region.start] = head.predict_proba(x)[a - lo:b - lo]
        if progress is not None:
            progress((i + 1) / len(cuts), f"annotated {b - region.start:,}/{region.length:,} bp")
    if smooth > 1:
        from scipy.ndimage import uniform_filter1d

        probs = uniform_filter1d(probs, size=smooth, axis=0, mode="nearest")
    codes = np.array([CLASS_CODE[c] for c in head.classes], dtype=np.uint8)
    labels = region_labels(genome)
    true = None if labels is None else labels[region.chrom][region.start:region.end].astype(np.uint8)
    reach = feat.flank(min(chunk, region.length)) + ctx
    note = ""
    if region.start < reach or region.end > n - reach:
        note = f"Near the end of {region.chrom}: bases within {reach} bp of it are predicted from cut context."
    if smooth > 1:
        note = (note + " " if note else "") + f"Probabilities smoothed over {smooth} bp."
    return RegionPrediction(region.chrom, region.start, region.end, head.classes, probs, codes[probs.argmax(axis=1)],
                            true, head.name, head.spec.model, note)


def predicted_segments(pred: RegionPrediction) -> pd.DataFrame:
    """Runs of one predicted class: ``chrom, start, end`` (0-based half-open), ``class``, ``length``,
    ``mean_prob`` (mean probability of that class over the run)."""
    p = pred.predicted
    if len(p) == 0:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    cut = np.flatnonzero(np.diff(p.astype(np.int64))) + 1
    starts, ends = np.r_[0, cut], np.r_[cut, len(p)]
    col = {CLASS_CODE[c]: j for j, c in enumerate(pred.classes)}
    cum = np.vstack([np.zeros((1, pred.probs.shape[1])), np.cumsum(pred.probs, axis=0, dtype=np.float64)])
    j = np.array([col[int(p[s])] for s in starts], dtype=np.int64)
    mean = (cum[ends, j] - cum[starts, j]) / (ends - starts)
    return pd.DataFrame({"chrom": pred.chrom, "start": starts + pred.start, "end": ends + pred.start,
                         "class": np.asarray(CLASSES, dtype=object)[p[starts]], "length": ends - starts,
                         "mean_prob": mean})[SEGMENT_COLUMNS]


def segments_bed(segments: pd.DataFrame) -> str:
    """BED6 text: chrom, start, end (0-based half-open), name = class, score = round(1000 · mean_prob), strand ``.``."""
    lines = [f"{c}\t{s}\t{e}\t{k}\t{int(round(1000 * p))}\t." for c, s, e, k, p in
             zip(segments["chrom"], segments["start"], segments["end"], segments["class"], segments["mean_prob"])]
    return "".join(line + "\n" for line in lines)


def segments_gff3(segments: pd.DataFrame, *, source: str = "glm_explore") -> str:
    """GFF3 text (1-based inclusive): type = the class's Sequence Ontology term (``repeat_region``,
    ``intergenic_region``, …), score = mean_prob, attributes ``ID``, ``Name`` = class, ``mean_prob``."""
    out = ["##gff-version 3"]
    for chrom, g in segments.groupby("chrom", sort=False):
        out.append(f"##sequence-region {chrom} {int(g['start'].min()) + 1} {int(g['end'].max())}")
    rows = zip(segments["chrom"], segments["start"], segments["end"], segments["class"], segments["mean_prob"])
    for i, (c, s, e, k, p) in enumerate(rows, start=1):
        out.append(f"{c}\t{source}\t{GFF3_TYPE[k]}\t{s + 1}\t{e}\t{p:.4f}\t.\t.\tID=segment{i};Name={k};mean_prob={p:.4f}")
    return "\n".join(out) + "\n"
