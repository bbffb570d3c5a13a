"""Token distributions → per-base distributions, shared by the multi-base kinds (:mod:`.kmer`, :mod:`.bpe`).

A base is predicted through the token that contains it. Masking base i masks its whole token; the model then
gives a distribution P(w) over tokens at that slot. The base's distribution is that distribution conditioned
on the reference at the token's other (unmasked) positions::

    P(x_i = b | rest) ∝ Σ_{w : |w| = |token|, w_i = b, w_j = x_j for unmasked j ≠ i in the token} P(w)

(summing over any other masked positions of the same token). An **approximation** of a per-base masked
marginal: the model never sees the token's other bases as input, and probability it puts on other tokens at
that slot is dropped. Causal models use the same idea left to right: P(x_i = b | x_<i) ∝ Σ over tokens whose
first bases match the reference prefix inside the token and whose next base is b.
"""

from __future__ import annotations

import numpy as np
import torch

from .base import Tokenization, codes


def token_groups(nuc: dict[str, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Nucleotide tokens grouped by length m: ``{m: (codes (n, m), ids (n,))}`` for marginalisation."""
    groups: dict[int, tuple[list, list]] = {}
    for s, i in nuc.items():
        groups.setdefault(len(s), ([], []))
        groups[len(s)][0].append(codes(s))
        groups[len(s)][1].append(i)
    return {m: (np.stack(c), np.array(i)) for m, (c, i) in groups.items()}


def mlm_token(groups, probs: np.ndarray, ref: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """(4, m) unnormalised P(base b at offset j) from a token-level distribution ``probs`` (V,).

    Σ over same-length nucleotide tokens w with w_j = b that match ``ref`` at the token's
    unmasked offsets other than j (masked offsets other than j are summed over).
    """
    m = len(ref)
    if m not in groups:
        return np.ones((4, m))
    cand, ids = groups[m]
    pw = probs[ids]  # (n,)
    neq = (cand != ref[None, :]) & ~masked[None, :]  # mismatches at known offsets
    mism = neq.sum(axis=1)
    agree = (mism[:, None] - neq) == 0  # (n, m): agrees at every known offset except j
    onehot = cand[:, :, None] == np.arange(4)[None, None, :]  # (n, m, 4)
    return np.einsum("w,wj,wjb->bj", pw, agree, onehot)


def clm_token(groups, probs: np.ndarray | None, ref: np.ndarray) -> np.ndarray:
    """(4, m) unnormalised P(x_{a+j} = b | x_<a+j) from the next-token distribution ``probs`` (V,).

    Σ over nucleotide tokens w longer than j whose first j bases match the reference and w_j = b.
    """
    m = len(ref)
    p = np.zeros((4, m))
    if probs is None:
        return np.ones((4, m))
    for mm, (cand, ids) in groups.items():
        jmax = min(m, mm)
        eq = cand[:, :jmax] == ref[None, :jmax]
        prefix_ok = np.concatenate([np.ones((len(cand), 1), bool), np.cumprod(eq, axis=1)[:, :-1].astype(bool)],
                                   axis=1)  # (n, jmax): w_<j matches
        onehot = cand[:, :jmax, None] == np.arange(4)[None, None, :]
        p[:, :jmax] += np.einsum("w,wj,wjb->bj", probs[ids], prefix_ok, onehot)
    return p


def normalise_log(p: np.ndarray) -> np.ndarray:
    """(4, L) non-negative weights → log-probabilities; columns with no mass become uniform."""
    total = p.sum(axis=0, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.25)
    p = np.clip(p, 1e-12, None)
    return np.log(p / p.sum(axis=0, keepdims=True)).astype(np.float32)


class TokenMarginals(Tokenization):
    """Multi-base tokens: per-base predictions by conditioning token distributions (module docstring)."""

    def __init__(self, tokenizer, vocab, k: int, model: str = "This model") -> None:
        super().__init__(tokenizer, vocab, k, model)
        self.groups = token_groups(vocab.nuc)

    def to_bases(self, logits: torch.Tensor, tk, seq: str, masked: np.ndarray, *, mlm: bool,
                 substitutions) -> np.ndarray:
        L = len(seq)
        probs = torch.softmax(logits, dim=-1).numpy().astype(np.float64)
        ref = codes(seq.upper())
        if not mlm:
            p = np.zeros((4, L), dtype=np.float64)
            for t in np.nonzero(tk.tok_len)[0]:
                a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
                p[:, a:a + m] = clm_token(self.groups, probs[t - 1] if t > 0 else None, ref[a:a + m])
            return normalise_log(p)
        # fast path (no masked base in the token): the agreeing tokens are the 4 substitutions
        subst = substitutions()  # (4, L) vocab ids, -1 = not in vocabulary
        p = np.where(subst >= 0, probs[tk.base_tok[None, :], np.maximum(subst, 0)], 0.0)
        n_masked = np.bincount(tk.base_tok[masked], minlength=len(tk.ids))
        for t in np.nonzero(n_masked)[0]:  # masked token: its other bases sum over the masked ones
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            p[:, a:a + m] = mlm_token(self.groups, probs[t], ref[a:a + m], masked[a:a + m])
        return normalise_log(p)

    def masked_token_to_bases(self, logits: torch.Tensor, start: int, length: int, seq: str,
                              substitutions) -> np.ndarray:
        """Base j alone masked conditions the token distribution on the reference at the token's other
        bases: the agreeing tokens are its 4 substitutions (as in :meth:`to_bases`' one-mask case)."""
        probs = torch.softmax(logits, dim=-1).numpy().astype(np.float64)
        subst = substitutions()[:, start:start + length]  # (4, m) vocab ids, -1 = not in vocabulary
        return normalise_log(np.where(subst >= 0, probs[np.maximum(subst, 0)], 0.0))
