"""Toy models whose answers can be worked out by hand (tangermeme-style), for attribution tests."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from glm_explore.sequence import one_hot


class PWMOracle(nn.Module):
    """Scores a one-hot sequence (N, 4, L) → (N,) with a known PWM: the log-sum-exp over offsets j of
    the PWM's log-odds score S_j = Σ_k log2(pwm[x_{j+k}, k] / 0.25) (forward strand).

    Planted sites score far above random background, so the score — and every honest attribution
    of it — is carried by the planted bases. ``copies``/``influence``/``undefined`` follow the
    attribution Target interface (every position can matter).
    """

    description = "PWM oracle: log Σ_j exp(log-odds score at offset j)"
    copies = 1
    undefined: tuple[int, ...] = ()

    def __init__(self, pwm: np.ndarray, pseudocount: float = 0.01) -> None:
        super().__init__()
        p = (np.asarray(pwm, dtype=float) + pseudocount)
        p = p / p.sum(axis=0, keepdims=True)
        self.register_buffer("weight", torch.tensor(np.log2(p / 0.25), dtype=torch.float32)[None])  # (1, 4, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.conv1d(x, self.weight)[:, 0]  # (N, L - w + 1)
        return torch.logsumexp(s, dim=1)

    def influence(self, length: int) -> np.ndarray:
        return np.ones(length, dtype=bool)

    def score_string(self, seq: str) -> float:
        with torch.no_grad():
            return float(self(torch.from_numpy(one_hot(seq))[None])[0])


def plant(background: str, site: str, starts: list[int]) -> tuple[str, np.ndarray]:
    """``background`` with ``site`` written at each 0-based start; returns (sequence, (L,) bool planted)."""
    s = list(background)
    mask = np.zeros(len(background), dtype=bool)
    for a in starts:
        s[a:a + len(site)] = site
        mask[a:a + len(site)] = True
    return "".join(s), mask
