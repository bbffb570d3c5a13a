"""The one seam between pages/tools and models: the :class:`GenomicLM` protocol, the
:class:`ModelInfo` a model carries, and the :class:`Capabilities` it declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import torch

Progress = Callable[[float, str], None]  # fraction done in [0, 1], message


@dataclass(frozen=True)
class Capabilities:
    """What a model can serve beyond the core protocol, declared by its adapter (never probed).

    Pages, the CLI and :mod:`glm_explore.models.capabilities` read this declaration to decide what
    to offer; a feature declared False raises
    :class:`~glm_explore.errors.UnsupportedByModelError` when called anyway.

    Attributes
    ----------
    onehot_forward : ``onehot_forward`` works: logits differentiable in one-hot bases (N, 4, L), so
        gradient attributions (saliency, IG, DeepLIFT) are possible.
    onehot_hidden : ``onehot_hidden`` works: per-base hidden states differentiable in one-hot bases,
        which the region-class probe attribution target needs.
    one_pass_layers : ``hidden_layers`` returns every requested layer from ONE forward pass, so a
        layer sweep costs no more than the last layer.
    every_layer : hidden states exist for every layer 0..n_layers; False: only the last (-1), e.g.
        GPN, whose outputs carry no per-layer states.
    snv_rule : ``snv_skip_reason`` can refuse SNVs (BPE: alt must change exactly one token); when
        False every valid SNV is scored.
    masked_sites : ``masked_sites`` works: log-probs at many positions of a row, each masked alone, from
        one clean pass plus each mask's receptive-field cone (exact; the fast variant scorer uses it).
    caches_prefix : ``log_probs_shared_prefix`` runs the tokens a group of sequences shares at its start once
        (a causal LM's key / value cache), so a variant's ref and alt windows share the pass left of the
        variant; when False it runs every sequence in full (same numbers, no saving).
    k : bases per token: 1 for character models, k for non-overlapping k-mers, 0 when variable (BPE).
    approximations : ``(feature, note)`` pairs saying what is not exact for this model. Features:
        ``log_probs`` (per-base predictions), ``hidden_states`` (per-base states), ``first_base``
        (the first base of a causal model).
    """

    onehot_forward: bool = False
    onehot_hidden: bool = False
    one_pass_layers: bool = False
    every_layer: bool = True
    snv_rule: bool = False
    masked_sites: bool = False
    caches_prefix: bool = False
    k: int = 1
    approximations: tuple[tuple[str, str], ...] = ()

    def note(self, feature: str, default: str = "") -> str:
        """The approximation note of ``feature`` (see :attr:`approximations`), or ``default``."""
        return dict(self.approximations).get(feature, default)


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is and can do (``capabilities``: the declared optional features)."""

    name: str
    objective: Literal["mlm", "clm"]
    tokenization: str  # the tokenizer kind's label (glm_explore.models.tokenization), for display
    max_len: int
    n_layers: int
    dim: int
    source: str
    receptive_field: int | None = None  # bases each side (MLM) / left (CLM); None = unbounded
    n_parameters: int | None = None
    card: dict = field(default_factory=dict, compare=False, hash=False)
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def is_mlm(self) -> bool:
        return self.objective == "mlm"


@runtime_checkable
class GenomicLM(Protocol):
    """Every model, built-in or Hugging Face, behind one interface (A,C,G,T order, natural log).

    Core: :meth:`log_probs`, :meth:`hidden_states`, :meth:`onehot_forward`. The other members have
    defaults in :class:`~glm_explore.models.adapter.BaseAdapter` (every shipped adapter derives from
    it); whether a model really serves them is declared in ``info.capabilities``
    (:class:`Capabilities`), which callers read instead of probing attributes:

    * ``onehot_forward`` — ``capabilities.onehot_forward``;
    * ``onehot_hidden(x, layers)`` — ``capabilities.onehot_hidden``;
    * ``hidden_layers(seqs, layers)`` — always works; ``capabilities.one_pass_layers`` says whether
      it costs one forward pass or one per layer;
    * ``snv_skip_reason(seq, offset, alt)`` — None unless ``capabilities.snv_rule``;
    * ``masked_sites(seqs, row_of, offsets)`` — always works; fast when ``capabilities.masked_sites``;
    * ``log_probs_shared_prefix(groups)`` — always works (CLM); fast when ``capabilities.caches_prefix``;
    * ``network`` — the ``torch.nn.Module`` the adapter runs (None if not torch), registered by
      attribution targets so captum's hooks see its layers.

    Layers: 0 = input embedding, 1..n_layers the blocks, negative from the end (-1 = last).
    """

    info: ModelInfo
    network: torch.nn.Module | None

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

    def hidden_layers(self, seqs: list[str], layers: list[int], *, batch_size: int = 64) -> list[np.ndarray]:
        """Equal-length ``seqs`` → one (N, L, D) float32 array per entry of ``layers``."""
        ...

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable one-hot (N, 4, L) → logits (N, 4, L); ``masked`` (N, L) bool for MLMs."""
        ...

    def onehot_hidden(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Differentiable one-hot (N, 4, L) → per-base states (N, L, D), one per entry of ``layers``."""
        ...

    def masked_sites(self, seqs: list[str], row_of: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(M, 4) log-probs at ``offsets[m]`` of ``seqs[row_of[m]]``, each position masked alone (MLM)."""
        ...

    def log_probs_shared_prefix(self, groups: list[list[str]], *, batch_size: int = 64) -> list[np.ndarray]:
        """CLM: one (n_g, 4, L_g) array per group of equal-length sequences, equal to ``log_probs(group)``."""
        ...

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why the SNV ``alt`` at 0-based ``offset`` of ``seq`` is not scored, or None when it is."""
        ...
