"""The tokenization strategy interface: how one kind of DNA tokenizer maps bases ↔ tokens.

A :class:`Tokenization` holds everything that differs between tokenizer kinds — encoding a sequence,
turning token predictions and token states back into per-nucleotide values, the SNV rule, the
approximation notes and the label people read — so nothing else branches on the kind. One kind per
module (:mod:`.char`, :mod:`.kmer`, :mod:`.bpe`); :mod:`glm_explore.models.tokenization` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ...sequence import ALPHABET


def codes(seq: str) -> np.ndarray:
    """(L,) int64 codes of an upper-case sequence: A,C,G,T → 0..3, anything else → 4."""
    lut = np.full(256, 4, dtype=np.int64)
    for i, b in enumerate(ALPHABET):
        lut[ord(b)] = i
    return lut[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def nucleotide_vocab(tokenizer) -> dict[str, int]:
    """Vocabulary entries made of A/C/G/T only (upper-cased) → id."""
    out: dict[str, int] = {}
    for tok, i in tokenizer.get_vocab().items():
        s = tok.upper()
        if s and set(s) <= set(ALPHABET) and s not in out:
            out[s] = int(i)
    return out


@dataclass(frozen=True, eq=False)
class NucleotideVocab:
    """The DNA side of a tokenizer's vocabulary: ``nuc`` (A/C/G/T-only tokens, upper-cased → id), ``base_ids``
    (4,) ids of A,C,G,T (-1 if absent), ``n_id`` (the N token, else unknown), ``unk`` and ``lower`` (the
    vocabulary spells bases in lower case)."""

    nuc: dict[str, int]
    base_ids: np.ndarray
    n_id: int
    unk: int
    lower: bool

    @classmethod
    def of(cls, tokenizer, nuc: dict[str, int] | None = None) -> NucleotideVocab:
        nuc = nucleotide_vocab(tokenizer) if nuc is None else nuc
        vocab = tokenizer.get_vocab()
        lower = "A" not in vocab and "a" in vocab
        unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        n_id = vocab.get("n" if lower else "N", vocab.get("N", vocab.get("n")))
        return cls(nuc=nuc, base_ids=np.array([nuc.get(b, -1) for b in ALPHABET], dtype=np.int64),
                   n_id=int(n_id) if n_id is not None else int(unk), unk=int(unk), lower=lower)

    def token_lengths(self) -> dict[int, int]:
        """{bases per token: how many nucleotide tokens have that length}."""
        out: dict[int, int] = {}
        for s in self.nuc:
            out[len(s)] = out.get(len(s), 0) + 1
        return out


class Tokenization(ABC):
    """One kind of DNA tokenizer (see the module docstring). Instances hold the tokenizer, its
    :class:`NucleotideVocab`, ``k`` (bases per token: 1, k, or 0 when variable) and ``model`` (the model's name,
    for messages)."""

    name: ClassVar[str]  # the label kept in ModelInfo.tokenization (display only)
    base_tokens: ClassVar[bool] = False  # one token per base: per-base outputs are the model's own, one-hot input
    snv_rule: ClassVar[bool] = False  # snv_skip_reason can refuse a SNV

    def __init__(self, tokenizer, vocab: NucleotideVocab, k: int, model: str = "This model") -> None:
        self.tokenizer, self.vocab, self.k, self.model = tokenizer, vocab, k, model

    # -- which tokenizers it serves -----------------------------------------------------------------
    @classmethod
    @abstractmethod
    def claims(cls, tokenizer, vocab: NucleotideVocab) -> int | None:
        """``k`` when this kind serves ``tokenizer`` (its vocabulary ``vocab``), else None."""

    @classmethod
    @abstractmethod
    def label(cls, k: int) -> str:
        """What people read about this kind (the capability matrix's Tokenization row)."""

    # -- sequence → tokens --------------------------------------------------------------------------
    @abstractmethod
    def encode(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        """Token ids, first base and number of bases of each token of upper-case ``seq`` (no special tokens)."""

    @property
    def bases_per_token(self) -> int:
        """Bases every token covers at least (to turn a token limit into bp)."""
        return max(1, self.k)

    # -- tokens → bases -----------------------------------------------------------------------------
    @abstractmethod
    def to_bases(self, logits: torch.Tensor, tk, seq: str, masked: np.ndarray, *, mlm: bool,
                 substitutions) -> np.ndarray:
        """(T, V) logits of one sequence (its :class:`~glm_explore.models.hf.alignment.Tokens` ``tk``) → (4, L)
        natural-log probabilities per base. ``substitutions()`` gives the (4, L) ids of each base's token with
        that base replaced (cached by the aligner)."""

    @abstractmethod
    def masked_token_to_bases(self, logits: torch.Tensor, start: int, length: int, seq: str,
                              substitutions) -> np.ndarray:
        """(4, length) natural-log probabilities of each base of the token covering ``seq[start:start + length]``,
        each as if it were the only masked base, from ``logits`` (V,) at that token's slot in a copy with the
        token masked (MLM). Masking any base masks its whole token, so one masked copy per token serves all
        its bases; the values equal :meth:`to_bases` with that single base masked."""

    def states_to_bases(self, states: np.ndarray, tk) -> np.ndarray:
        """(T, D) token states → (L, D) per-base states: each token's state broadcast to the bases it covers."""
        return states[tk.base_tok]

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why the SNV ``alt`` at 0-based ``offset`` of ``seq`` cannot be scored, or None (every SNV scored)."""
        return None

    def approximations(self) -> dict[str, str]:
        """``{feature: note}`` for what is not exact (``log_probs``, ``hidden_states``); empty when exact."""
        return {}
