"""Small FASTA files (an upload, a ``--fasta`` of a few sequences) → named, cleaned sequences, via Biopython.
Genome FASTAs (indexed, fetched by region) are :mod:`glm_explore.io.genome`."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import FastaError
from ..sequence import clean_sequence


def fasta_records(data: str | bytes | Path) -> dict[str, str]:
    """Records of a small FASTA (text, bytes or path) → {name: cleaned sequence}, via Biopython."""
    from Bio import SeqIO

    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, bytes):
        if data[:2] == b"\x1f\x8b":
            import gzip

            data = gzip.decompress(data)
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FastaError(f"The FASTA is not text (byte {exc.start}); upload a plain or gzipped FASTA.") from exc
    text = data.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.lstrip().startswith(">"):
        raise FastaError("The FASTA does not start with a '>name' header line; add one (e.g. '>seq1').")
    out: dict[str, str] = {}
    for rec in SeqIO.parse(io.StringIO(text), "fasta"):
        out[rec.id or f"record{len(out) + 1}"] = clean_sequence(str(rec.seq), name=f"record {rec.id!r}")
    if not out:
        raise FastaError("The FASTA holds no sequences.")
    return out
