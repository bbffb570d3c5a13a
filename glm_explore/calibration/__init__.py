"""Calibrated variant scores: what an LLR means against the model's own background.

* :mod:`.background` — :func:`compute_background`: the LLRs of possible SNVs per region class of the
  held-out span (all, or a seeded uniform sample per class), kept as sorted order statistics; the shipped
  backgrounds of the default models (:func:`shipped_background`)
* :mod:`.percentiles` — :func:`class_percentiles`, :func:`genome_percentiles`, :func:`add_percentiles`
  (the ``llr_pct_class`` / ``llr_pct_genome`` columns), :func:`percentile_sentence`, :func:`z_sentence`
* :mod:`.methods` — :func:`compare_methods`: LLR, entropy-weighted LLR, embedding shift (cosine, L2) and a CLM's
  Δ log-likelihood on held-out SNVs of known effect, AUROC per class pair with bootstrap CIs, methods ranked

Percentile = fraction of the background with LLR ≤ the score (ties at-or-below); see
:mod:`glm_explore.results.calibration`.
"""

from ..results.calibration import Background, ClassBackground, MethodComparison
from .background import (
    BACKGROUND_DIR,
    DEFAULT_KEEP,
    DEFAULT_SITES,
    background_for,
    background_sites,
    cache_path,
    compute_background,
    estimate_seconds,
    heldout_span,
    order_statistics,
    shipped_background,
    shipped_background_path,
)
from .methods import METHOD_LABELS, METHODS, compare_methods, method_aurocs, method_scores, rank_methods
from .percentiles import (
    PCT_COLUMNS,
    add_percentiles,
    class_percentiles,
    describe,
    genome_percentiles,
    percentile_sentence,
    with_percentiles,
    z_sentence,
)

__all__ = [
    "BACKGROUND_DIR", "DEFAULT_KEEP", "DEFAULT_SITES", "METHODS", "METHOD_LABELS", "PCT_COLUMNS", "Background", "ClassBackground",
    "MethodComparison", "add_percentiles", "background_for", "background_sites", "cache_path", "class_percentiles", "describe", "compute_background", "estimate_seconds",
    "compare_methods", "genome_percentiles", "method_aurocs", "method_scores", "rank_methods", "heldout_span", "order_statistics", "percentile_sentence", "shipped_background",
    "shipped_background_path", "with_percentiles", "z_sentence",
]
