"""Reading VCF files: cheap checks before htslib sees a file, opening it with cyvcf2, and its records one by one.

* :func:`check_vcf_path` — the file exists, is a (bgzipped) VCF, and has no line that crashes htslib;
* :class:`VcfRecords` — the records of a VCF (cyvcf2, streaming): CHROM, POS, ID, REF, the ALTs, the chosen INFO
  fields as strings and, on request, each ALT's END / SVLEN / SVINSSEQ;
* :func:`count_records` — the number of records (a cheap pass, for progress bars).

Checking alleles against a genome, batching and the scoring live in :mod:`glm_explore.variants`
(:class:`~glm_explore.variants.vcf.VcfReader`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import VariantError

MAX_INFO = 12  # INFO fields kept by default (the first ones the header declares)
EVENT_KEYS = ("END", "SVLEN", "SVINSSEQ")  # INFO keys of a symbolic / structural allele, read per ALT


def check_vcf_path(path: str | Path) -> Path:
    """Cheap checks before opening: the file exists, is not empty, and is a VCF (plain or gzipped)."""
    path = Path(path)
    if not path.exists():
        raise VariantError(f"VCF file not found: {path}. Check the path.")
    if path.is_dir():
        raise VariantError(f"{path} is a folder; give a .vcf or .vcf.gz file.")
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise VariantError(f"{path.name} is empty: a VCF needs a '##fileformat=VCF' header and records.")
    gz = head[:2] == b"\x1f\x8b"
    if gz:
        import gzip

        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(64)
        except (OSError, EOFError) as exc:
            raise VariantError(f"{path.name} is a damaged gzip file ({exc}).") from exc
    if not head.startswith(b"##fileformat=VCF"):
        raise VariantError(f"{path.name} is not a VCF: it must start with '##fileformat=VCFv4.x' "
                           "(plain or bgzipped).")
    _check_vcf_lines(path, gz=gz)
    return path


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _check_vcf_lines(path: Path, *, gz: bool) -> None:
    """One streaming pass of line checks before htslib sees the file.

    cyvcf2 (htslib) crashes the whole process (segfault) on some malformed records: a POS that is
    not a number in a record with a FORMAT column, a blank line, a NUL byte in CHROM. These checks
    turn such lines into a :class:`VariantError` naming the line.
    """
    import gzip

    opener = gzip.open if gz else open
    columns = None
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
            for i, line in enumerate(fh, start=1):
                line = line.rstrip("\r\n")
                if line.startswith("##"):
                    continue
                if not line.strip():
                    raise VariantError(f"{path.name} line {i} is blank: remove blank lines (htslib cannot read them).")
                bad = _CONTROL_CHARS.search(line)
                if bad:
                    raise VariantError(f"{path.name} line {i} holds a control character ({bad.group()!r}); "
                                       "is it really a text VCF?")
                cols = line.split("\t")
                if line.startswith("#"):
                    if not line.startswith("#CHROM") or len(cols) < 8:
                        raise VariantError(f"{path.name} line {i}: the header line must be '#CHROM POS ID REF "
                                           "ALT QUAL FILTER INFO' (tab-separated).")
                    columns = len(cols)
                    continue
                if columns is None:
                    raise VariantError(f"{path.name} line {i}: a record comes before the '#CHROM …' header line; "
                                       "add the header.")
                if len(cols) < 8 or len(cols) > columns:
                    want = "8" if columns == 8 else f"8 to {columns}"
                    raise VariantError(f"{path.name} line {i}: a record needs {want} tab-separated columns "
                                       f"(as many as the '#CHROM' line), found {len(cols)}.")
                if not cols[1].isdigit():
                    raise VariantError(f"{path.name} line {i}: POS must be a whole number, got {cols[1]!r}.")
                if not cols[0] or not cols[3] or not cols[4]:
                    raise VariantError(f"{path.name} line {i}: CHROM, REF and ALT must not be empty "
                                       "(use '.' for a missing ALT).")
    except (OSError, EOFError) as exc:
        raise VariantError(f"{path.name} cannot be read to the end ({exc}); re-compress it with bgzip.") from exc
    if columns is None:
        raise VariantError(f"{path.name} has no '#CHROM POS ID REF ALT QUAL FILTER INFO' header line.")


def _quiet_htslib() -> None:
    """Silence htslib's own stderr lines ("[E::vcf_parse] ..."): errors reach the user as one
    VariantError message instead (cyvcf2 links htslib statically and exposes no verbosity switch)."""
    try:
        import ctypes

        import cyvcf2.cyvcf2 as _c

        ctypes.CDLL(_c.__file__).hts_set_log_level(0)  # HTS_LOG_OFF
    except (OSError, AttributeError, ImportError):
        pass


@dataclass(frozen=True)
class VcfRecord:
    """One VCF record: ``pos`` 1-based; ``info`` the chosen INFO fields as strings (None when absent);
    ``events`` per ALT the ``(END, SVLEN, SVINSSEQ)`` strings (None where absent), empty unless asked for."""

    chrom: str
    pos: int
    id: str
    ref: str
    alts: tuple[str, ...]
    info: tuple
    events: tuple[tuple, ...] = ()


class VcfRecords:
    """The records of a (bgzipped) VCF, streamed with cyvcf2 after :func:`check_vcf_path`.

    ``info``: the INFO fields to read (None: the first :data:`MAX_INFO` the header declares; ``self.info``
    says which); ``events``: also read each ALT's END / SVLEN / SVINSSEQ. Values are strings throughout (a
    multi-valued field joined by commas), so every batch built from them has the same column types.
    """

    def __init__(self, path: str | Path, *, info: Sequence[str] | None = None, events: bool = False) -> None:
        import cyvcf2

        _quiet_htslib()
        self.path = check_vcf_path(path)
        try:
            self._vcf = cyvcf2.VCF(str(self.path), lazy=True, threads=1)
        except Exception as exc:  # cyvcf2 raises OSError/Exception for unreadable files
            raise VariantError(f"Cannot read {self.path.name} as VCF ({exc}). Is it a (bgzipped) VCF?") from exc
        declared = [h.info()["ID"] for h in self._vcf.header_iter() if h.type == "INFO"]
        self.info = list(declared[:MAX_INFO] if info is None else info)
        self.events = events

    @classmethod
    def fields(cls, path: str | Path) -> list[str]:
        """The INFO fields a reader of ``path`` reads by default (the first :data:`MAX_INFO` declared)."""
        records = cls(path)
        records.close()
        return records.info

    def __iter__(self) -> Iterator[VcfRecord]:
        for rec in self._vcf:
            alts = tuple(rec.ALT or ["."])
            events = tuple(_event_info(rec, k) for k in range(len(alts))) if self.events else ()
            yield VcfRecord(rec.CHROM, int(rec.POS), rec.ID or ".", rec.REF, alts,
                            tuple(_info(rec, key) for key in self.info), events)

    def close(self) -> None:
        self._vcf.close()


def _event_info(rec, k: int) -> tuple:
    """``(END, SVLEN, SVINSSEQ)`` of allele ``k`` of a record (None where absent)."""
    out = []
    for key in EVENT_KEYS:
        try:
            v = rec.INFO.get(key)
        except (KeyError, ValueError):
            v = None
        if isinstance(v, tuple):
            v = v[k] if k < len(v) else None
        out.append(None if v is None else str(v))
    return tuple(out)


def _info(rec, key: str):
    try:
        v = rec.INFO.get(key)
    except (KeyError, ValueError):
        return None
    if v is None:
        return None
    if isinstance(v, tuple):
        return ",".join(map(str, v))
    return str(v)  # strings throughout: the same column type in every batch


def count_records(path: str | Path) -> int:
    """Number of data records in a VCF (one cheap streaming pass, for progress bars)."""
    import cyvcf2

    path = check_vcf_path(path)  # before htslib: some malformed lines crash it
    _quiet_htslib()
    try:
        vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
        n = sum(1 for _ in vcf)
        vcf.close()
        return n
    except Exception as exc:
        raise VariantError(f"Cannot read {Path(path).name} as VCF ({exc}).") from exc
