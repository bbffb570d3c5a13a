"""Indels, MNVs and small structural variants as one canonical edit of the reference.

Every allele that is not a single-base substitution becomes an :class:`Event`: the 0-based half-open
reference span ``[start, end)`` it removes and the bases ``ins`` it puts there. The alternate haplotype
is ``ref[:start] + ins + ref[end:]``.

**Normalisation** (:func:`normalize`), so that every representation of one indel gives the same event
(and therefore the same score): the bases REF and ALT share at their right end, then at their left end,
are trimmed (VCF padding bases, extra context); a pure deletion or insertion is then shifted left
while the base before it equals its last base (left-alignment in repeats, the rule of ``bcftools norm``
and ``vt normalize``). pysam wraps ``bcftools norm`` (``pysam.bcftools.norm``), but it works on files
with a reference FASTA, not on one record while a VCF streams; this small routine does the same for
one allele (tests/test_indels.py checks it against ``pysam.bcftools.norm``).

**Symbolic alleles** (VCF 4.x): ``<DEL>`` removes ``POS+1 … END`` (END from INFO, else ``|SVLEN|``
bases); ``<DUP>`` (``<DUP:TANDEM>``) inserts a copy of ``POS+1 … END`` after it; ``<INV>`` replaces
``POS+1 … END`` by its reverse complement; ``<INS>`` inserts the sequence given in ``SVINSSEQ`` (an
``<INS>`` without it cannot be scored). Still skipped, each with a reason: breakends (BND), ``<CNV>``
and other symbols, events longer than the size cap (:data:`DEFAULT_MAX_SV_SIZE`, an option), symbolic
alleles without END/SVLEN.

An event's ``length`` is ``max(deleted, inserted)`` bases (the longer allele's changed span);
``len_change`` = inserted − deleted (negative for deletions).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RegionError
from ..io.genome import Genome
from ..sequence import reverse_complement
from .validate import (
    OK,
    REASON_CONTIG,
    REASON_NON_ACGT,
    REASON_RANGE,
    REASON_REF,
    REASON_SAME,
    REASON_SYMBOLIC,
    ChromCache,
)

DEFAULT_MAX_SV_SIZE = 1000  # bp: the default size cap for indels / SVs (the ``--max-sv-size`` option)
REASON_SV_SIZE = "event over the size cap"
REASON_SV_END = "symbolic SV without END/SVLEN"
REASON_BND = "breakend (BND) not scored"
REASON_INS_SEQ = "<INS> without inserted sequence (SVINSSEQ)"
KINDS = ("DEL", "INS", "MNV", "DELINS", "DUP", "INV")
SYMBOLIC_KINDS = {"DEL": "DEL", "DUP": "DUP", "INV": "INV", "INS": "INS"}
_ACGT = frozenset("ACGT")


@dataclass(frozen=True)
class Event:
    """One canonical edit of the reference: remove ``[start, end)`` (0-based half-open), insert ``ins``.

    ``kind`` is one of :data:`KINDS` (``SNV`` when a padded record normalises to one substitution).
    """

    chrom: str
    start: int
    end: int
    ins: str
    kind: str

    @property
    def deleted(self) -> int:
        return self.end - self.start

    @property
    def inserted(self) -> int:
        return len(self.ins)

    @property
    def length(self) -> int:
        """Bases changed on the longer allele: ``max(deleted, inserted)``."""
        return max(self.deleted, self.inserted)

    @property
    def len_change(self) -> int:
        """Inserted − deleted bases (negative = the alt allele is shorter)."""
        return self.inserted - self.deleted

    def label(self, genome_seq: str | None = None) -> str:
        """``chrom:start1-end1 KIND (±n bp)`` with 1-based coordinates of the removed span (or the gap)."""
        where = f"{self.chrom}:{self.start + 1}-{self.end}" if self.deleted else f"{self.chrom}:{self.start}^{self.start + 1}"
        return f"{where} {self.kind} ({self.len_change:+d} bp)" if self.len_change else f"{where} {self.kind} ({self.length} bp)"


def is_snv(ref: str, alt: str) -> bool:
    """Whether a row goes to the SNV scorers (one base each side, not symbolic): the historic path."""
    ref, alt = str(ref), str(alt)
    return len(ref) == 1 and len(alt) == 1 and alt not in {".", "*"}


def trim(pos0: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Shared suffix, then shared prefix, removed: ``(pos0 of the first differing ref base, ref, alt)``."""
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos0 = ref[1:], alt[1:], pos0 + 1
    return pos0, ref, alt


