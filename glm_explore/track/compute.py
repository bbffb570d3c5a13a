"""One chunk of a genome-wide track: per-position P(ref), entropy (bits) and the minimum LLR.

The values are those of the logits page (:func:`glm_explore.logits.nucleotide_logits`): exact masked
marginals for an MLM (RC-averaged unless ``rc=False``), next-token probabilities for a CLM. A chunk is
computed in pieces of at most :data:`glm_explore.logits.MAX_LOGITS_BP` bases, each fetched with the model's
context flank from the genome beyond the piece (:func:`glm_explore.logits.region_window`), so for a model
with a finite receptive field every value equals the whole-chromosome value, whatever the chunking. A model
without one (Hugging Face transformers) sees pieces of about half its input length with a quarter on each
side: its values depend on that windowing, as on the logits page.

* ``p_ref`` = P(reference base), in [0, 1];
* ``entropy_bits`` = −Σ_b p_b log2 p_b of the predicted distribution, in [0, 2] bits;
* ``min_llr`` = min over the three alternatives b of log P(b) − log P(ref) (natural log, GPN's per-position
  constraint score: the most negative LLR of any SNV at the position; negative = every alternative is less
  likely than the reference). For a CLM it is the next-token LLR at that position only, not the Δ log-likelihood
  of a whole window that :mod:`glm_explore.variants` scores.

Positions holding N get NaN in all three and a row in ``skipped`` (reason ``N``). Contig ends are computed,
not skipped: the models see the contig edge as the end of their input, as in training and on the logits page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..context import context_flank
from ..errors import InputTooLargeError
from ..io.datasets import as_genome
from ..io.genome import Region
from ..logits import MAX_LOGITS_BP, entropy_bits, nucleotide_logits, region_window
from ..models.base import GenomicLM, Progress
from ..results.logits import reference_log_probs
from ..sequence import encode
from .chunks import Chunk

TRACKS = ("p_ref", "entropy_bits", "min_llr")
SKIP_COLUMNS = ["chrom", "start", "end", "reason"]
REASON_N = "N (unknown base: no reference to score)"
REASON_NONFINITE = "model output not finite"


@dataclass(frozen=True)
class ChunkValues:
    """The three tracks over one :class:`Chunk`: float32 (end − start,) arrays, NaN where not computed;
    ``skipped`` lists those spans (``chrom, start, end, reason``; 0-based half-open)."""

    chunk: Chunk
    p_ref: np.ndarray
    entropy_bits: np.ndarray
    min_llr: np.ndarray
    skipped: pd.DataFrame

    def track(self, name: str) -> np.ndarray:
        """The array of track ``name`` (one of :data:`TRACKS`)."""
        return getattr(self, name)


def track_mode(model: GenomicLM) -> str:
    """'exact' (masked marginals) for an MLM, 'next' (next-token) for a CLM."""
    return "exact" if model.info.is_mlm else "next"


def uses_rc(model: GenomicLM, rc: bool = True) -> bool:
    """Whether a track averages the two strands: MLMs unless ``rc`` is False; CLMs never (next-token)."""
    return bool(rc) and model.info.is_mlm


def piece_bp(model: GenomicLM) -> int:
    """Bases predicted per model input: :data:`MAX_LOGITS_BP`, fewer when the model's input length is short."""
    flank = context_flank(model) if model.info.receptive_field is not None else model.info.max_len // 4
    n = min(MAX_LOGITS_BP, model.info.max_len - 2 * flank)
    if n < 1:
        raise InputTooLargeError(f"{model.info.name} reads at most {model.info.max_len} bp, too few for its own "
                                 f"context of {flank} bp each side; it cannot make a track.")
    return n


def track_values(log_probs: np.ndarray, seq: str) -> dict[str, np.ndarray]:
    """(4, L) natural-log probabilities and the (L,) reference → the three (L,) float32 tracks (NaN at N)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    ref = reference_log_probs(lp, seq)
    codes = encode(seq)
    alt = lp.copy()
    ok = codes < 4
    alt[codes[ok], np.nonzero(ok)[0]] = np.inf  # the reference row never wins the minimum
    min_llr = np.where(ok, alt.min(axis=0) - ref, np.nan)
    ent = np.where(ok, entropy_bits(lp), np.nan)
    return {"p_ref": np.exp(ref).astype(np.float32), "entropy_bits": ent.astype(np.float32),
            "min_llr": min_llr.astype(np.float32)}


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """0-based half-open ``(start, end)`` of the runs of True in a (L,) bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def _skipped(chunk: Chunk, codes: np.ndarray, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Spans of ``chunk`` without values (N, or a non-finite model output), set to NaN in every track."""
    is_n = codes >= 4
    bad = ~is_n & ~np.all([np.isfinite(v) for v in values.values()], axis=0)
    for v in values.values():
        v[is_n | bad] = np.nan
    rows = [(chunk.chrom, chunk.start + s, chunk.start + e, reason)
            for mask, reason in ((is_n, REASON_N), (bad, REASON_NONFINITE)) for s, e in runs(mask)]
    return pd.DataFrame(sorted(rows, key=lambda r: r[1]), columns=SKIP_COLUMNS)


def compute_chunk(model: GenomicLM, genome, chunk: Chunk, *, batch_size: int = 128, rc: bool = True,
                  progress: Progress | None = None) -> ChunkValues:
    """The three tracks over ``chunk`` (a pure function of model, genome and chunk; no files written).

    ``genome``: a :class:`~glm_explore.io.genome.Genome` or :class:`~glm_explore.io.datasets.GenomeData`.
    ``rc``: average the two strands (MLMs only, see :func:`uses_rc`). ``progress(fraction, message)``
    is called after each piece. Pieces that are all N are not sent to the model.
    """
    genome = as_genome(genome)
    mode, rc = track_mode(model), uses_rc(model, rc)
    step = piece_bp(model)
    values = {name: np.full(chunk.length, np.nan, dtype=np.float32) for name in TRACKS}
    seq_parts: list[str] = []
    for a in range(chunk.start, chunk.end, step):
        b = min(chunk.end, a + step)
        window = region_window(genome, Region(chunk.chrom, a, b), model, max_len=step)
        seq = window.seq[window.offset:window.offset + (b - a)]
        seq_parts.append(seq)
        if (encode(seq) < 4).any():
            res = nucleotide_logits(model, window, mode=mode, rc=rc, batch_size=batch_size)
            for name, v in track_values(res.log_probs, seq).items():
                values[name][a - chunk.start:b - chunk.start] = v
        if progress is not None:
            progress((b - chunk.start) / chunk.length, f"{chunk}")
    skipped = _skipped(chunk, encode("".join(seq_parts)), values)
    return ChunkValues(chunk=chunk, skipped=skipped, **values)
