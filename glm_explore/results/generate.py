"""Generated sequences (:mod:`glm_explore.generate`) and how genome-like they are
(:mod:`glm_explore.genome_likeness`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REFERENCE, CONTROL = "real (reference)", "real (control)"  # the two sets of real windows in a Likeness


@dataclass(frozen=True)
class Sample:
    """One generated sequence (see :mod:`glm_explore.generate` for the rules).

    ``sequence``: the whole sequence (prefix / fixed bases included), length L. ``log_probs`` (L,):
    natural-log probability of each generated base under the distribution it was drawn from;
    ``model_log_probs`` (L,): the same base under the model's untempered column; both NaN where
    ``generated`` (L,) bool is False. ``seed``: this sample's own seed. ``method``: 'clm',
    'mask-predict' or 'gibbs'. ``rounds``: mask-and-fill rounds (1 for a CLM: one left-to-right pass).
    """

    sequence: str
    log_probs: np.ndarray
    model_log_probs: np.ndarray
    generated: np.ndarray
    seed: int
    method: str
    rounds: int

    @property
    def mean_log_prob(self) -> float:
        """Mean of ``log_probs`` over the generated bases (nats per base)."""
        return float(np.mean(self.log_probs[self.generated]))

    @property
    def mean_model_log_prob(self) -> float:
        """Mean of ``model_log_probs`` over the generated bases (nats per base)."""
        return float(np.mean(self.model_log_probs[self.generated]))


@dataclass(frozen=True)
class Likeness:
    """Everything the genome-likeness view shows.

    ``per_sequence``: one row per sequence — ``set``, ``index``, ``gc``, ``period3``, ``nearest_edit``,
    ``motif_hits_per_kb`` and (with another model) ``other_bits``. ``divergence``: one row per (set, k)
    with ``js_bits``. ``summary``: one row per set, means of the per-sequence columns plus ``js_bits_k3`` and
    ``js_bits_k6``. ``projection``: ``set``, ``index``, ``pc1``, ``pc2`` (None when not computed).
    ``real_class``: the class of the real windows; ``length``: bp per sequence; ``other_model``: its name.
    """

    per_sequence: pd.DataFrame
    divergence: pd.DataFrame
    summary: pd.DataFrame
    projection: pd.DataFrame | None
    real_class: str
    length: int
    other_model: str | None