def left_align(seq, start: int, end: int, ins: str) -> tuple[int, int, str]:
    """Shift a pure deletion (``ins == ""``) or insertion (``start == end``) left in a repeat.

    ``seq`` is the contig (anything sliceable to a string). Returns the leftmost equivalent
    ``(start, end, ins)``; other edits are returned unchanged.
    """
    if ins and end == start:
        while start > 0 and seq[start - 1] == ins[-1]:
            ins = seq[start - 1] + ins[:-1]
            start -= 1
            end -= 1
    elif not ins and end > start:
        while start > 0 and seq[start - 1] == seq[end - 1]:
            start -= 1
            end -= 1
    return start, end, ins


def kind_of(deleted: int, inserted: int) -> str:
    """Kind of a sequence-resolved edit by its sizes: DEL, INS, SNV (1 = 1), MNV (n = n) or DELINS."""
    if inserted == 0:
        return "DEL"
    if deleted == 0:
        return "INS"
    if deleted == inserted:
        return "SNV" if deleted == 1 else "MNV"
    return "DELINS"


def normalize(seq, chrom: str, pos0: int, ref: str, alt: str, kind: str | None = None) -> Event | None:
    """The canonical :class:`Event` of a REF/ALT pair at 0-based ``pos0`` (None when ALT equals REF).

    Trims shared bases (suffix first, then prefix) and left-aligns pure indels in repeats against the
    contig ``seq``. ``kind`` overrides the kind derived from the sizes (symbolic DUP / INV keep theirs).
    """
    p, r, a = trim(int(pos0), ref.upper(), alt.upper())
    if not r and not a:
        return None
    start, end, ins = left_align(seq, p, p + len(r), a)
    return Event(chrom, start, end, ins, kind or kind_of(end - start, len(ins)))


def _symbol(alt: str) -> str:
    return alt[1:-1].split(":")[0].upper()


def _symbolic_span(pos0: int, end: int | None, svlen) -> int | None:
    """Bases after the padding base that a symbolic SV covers, from INFO END (1-based) or SVLEN."""
    if end is not None and str(end) not in {"", "nan", "None", "."}:
        n = int(float(end)) - (pos0 + 1)
        return n if n > 0 else None
    if svlen is not None and str(svlen) not in {"", "nan", "None", "."}:
        n = abs(int(float(str(svlen).split(",")[0])))
        return n or None
    return None


