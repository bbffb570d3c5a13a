"""Variant scores as Parquet: one fixed Arrow schema (numeric score columns, strings elsewhere) for the
``score-vcf`` file written chunk by chunk and for page downloads.

With indels / SVs (``max_sv_size``) every row also carries ``kind`` (SNV, DEL, INS, MNV, DELINS, DUP, INV),
``length`` / ``len_change`` / ``norm_pos`` / ``n_ref`` / ``n_alt`` (nullable int64), ``score_ref`` /
``score_alt`` / ``llr_mean`` (per-base mean) / ``llr_z`` (length-corrected z-score) (float64) and
``method``; SNV-only files keep the columns they always had (new columns are additive)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..models.base import GenomicLM
from ..results import VcfSummary
from .vcf import score_vcf


def write_vcf_scores(model: GenomicLM, genome, vcf: str | Path, out: str | Path, skipped: str | Path, *,
                     batch_size: int = 2000, window: int | None = None, rc: bool = True, clm_reduce: str = "sum",
                     limit: int | None = None, on_records: Callable[[int], object] | None = None,
                     packed: bool = True, max_sv_size: int | None = None, exact_pll: bool = False,
                     null_events: int = 0) -> VcfSummary:
    """Stream ``vcf`` through :func:`score_vcf` into a Parquet file ``out`` (written chunk by chunk, bounded
    memory) and a TSV ``skipped`` of the alleles not scored with their reason. ``on_records(n)`` is called
    with the number of VCF records read so far; ``packed``, ``max_sv_size`` (indels / SVs up to that size; None =
    SNVs only), ``exact_pll`` and ``null_events`` as in :func:`score_vcf`. Returns the final summary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    summary = VcfSummary()
    try:
        with open(skipped, "w") as skip_fh:
            skip_fh.write("chrom\tpos\tref\talt\tid\treason\n")
            for scored, bad, summary in score_vcf(model, genome, vcf, batch_size=batch_size, window=window, rc=rc,
                                                  clm_reduce=clm_reduce, limit=limit, packed=packed,
                                                  max_sv_size=max_sv_size, exact_pll=exact_pll,
                                                  null_events=null_events):
                bad.to_csv(skip_fh, sep="\t", header=False, index=False)
                if on_records is not None:
                    on_records(summary.records)
                if scored.empty:
                    continue
                table = _arrow_table(scored)
                if writer is None:
                    writer = pq.ParquetWriter(str(out), table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is None:  # nothing scorable: still write an empty table with the columns
                empty = pd.DataFrame({c: pd.Series(dtype="object") for c in ["chrom", "ref", "alt", "status"]})
                empty["pos"] = pd.Series(dtype="int64")
                empty["llr"] = pd.Series(dtype="float64")
                pq.write_table(pa.Table.from_pandas(empty, preserve_index=False), str(out))
    finally:
        if writer is not None:
            writer.close()
    return summary


_NUMERIC = {"pos": "int64", "llr": "float64", "logp_ref": "float64", "logp_alt": "float64",
            "ll_ref": "float64", "ll_alt": "float64", "score_ref": "float64", "score_alt": "float64",
            "llr_mean": "float64", "llr_z": "float64"}
_NULLABLE_INT = {"length", "len_change", "norm_pos", "n_ref", "n_alt"}  # event columns: int64 with nulls


def _arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Score columns numeric, everything else nullable strings: every chunk gets the same Parquet schema."""
    df = df.copy()
    for c in df.columns:
        if c in _NUMERIC:
            df[c] = df[c].astype(_NUMERIC[c])
        elif c in _NULLABLE_INT:
            df[c] = pd.to_numeric(df[c], errors="coerce").round().astype("Int64")
        else:
            df[c] = df[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return df


def _arrow_table(df: pd.DataFrame):
    """A pyarrow Table with a fixed schema: numeric score columns, strings elsewhere."""
    import pyarrow as pa

    schema = pa.schema([(c, pa.from_numpy_dtype(np.dtype(_NUMERIC[c])) if c in _NUMERIC
                         else pa.int64() if c in _NULLABLE_INT else pa.string()) for c in df.columns])
    return pa.Table.from_pandas(_arrow_safe(df), schema=schema, preserve_index=False)


def parquet_bytes(scores: pd.DataFrame) -> bytes:
    """``scores`` as Parquet bytes (the same schema as ``score-vcf`` writes), for downloads."""
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(_arrow_table(scores), buf)
    return buf.getvalue()
