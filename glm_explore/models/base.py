"""The one seam between pages/tools and models: the :class:`GenomicLM` protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import torch

Progress = Callable[[float, str], None]  # fraction done in [0, 1], message


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is and can do."""

    name: str
    objective: Literal["mlm", "clm"]
    tokenization: Literal["char", "kmer", "bpe"]
    max_len: int
    n_layers: int
    dim: int
    source: str
    receptive_field: int | None = None  # bases each side (MLM) / left (CLM); None = unbounded
    n_parameters: int | None = None
    card: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_mlm(self) -> bool:
        return self.objective == "mlm"


@runtime_checkable
class GenomicLM(Protocol):
    """Every model, built-in or Hugging Face, behind one interface (A,C,G,T order, natural log).

    Optional: ``onehot_hidden(x, layers) -> list[Tensor]`` — differentiable one-hot (N, 4, L) →
    per-base states (N, L, D) for each requested layer (0 = input embedding, -1 = last), which the
    region-class probe target of :mod:`glm_explore.attribution` needs. The built-in ConvLM and
    character-level Hugging Face adapters have it; pages offer the probe target only where it exists.
    """

    info: ModelInfo

    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64
                  ) -> np.ndarray:
        """(N, 4, L) natural-log probabilities over A,C,G,T per nucleotide (equal-length seqs).

        MLM: positions with ``masked[n, i] = True`` are predicted through the mask token.
        CLM: column i is P(x_i | x_<i) (column 0 from the BOS context); ``masked`` must be None.
        """
        ...

    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        """Per-nucleotide (L_n, D) float32 representations, aligned to nucleotides."""
        ...

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable one-hot (N, 4, L) → logits (N, 4, L); ``masked`` (N, L) bool for MLMs."""
        ...
