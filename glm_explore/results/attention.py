"""Attention maps of one sequence, mapped from tokens to nucleotides (the rule: :mod:`glm_explore.attention`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import LayerError, RegionError
from .coordinates import OnSequence


@dataclass(frozen=True, eq=False)
class AttentionMaps(OnSequence):
    """Per-layer, per-head attention over one sequence, mapped to nucleotides (rule: :mod:`glm_explore.attention`).

    ``weights`` (n_layers, n_heads, L, L) float32: ``weights[l, h, i, j]`` is the weight query base i
    puts on key base j (0-based offsets into ``seq``) in block ``layers[l]``, head ``heads[h]``.
    ``special_mass`` (n_layers, n_heads, L): weight each query base puts on special tokens (dropped;
    every row of ``weights`` sums to ``1 − special_mass``). ``layers`` are block numbers 1..n_layers and
    ``heads`` head numbers 1..n_heads, as users see them. ``chrom`` / ``start`` (0-based) place the
    sequence on a genome (``positions`` are then genome coordinates, else 1..L).
    """

    weights: np.ndarray
    special_mass: np.ndarray
    layers: tuple[int, ...]
    heads: tuple[int, ...]
    seq: str
    model: str
    tokenization: str
    chrom: str | None = None
    start: int = 0
    name: str = ""

    def index(self, layer: int, head: int) -> tuple[int, int]:
        """Array indices of block ``layer`` and head ``head`` (1-based numbers); LayerError if not computed."""
        if layer not in self.layers:
            raise LayerError(f"Layer {layer} is not in these attention maps (layers {_ranges(self.layers)}); "
                             "choose one of those or compute it.")
        if head not in self.heads:
            raise LayerError(f"Head {head} is not in these attention maps (heads {_ranges(self.heads)}); "
                             "choose one of those or compute it.")
        return self.layers.index(layer), self.heads.index(head)

    def matrix(self, layer: int, head: int) -> np.ndarray:
        """(L, L) map of one block and head (1-based numbers)."""
        li, hi = self.index(layer, head)
        return self.weights[li, hi]

    def offset_of(self, position: int) -> int:
        """0-based offset of a 1-based ``position`` (a genome coordinate for a region); RegionError outside."""
        lo, hi = int(self.start) + 1, int(self.start) + self.length
        if not lo <= position <= hi:
            raise RegionError(f"Position {position} is outside the sequence ({lo}-{hi}, 1-based); choose a "
                              "position inside it.")
        return int(position - lo)


def _ranges(values: tuple[int, ...]) -> str:
    return ", ".join(map(str, values)) if len(values) <= 6 else f"{values[0]}..{values[-1]}"
