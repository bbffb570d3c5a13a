"""Shared adapter defaults: layer-index normalisation, batching by length, :class:`BaseAdapter`.

Every shipped adapter derives from :class:`BaseAdapter`, which fills in the optional members of
the :class:`~glm_explore.models.base.GenomicLM` protocol with honest defaults (an unsupported
feature raises :class:`~glm_explore.errors.UnsupportedByModelError`); what a model really serves
is declared in its ``info.capabilities``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from ..errors import LayerError, UnsupportedByModelError
from .base import ModelInfo


def layer_index(layer: int, n_layers: int, name: str = "this model") -> int:
    """``layer`` in ``[-(n_layers + 1), n_layers]`` → its index in ``0..n_layers`` (-1 = last).

    0 is the input embedding and 1..n_layers the blocks. Raises :class:`~glm_explore.errors.LayerError`
    (a ``ValueError``) outside that range.
    """
    k = n_layers + 1 + int(layer) if layer < 0 else int(layer)
    if not 0 <= k <= n_layers:
        raise LayerError(f"{name} has layers 0..{n_layers} (0 = input embedding, -1 = last); got {layer}. "
                             f"Choose a layer between -{n_layers + 1} and {n_layers}.")
    return k


def batches_by_length(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices of items with equal ``lengths``, in chunks of at most ``batch_size``.

    Lengths come in order of first appearance; indices keep their order inside a length. Each
    chunk can be stacked into one tensor.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(int(n), []).append(i)
    for idx in groups.values():
        for j in range(0, len(idx), batch_size):
            yield idx[j:j + batch_size]


def check_equal_lengths(seqs: Sequence[str]) -> int:
    """The common length of ``seqs`` (ValueError when they differ)."""
    lengths = {len(s) for s in seqs}
    if len(lengths) != 1:
        raise ValueError(f"sequences in one call must have equal length, got lengths {sorted(lengths)[:5]}")
    return lengths.pop()


class BaseAdapter:
    """Defaults for the optional :class:`~glm_explore.models.base.GenomicLM` members.

    Subclasses set ``info`` (with its declared ``capabilities``) and ``network``, implement
    :meth:`log_probs` and :meth:`hidden_states`, and override the optional members they declare.
    """

    info: ModelInfo
    network: torch.nn.Module | None = None

    # -- layers --------------------------------------------------------------------------------
    def layer_index(self, layer: int) -> int:
        """``layer`` (negative from the end) → index in ``0..info.n_layers``; LayerError outside."""
        return layer_index(layer, self.info.n_layers, self.info.name)

    def layer_indices(self, layers: Sequence[int]) -> list[int]:
        """:meth:`layer_index` of each entry, order and repeats kept."""
        return [self.layer_index(k) for k in layers]

    # -- core protocol -------------------------------------------------------------------------
    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64
                  ) -> np.ndarray:
        raise NotImplementedError

    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        raise NotImplementedError

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        raise UnsupportedByModelError(f"Gradient attributions need a per-base differentiable input, which "
                                      f"{self.info.name} does not have. Use in-silico mutagenesis (ISM) instead.")

    # -- optional members ----------------------------------------------------------------------
    def hidden_layers(self, seqs: list[str], layers: list[int], *, batch_size: int = 64) -> list[np.ndarray]:
        """Equal-length ``seqs`` → one (N, L, D) array per entry of ``layers`` (default: one
        :meth:`hidden_states` call per layer; ``capabilities.one_pass_layers`` adapters do one pass)."""
        return [np.stack(self.hidden_states(seqs, layer=k, batch_size=batch_size)) for k in layers]

    def onehot_hidden(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Differentiable one-hot (N, 4, L) → per-base states (N, L, D) per layer (unsupported by default)."""
        raise UnsupportedByModelError(f"{self.info.name} has no differentiable path to its hidden states, so the "
                                      "probe target cannot be attributed; pick a likelihood target.")

    def masked_sites(self, seqs: list[str], row_of: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(M, 4) log P over A,C,G,T at ``offsets[m]`` of ``seqs[row_of[m]]`` with only that position masked
        (default: one masked copy of the row per site; ``capabilities.masked_sites`` adapters share work)."""
        out = np.zeros((len(offsets), 4), dtype=np.float64)
        for m, (r, o) in enumerate(zip(row_of, offsets)):
            masked = np.zeros((1, len(seqs[r])), dtype=bool)
            masked[0, o] = True
            out[m] = self.log_probs([seqs[r]], masked, batch_size=1)[0, :, o]
        return out

    def log_probs_shared_prefix(self, groups: list[list[str]], *, batch_size: int = 64) -> list[np.ndarray]:
        """For a CLM: one (n_g, 4, L) array per group of equal-length sequences, equal to ``log_probs(group)``
        (default: every sequence in full; ``capabilities.caches_prefix`` adapters run a group's shared start once).
        """
        if self.info.objective != "clm":
            raise ValueError("a shared prefix needs a causal LM")
        return [self.log_probs(g, batch_size=batch_size) for g in groups]

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why a SNV cannot be scored, or None: every valid SNV is scored unless ``capabilities.snv_rule``."""
        return None
