"""Forward passes of a target, batched: the one batching rule of the attribution tools.

A target may expand each input into ``copies`` forward passes (e.g. the masked copies of
:class:`~glm_explore.attribution.targets.MaskedSpanTarget`), so a budget of ``batch_size``
forward passes per call means ``batch_size // copies`` inputs per call (at least 1). The chunks
come from :func:`glm_explore.models.adapter.batches_by_length` (every input here has one length).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from ..models.adapter import batches_by_length


def inputs_per_call(target: nn.Module, batch_size: int) -> int:
    """Inputs per forward call of ``target``: ``batch_size`` forward passes ÷ the target's ``copies`` (≥ 1)."""
    return max(1, batch_size // max(1, int(getattr(target, "copies", 1))))


def input_batches(target: nn.Module, x: np.ndarray, batch_size: int) -> Iterator[slice]:
    """Contiguous slices of the inputs ``x`` (N, 4, L), each one forward call of ``target``."""
    for idx in batches_by_length([x.shape[-1]] * len(x), inputs_per_call(target, batch_size)):
        yield slice(idx[0], idx[-1] + 1)


@torch.no_grad()
def score(target: nn.Module, x: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """(N,) float64 target values for one-hot inputs ``x`` (N, 4, L), in batches of ``batch_size``
    forward passes (:func:`inputs_per_call`)."""
    x = np.asarray(x, dtype=np.float32)
    out = [target(torch.from_numpy(x[sl])).double().numpy() for sl in input_batches(target, x, batch_size)]
    return np.concatenate(out) if out else np.zeros(0)
