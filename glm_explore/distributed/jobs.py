"""The three genome-scale jobs on Ray Data, with the same outputs as the local engine.

* :func:`score_vcf_ray` — each chunk of :class:`~glm_explore.variants.VcfChunks` (the local engine's chunks) is
  one shard, scored in an actor by :func:`~glm_explore.variants.chunk_table` into the job's shard store; the
  local driver :func:`~glm_explore.variants.write_vcf_scores` then writes the Parquet and skipped TSV from it.
* :func:`embed_windows_ray` — slices of ``shard_size`` windows → :func:`~glm_explore.embed.embed_windows`
  in actors → the job's shard store; the local driver :func:`~glm_explore.embed.embed_windows` (``shards=``)
  then builds the :class:`~glm_explore.results.Embeddings` in window order.
* :func:`track_chunks_ray` — the track chunks not yet in the track's own ``ChunkStore`` are computed with the
  local ``compute_chunk`` in actors and saved through that store.

Each job keeps finished shards in a work folder next to its output and resumes from them (see
:mod:`.ray_engine`); the folder is removed once the output is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .actors import ShardWorker, chunk_bytes, frame_bytes
from .ray_engine import EngineOptions, ShardStore, file_identity, map_shards, work_dir_for

if TYPE_CHECKING:
    from ..embed import EmbedSettings
    from ..variants.settings import VariantScoreSettings

Progress = Callable[[int, int], object]  # (shards finished, shards in the job)


@dataclass(frozen=True)
class RayRun:
    """What a Ray job did: ``shards`` in the job, ``resumed`` found finished on disk, ``computed`` this run."""

    shards: int
    resumed: int
    computed: int

    def line(self) -> str:
        return f"{self.shards} shards on Ray ({self.resumed} resumed, {self.computed} computed)"


def _run(store: ShardStore, payloads: dict[int, Callable[[], bytes]], job: str, params: dict,
         opts: EngineOptions, progress: Progress | None) -> RayRun:
    """Compute the shards of ``payloads`` (shard → payload maker) that ``store`` lacks, saving each on arrival."""
    pending = [i for i in sorted(payloads) if not store.done(i)]
    total, resumed = len(payloads), len(payloads) - len(pending)
    finished = resumed
    if progress:
        progress(finished, total)

    def save(shard: int, data: bytes) -> None:
        nonlocal finished
        store.save(shard, data)
        finished += 1
        if progress:
            progress(finished, total)

    try:
        computed = map_shards(((i, payloads[i]()) for i in pending), ShardWorker, {"job": job, "params": params},
                              save, opts)
    except BaseException:
        if not any(store.done(i) for i in payloads):
            store.remove()  # nothing to resume from: leave no folder behind
        raise
    return RayRun(shards=total, resumed=resumed, computed=computed)


# ------------------------------------------------------------------------------------------------ score-vcf
def vcf_store(out: str | Path, vcf: str | Path, settings: VariantScoreSettings, *, model: str, genome: str
              ) -> ShardStore:
    """The shard store of a ``score-vcf`` job next to ``out``, keyed by everything that decides its chunks' scores."""
    return ShardStore(work_dir_for(out), {"job": "score-vcf", "vcf": file_identity(vcf), "model": model,
                                          "genome": genome, **settings.as_dict()}, suffix="parquet")


def score_vcf_ray(vcf: str | Path, data, settings: VariantScoreSettings, store: ShardStore, *, model: str,
                  genome: str, opts: EngineOptions = EngineOptions(), progress: Progress | None = None) -> RayRun:
    """Score in Ray actors the chunks of ``vcf`` (:class:`~glm_explore.variants.VcfChunks`: the local engine's
    chunks, ``limit`` rule included) that ``store`` lacks, saving each chunk's Parquet table as it arrives.

    Nothing else: the caller then writes the output with the one driver,
    ``write_vcf_scores(None, data, vcf, out, skipped, settings, shards=store)``, which finds every chunk stored.
    ``model`` / ``genome`` are the CLI spec strings each actor loads; ``data`` is the driver's GenomeData of
    ``genome`` (allele checks). Each actor runs :func:`~glm_explore.variants.chunk_table`, as the driver would.
    """
    from ..variants import VcfChunks

    chunks = VcfChunks(vcf, data, settings)
    payloads = {index: (None if store.done(index) else frame_bytes(ok))
                for index, ok, _, _ in chunks if len(ok)}  # Parquet bytes: driver memory ≈ the pending alleles
    params = {"model": model, "genome": genome, "settings": settings.as_dict(), "info": list(chunks.info)}
    return _run(store, {i: (lambda blob=blob: blob) for i, blob in payloads.items()}, "score-vcf", params, opts,
                progress)


