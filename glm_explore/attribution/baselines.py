"""Reference inputs x′ for Integrated Gradients and DeepLift: zeros, uniform, dinucleotide shuffles."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import GlmExploreError
from ..sequence import one_hot

BASELINES = {
    "zeros": "all zeros",
    "uniform": "uniform 0.25",
    "shuffle": "dinucleotide-shuffled input",
}


def dinucleotide_shuffles(seq: str | np.ndarray, n: int = 1, *, seed: int = 0) -> np.ndarray:
    """(n, 4, L) float32 dinucleotide-shuffled copies of ``seq`` (string or (4, L) one-hot).

    tangermeme's ``dinucleotide_shuffle`` (Altschul–Erickson: a random Eulerian path through the
    dinucleotide graph): each copy keeps the first and last base and every dinucleotide count.
    N (all-zero columns) are shuffled as a fifth letter.
    """
    from tangermeme.ersatz import dinucleotide_shuffle

    x = one_hot(seq) if isinstance(seq, str) else np.asarray(seq, dtype=np.float32)
    X = torch.from_numpy(np.ascontiguousarray(x))[None]
    out = dinucleotide_shuffle(X, n=n, random_state=seed, allow_N=True)
    return out[0].to(torch.float32).numpy()


def make_baselines(seq: str, baseline: str, n: int = 1, *, seed: int = 0) -> np.ndarray:
    """(k, 4, L) reference inputs for IG / DeepLift: 'zeros', 'uniform' (0.25) or 'shuffle' (k = n)."""
    x = one_hot(seq)
    if baseline == "zeros":
        return np.zeros_like(x)[None]
    if baseline == "uniform":
        return np.full_like(x, 0.25)[None]
    if baseline == "shuffle":
        return dinucleotide_shuffles(seq, n, seed=seed)
    raise GlmExploreError(f"Unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}.")
