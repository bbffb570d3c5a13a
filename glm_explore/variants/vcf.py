"""Variants of a VCF in the chunks every engine scores: a checking reader, the ``limit`` rule, streaming scores.

:class:`VcfReader` streams the records (:class:`glm_explore.io.vcf.VcfRecords`) in batches, splits
multi-allelic records and gives every allele it cannot score a reason; :class:`VcfChunks` applies the
``limit`` rule and numbers the chunks (the one definition of what a chunk is, for the local engine and for
a Ray shard); :func:`score_vcf` scores each chunk with :func:`~glm_explore.variants.score.score_variants`;
:func:`score_vcf_table` collects them for pages and notebooks (the CLI writes Parquet chunk by chunk with
:func:`~glm_explore.variants.parquet.write_vcf_scores`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import GlmExploreError
from ..io.datasets import DATA_DIR, as_genome
from ..io.vcf import VcfRecords, count_records
from ..models.base import GenomicLM, Progress
from ..results import VcfSummary
from .indels import check_event
from .score import score_variants
from .settings import VariantScoreSettings, resolve
from .stats import synonymy
from .validate import OK, REASON_INDEL, REASON_SYMBOLIC, ChromCache, VariantError, check_variant

# the columns of a reader's scorable batch and their dtypes (+ the VCF's INFO fields, strings); with max_sv_size
# also EVENT_INFO: INFO END, SVLEN, SVINSSEQ as read (strings)
BASE_COLUMNS = {"chrom": "string", "pos": "int64", "ref": "string", "alt": "string", "id": "string"}
EVENT_INFO = {"end": "string", "svlen": "string", "ins_seq": "string"}
COLUMNS = {**BASE_COLUMNS, **EVENT_INFO}
SKIPPED_COLUMNS = ["chrom", "pos", "ref", "alt", "id", "reason"]

DEMO_VCF = DATA_DIR / "yeast" / "demo_variants.vcf.gz"
DEMO_NOTE = ("SYNTHETIC demo variants: SNVs sampled at random from the yeast S288c reference across region classes "
             "and codon positions (scripts/make_demo_vcf.py); not real variant calls.")


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
        self._records_in = VcfRecords(path, info=info, events=max_sv_size is not None)
        self.path, self.info = self._records_in.path, self._records_in.info
        self.genome = as_genome(genome)
        self.cache = ChromCache(self.genome)
        self.batch_size = batch_size
        self.max_sv_size = max_sv_size
        self._records = self._alleles = self._scored = 0
        self._skipped: Counter = Counter()

    @property
    def columns(self) -> dict[str, str]:
        """The columns of a scorable batch and their dtypes (the INFO fields are strings)."""
        events = EVENT_INFO if self.max_sv_size is not None else {}
        return {**BASE_COLUMNS, **dict.fromkeys(self.info, "string"), **events}

    @property
    def summary(self) -> VcfSummary:
        """Counts so far: records and alleles read, alleles passed on for scoring, skips per reason."""
        return VcfSummary(records=self._records, alleles=self._alleles, scored=self._scored,
                          skipped=dict(self._skipped))

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        events = self.max_sv_size is not None
        cols = list(self.columns)
        ok_rows: list[tuple] = []
        bad_rows: list[tuple] = []
        try:
            for rec in self._records_in:
                self._records += 1
                for k, alt in enumerate(rec.alts):
                    self._alleles += 1
                    reason, name, _ = check_variant(self.genome, rec.chrom, rec.pos, rec.ref, alt, self.cache)
                    row = (rec.chrom, rec.pos, rec.ref, alt, rec.id, *rec.info)
                    if events:
                        extra = rec.events[k]
                        row = (*row, *extra)
                        if reason in {REASON_INDEL, REASON_SYMBOLIC}:
                            reason, ev = check_event(self.genome, rec.chrom, rec.pos, rec.ref, alt, end=extra[0],
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
                pd.DataFrame(bad_rows, columns=SKIPPED_COLUMNS))

    def close(self) -> None:
        self._records_in.close()


class VcfChunks:
    """The alleles of ``path`` in the chunks every engine scores: ``(index, scorable, skipped, summary)`` per chunk.

    Chunks hold up to ``settings.chunk_size`` alleles (fewer when ``settings.limit`` is smaller); with a
    ``limit`` the chunk that reaches it is cut there, its summary says ``stopped_at_limit`` and reading stops.
    ``index`` counts every chunk from 0 (a Ray shard is the chunk of that index). ``cache`` and ``info``: the
    reader's chromosome cache and INFO fields. Iterate once; the file is closed at the end.
    """

    def __init__(self, path: str | Path, genome, settings: VariantScoreSettings) -> None:
        limit = settings.limit
        self.limit = limit
        self.reader = VcfReader(path, genome, batch_size=min(settings.chunk_size, limit) if limit
                                else settings.chunk_size, max_sv_size=settings.max_sv_size)
        self.cache, self.info = self.reader.cache, self.reader.info

    def __iter__(self) -> Iterator[tuple[int, pd.DataFrame, pd.DataFrame, VcfSummary]]:
        done, limit = 0, self.limit
        try:
            for index, (ok, bad) in enumerate(self.reader):
                summary = self.reader.summary
                if limit is not None and done + len(ok) > limit:
                    summary = replace(summary, scored=summary.scored - (done + len(ok) - limit),
                                      stopped_at_limit=True)
                    ok = ok.iloc[:max(0, limit - done)]
                done += len(ok)
                yield index, ok, bad, summary
                if limit is not None and done >= limit:
                    break
        finally:
            self.reader.close()


def score_vcf(model: GenomicLM, genome, path: str | Path, settings: VariantScoreSettings | None = None, *,
              progress: Progress | None = None, total: int | None = None, **changes
              ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, VcfSummary]]:
    """Stream-score a VCF: yields ``(scored_chunk, skipped_chunk, summary_so_far)`` per chunk of :class:`VcfChunks`.

    ``scored_chunk`` is :func:`score_variants`' output for up to ``settings.chunk_size`` alleles;
    ``skipped_chunk`` lists the alleles not scored with their ``reason``. ``settings.limit`` stops after that
    many scored alleles (the last summary then says ``stopped_at_limit``). ``progress(fraction, message)`` is
    called per chunk (fraction by records when ``total`` records are known, else 0). ``changes``: settings
    fields to override.
    """
    s = resolve(settings, changes)
    chunks = VcfChunks(path, genome, s)
    done = 0
    for _, ok, bad, summary in chunks:
        scored = score_variants(model, genome, ok, s, _cache=chunks.cache)
        done += len(scored)
        if progress:
            frac = summary.records / total if total else 0.0
            progress(min(1.0, frac), f"{summary.records:,} records, {done:,} scored")
        yield scored, bad, summary


def score_vcf_table(model: GenomicLM, genome, path: str | Path, settings: VariantScoreSettings | None = None, *,
                    max_skipped: int = 1000, progress: Progress | None = None, background=None, **changes
                    ) -> tuple[pd.DataFrame, pd.DataFrame, VcfSummary]:
    """:func:`score_vcf` collected into one table (for pages and notebooks; use the CLI for big files).

    Returns ``(scores, skipped, summary)``; ``skipped`` keeps at most ``max_skipped`` rows (the
    summary counts all). Adds a ``synonymy`` column when the VCF has an ``EFFECT`` INFO field, and with
    ``background`` (a :class:`~glm_explore.results.calibration.Background`) the SNV percentiles
    ``llr_pct_class`` / ``llr_pct_genome`` as ``score-vcf`` writes them (NaN for indels and MNVs).
    """
    s = resolve(settings, changes)
    total = count_records(path) if progress else None
    if total and s.limit:
        total = min(total, s.limit)
    scored, skipped, summary, kept = [], [], VcfSummary(), 0
    for ok, bad, so_far in score_vcf(model, genome, path, s, progress=progress, total=total):
        scored.append(ok)
        summary = so_far
        if kept < max_skipped:
            skipped.append(bad.head(max_skipped - kept))
            kept += len(skipped[-1])
    out = (pd.concat(scored, ignore_index=True) if scored
           else pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "status", "llr"]))
    if "EFFECT" in out:
        out["synonymy"] = synonymy(out)
    if background is not None:
        from ..calibration.percentiles import add_percentiles

        out = add_percentiles(out, background)
    bad = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=SKIPPED_COLUMNS)
    return out, bad, summary
