"""Toy language models whose predictions are known in closed form (for report and scoring tests).

Both are real :class:`~glm_explore.models.base.GenomicLM` adapters (they derive
:class:`~glm_explore.models.adapter.BaseAdapter`), so they run through ``position_log_probs`` and every
tool like any model; a test can recompute each prediction from the table by hand.
"""

from __future__ import annotations

import numpy as np

from glm_explore.models.adapter import BaseAdapter, check_equal_lengths
from glm_explore.models.base import ModelInfo
from glm_explore.sequence import encode, one_hot

LOG_QUARTER = float(np.log(0.25))


def _normalised(table: np.ndarray, rows: int) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64)
    if t.shape != (rows, 4) or (t <= 0).any():
        raise ValueError(f"table must be ({rows}, 4) positive probabilities, got shape {t.shape}")
    return t / t.sum(axis=1, keepdims=True)


class MarkovCLM(BaseAdapter):
    """Causal LM of an order-``k`` Markov chain: column i = log T[context], the previous ``k`` bases
    read as a base-4 number, oldest first (A=0 … T=3) — the digit order of
    :func:`glm_explore.count_baselines.context_codes`.

    Rule where there is no full context: the first ``k`` columns, and columns whose context holds an
    N, are uniform (log 1/4). ``receptive_field`` = k. Hidden states: the one-hot (L, 4) of the input.
    """

    def __init__(self, k: int, table: np.ndarray, *, name: str = "markov-clm", max_len: int = 100_000) -> None:
        self.k = int(k)
        self.table = _normalised(table, 4 ** self.k)
        self.info = ModelInfo(name=name, objective="clm", tokenization="char", max_len=max_len, n_layers=1, dim=4,
                              source="test oracle", receptive_field=self.k)

    def columns(self, codes: np.ndarray) -> np.ndarray:
        """(L, 4) natural-log predictions for integer codes (L,)."""
        L, k = len(codes), self.k
        out = np.full((L, 4), LOG_QUARTER)
        if L > k:
            ctx = np.zeros(L - k, dtype=np.int64)
            has_n = np.zeros(L - k, dtype=bool)
            for d in range(k):  # context of position i = codes[i-k … i-1]
                c = codes[d:L - k + d]
                ctx = ctx * 4 + np.minimum(c, 3)
                has_n |= c > 3
            out[k:] = np.where(has_n[:, None], LOG_QUARTER, np.log(self.table[ctx]))
        return out

    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64) -> np.ndarray:
        if masked is not None:
            raise ValueError("a causal LM has no mask token: pass masked=None")
        check_equal_lengths(seqs)
        return np.stack([self.columns(encode(s)).T for s in seqs])

    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        self.layer_index(layer)
        return [one_hot(s).T.copy() for s in seqs]


class NeighbourMLM(BaseAdapter):
    """Masked LM that predicts a masked base from its two neighbours: log P[4·x_{i-1} + x_{i+1}].

    Rules: a masked position whose neighbour is off the sequence, masked, or N gets uniform; an
    unmasked A/C/G/T predicts itself with probability 0.97 (0.01 each other base); an unmasked N is
    uniform. ``receptive_field`` = 1 unless given (None = unbounded: masked marginals then use one
    mask per copy, the predictions are the same).
    """

    def __init__(self, table: np.ndarray, *, name: str = "neighbour-mlm", receptive_field: int | None = 1,
                 max_len: int = 100_000) -> None:
        self.table = _normalised(table, 16)
        self.info = ModelInfo(name=name, objective="mlm", tokenization="char", max_len=max_len, n_layers=1, dim=4,
                              source="test oracle", receptive_field=receptive_field)

    def columns(self, codes: np.ndarray, masked: np.ndarray) -> np.ndarray:
        """(L, 4) natural-log predictions for codes (L,) with ``masked`` (L,) bool."""
        L = len(codes)
        acgt = codes < 4
        own = np.full((L, 4), np.log(0.01))
        own[np.arange(L)[acgt], codes[acgt]] = np.log(0.97)
        out = np.where(acgt[:, None], own, LOG_QUARTER)
        left = np.concatenate([[4], codes[:-1]])
        right = np.concatenate([codes[1:], [4]])
        lmask = np.concatenate([[True], masked[:-1]])
        rmask = np.concatenate([masked[1:], [True]])
        usable = masked & (left < 4) & (right < 4) & ~lmask & ~rmask
        out[masked] = LOG_QUARTER
        ctx = 4 * np.minimum(left, 3) + np.minimum(right, 3)
        out[usable] = np.log(self.table[ctx[usable]])
        return out

    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64) -> np.ndarray:
        L = check_equal_lengths(seqs)
        masked = np.zeros((len(seqs), L), dtype=bool) if masked is None else np.asarray(masked, dtype=bool)
        if masked.shape != (len(seqs), L):
            raise ValueError(f"masked has shape {masked.shape}, expected {(len(seqs), L)}")
        return np.stack([self.columns(encode(s), m).T for s, m in zip(seqs, masked)])

    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        self.layer_index(layer)
        return [one_hot(s).T.copy() for s in seqs]
