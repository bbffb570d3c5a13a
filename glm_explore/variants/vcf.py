"""Reading VCFs: cheap file checks before htslib sees them, a streaming reader that splits
multi-allelic records and gives every allele it cannot score a reason, and streaming scoring.

:class:`VcfReader` streams a (bgzipped) VCF with cyvcf2 in batches; :func:`score_vcf` scores each
batch with :func:`~glm_explore.variants.score.score_variants`; :func:`score_vcf_table` collects them
for pages and notebooks (the CLI writes Parquet chunk by chunk with
:func:`~glm_explore.variants.parquet.write_vcf_scores`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import GlmExploreError
from ..io.datasets import DATA_DIR, as_genome
from ..models.base import GenomicLM, Progress
from ..results import VcfSummary
from .indels import check_event
from .score import score_variants
from .stats import synonymy
from .validate import OK, REASON_INDEL, REASON_SYMBOLIC, ChromCache, VariantError, check_variant

EVENT_INFO = ("end", "svlen", "ins_seq")  # columns a reader adds with max_sv_size: INFO END, SVLEN, SVINSSEQ

DEMO_VCF = DATA_DIR / "yeast" / "demo_variants.vcf.gz"
DEMO_NOTE = ("SYNTHETIC demo variants: SNVs sampled at random from the yeast S288c reference across region classes "
             "and codon positions (scripts/make_demo_vcf.py); not real variant calls.")


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


class VcfReader:
    """Stream a VCF (plain or bgzipped) with cyvcf2 in batches of SNV alleles.

    Each iteration yields ``(batch, skipped)``: ``batch`` a DataFrame ``chrom, pos, ref, alt, id``
    (+ the INFO fields in ``info``) of SNVs that passed :func:`check_variant`; ``skipped`` a
    DataFrame of the alleles that did not, with a ``reason`` per allele (multi-allelic records are
    split first, so one record can give one scored and one skipped row). ``summary`` counts
    everything seen so far (a new frozen :class:`~glm_explore.results.VcfSummary` each time it is
    read). Memory is one batch plus the chromosome sequences of :class:`~.validate.ChromCache` (the whole
    genome when it fits, else the last two chromosomes).

    ``max_sv_size`` (bp; None = SNVs only, as before): indels, MNVs and symbolic ``<DEL>/<INS>/<DUP>/<INV>``
    up to that size pass too (:func:`~.indels.check_event`; skip reasons for breakends, ``<CNV>``, events
    over the cap, symbolic alleles without END/SVLEN), and batches gain ``end``, ``svlen``, ``ins_seq``.
    """

    def __init__(self, path: str | Path, genome, *, batch_size: int = 2000, info: Sequence[str] | None = None,
                 max_sv_size: int | None = None) -> None:
        import cyvcf2

        _quiet_htslib()
        self.path = check_vcf_path(path)
        try:
            self._vcf = cyvcf2.VCF(str(self.path), lazy=True, threads=1)
        except Exception as exc:  # cyvcf2 raises OSError/Exception for unreadable files
            raise VariantError(f"Cannot read {self.path.name} as VCF ({exc}). Is it a (bgzipped) VCF?") from exc
        declared = [h.info()["ID"] for h in self._vcf.header_iter() if h.type == "INFO"]
        self.info = list(declared[:12] if info is None else info)
        self.genome = as_genome(genome)
        self.cache = ChromCache(self.genome)
        self.batch_size = batch_size
        self.max_sv_size = max_sv_size
        self._records = self._alleles = self._scored = 0
        self._skipped: Counter = Counter()

    @property
    def summary(self) -> VcfSummary:
        """Counts so far: records and alleles read, alleles passed on for scoring, skips per reason."""
        return VcfSummary(records=self._records, alleles=self._alleles, scored=self._scored,
                          skipped=dict(self._skipped))

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        events = self.max_sv_size is not None
        cols = ["chrom", "pos", "ref", "alt", "id", *self.info, *(EVENT_INFO if events else ())]
        ok_rows: list[tuple] = []
        bad_rows: list[tuple] = []
        try:
            for rec in self._vcf:
                self._records += 1
                alts = rec.ALT or ["."]
                infos = tuple(self._info(rec, k) for k in self.info)
                for k, alt in enumerate(alts):
                    self._alleles += 1
                    reason, name, _ = check_variant(self.genome, rec.CHROM, rec.POS, rec.REF, alt, self.cache)
                    row = (rec.CHROM, int(rec.POS), rec.REF, alt, rec.ID or ".", *infos)
                    if events:
                        extra = self._event_info(rec, k)
                        row = (*row, *extra)
                        if reason in {REASON_INDEL, REASON_SYMBOLIC}:
                            reason, ev = check_event(self.genome, rec.CHROM, rec.POS, rec.REF, alt, end=extra[0],
                                                     svlen=extra[1], ins_seq=extra[2], max_size=self.max_sv_size,
                                                     cache=self.cache)
                            name = ev.chrom if ev is not None else name
                    if reason == OK:
                        ok_rows.append((name, *row[1:]))
                    else:
                        self._skipped[reason] += 1
                        bad_rows.append((*row[:5], reason))
                if len(ok_rows) >= self.batch_size or len(bad_rows) >= self.batch_size:
                    yield self._flush(ok_rows, bad_rows, cols)
                    ok_rows, bad_rows = [], []
        except GlmExploreError:
            raise
        except Exception as exc:
            raise VariantError(f"{self.path.name} record {self._records + 1}: cannot parse ({exc}). "
                               "Fix or drop that line.") from exc
        if ok_rows or bad_rows:
            yield self._flush(ok_rows, bad_rows, cols)

    def _flush(self, ok_rows, bad_rows, cols) -> tuple[pd.DataFrame, pd.DataFrame]:
        self._scored += len(ok_rows)
        return (pd.DataFrame(ok_rows, columns=cols),
                pd.DataFrame(bad_rows, columns=["chrom", "pos", "ref", "alt", "id", "reason"]))

    @staticmethod
    def _event_info(rec, k: int) -> tuple:
        """``(END, SVLEN, SVINSSEQ)`` of allele ``k`` of a record (None where absent)."""
        out = []
        for key in ("END", "SVLEN", "SVINSSEQ"):
            try:
                v = rec.INFO.get(key)
            except (KeyError, ValueError):
                v = None
            if isinstance(v, tuple):
                v = v[k] if k < len(v) else None
            out.append(None if v is None else str(v))
        return tuple(out)

    @staticmethod
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

    def close(self) -> None:
        self._vcf.close()


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


def score_vcf(model: GenomicLM, genome, path: str | Path, *, batch_size: int = 2000, window: int | None = None,
              rc: bool = True, clm_reduce: str = "sum", forward_batch: int = 64, limit: int | None = None,
              progress: Progress | None = None, total: int | None = None, packed: bool = True,
              max_sv_size: int | None = None, exact_pll: bool = False, null_events: int = 0
              ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, VcfSummary]]:
    """Stream-score a VCF: yields ``(scored_batch, skipped_batch, summary_so_far)`` per batch.

    ``scored_batch`` is :func:`score_variants`' output for up to ``batch_size`` SNV alleles;
    ``skipped_batch`` lists the alleles not scored with their ``reason``. ``limit`` stops after
    that many scored alleles (the last summary then says ``stopped_at_limit``). ``progress(fraction,
    message)`` is called per batch (fraction by records when ``total`` records are known, else 0).
    ``packed`` is passed to :func:`score_variants` (``False``: the one-window-per-site reference);
    ``max_sv_size`` (bp; None = SNVs only) also scores indels / MNVs / small SVs up to that size
    (:func:`~.score.score_events`, with ``exact_pll`` and ``null_events`` for their z-score).
    """
    reader = VcfReader(path, genome, batch_size=min(batch_size, limit) if limit else batch_size,
                       max_sv_size=max_sv_size)
    done = 0
    try:
        for ok, bad in reader:
            summary = reader.summary
            if limit is not None and done + len(ok) > limit:
                summary = replace(summary, scored=summary.scored - (done + len(ok) - limit), stopped_at_limit=True)
                ok = ok.iloc[:max(0, limit - done)]
            scored = score_variants(model, genome, ok, window=window, rc=rc, clm_reduce=clm_reduce,
                                    batch_size=forward_batch, packed=packed, max_sv_size=max_sv_size,
                                    exact_pll=exact_pll, null_events=null_events, _cache=reader.cache)
            done += len(scored)
            if progress:
                frac = summary.records / total if total else 0.0
                progress(min(1.0, frac), f"{summary.records:,} records, {done:,} scored")
            yield scored, bad, summary
            if limit is not None and done >= limit:
                break
    finally:
        reader.close()


def score_vcf_table(model: GenomicLM, genome, path: str | Path, *, limit: int | None = None, batch_size: int = 500,
                    max_skipped: int = 1000, progress: Progress | None = None, **kwargs
                    ) -> tuple[pd.DataFrame, pd.DataFrame, VcfSummary]:
    """:func:`score_vcf` collected into one table (for pages and notebooks; use the CLI for big files).

    Returns ``(scores, skipped, summary)``; ``skipped`` keeps at most ``max_skipped`` rows (the
    summary counts all). Adds a ``synonymy`` column when the VCF has an ``EFFECT`` INFO field.
    """
    total = count_records(path) if progress else None
    if total and limit:
        total = min(total, limit)
    scored, skipped, summary, kept = [], [], VcfSummary(), 0
    for ok, bad, so_far in score_vcf(model, genome, path, batch_size=batch_size, limit=limit, progress=progress,
                                     total=total, **kwargs):
        scored.append(ok)
        summary = so_far
        if kept < max_skipped:
            skipped.append(bad.head(max_skipped - kept))
            kept += len(skipped[-1])
    out = (pd.concat(scored, ignore_index=True) if scored
           else pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "status", "llr"]))
    if "EFFECT" in out:
        out["synonymy"] = synonymy(out)
    bad = (pd.concat(skipped, ignore_index=True) if skipped
           else pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "id", "reason"]))
    return out, bad, summary
