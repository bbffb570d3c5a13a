"""Byte-pair-encoding tokenizers (variable-length tokens, DNABERT-2): bases are aligned to tokens through the
fast tokenizer's offsets.

Predictions condition the masked token distribution over tokens **of the same length** as the reference token
(:mod:`.marginals`; an approximation: a different-length token would shift the alignment). A SNV is scorable
only when ref and alt tokenize to the same number of tokens differing in one token (DNALLM's rule).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedByModelError
from .base import NucleotideVocab
from .marginals import TokenMarginals


class BpeTokenization(TokenMarginals):
    name = "bpe"
    snv_rule = True

    @classmethod
    def claims(cls, tokenizer, vocab: NucleotideVocab) -> int | None:
        return 0 if getattr(tokenizer, "is_fast", False) else None

    @classmethod
    def label(cls, k: int) -> str:
        return "byte-pair encoding (variable-length tokens)"

    def encode(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        text = seq.lower() if self.vocab.lower else seq
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, starts, lens = [], [], []
        for i, (a, b) in zip(enc["input_ids"], enc["offset_mapping"]):
            if b > a:
                ids.append(int(i))
                starts.append(int(a))
                lens.append(int(b - a))
        covered = np.zeros(len(seq), dtype=bool)
        for a, m in zip(starts, lens):
            covered[a:a + m] = True
        if not covered.all():
            raise UnsupportedByModelError(f"{self.model}'s tokenizer drops bases (e.g. at position "
                                          f"{int(np.argmin(covered)) + 1}); it cannot be aligned per nucleotide.")
        return ids, starts, lens

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """None when ref and alt tokenize to the same number of tokens differing in exactly one, else why not."""
        up = seq.upper()
        ref_ids = self.encode(up)[0]
        alt_ids = self.encode(up[:offset] + alt.upper() + up[offset + 1:])[0]
        if len(ref_ids) != len(alt_ids):
            return f"alt changes the BPE tokenization ({len(ref_ids)} → {len(alt_ids)} tokens)"
        n_diff = sum(a != b for a, b in zip(ref_ids, alt_ids))
        if n_diff != 1:
            return f"alt changes {n_diff} BPE tokens (scored only when exactly one token differs)"
        return None

    def approximations(self) -> dict[str, str]:
        return {"log_probs": ("a base's prediction is the masked token distribution over same-length tokens "
                              "that agree with the reference at the token's other positions"),
                "hidden_states": "token states broadcast to the bases each token covers (tokenizer offsets)"}
