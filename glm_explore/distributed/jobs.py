"""The three genome-scale jobs on Ray Data, with the same outputs as the local engine.

* :func:`score_vcf_ray` — the driver streams the VCF with :class:`~glm_explore.variants.VcfReader` (no model
  needed there), writes the skipped-allele TSV itself (so it is the local one, line for line) and sends each
  batch of scorable alleles as one shard — the batches are exactly those of the local
  :func:`~glm_explore.variants.score_vcf` (same ``batch_size`` / ``limit`` rules), so each shard's scores are the
  local chunk's. The Parquet is assembled in shard (= VCF) order with the local writer's schema.
* :func:`embed_windows_ray` — slices of ``shard_size`` windows → :func:`~glm_explore.embed.embed_windows`
  in actors → one :class:`~glm_explore.results.Embeddings` in window order.
* :func:`track_chunks_ray` — the track chunks not yet in the track's own ``ChunkStore`` are computed with the
  local ``compute_chunk`` in actors and saved through that store.

Each job keeps finished shards in a work folder next to its output and resumes from them (see
:mod:`.ray_engine`); the folder is removed once the output is written.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..results import Embeddings, VcfSummary
from .actors import ShardWorker, chunk_bytes, frame_bytes
from .ray_engine import EngineOptions, ShardStore, file_identity, map_shards, work_dir_for

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
def score_vcf_ray(vcf: str | Path, out: str | Path, skipped: str | Path, *, model: str, genome: str, data,
                  batch_size: int = 2000, window: int | None = None, rc: bool = True, clm_reduce: str = "sum",
                  limit: int | None = None, max_sv_size: int | None = None, opts: EngineOptions = EngineOptions(),
                  progress: Progress | None = None) -> tuple[VcfSummary, RayRun]:
    """:func:`glm_explore.variants.write_vcf_scores` on Ray: the same ``out`` Parquet and ``skipped`` TSV.

    ``model`` / ``genome`` are the CLI spec strings each actor loads; ``data`` is the driver's GenomeData of
    ``genome`` (allele checks). A batch of ``batch_size`` alleles is one shard. Returns the VCF summary (as the
    local engine's) and the :class:`RayRun`. ``max_sv_size`` (bp; None = SNVs only) also scores indels / small
    SVs, as :func:`~glm_explore.variants.write_vcf_scores` does (their z-score column stays empty, as locally).
    """
    from ..variants import VcfReader

    params = {"model": model, "genome": genome, "window": window, "rc": rc, "clm_reduce": clm_reduce,
              "max_sv_size": max_sv_size}
    store = ShardStore(work_dir_for(out), {"job": "score-vcf", "vcf": file_identity(vcf), **params,
                                           "batch_size": batch_size, "limit": limit}, suffix="parquet")
    shards, summary = _read_vcf_shards(VcfReader(vcf, data, batch_size=min(batch_size, limit) if limit
                                                 else batch_size, max_sv_size=max_sv_size), skipped, limit)
    payloads = {i: (lambda blob=blob: blob) for i, blob in enumerate(shards)}
    run = _run(store, payloads, "score-vcf", params, opts, progress)
    _assemble_parquet([store.path(i) for i in range(len(shards))], Path(out))
    store.remove()
    return summary, run


def _read_vcf_shards(reader, skipped: str | Path, limit: int | None) -> tuple[list, VcfSummary]:
    """Split the VCF into the local engine's batches: scorable-allele tables as Parquet bytes (one per shard, empty ones
    dropped) and the skipped TSV written as :func:`~glm_explore.variants.write_vcf_scores` writes it."""
    shards, summary, done = [], VcfSummary(), 0
    tmp = Path(skipped).with_name(f".{Path(skipped).name}.tmp{os.getpid()}")
    try:
        with open(tmp, "w") as fh:
            fh.write("chrom\tpos\tref\talt\tid\treason\n")
            for ok, bad in reader:
                summary = reader.summary
                if limit is not None and done + len(ok) > limit:  # the rule of score_vcf(limit=…)
                    summary = replace(summary, scored=summary.scored - (done + len(ok) - limit),
                                      stopped_at_limit=True)
                    ok = ok.iloc[:max(0, limit - done)]
                bad.to_csv(fh, sep="\t", header=False, index=False)
                if len(ok):  # kept as Parquet bytes (compact) until sent: driver memory ≈ the VCF's scorable alleles
                    shards.append(frame_bytes(ok))
                done += len(ok)
                if limit is not None and done >= limit:
                    break
        os.replace(tmp, skipped)
    finally:
        reader.close()
        Path(tmp).unlink(missing_ok=True)
    return shards, summary


def _assemble_parquet(parts: Sequence[Path], out: Path) -> None:
    """Concatenate shard Parquets in order into ``out`` (atomically), with the first shard's schema like the
    local writer; no shards → the local writer's empty table."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    writer = None
    try:
        for part in parts:
            table = pq.read_table(part)
            if writer is None:
                writer = pq.ParquetWriter(str(tmp), table.schema)
            writer.write_table(table.cast(writer.schema))
        if writer is None:  # as write_vcf_scores: an empty table with the columns
            empty = pd.DataFrame({c: pd.Series(dtype="object") for c in ["chrom", "ref", "alt", "status"]})
            empty["pos"] = pd.Series(dtype="int64")
            empty["llr"] = pd.Series(dtype="float64")
            pq.write_table(pa.Table.from_pandas(empty, preserve_index=False), str(tmp))
        else:
            writer.close()
            writer = None
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ embed
def embed_windows_ray(model: str, seqs: Sequence[str], *, out: str | Path, layers: Sequence[int],
                      pooling: str, center: int, rc: bool, batch_size: int = 128, shard_size: int = 512,
                      name: str = "", opts: EngineOptions = EngineOptions(), progress: Progress | None = None
                      ) -> tuple[Embeddings, RayRun]:
    """:func:`glm_explore.embed.embed_windows` on Ray: slices of ``shard_size`` windows per shard.

    ``layers`` must already be normalised (non-negative) and ``rc`` resolved (bool), as the driver has the
    model; ``name`` is the model name stored in the result. Returns the :class:`Embeddings` of all ``seqs``
    (window order) and the :class:`RayRun`. Resume state lives next to ``out``.
    """
    seqs = list(seqs)
    if not seqs:
        raise ValueError("no windows to embed")
    params = {"model": model, "layers": [int(k) for k in layers], "pooling": pooling, "center": int(center),
              "rc": bool(rc), "batch_size": int(batch_size)}
    digest = hashlib.sha256("\n".join(seqs).encode()).hexdigest()
    store = ShardStore(work_dir_for(out), {"job": "embed", "windows": digest, "shard_size": shard_size, **params},
                       suffix="npy")
    starts = range(0, len(seqs), shard_size)
    payloads = {k: (lambda s=s: "\n".join(seqs[s:s + shard_size]).encode("ascii")) for k, s in enumerate(starts)}
    run = _run(store, payloads, "embed", params, opts, progress)
    vectors = np.concatenate([np.load(io.BytesIO(store.load(k)), allow_pickle=False) for k in range(len(starts))])
    store.remove()
    emb = Embeddings(vectors=vectors, layers=tuple(params["layers"]), model=name or model, pooling=pooling,
                     center=center, rc=bool(rc), window_length=len(seqs[0]))
    return emb, run


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
