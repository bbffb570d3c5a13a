"""Character tokenizers (one token per base, e.g. GPN, HyenaDNA, Caduceus): direct.

Log-probs are the model's softmax restricted to the four base tokens and renormalised; hidden states are
the tokens' own; one-hot bases can enter through the embedding rows (gradient attributions).
"""

from __future__ import annotations

import numpy as np
import torch

from .base import NucleotideVocab, Tokenization, codes


class CharTokenization(Tokenization):
    name = "char"
    base_tokens = True

    @classmethod
    def claims(cls, tokenizer, vocab: NucleotideVocab) -> int | None:
        return 1 if set(vocab.token_lengths()) == {1} else None

    @classmethod
    def label(cls, k: int) -> str:
        return "one token per base"

    def encode(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        v = self.vocab
        ids = [int(v.base_ids[c]) if c < 4 else v.n_id for c in codes(seq)]
        return ids, list(range(len(seq))), [1] * len(seq)

    def to_bases(self, logits: torch.Tensor, tk, seq: str, masked: np.ndarray, *, mlm: bool,
                 substitutions) -> np.ndarray:
        pos = tk.base_tok if mlm else tk.base_tok - 1  # a CLM predicts base i at the token before it
        ok = pos >= 0
        lp = np.full((4, len(seq)), -np.log(4.0), dtype=np.float32)
        sel = logits[torch.from_numpy(pos[ok])][:, torch.from_numpy(self.vocab.base_ids)]
        lp[:, ok] = torch.log_softmax(sel, dim=-1).numpy().T
        return lp

    def masked_token_to_bases(self, logits: torch.Tensor, start: int, length: int, seq: str,
                              substitutions) -> np.ndarray:
        sel = logits[torch.from_numpy(self.vocab.base_ids)]
        return torch.log_softmax(sel, dim=-1).numpy()[:, None].astype(np.float32)
