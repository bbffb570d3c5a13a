"""Learned features: a dictionary of what a model's units detect, named, placed on the genome, and checked
against chance (issue 24).

* :mod:`.activations` — per-position activations: a layer's hidden states (any model) or a built-in CNN
  block's convolution channels; region-class windows to read them on.
* :mod:`.sae` — a TopK sparse autoencoder (plain torch, CPU), cached and resumable, with FVE, L0, dead latents.
* :mod:`.describe` — per feature: top sites → PFM → TOMTOM names; class enrichment (odds ratio, CI, q).
* :mod:`.controls` — random-weights and dinucleotide-shuffle controls; which features beat both.
* :mod:`.dictionary` — :func:`build_dictionary`, the driver, and :class:`FeatureSettings`.
"""

from .dictionary import SOURCES, FeatureSettings, build_dictionary, describe_run
from .sae import SAEFit, SAESettings, TopKSAE, fit_sae

__all__ = ["SOURCES", "FeatureSettings", "SAEFit", "SAESettings", "TopKSAE", "build_dictionary", "describe_run",
           "fit_sae"]
