"""Where a track's chunks live between runs: one ``.npz`` per finished chunk, written atomically.

``out_dir/chunks/<chrom>_<start>_<end>.npz`` holds the three float32 tracks and the skipped spans of one
:class:`~glm_explore.track.chunks.Chunk`; ``out_dir/track.json`` the settings that made them (model, genome,
mode, strands), so a resumed run never mixes two models. :meth:`ChunkStore.assemble` turns the stored
chunks into the bigWigs, the skipped-span BED and the README note (:mod:`glm_explore.track.bigwig`).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .chunks import Chunk, TrackError
from .compute import SKIP_COLUMNS, TRACKS, ChunkValues

SETTINGS_FILE = "track.json"


def _atomic_write(path: Path, write) -> None:
    """``write(handle)`` into a temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def values_bytes(chunk: Chunk, values: ChunkValues) -> bytes:
    """``values`` of ``chunk`` as ``.npz`` bytes (the three float32 tracks, the chunk's span, the skipped spans):
    the chunk file's content, and what a Ray actor sends back (no pickling)."""
    for name in TRACKS:
        if len(values.track(name)) != chunk.length:
            raise TrackError(f"{name} of chunk {chunk} has {len(values.track(name))} values, not {chunk.length}.")
    sk = values.skipped
    arrays = {name: np.asarray(values.track(name), dtype=np.float32) for name in TRACKS}
    arrays.update(chrom=np.array(chunk.chrom), span=np.array([chunk.start, chunk.end], dtype=np.int64),
                  skip_start=sk["start"].to_numpy(np.int64), skip_end=sk["end"].to_numpy(np.int64),
                  skip_reason=np.array(sk["reason"].tolist(), dtype=str))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def values_from_bytes(chunk: Chunk, data: bytes) -> ChunkValues:
    """The :class:`ChunkValues` of ``chunk`` from :func:`values_bytes` output; TrackError if they belong to
    another chunk."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        if str(z["chrom"]) != chunk.chrom or z["span"].tolist() != [chunk.start, chunk.end]:
            raise TrackError(f"the values of {z['chrom']}:{z['span'][0] + 1}-{z['span'][1]} are not chunk {chunk}")
        skipped = pd.DataFrame({"chrom": chunk.chrom, "start": z["skip_start"], "end": z["skip_end"],
                                "reason": z["skip_reason"].astype(str)}, columns=SKIP_COLUMNS)
        return ChunkValues(chunk=chunk, skipped=skipped, **{name: z[name] for name in TRACKS})


class ChunkStore:
    """Finished chunks of one track under ``out_dir`` (see the module docstring)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.chunk_dir = self.out_dir / "chunks"

    def path(self, chunk: Chunk) -> Path:
        """The file of ``chunk`` (named by contig and coordinates, so any plan of the same chunks resumes)."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", chunk.chrom)
        return self.chunk_dir / f"{safe}_{chunk.start}_{chunk.end}.npz"

    def done(self, chunk: Chunk) -> bool:
        """Whether ``chunk`` is stored (a file exists only once completely written)."""
        return self.path(chunk).is_file()

    def save(self, chunk: Chunk, values: ChunkValues) -> Path:
        """Store ``values`` of ``chunk`` atomically (temporary file, then rename)."""
        data = values_bytes(chunk, values)
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        path = self.path(chunk)
        _atomic_write(path, lambda fh: fh.write(data))
        return path

    def load(self, chunk: Chunk) -> ChunkValues:
        """The stored :class:`ChunkValues` of ``chunk``; :class:`TrackError` if it was never saved."""
        if not self.done(chunk):
            raise TrackError(f"Chunk {chunk} is not in {self.chunk_dir}; run the track command again to compute it.")
        try:
            return values_from_bytes(chunk, self.path(chunk).read_bytes())
        except TrackError:
            raise TrackError(f"{self.path(chunk).name} does not hold chunk {chunk}; remove it and run again.") from None

    def settings(self) -> dict | None:
        """The settings recorded in ``track.json``, or None for a new folder."""
        path = self.out_dir / SETTINGS_FILE
        return json.loads(path.read_text()) if path.is_file() else None

    def claim(self, settings: dict) -> None:
        """Record ``settings`` for a new folder, or check they equal the folder's (no mixing on resume)."""
        old = self.settings()
        if old is None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            text = json.dumps(settings, indent=2, sort_keys=True).encode()
            _atomic_write(self.out_dir / SETTINGS_FILE, lambda fh: fh.write(text))
        elif old != settings:
            diff = ", ".join(f"{k} {old.get(k)!r} → {v!r}" for k, v in settings.items() if old.get(k) != v)
            raise TrackError(f"{self.out_dir} holds a track made with other settings ({diff}); "
                             "choose another --out folder or remove this one.")

    def assemble(self, genome, chunks: list[Chunk]) -> dict[str, Path]:
        """Write the bigWigs, ``skipped.bed`` and ``README.md`` from the stored ``chunks``; returns their paths
        (keys: the :data:`TRACKS` names, ``skipped``, ``readme``)."""
        from .bigwig import write_outputs

        return write_outputs(self, genome, chunks)
