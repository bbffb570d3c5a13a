"""The actor half of the Ray engine: one callable class for ``map_batches`` that holds one model per actor.

:class:`ShardWorker` is what Ray Data instantiates once per actor. It builds the job's compute object from
plain parameters (spec strings and numbers) — so each actor **loads its own model** through the project's
registry (:func:`glm_explore.models.load_model`) and its own genome (:func:`glm_explore.io.datasets.load_genome_spec`);
nothing heavy is pickled. Each call turns a batch of shard payloads (bytes) into result bytes with the local
engine's own functions:

* ``score-vcf`` — :class:`VcfShard`: a chunk of alleles as Parquet bytes → :func:`glm_explore.variants.chunk_table`
  (what the local driver runs per chunk) → Parquet bytes;
* ``embed`` — :class:`EmbedShard`: newline-joined windows → :func:`glm_explore.embed.embed_windows` →
  ``.npy`` bytes of the ``(n, n_layers, D)`` float32 vectors (:func:`glm_explore.embed.vectors_bytes`);
* ``track`` — :class:`TrackShard`: a chunk as JSON → ``glm_explore.track.compute_chunk`` → ``.npz`` bytes.

Nothing is unpickled by our code: payloads and results are Parquet, JSON or ``.npz`` bytes, and a user error
comes back as its class name and message.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time

import numpy as np

from ..errors import GlmExploreError


def load_genome(spec: str):
    """The GenomeData of a ``--genome`` spec, as the CLI loads it (a cleaned FASTA copy in a temp folder)."""
    from ..io.datasets import load_genome_spec

    return load_genome_spec(spec, clean_dir=tempfile.mkdtemp(prefix="glm_explore_actor_"))


def load_model(spec: str):
    """The model of a ``--model`` spec, through the registry (built-in key, ConvLM folder, HF folder / id)."""
    from ..models import load_model as _load

    return _load(spec)


def frame_bytes(df) -> bytes:
    """An allele table as Parquet bytes (what crosses to an actor: data only, never pickled code)."""
    buf = io.BytesIO()
    df.reset_index(drop=True).to_parquet(buf, index=False)
    return buf.getvalue()


def frame_from_bytes(data: bytes):
    """The allele table of :func:`frame_bytes`."""
    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def chunk_bytes(chunk) -> bytes:
    """A track :class:`~glm_explore.track.Chunk` as JSON bytes."""
    return json.dumps([chunk.index, chunk.chrom, chunk.start, chunk.end]).encode()


def chunk_from_bytes(data: bytes):
    """The :class:`~glm_explore.track.Chunk` of :func:`chunk_bytes`."""
    from ..track import Chunk

    index, chrom, start, end = json.loads(data)
    return Chunk(int(index), str(chrom), int(start), int(end))


def error_bytes(exc: GlmExploreError) -> bytes:
    """A user error raised in an actor as JSON bytes: its class name and message."""
    return json.dumps([type(exc).__name__, str(exc)]).encode()


def error_from_bytes(data: bytes) -> GlmExploreError:
    """The error of :func:`error_bytes`: the same :mod:`glm_explore.errors` class when it is one (else the
    base class), with the same message."""
    from .. import errors

    name, message = json.loads(data)
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, GlmExploreError)):
        cls = GlmExploreError
    return cls(message)


class VcfShard:
    """Score one chunk of alleles exactly as the local driver does (:func:`glm_explore.variants.chunk_table`)."""

    def __init__(self, model: str, genome: str, settings: dict, info: list[str]) -> None:
        from ..variants import VariantScoreSettings

        self.model, self.genome = load_model(model), load_genome(genome)
        self.settings, self.info = VariantScoreSettings.from_dict(settings), list(info)

    def __call__(self, payload: bytes) -> bytes:
        from ..variants.parquet import chunk_table, table_bytes

        return table_bytes(chunk_table(self.model, self.genome, frame_from_bytes(payload), self.settings, self.info))


class EmbedShard:
    """Embed one slice of equal-length windows exactly as the local driver does
    (:func:`glm_explore.embed.embed_windows` with the driver's resolved settings)."""

    def __init__(self, model: str, settings: dict) -> None:
        from ..embed import EmbedSettings

        self.model, self.settings = load_model(model), EmbedSettings.from_dict(settings)

    def __call__(self, payload: bytes) -> bytes:
        from ..embed import embed_windows, vectors_bytes

        return vectors_bytes(embed_windows(self.model, payload.decode("ascii").split("\n"), self.settings).vectors)


class TrackShard:
    """Compute one genome chunk exactly as the local track engine does (``glm_explore.track.compute_chunk``)."""

    def __init__(self, model: str, genome: str, batch_size: int, options: dict | None = None) -> None:
        self.model, self.genome = load_model(model), load_genome(genome)
        self.batch_size = batch_size
        self.options = dict(options or {})

    def __call__(self, payload: bytes) -> bytes:
        from ..track import compute_chunk
        from ..track.store import values_bytes

        chunk = chunk_from_bytes(payload)
        values = compute_chunk(self.model, self.genome, chunk, batch_size=self.batch_size, **self.options)
        return values_bytes(chunk, values)


JOBS = {"score-vcf": VcfShard, "embed": EmbedShard, "track": TrackShard}


class ShardWorker:
    """Ray Data callable class (one instance per actor): ``{shard, payload}`` batch → ``{shard, result}``.

    ``job`` names the compute class in :data:`JOBS`, built from ``params`` inside the actor. ``threads``:
    torch threads of this actor (its CPU reservation). ``fail_after`` (tests): the actor process exits, as a
    killed worker would, when asked for more shards after finishing that many.
    """

    def __init__(self, job: str, params: dict, fail_after: int | None = None, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.fail_after, self.finished = fail_after, 0
        self.error: GlmExploreError | None = None
        try:
            self.compute = JOBS[job](**params)
        except GlmExploreError as exc:  # reported with the first shard, as data the driver re-raises
            self.error = exc
            self.compute = self._raise

    def _raise(self, payload: bytes) -> bytes:
        raise self.error

    def __call__(self, batch: dict) -> dict:
        if self.fail_after is not None and self.finished >= self.fail_after:
            time.sleep(2.0)  # let the driver collect what this actor finished, then die like a killed worker
            os._exit(1)
        results, errors = [], []
        for payload in batch["payload"]:
            try:
                results.append(self.compute(bytes(payload)))
                errors.append(b"")
            except GlmExploreError as exc:  # a user error travels back as data: the driver re-raises it as is
                results.append(b"")
                errors.append(error_bytes(exc))
        self.finished += len(results)
        return {"shard": np.asarray(batch["shard"], dtype=np.int64), "result": _objects(results),
                "error": _objects(errors)}


def _objects(values: list[bytes]) -> np.ndarray:
    """A 1-D object array of bytes (a Ray Data binary column)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
