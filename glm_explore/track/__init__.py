"""Genome-wide tracks: per-position P(ref), entropy (bits) and minimum LLR as bigWigs, computed by chunk.

Typical use (the local engine; ``python -m glm_explore track`` does the same)::

    chunks = plan_chunks(genome, chroms=["chrXVI"], chunk_bp=100_000)   # list[Chunk], 0-based half-open
    paths = run_track(model, genome, chunks, ChunkStore("tracks/mlm"))   # resumes: stored chunks are skipped
    df = read_track("tracks/mlm", "chrXVI", 1000, 1200)                  # stored values, 1-based ``pos``

* :mod:`.chunks` — :class:`Chunk`, :func:`plan_chunks`, :func:`read_regions_bed`
* :mod:`.compute` — :func:`compute_chunk` (pure: model, genome, chunk → :class:`ChunkValues`)
* :mod:`.store` — :class:`ChunkStore` (one atomic ``.npz`` per finished chunk, ``assemble`` → files)
* :mod:`.bigwig` — bigWig / BED / README writing, :func:`read_track`
* :mod:`.local` — :func:`run_track`, the in-process engine
"""

from .bigwig import find_tracks, read_track
from .chunks import DEFAULT_CHUNK_BP, Chunk, TrackError, plan_chunks, read_regions_bed
from .compute import TRACKS, ChunkValues, compute_chunk, track_values
from .local import run_track, track_settings
from .store import ChunkStore

__all__ = ["DEFAULT_CHUNK_BP", "TRACKS", "Chunk", "ChunkStore", "ChunkValues", "TrackError", "compute_chunk", "find_tracks",
           "plan_chunks", "read_regions_bed", "read_track", "run_track", "track_settings", "track_values"]
