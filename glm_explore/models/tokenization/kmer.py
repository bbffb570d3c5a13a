"""Non-overlapping k-mer tokenizers (the Nucleotide Transformer's): k-mers from the left, single-base tokens
for the leftover tail and around N.

A base is predicted through its k-mer token (:mod:`.marginals`: the masked k-mer distribution conditioned on
the token's other k−1 reference bases — an approximation); token states are broadcast to the k bases.
"""

from __future__ import annotations

from ...sequence import ALPHABET
from .base import NucleotideVocab
from .marginals import TokenMarginals


def split_kmers(seq: str, k: int) -> list[str]:
    """Non-overlapping k-mers from the left; single bases for the leftover tail and around N."""
    out, i = [], 0
    while i < len(seq):
        chunk = seq[i:i + k]
        if len(chunk) == k and set(chunk) <= set(ALPHABET):
            out.append(chunk)
            i += k
        else:
            out.append(seq[i])
            i += 1
    return out


class KmerTokenization(TokenMarginals):
    name = "kmer"

    @classmethod
    def claims(cls, tokenizer, vocab: NucleotideVocab) -> int | None:
        lengths = vocab.token_lengths()
        multi = [m for m in lengths if m > 1]
        return multi[0] if len(multi) == 1 and lengths[multi[0]] == 4 ** multi[0] else None

    @classmethod
    def label(cls, k: int) -> str:
        return f"non-overlapping {k}-mers (single bases for leftovers and N)"

    def encode(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        v = self.vocab
        ids, starts, lens, at = [], [], [], 0
        for t in split_kmers(seq, self.k):
            ids.append(v.nuc.get(t, v.n_id if t == "N" else v.unk))
            starts.append(at)
            lens.append(len(t))
            at += len(t)
        return ids, starts, lens

    def approximations(self) -> dict[str, str]:
        return {"log_probs": (f"a base's prediction is the masked {self.k}-mer token distribution conditioned on "
                              f"the token's other {self.k - 1} reference bases (the model does not see them)"),
                "hidden_states": f"token states broadcast to the {self.k} bases each token covers"}
