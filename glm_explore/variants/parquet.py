"""``score-vcf``'s one driver and the Parquet schema of variant scores.

**Schema.** Every column's dtype is declared beside the code that makes it — the reader's columns in
:mod:`.vcf` (``COLUMNS``), each scorer's in its module (:mod:`.mlm`, :mod:`.clm`, :mod:`.score`,
:mod:`.stats`) — and :data:`DTYPES` merges them. The VCF's own INFO fields are strings (``text``). A column
that is neither declared nor an INFO field raises :class:`UndeclaredColumnError`: a new score column is never
silently written as text.

**Driver.** :func:`write_vcf_scores` owns the output of ``score-vcf`` whatever the engine: the chunks and the
``limit`` rule (:class:`~.vcf.VcfChunks`), the skipped-allele TSV, the schema and column order, the empty-file
fallback and the atomic final write. Each chunk's table is the one a :class:`ShardSource` already holds (the
Ray engine fills one, :mod:`glm_explore.distributed`) or else is scored here (:func:`chunk_table`, the same
function a Ray actor runs).

With indels / SVs (``max_sv_size``) every row also carries ``kind`` (SNV, DEL, INS, MNV, DELINS, DUP, INV),
``length`` / ``len_change`` / ``norm_pos`` / ``n_ref`` / ``n_alt`` (nullable int64), ``score_ref`` /
``score_alt`` / ``llr_mean`` (per-base mean) / ``llr_z`` (length-corrected z-score) (float64) and
``method``; SNV-only files keep the columns they always had (new columns are additive)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from ..models.base import GenomicLM
from ..results import VcfSummary
from ..results.calibration import COLUMNS as calibration_columns
from . import clm, mlm, score, stats, vcf
from .score import score_variants
from .settings import VariantScoreSettings, resolve
from .vcf import SKIPPED_COLUMNS, VcfChunks


class UndeclaredColumnError(TypeError):
    """A scores table has a column no scorer declares (a programming error, not a user's)."""


def _merge(*declarations: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in declarations:
        for name, dtype in decl.items():
            if out.setdefault(name, dtype) != dtype:
                raise TypeError(f"column {name!r} is declared as {out[name]} and as {dtype}")
    return out


DTYPES = _merge(vcf.COLUMNS, mlm.COLUMNS, clm.COLUMNS, score.COLUMNS, stats.COLUMNS, calibration_columns)
EMPTY_COLUMNS = ("chrom", "pos", "ref", "alt", "status", "llr")  # a file with no scorable allele


def _arrow_type(dtype: str):
    import pyarrow as pa

    return {"string": pa.string(), "int64": pa.int64(), "Int64": pa.int64(), "float64": pa.float64()}[dtype]


def column_dtypes(columns: Iterable[str], text: Iterable[str] = ()) -> dict[str, str]:
    """The declared dtype of each column, in order; ``text`` (the VCF's INFO fields) are strings. A column in
    neither raises :class:`UndeclaredColumnError`."""
    text = set(text)
    out = {}
    for c in columns:
        if c in DTYPES:
            out[c] = DTYPES[c]
        elif c in text:
            out[c] = "string"
        else:
            raise UndeclaredColumnError(f"column {c!r} has no declared dtype: declare it in the COLUMNS beside the "
                                        "scorer that makes it (see glm_explore/variants/parquet.py)")
    return out


def _cast(values: pd.Series, dtype: str) -> pd.Series:
    if dtype == "Int64":
        return pd.to_numeric(values, errors="coerce").round().astype("Int64")
    if dtype == "string":
        return values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return values.astype(dtype)


def arrow_table(df: pd.DataFrame, text: Iterable[str] = ()):
    """``df`` as a pyarrow Table with the declared schema (see the module docstring), columns in ``df``'s order."""
    import pyarrow as pa

    dtypes = column_dtypes(df.columns, text)
    schema = pa.schema([(c, _arrow_type(t)) for c, t in dtypes.items()])
    cast = pd.DataFrame({c: _cast(df[c], t) for c, t in dtypes.items()}, index=df.index)
    return pa.Table.from_pandas(cast, schema=schema, preserve_index=False)


def parquet_bytes(scores: pd.DataFrame, text: Iterable[str] = ()) -> bytes:
    """``scores`` as Parquet bytes (the schema ``score-vcf`` writes; ``text``: the VCF's INFO fields), for
    downloads."""
    return table_bytes(arrow_table(scores, text))


def table_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def chunk_table(model: GenomicLM, genome, chunk: pd.DataFrame, settings: VariantScoreSettings,
                info: Sequence[str], cache=None):
    """One chunk of scorable alleles → its scores as a pyarrow Table (what the driver writes and a Ray actor
    sends back)."""
    return arrow_table(score_variants(model, genome, chunk, settings, _cache=cache), info)


class ShardSource(Protocol):
    """Chunks already scored elsewhere (the Ray engine's shard store): Parquet bytes of a chunk's table."""

    def done(self, shard: int) -> bool: ...

    def load(self, shard: int) -> bytes: ...


def write_vcf_scores(model: GenomicLM | None, genome, vcf_path: str | Path, out: str | Path, skipped: str | Path,
                     settings: VariantScoreSettings | None = None, *,
                     on_records: Callable[[int], object] | None = None, shards: ShardSource | None = None,
                     background=None, **changes) -> VcfSummary:
    """Stream ``vcf_path`` chunk by chunk (:class:`~.vcf.VcfChunks`, bounded memory) into the Parquet ``out`` and
    the TSV ``skipped`` (alleles not scored, with their reason). Returns the final summary.

    A chunk that ``shards`` holds is taken from there; any other is scored here with ``model`` (which may be
    None when ``shards`` holds every chunk). ``on_records(n)`` is called with the VCF records read so far.
    ``background`` (a :class:`~glm_explore.results.calibration.Background`, or None): every chunk gains
    ``llr_pct_class`` / ``llr_pct_genome`` (:func:`glm_explore.calibration.with_percentiles`; NaN without one).
    Both files appear whole or not at all (temporary files, then renamed).
    """
    import pyarrow.parquet as pq

    from ..calibration.percentiles import with_percentiles

    s = resolve(settings, changes)
    out, skipped = Path(out), Path(skipped)
    tmp_out, tmp_skip = (p.with_name(f".{p.name}.tmp{os.getpid()}") for p in (out, skipped))
    writer = None
    summary = VcfSummary()
    try:
        chunks = VcfChunks(vcf_path, genome, s)
        with open(tmp_skip, "w") as skip_fh:
            skip_fh.write("\t".join(SKIPPED_COLUMNS) + "\n")
            for index, ok, bad, summary in chunks:
                bad.to_csv(skip_fh, sep="\t", header=False, index=False)
                if on_records is not None:
                    on_records(summary.records)
                if ok.empty:
                    continue
                if shards is not None and shards.done(index):
                    table = pq.read_table(io.BytesIO(shards.load(index)))
                elif model is None:
                    raise ValueError(f"chunk {index} is not in the shard store and no model was given to score it")
                else:
                    table = chunk_table(model, genome, ok, s, chunks.info, chunks.cache)
                table = with_percentiles(table, background)
                if writer is None:
                    writer = pq.ParquetWriter(str(tmp_out), table.schema)
                writer.write_table(table.cast(writer.schema))
        if writer is None:  # nothing scorable: still write an empty table with the columns
            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in EMPTY_COLUMNS})
            pq.write_table(arrow_table(empty), str(tmp_out))
        else:
            writer.close()
            writer = None
        os.replace(tmp_out, out)
        os.replace(tmp_skip, skipped)
    finally:
        if writer is not None:
            writer.close()
        tmp_out.unlink(missing_ok=True)
        tmp_skip.unlink(missing_ok=True)
    return summary