# ------------------------------------------------------------------------------------------------ embed
def embed_store(out: str | Path, seqs: Sequence[str], settings: EmbedSettings, *, model: str, shard_size: int
                ) -> ShardStore:
    """The shard store of an ``embed`` job next to ``out``, keyed by the windows, the model and the settings."""
    digest = hashlib.sha256("\n".join(seqs).encode()).hexdigest()
    return ShardStore(work_dir_for(out), {"job": "embed", "windows": digest, "shard_size": shard_size,
                                          "model": model, **settings.as_dict()}, suffix="npy")


def embed_windows_ray(model: str, seqs: Sequence[str], settings: EmbedSettings, store: ShardStore, *,
                      shard_size: int = 512, opts: EngineOptions = EngineOptions(),
                      progress: Progress | None = None) -> RayRun:
    """Embed in Ray actors the slices of ``shard_size`` windows (:func:`~glm_explore.embed.shard_slices`) that
    ``store`` lacks, each with the local :func:`~glm_explore.embed.embed_windows`, saving each as it arrives.

    ``settings`` must be resolved for the model (:meth:`~glm_explore.embed.EmbedSettings.resolved`: non-negative
    layers, ``rc`` a bool), as the driver has the model. The caller then builds the result with the one driver,
    ``embed_windows(model, seqs, settings, shards=store, shard_size=shard_size)``.
    """
    from ..embed import shard_slices

    seqs = list(seqs)
    if not seqs:
        raise ValueError("no windows to embed")
    params = {"model": model, "settings": settings.as_dict()}
    payloads = {k: (lambda sl=sl: "\n".join(seqs[sl]).encode("ascii"))
                for k, sl in enumerate(shard_slices(len(seqs), shard_size))}
    return _run(store, payloads, "embed", params, opts, progress)


# ------------------------------------------------------------------------------------------------ track
def track_chunks_ray(model: str, genome: str, chunks: Sequence, store, *, batch_size: int = 128, rc: bool = True,
                     opts: EngineOptions = EngineOptions(),
                     progress: Callable[[float, str], object] | None = None) -> RayRun:
    """Compute the track ``chunks`` that ``store`` (the track's ``ChunkStore``) lacks in Ray actors, each with the
    local ``compute_chunk(model, genome, chunk, batch_size=…, rc=…)``, and save every chunk through
    ``store.save(chunk, values)`` as it arrives. ``model`` / ``genome`` are the CLI spec strings the actors load.
    The caller claims the store's settings before and assembles the files after, as the local ``run_track``
    does (run after this, ``run_track`` finds every chunk stored and only assembles).
    ``progress(fraction of the planned bases stored, message)``, like the local engine's."""
    from ..track.store import values_from_bytes

    by_index = {int(c.index): c for c in chunks}
    pending = [c for c in chunks if not store.done(c)]
    total_bp = sum(c.length for c in chunks) or 1
    done_bp = sum(c.length for c in chunks if store.done(c))
    if progress:
        progress(done_bp / total_bp, f"{len(chunks) - len(pending)} of {len(chunks)} chunks stored")

    def save(index: int, data: bytes) -> None:
        nonlocal done_bp
        chunk = by_index[index]
        store.save(chunk, values_from_bytes(chunk, data))
        done_bp += chunk.length
        if progress:
            progress(done_bp / total_bp, f"chunk {chunk} stored")

    params = {"model": model, "genome": genome, "batch_size": batch_size, "options": {"rc": rc}}
    items = ((int(c.index), chunk_bytes(c)) for c in pending)
    computed = map_shards(items, ShardWorker, {"job": "track", "params": params}, save, opts)
    return RayRun(shards=len(chunks), resumed=len(chunks) - len(pending), computed=computed)
