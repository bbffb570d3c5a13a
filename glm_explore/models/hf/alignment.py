"""Tokens ↔ nucleotides for Hugging Face DNA tokenizers: the :class:`TokenAligner`.

Every output of the adapter is per nucleotide: log-probs (N, 4, L) over A,C,G,T and hidden states (L, D).
What differs between tokenizer kinds (character, non-overlapping k-mer, BPE) — encoding, token predictions
and states → bases, the SNV rule, the approximation notes — is one strategy per kind in
:mod:`glm_explore.models.tokenization`; the aligner adds what every kind shares: the special tokens around a
sequence, the model's token limit, the base ↔ token map (:class:`Tokens`) and a small cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from ...errors import InputTooLargeError, ModelLoadError
from ...sequence import ALPHABET
from ..tokenization import Tokenization, detect, nucleotide_vocab
from ..tokenization import codes as codes  # re-exported: older callers import them from here
from ..tokenization import normalise_log as normalise_log
from ..tokenization import split_kmers as split_kmers

UNBOUNDED_LEN = 100_000  # max_len (bp) reported for models without a position limit


@dataclass(frozen=True)
class Tokens:
    """One sequence's tokens and its base ↔ token map (indices into ``ids``, specials included)."""

    ids: np.ndarray        # (T,) int64 token ids incl. special tokens
    base_tok: np.ndarray   # (L,) token index holding base i
    tok_start: np.ndarray  # (T,) first base of each token (-1 for special tokens)
    tok_len: np.ndarray    # (T,) bases covered by each token (0 for special tokens)


def special_frame(tokenizer, base_id: int | None, *, lower: bool, objective: str, config
                  ) -> tuple[list[int], list[int]]:
    """Token ids the tokenizer puts before / after a sequence (e.g. [CLS] … [SEP]); CLMs get BOS."""
    prefix: list[int] = []
    suffix: list[int] = []
    if base_id is not None:
        try:
            ids = list(tokenizer("a" if lower else "A", add_special_tokens=True)["input_ids"])
            if base_id in ids:
                at = ids.index(base_id)
                prefix, suffix = ids[:at], ids[at + 1:]
        except Exception:  # tokenizers with unusual call signatures: no specials
            pass
    if objective == "clm":
        suffix = []  # nothing after the last base matters to a causal model
        if not prefix:
            bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else \
                getattr(tokenizer, "eos_token_id", None)
            if bos is None:
                bos = getattr(config, "bos_token_id", None)
            prefix = [int(bos)] if bos is not None else []
    return [int(i) for i in prefix], [int(i) for i in suffix]


