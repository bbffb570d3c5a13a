"""Annotate a genome by transfer learning: a per-base region-class head on a model's frozen hidden states,
against the same head on k-mer window counts (the SegmentNT-style question: can the model's representation
annotate a genome?).

Typical use::

    fit = fit_annotator(model, data, AnnotateSettings(head="logistic"))  # train chromosomes → held-out bases
    fit.scores, fit.metrics, fit.confusion                            # macro-F1 (+ CI), per class, confusion
    pred = annotate_region(fit.head, model, data, "chrXVI:1001-3000") # per-base probabilities
    segs = predicted_segments(pred); segments_bed(segs); segments_gff3(segs)

One concept per file: :mod:`.split` (training / held-out spans, tiles, class-balanced picks),
:mod:`.features` (hidden states, k-mer windows), :mod:`.heads` (logistic, conv), :mod:`.metrics`
(per-class scores, block bootstrap), :mod:`.fit` (:func:`fit_annotator`, :class:`AnnotationFit`),
:mod:`.region` (:func:`annotate_region`, segments, BED / GFF3), :mod:`.settings` (:class:`AnnotateSettings`, the
options of one fit). Figures: :mod:`glm_explore.plots.annotate`.
"""

from .features import FeatureSpec, kmer_window_features
from .fit import AnnotateError, AnnotationFit, fit_annotator
from .heads import HEADS, AnnotationHead
from .metrics import bootstrap_macro_f1, class_metrics
from .region import (
    MAX_REGION_BP,
    RegionPrediction,
    annotate_region,
    predicted_segments,
    segments_bed,
    segments_gff3,
)
from .settings import PRIORS, AnnotateSettings
from .split import AnnotationSplit, annotation_split

__all__ = [
    "HEADS", "MAX_REGION_BP", "PRIORS", "AnnotateError", "AnnotateSettings", "AnnotationFit", "AnnotationHead",
    "AnnotationSplit", "FeatureSpec", "RegionPrediction", "annotate_region", "annotation_split", "bootstrap_macro_f1",
    "class_metrics", "fit_annotator", "kmer_window_features", "predicted_segments", "segments_bed", "segments_gff3"
]