def check_event(genome: Genome, chrom: str, pos: int, ref: str, alt: str, *, end=None, svlen=None,
                ins_seq: str | None = None, max_size: int = DEFAULT_MAX_SV_SIZE,
                cache: ChromCache | None = None) -> tuple[str, Event | None]:
    """Validate and normalise one non-SNV allele. Returns ``(reason, event)``; reason ``"ok"`` when scorable.

    ``pos`` is VCF's 1-based POS of the first REF base; ``end`` (INFO END, 1-based), ``svlen`` (INFO
    SVLEN) and ``ins_seq`` (INFO SVINSSEQ) are read for symbolic ALTs only. Checks: breakends and
    unsupported symbols, the contig, the span on the contig, REF (every base) against the genome,
    A/C/G/T alleles, and the size cap ``max_size`` (bp, on :attr:`Event.length`).
    """
    ref, alt = str(ref).upper(), str(alt).upper()
    if "[" in alt or "]" in alt or (len(alt) > 1 and (alt.startswith(".") or alt.endswith("."))):
        return REASON_BND, None
    symbolic = alt.startswith("<") and alt.endswith(">")
    if not alt or alt in {".", "*"} or (symbolic and _symbol(alt) not in SYMBOLIC_KINDS):
        return REASON_SYMBOLIC, None
    try:
        name = genome.resolve(str(chrom))
    except RegionError:
        return REASON_CONTIG, None
    try:
        pos0 = int(pos) - 1
    except (TypeError, ValueError):
        return REASON_RANGE, None
    n = genome.lengths[name]
    seq = (cache if cache is not None else ChromCache(genome))[name]
    if not ref or set(ref) - _ACGT:
        return REASON_NON_ACGT, None
    if not 0 <= pos0 or pos0 + len(ref) > n:
        return REASON_RANGE, None
    if seq[pos0:pos0 + len(ref)] != ref:
        return REASON_REF, None
    if symbolic:
        return _symbolic_event(seq, name, n, pos0, ref, _symbol(alt), end, svlen, ins_seq, max_size)
    if set(alt) - _ACGT:
        return REASON_NON_ACGT, None
    if max(len(ref), len(alt)) - 1 > 4 * max_size:  # cheap bound before trimming a huge allele
        return REASON_SV_SIZE, None
    ev = normalize(seq, name, pos0, ref, alt)
    if ev is None:
        return REASON_SAME, None
    return (REASON_SV_SIZE, None) if ev.length > max_size else (OK, ev)


def _symbolic_event(seq, chrom: str, n: int, pos0: int, ref: str, symbol: str, end, svlen, ins_seq,
                    max_size: int) -> tuple[str, Event | None]:
    """The event of ``<DEL>`` / ``<DUP>`` / ``<INV>`` / ``<INS>`` after the padding base at ``pos0``."""
    a = pos0 + len(ref)  # first base after the padding base(s)
    if symbol == "INS":
        ins = str(ins_seq or "").upper()
        if not ins or ins in {"NAN", "NONE", "."}:
            return REASON_INS_SEQ, None
        if set(ins) - _ACGT:
            return REASON_NON_ACGT, None
        if len(ins) > max_size:
            return REASON_SV_SIZE, None
        start, stop, ins = left_align(seq, a, a, ins)
        return OK, Event(chrom, start, stop, ins, "INS")
    span = _symbolic_span(pos0 + len(ref) - 1, end, svlen)
    if span is None:
        return REASON_SV_END, None
    if span > max_size:
        return REASON_SV_SIZE, None
    if a + span > n:
        return REASON_RANGE, None
    seg = seq[a:a + span]
    if set(seg) - _ACGT:
        return REASON_NON_ACGT, None
    if symbol == "DEL":
        start, stop, _ = left_align(seq, a, a + span, "")
        return OK, Event(chrom, start, stop, "", "DEL")
    if symbol == "DUP":
        start, stop, ins = left_align(seq, a + span, a + span, seg)
        return OK, Event(chrom, start, stop, ins, "DUP")
    p, r, alt_seg = trim(a, seg, reverse_complement(seg))  # INV: palindromic ends change nothing
    if not r:
        return REASON_SAME, None
    return OK, Event(chrom, p, p + len(r), alt_seg, "INV")


def alt_haplotype(seq: str, offset: int, event: Event) -> str:
    """``seq`` (a reference window whose first base is genome position ``offset``) with ``event`` applied."""
    i, j = event.start - offset, event.end - offset
    if i < 0 or j > len(seq):
        raise ValueError(f"the window does not cover the event {event}")
    return seq[:i] + event.ins + seq[j:]


def vcf_record(seq, event: Event) -> tuple[int, str, str]:
    """``(pos 1-based, REF, ALT)`` of ``event`` as VCF writes it: indels with one padding base before
    (after, at a contig start), substitutions as they are."""
    s, e = event.start, event.end
    if event.deleted and event.inserted:
        return s + 1, seq[s:e], event.ins
    if s > 0:
        return s, seq[s - 1] + seq[s:e], seq[s - 1] + event.ins
    return 1, seq[s:e] + seq[e], event.ins + seq[e]
