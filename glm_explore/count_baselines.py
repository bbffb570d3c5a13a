"""Fair count baselines for the built-in models (SCIENCE.md, "Baselines for model quality").

* CLM baseline — order-k Markov model on the left context.
* MLM baseline — a count model on k bases on *each* side of the predicted base.

Both are smoothed by interpolation down a back-off chain of shorter contexts (CLM: drop the
farthest left base; MLM: drop the outermost base on both sides), with one of two schemes:

* ``dirichlet``:  p_j(b|c) = (n(c,b) + α · p_{j-1}(b|c')) / (n(c) + α)      (constant α)
* ``witten-bell``: the same with α = β · T(c), T(c) = number of distinct bases seen after c.

The order k and the scheme/parameter are chosen on a validation slice of the *training*
chromosomes (never the held-out chromosome). Contexts containing N count N as A; N targets are
never scored. Probabilities are natural-log (N, 4) arrays in A,C,G,T order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMES = ("dirichlet", "witten-bell")


def context_codes(codes: np.ndarray, positions: np.ndarray, left: int, right: int) -> np.ndarray:
    """Base-4 integer of the ``left`` bases before and ``right`` bases after each position.

    ``codes`` (L,) int in 0..4 (N read as A); ``positions`` must have the full context inside ``codes``.
    Digits: left context oldest first, then right context nearest first.
    """
    c = np.where(codes < 4, codes, 0).astype(np.int64)
    out = np.zeros(len(positions), dtype=np.int64)
    for d in range(left, 0, -1):
        out = out * 4 + c[positions - d]
    for d in range(1, right + 1):
        out = out * 4 + c[positions + d]
    return out


def _shape(kind: str, j: int) -> tuple[int, int]:
    return (j, 0) if kind == "clm" else (j, j)


@dataclass
class CountModel:
    """Interpolated count model of order ``k`` (``kind`` 'clm' or 'mlm'), fitted by :meth:`fit`."""

    kind: str
    k: int
    scheme: str = "dirichlet"
    param: float = 1.0
    tables: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    # per order j: (sorted context codes (C,), counts (C, 4)) — sparse, so long contexts fit in memory

    @property
    def name(self) -> str:
        side = "left context" if self.kind == "clm" else "bases each side"
        return f"{self.k} {side}, {self.scheme} ({self.param:g})"

    @property
    def margin(self) -> tuple[int, int]:
        """Bases needed left and right of a scored position."""
        return _shape(self.kind, self.k)

    def fit(self, chroms: list[np.ndarray]) -> CountModel:
        """Count (context, base) pairs of every order 0..k over the chromosomes' scorable positions."""
        if sum(self.margin) + 1 > 31:
            raise ValueError("contexts longer than 30 bases do not fit in int64 codes")
        self.tables = []
        for j in range(self.k + 1):
            left, right = _shape(self.kind, j)
            keys = []
            for codes in chroms:
                pos = scorable_positions(codes, self.margin)
                keys.append(context_codes(codes, pos, left, right) * 4 + codes[pos])
            uniq, counts = np.unique(np.concatenate(keys), return_counts=True)
            ctx = np.unique(uniq // 4)
            table = np.zeros((len(ctx), 4), dtype=np.int32)
            table[np.searchsorted(ctx, uniq // 4), uniq % 4] = counts
            self.tables.append((ctx, table))
        return self

    def counts_at(self, j: int, ctx_codes: np.ndarray) -> np.ndarray:
        """(P, 4) training counts of order-``j`` contexts ``ctx_codes`` (zeros when unseen)."""
        ctx, table = self.tables[j]
        i = np.clip(np.searchsorted(ctx, ctx_codes), 0, len(ctx) - 1)
        found = ctx[i] == ctx_codes
        return np.where(found[:, None], table[i], 0)

    def log_probs(self, codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """(P, 4) natural-log probabilities at ``positions`` of ``codes``."""
        unigram = self.tables[0][1][0]
        p = np.broadcast_to((unigram + 1.0) / (unigram.sum() + 4.0), (len(positions), 4))
        for j in range(1, self.k + 1):
            left, right = _shape(self.kind, j)
            n = self.counts_at(j, context_codes(codes, positions, left, right)).astype(np.float64)
            tot = n.sum(axis=1, keepdims=True)
            if self.scheme == "dirichlet":
                alpha = self.param
            else:
                alpha = self.param * np.maximum((n > 0).sum(axis=1, keepdims=True), 1)
            p = (n + alpha * p) / (tot + alpha)
        return np.log(p)


def scorable_positions(codes: np.ndarray, margin: tuple[int, int]) -> np.ndarray:
    """Positions with a full context inside ``codes`` and an A/C/G/T target."""
    left, right = margin
    pos = np.arange(left, len(codes) - right)
    return pos[codes[pos] < 4]


def cross_entropy_bits(log_probs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(P,) per-position cross-entropy in bits."""
    return -log_probs[np.arange(len(targets)), targets] / np.log(2.0)


@dataclass
class SelectionResult:
    model: CountModel
    grid: list[dict]


def select_count_model(kind: str, train: list[np.ndarray], val: np.ndarray, *, ks: range,
                       params: dict[str, list[float]] | None = None) -> SelectionResult:
    """Fit every order in ``ks`` on ``train``; pick order/scheme/param with the lowest validation bits.

    Returns the chosen model (fitted on ``train``) and the whole grid for the model card.
    """
    params = params or {"dirichlet": [0.5, 2, 8, 32, 128], "witten-bell": [0.25, 0.5, 1, 2, 4]}
    grid, best, best_bits = [], None, np.inf
    kmax = max(ks)
    full = CountModel(kind, kmax).fit(train)  # tables for every order ≤ kmax at once
    vpos = scorable_positions(val, _shape(kind, kmax))
    targets = val[vpos]
    for k in ks:
        for scheme, values in params.items():
            for a in values:
                m = CountModel(kind, k, scheme, a, tables=full.tables[: k + 1])
                bits = float(cross_entropy_bits(m.log_probs(val, vpos), targets).mean())
                grid.append(dict(k=k, scheme=scheme, param=a, val_bits=bits))
                if bits < best_bits:
                    best, best_bits = m, bits
    assert best is not None
    return SelectionResult(best, grid)
