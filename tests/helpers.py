"""Plain helpers shared by test modules (import with ``from helpers import …``; conftest names clash)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def random_dna(rng: np.random.Generator, n: int) -> str:
    """A uniform random A/C/G/T string of length ``n``."""
    return "".join(rng.choice(list("ACGT"), n))