class TokenAligner:
    """How one DNA tokenizer turns sequences into tokens and token predictions back into bases.

    ``strategy`` is the tokenizer's kind (:class:`~glm_explore.models.tokenization.Tokenization`);
    ``tokenization`` its label and ``k`` the bases per token (1, k, 0); ``prefix`` / ``suffix`` the special
    token ids around every sequence; ``max_tokens`` the model's token limit (None = unbounded). Thread-safe:
    it is shared between Streamlit sessions.
    """

    def __init__(self, tokenizer, *, objective: str, name: str, config, max_tokens: int | None) -> None:
        self.tokenizer, self.name, self.max_tokens = tokenizer, name, max_tokens
        self.strategy: Tokenization = detect(tokenizer, nucleotide_vocab(tokenizer), model=name)
        self.tokenization, self.k = self.strategy.name, self.strategy.k
        vocab = self.strategy.vocab
        self.lower, self.nuc, self.base_ids = vocab.lower, vocab.nuc, vocab.base_ids
        self.unk, self.n_id = vocab.unk, vocab.n_id
        self.mask_id = tokenizer.mask_token_id
        if objective == "mlm" and self.mask_id is None:
            raise ModelLoadError(f"{name} is a masked LM but its tokenizer has no mask token.")
        base_id = int(self.base_ids[0]) if self.base_ids[0] >= 0 else None
        self.prefix, self.suffix = special_frame(tokenizer, base_id, lower=self.lower, objective=objective,
                                                 config=config)
        self._cache: dict = {}  # tokenizations / substitution tables of recent sequences
        self._cache_lock = threading.Lock()

    @property
    def max_len(self) -> int:
        """Longest sequence (bp) that fits in ``max_tokens`` (the strategy's bases per token)."""
        if not self.max_tokens:
            return UNBOUNDED_LEN
        return int((self.max_tokens - len(self.prefix) - len(self.suffix)) * self.strategy.bases_per_token)

    # -- sequence → tokens ---------------------------------------------------------------------
    def encode_core(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        """Token ids, start base and length of each token for ``seq`` (no specials)."""
        return self.strategy.encode(seq.upper())
    def tokenize(self, seq: str) -> Tokens:
        """Token ids (with specials) and the base ↔ token map of one sequence."""
        core, starts, lens = self.encode_core(seq)
        P, T = len(self.prefix), len(core)
        ids = np.array(self.prefix + core + self.suffix, dtype=np.int64)
        tok_start = np.full(len(ids), -1, dtype=np.int64)
        tok_len = np.zeros(len(ids), dtype=np.int64)
        tok_start[P:P + T], tok_len[P:P + T] = starts, lens
        base_tok = np.repeat(np.arange(P, P + T), lens)
        if self.max_tokens and len(ids) > self.max_tokens:
            raise InputTooLargeError(f"{len(seq):,} bp make {len(ids):,} tokens but {self.name} reads at most "
                                     f"{self.max_tokens:,} tokens (~{self.max_len:,} bp): use a shorter region.")
        return Tokens(ids, base_tok, tok_start, tok_len)

    def tokenize_cached(self, seq: str) -> Tokens:
        """:meth:`tokenize`, remembered for the last few sequences."""
        with self._cache_lock:
            hit = self._cache.get(seq)
        if hit is None:
            hit = self.tokenize(seq)
            with self._cache_lock:
                if len(self._cache) > 8:
                    self._cache.clear()
                self._cache[seq] = hit
        return hit

    def substitutions(self, seq: str) -> np.ndarray:
        """(4, L) id of the token holding base i with base i replaced by b (-1 if not in the vocabulary)."""
        key = ("subst", seq)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        tk, up = self.tokenize_cached(seq), seq.upper()
        out = np.full((4, len(seq)), -1, dtype=np.int64)
        for t in np.nonzero(tk.tok_len)[0]:
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            word = up[a:a + m]
            for j in range(m):
                for b, base in enumerate(ALPHABET):
                    out[b, a + j] = self.nuc.get(word[:j] + base + word[j + 1:], -1)
        with self._cache_lock:
            self._cache[key] = out
        return out

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why a SNV at 0-based ``offset`` of ``seq`` cannot be scored (the strategy's SNV rule), or None."""
        return self.strategy.snv_skip_reason(seq, offset, alt)

    # -- token predictions → bases -------------------------------------------------------------
    def to_bases(self, logits: torch.Tensor, tk: Tokens, seq: str, masked: np.ndarray, *, mlm: bool
                 ) -> np.ndarray:
        """(T, V) logits of one sequence → (4, L) log-probs per base (the strategy's rule)."""
        return self.strategy.to_bases(logits, tk, seq, masked, mlm=mlm, substitutions=lambda: self.substitutions(seq))

    def masked_token_to_bases(self, logits: torch.Tensor, tk: Tokens, t: int, seq: str) -> np.ndarray:
        """(4, m) log-probs of each base of token ``t`` masked alone, from ``logits`` (V,) at slot ``t`` of a copy
        with token ``t`` masked (the strategy's rule)."""
        return self.strategy.masked_token_to_bases(logits, int(tk.tok_start[t]), int(tk.tok_len[t]), seq,
                                                   lambda: self.substitutions(seq))

    def states_to_bases(self, states: np.ndarray, tk: Tokens) -> np.ndarray:
        """(T, D) token states → (L, D) per-base states (the strategy's rule)."""
        return self.strategy.states_to_bases(states, tk)
