"""Per-position nucleotide predictions: exact masked marginals (MLM), next-token (CLM), tracks.

All arrays are (4, L) over A,C,G,T in natural log unless a name says bits.
"""

from __future__ import annotations

import numpy as np

from .models.base import GenomicLM, Progress
from .sequence import encode, reverse_complement

LN2 = np.log(2.0)


def mask_groups(length: int, receptive_field: int | None) -> list[np.ndarray]:
    """Position groups that can be masked together without changing any masked marginal.

    With a receptive field of R bases on each side, two masks farther apart than R never see each
    other, so positions ``r, r + (R+1), r + 2(R+1), …`` share one copy: R+1 copies instead of L.
    ``receptive_field=None`` (unbounded, e.g. transformers) gives one position per copy.
    """
    stride = length if receptive_field is None else min(length, receptive_field + 1)
    return [np.arange(r, length, stride) for r in range(stride)]


def masked_marginals(model: GenomicLM, seq: str, *, batch_size: int = 128, exact: bool = True,
                     progress: Progress | None = None) -> np.ndarray:
    """(4, L) log P(x_i = b | x_{-i}) with position i masked, for every i (MLM only).

    ``exact=True`` uses :func:`mask_groups` with the model's receptive field (exact for finite
    receptive fields; one mask per copy otherwise).
    """
    if model.info.objective != "mlm":
        raise ValueError(f"{model.info.name} is a causal LM: masked marginals need an MLM (use next_token_log_probs)")
    L = len(seq)
    groups = mask_groups(L, model.info.receptive_field if exact else None)
    out = np.empty((4, L), dtype=np.float32)
    for start in range(0, len(groups), batch_size):
        chunk = groups[start:start + batch_size]
        masked = np.zeros((len(chunk), L), dtype=bool)
        for row, g in enumerate(chunk):
            masked[row, g] = True
        lp = model.log_probs([seq] * len(chunk), masked, batch_size=batch_size)
        for row, g in enumerate(chunk):
            out[:, g] = lp[row][:, g]
        if progress:
            progress(min(1.0, (start + len(chunk)) / len(groups)), f"masked copies {start + len(chunk)}/{len(groups)}")
    return out


def unmasked_log_probs(model: GenomicLM, seq: str) -> np.ndarray:
    """(4, L) single forward pass without masks ("reconstruction"): fast, an approximation for MLMs."""
    return model.log_probs([seq])[0]


def next_token_log_probs(model: GenomicLM, seq: str) -> np.ndarray:
    """(4, L) log P(x_i | x_<i) for a CLM from one forward pass."""
    if model.info.objective != "clm":
        raise ValueError(f"{model.info.name} is a masked LM: next-token probabilities need a CLM")
    return model.log_probs([seq])[0]


def rc_average(fn, seq: str) -> np.ndarray:
    """Average ``fn(seq)`` with ``fn(reverse_complement(seq))`` mapped back to the forward strand.

    Position i of the reverse strand is L-1-i of the forward one and base b becomes its complement;
    with rows in A,C,G,T order, complementing is reversing the row order.
    """
    fwd = fn(seq)
    rev = fn(reverse_complement(seq))[::-1, ::-1]
    return (fwd + rev) / 2


def position_log_probs(model: GenomicLM, seq: str, *, mode: str = "exact", rc: bool = False,
                       batch_size: int = 128, progress: Progress | None = None) -> np.ndarray:
    """(4, L) log-probs by ``mode``: 'exact' / 'brute' (MLM masked marginals), 'unmasked' (MLM),
    'next' (CLM). ``rc=True`` averages log-probs with the reverse-complement strand (GPN)."""
    def fn(s: str) -> np.ndarray:
        if mode in {"exact", "brute"}:
            return masked_marginals(model, s, batch_size=batch_size, exact=mode == "exact", progress=progress)
        if mode == "unmasked":
            return unmasked_log_probs(model, s)
        if mode == "next":
            return next_token_log_probs(model, s)
        raise ValueError(f"unknown mode {mode!r}")
    lp = rc_average(fn, seq) if rc else fn(seq)
    return lp - np.logaddexp.reduce(lp, axis=0, keepdims=True)  # renormalise after averaging


def entropy_bits(log_probs: np.ndarray) -> np.ndarray:
    """(L,) Shannon entropy −Σ_b p_b log2 p_b of (4, L) natural-log probabilities."""
    p = np.exp(log_probs)
    return -(p * log_probs).sum(axis=0) / LN2


def information_content(log_probs: np.ndarray) -> np.ndarray:
    """(L,) information content 2 − H bits."""
    return 2.0 - entropy_bits(log_probs)


def reference_log_probs(log_probs: np.ndarray, seq: str) -> np.ndarray:
    """(L,) log P(reference base); NaN at N."""
    codes = encode(seq)
    out = np.full(len(codes), np.nan, dtype=np.float64)
    ok = codes < 4
    out[ok] = log_probs[codes[ok], np.nonzero(ok)[0]]
    return out
