"""Per-base features for the annotation heads: a model's frozen hidden states, or k-mer counts around each base.

* :class:`ModelFeatures` — per-nucleotide hidden states of ``layers`` (0 = input embedding, -1 = last),
  concatenated: (L, len(layers)·D). Forward strand only (no reverse-complement averaging, as SegmentNT).
* :class:`KmerFeatures` — the baseline: for each base, the frequencies of every k-mer (j = 1..k, all
  4^j k-mers, strand-specific like the forward-strand model states) among the k-mers lying wholly inside
  the ``width``-bp window centred on the base (``width`` odd; k-mers holding N are skipped; near a
  sequence end the window is cut and frequencies are over the k-mers left). (L, 4 + 16 + … + 4^k).

:func:`span_features` computes either for many spans, reading ``flank`` bases of context on each side
(the model's receptive field R — so a bounded-R model's states equal those of the whole chromosome —
or ``width // 2`` for k-mers), never outside the span's bounds (its training or held-out part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..context import context_flank
from ..embed import hidden_layers
from ..io.genome import Genome
from ..models.adapter import batches_by_length
from ..models.base import GenomicLM, Progress
from ..sequence import encode

BoundedSpan = tuple[str, int, int, int, int]  # (chrom, start, end, lower bound, upper bound) of the context


@dataclass(frozen=True)
class FeatureSpec:
    """What a head reads: ``kind`` "model" (``layers`` of model ``model``) or "kmer" (``k``, ``width``)."""

    kind: str
    layers: tuple[int, ...] = ()
    model: str = ""
    k: int = 3
    width: int = 65

    def describe(self) -> str:
        if self.kind == "model":
            return f"{self.model} hidden states, layer{'s' if len(self.layers) > 1 else ''} " \
                   f"{','.join(map(str, self.layers))}"
        return f"k-mer frequencies (k = 1..{self.k}) in a {self.width}-bp window"


class ModelFeatures:
    """Hidden states of ``spec.layers`` of ``model``, concatenated per base."""

    def __init__(self, model: GenomicLM, spec: FeatureSpec, *, batch_size: int = 32) -> None:
        self.model, self.spec, self.batch_size = model, spec, batch_size

    def flank(self, length: int) -> int:
        return context_flank(self.model, region_length=length)

    def batch(self, seqs: list[str]) -> list[np.ndarray]:
        hs = hidden_layers(self.model, seqs, list(self.spec.layers), batch_size=self.batch_size)
        cat = np.concatenate(hs, axis=-1) if len(hs) > 1 else hs[0]
        return [np.asarray(x, dtype=np.float32) for x in cat]


class KmerFeatures:
    """The k-mer window baseline (see the module docstring)."""

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec

    def flank(self, length: int) -> int:
        return self.spec.width // 2

    def batch(self, seqs: list[str]) -> list[np.ndarray]:
        return [kmer_window_features(s, self.spec.k, self.spec.width) for s in seqs]


def kmer_dim(k: int) -> int:
    """Number of k-mer window features for k-mers of length 1..k."""
    return sum(4 ** j for j in range(1, k + 1))


def kmer_window_features(seq: str, k: int, width: int) -> np.ndarray:
    """(L, 4 + … + 4^k) float32: per base, frequencies of each j-mer (j = 1..k, base-4 index with A=0 … T=3,
    first base most significant; blocks j = 1, 2, … side by side) among the j-mers wholly inside
    ``seq[i - width//2 : i + width//2 + 1]`` (clipped at the ends); all zero where there are none."""
    codes = encode(seq)
    L, h = len(codes), width // 2
    out = np.zeros((L, kmer_dim(k)), dtype=np.float32)
    col = 0
    i = np.arange(L)
    for j in range(1, k + 1):
        n = L - j + 1
        if n > 0:
            win = np.lib.stride_tricks.sliding_window_view(codes, j)
            valid = (win < 4).all(axis=1)
            index = (np.minimum(win, 3) * 4 ** np.arange(j - 1, -1, -1)).sum(axis=1)
            cum = np.zeros((n + 1, 4 ** j), dtype=np.int32)
            cum[1 + np.flatnonzero(valid), index[valid]] = 1
            np.cumsum(cum, axis=0, out=cum)
            lo = np.clip(i - h, 0, n)
            hi = np.maximum(np.clip(i + h - j + 2, 0, n), lo)  # j-mers starting in [i-h, i+h-j+1]
            counts = cum[hi] - cum[lo]
            total = counts.sum(axis=1, keepdims=True)
            out[:, col:col + 4 ** j] = counts / np.maximum(total, 1)
        col += 4 ** j
    return out


def featurizer(spec: FeatureSpec, model: GenomicLM | None, *, batch_size: int = 32):
    """The feature computer of ``spec`` (``model`` is needed for "model" features only)."""
    if spec.kind == "kmer":
        return KmerFeatures(spec)
    if model is None:
        raise ValueError("model features need the model")
    return ModelFeatures(model, spec, batch_size=batch_size)


def input_bounds(feat, span: BoundedSpan) -> tuple[int, int]:
    """The bases ``[a, b)`` read as input to compute the features of ``span`` (its context, within its bounds)."""
    _, s, e, lo, hi = span
    f = feat.flank(e - s)
    return max(lo, s - f), min(hi, e + f)


def span_features(feat, genome: Genome, spans: Sequence[BoundedSpan], *, batch_size: int = 32,
                  progress: Progress | None = None) -> list[np.ndarray]:
    """Features (end − start, D) of each span ``(chrom, start, end, lo, hi)``.

    The input is ``chrom[max(lo, start − flank) : min(hi, end + flank)]`` (``flank`` from ``feat``), so the
    context never leaves ``[lo, hi)``; spans whose inputs have equal length share a forward batch.
    """
    inputs = []
    for span in spans:
        a, b = input_bounds(feat, span)
        inputs.append((span[0], a, b, span[1] - a, span[2] - span[1]))
    out: list[np.ndarray | None] = [None] * len(spans)
    done = 0
    for idx in batches_by_length([b - a for _, a, b, _, _ in inputs], batch_size):
        seqs = [genome.fetch(inputs[i][0], inputs[i][1], inputs[i][2]) for i in idx]
        for i, x in zip(idx, feat.batch(seqs)):
            off, n = inputs[i][3], inputs[i][4]
            out[i] = x[off:off + n]
        done += len(idx)
        if progress is not None:
            progress(done / len(spans), f"features of {done:,}/{len(spans):,} spans")
    return out  # type: ignore[return-value]
