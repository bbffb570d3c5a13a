"""The local (in-process) track engine: compute the chunks not stored yet, store each, assemble the files."""

from __future__ import annotations

from pathlib import Path

from ..io.datasets import as_genome
from ..models.base import GenomicLM, Progress
from .chunks import Chunk
from .compute import compute_chunk, track_mode, uses_rc
from .store import ChunkStore


def track_settings(model: GenomicLM, genome, *, rc: bool = True) -> dict:
    """What makes a track's numbers (recorded in ``track.json``; a resume must match it)."""
    genome = as_genome(genome)
    mode, rc = track_mode(model), uses_rc(model, rc)
    label = ("exact masked marginals" if mode == "exact" else "next-token P(x_i | x_<i)") + (", RC-averaged" * rc)
    return {"model": model.info.name, "model_source": str(model.info.source), "objective": model.info.objective,
            "genome": genome.name, "genome_bp": genome.total_length, "mode": mode, "rc": rc, "mode_label": label}


def run_track(model: GenomicLM, genome, chunks: list[Chunk], store: ChunkStore, *, batch_size: int = 128,
              rc: bool = True, progress: Progress | None = None) -> dict[str, Path]:
    """Compute every chunk of ``chunks`` that ``store`` does not hold, save each as it finishes, then write the
    bigWigs, skipped BED and README (:meth:`ChunkStore.assemble`). Returns their paths.

    ``progress(fraction of the planned bases done, message)``; chunks already stored count as done.
    """
    store.claim(track_settings(model, genome, rc=rc))
    total = sum(c.length for c in chunks) or 1
    done_bp = sum(c.length for c in chunks if store.done(c))
    for chunk in chunks:
        if store.done(chunk):
            continue
        base = done_bp

        def sub(frac: float, msg: str, base: int = base, n: int = chunk.length) -> None:
            if progress is not None:
                progress((base + frac * n) / total, msg)

        store.save(chunk, compute_chunk(model, genome, chunk, batch_size=batch_size, rc=rc, progress=sub))
        done_bp += chunk.length
    if progress is not None:
        progress(done_bp / total, "writing bigWigs")
    return store.assemble(genome, chunks)
