"""Attribution maps: which bases make the model predict this?

A **target** is a small differentiable function ``f(x) -> (N,)`` over one-hot inputs ``x`` of
shape (N, 4, L), built on the model's :meth:`~glm_explore.models.base.GenomicLM.onehot_forward`.
Targets are ``torch.nn.Module`` s, so captum's DeepLift can hook the model inside them.

===================== =====================================================================
``mlm_position``      log P(reference base at p | x with p masked) — MLM. The reference base
                      is fixed (taken from the sequence), and position p itself is fed the
                      mask token, so p has no influence: its attribution is 0 and its ISM is
                      undefined (NaN).
``mlm_span``          pseudo-log-likelihood of a span ``[start, end)``:
                      Σ_i Σ_b x[b, i] · log P(b | x with i masked) — MLM. Each span position
                      needs its own masked copy; copies are batched with
                      :func:`glm_explore.logits.mask_groups` (positions farther apart than the
                      receptive field R share one copy, exact), so one input costs
                      min(span, R + 1) forward passes (``Target.copies``).
``clm_span``          log-likelihood of a span Σ_i Σ_b x[b, i] · log P(b | x_<i) — CLM, one pass.
``probe``             log P(class | v) of a region-class :class:`~glm_explore.results.LinearProbe`
                      (the embedding explorer's logistic regression), where v is the probe's
                      layers' hidden states mean-pooled over a span ``[start, end)`` (averaged
                      with the reverse-complement strand when the probe was fit that way) —
                      any model with a differentiable ``onehot_hidden``. On a window of the
                      probe's own length with the span = its pooled centre, v is exactly the
                      embedding the probe was fit on.
===================== =====================================================================

For the span targets the scored base is the input's own (``x``-weighted), so a mutant is scored
on its own sequence; for ``mlm_position`` it is the fixed reference base. The default target of a
sequence or region is decided in one place, :func:`default_span`.

Methods (captum, ``(4, L)`` maps): Integrated Gradients (baselines ``zeros``, ``uniform`` 0.25
and ``shuffle`` = dinucleotide-shuffled copies of the input, averaged over ``n_baselines``
shuffles, via tangermeme's Euler-path ``dinucleotide_shuffle``), Saliency (the signed gradient),
Input × Gradient and DeepLift. IG and DeepLift report captum's convergence delta
Σ attr − (f(x) − f(x′)). ``correct=True`` applies the one-hot gradient correction (subtract, at
each position, the mean of the gradient over the 4 bases) before multiplying by ``x − x′``;
corrected maps no longer satisfy completeness, so the delta is reported for the uncorrected map.

In-silico saturation mutagenesis (:func:`saturation_mutagenesis`): f(mutant) − f(reference) for
every position × alternative base, batched; positions outside the target's receptive field are
0 without a forward pass (exact for finite receptive fields).

Modules: ``settings`` (:class:`AttributionSettings`, the options of one run, built once by the page or
the CLI), ``targets`` (the target modules and the default-target rule), ``baselines`` (x′ for IG /
DeepLift), ``scoring`` (batched forward passes: the one batching rule), ``gradients`` (captum
methods), ``ism`` (saturation mutagenesis), ``drivers`` (a region or many windows in, maps and
tables out).
"""

from .baselines import BASELINES, dinucleotide_shuffles, make_baselines
from .drivers import (
    attribute_region,
    attribute_windows,
    attribution_flank,
    attribution_table,
    parse_target_spec,
)
from .gradients import METHODS, attribute, correct_gradients, deeplift_warnings
from .ism import saturation_mutagenesis, single_mutants
from .scoring import input_batches, inputs_per_call, score
from .settings import MAX_ATTRIBUTION_BP, AttributionSettings
from .targets import (
    TARGETS,
    CausalSpanTarget,
    MaskedPositionTarget,
    MaskedSpanTarget,
    ProbeTarget,
    Target,
    default_kind,
    default_span,
    default_target,
    make_target,
    probe_span,
)

__all__ = [
    "BASELINES", "MAX_ATTRIBUTION_BP", "METHODS", "TARGETS", "AttributionSettings", "CausalSpanTarget",
    "MaskedPositionTarget", "MaskedSpanTarget", "ProbeTarget", "Target", "attribute", "attribute_region",
    "attribute_windows", "attribution_flank", "attribution_table", "correct_gradients", "deeplift_warnings",
    "default_kind", "default_span", "default_target", "dinucleotide_shuffles", "input_batches", "inputs_per_call",
    "make_baselines", "make_target", "parse_target_spec", "probe_span", "saturation_mutagenesis", "score",
    "single_mutants"
]
