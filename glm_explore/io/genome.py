"""Random access to a genome FASTA (plain, gzip or BGZF) through pyfaidx.

Coordinates are 0-based half-open in code; :func:`parse_region` reads the 1-based inclusive
``chrom:start-end`` strings users type.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyfaidx

from ..errors import FastaError, RegionError
from ..sequence import encode

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI"]
_REGION = re.compile(r"^\s*([^:\s]+)\s*:\s*([\d,_]+)\s*(?:-|\.\.)\s*([\d,_]+)\s*$")


@dataclass(frozen=True)
class Region:
    """A genomic interval, 0-based half-open: ``start`` inclusive, ``end`` exclusive."""

    chrom: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:  # 1-based inclusive, as users read it
        return f"{self.chrom}:{self.start + 1}-{self.end}"


def parse_region(text: str) -> Region:
    """Parse a 1-based inclusive ``chrom:start-end`` (commas allowed) into a 0-based :class:`Region`."""
    m = _REGION.match(text or "")
    if not m:
        raise RegionError(
            f"Cannot read region {text!r}: write it as chrom:start-end, 1-based inclusive, e.g. chrI:1001-1512."
        )
    chrom, a, b = m.group(1), int(re.sub("[,_]", "", m.group(2))), int(re.sub("[,_]", "", m.group(3)))
    if a < 1 or b < a:
        raise RegionError(f"Region {text!r} has start {a} and end {b}: need 1 ≤ start ≤ end (1-based, inclusive).")
    return Region(chrom, a - 1, b)


def _aliases(name: str) -> list[str]:
    """Spellings users use for the same contig: chr1 / 1 / chrI / I (yeast roman numerals)."""
    bare = name[3:] if name.lower().startswith("chr") else name
    out = {name, bare, f"chr{bare}"}
    if bare.isdigit() and 1 <= int(bare) <= len(ROMAN):
        out |= {ROMAN[int(bare) - 1], f"chr{ROMAN[int(bare) - 1]}"}
    if bare.upper() in ROMAN:
        i = ROMAN.index(bare.upper()) + 1
        out |= {str(i), f"chr{i}"}
    return sorted(out)


class Genome:
    """A FASTA genome with pyfaidx random access. ``path`` may be plain, gzip or BGZF.

    Plain gzip (not BGZF) cannot be indexed; it is decompressed once to a temporary file.
    """

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        if not self.path.exists():
            raise FastaError(f"FASTA file not found: {self.path}. Check the path.")
        fasta_path = self.path
        if self.path.suffix == ".gz" and not _is_bgzf(self.path):
            self._tmpdir = tempfile.TemporaryDirectory(prefix="glm_explore_fa_")
            fasta_path = Path(self._tmpdir.name) / self.path.stem
            with gzip.open(self.path, "rb") as src, open(fasta_path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        try:
            self._fa = pyfaidx.Fasta(str(fasta_path), sequence_always_upper=True, rebuild=False,
                                     build_index=True, read_long_names=False)
        except Exception as exc:  # pyfaidx raises many types for malformed files
            raise FastaError(f"Cannot index FASTA {self.path.name}: {exc}. Is it a valid (bg)zipped FASTA?") from exc
        if len(self._fa.keys()) == 0:
            raise FastaError(f"FASTA {self.path.name} holds no sequences: add at least one '>name' record.")
        self.lengths: dict[str, int] = {k: len(self._fa[k]) for k in self._fa.keys()}
        self._alias: dict[str, str] = {}
        for chrom in self.lengths:
            for a in _aliases(chrom):
                self._alias.setdefault(a, chrom)
        for chrom in self.lengths:
            self._alias[chrom] = chrom

    @property
    def chroms(self) -> list[str]:
        return list(self.lengths)

    def resolve(self, chrom: str) -> str:
        """The genome's own name for ``chrom`` (accepts chr-prefix and roman/arabic aliases)."""
        if chrom in self._alias:
            return self._alias[chrom]
        raise RegionError(
            f"Contig {chrom!r} is not in genome {self.name} (it has {', '.join(self.chroms[:6])}"
            f"{', …' if len(self.chroms) > 6 else ''})."
        )

    def check_region(self, region: Region) -> Region:
        """Return ``region`` with its contig resolved, or raise if it runs past the contig end."""
        chrom = self.resolve(region.chrom)
        n = self.lengths[chrom]
        if region.end > n:
            raise RegionError(f"Region {region} runs past the end of {chrom} ({n:,} bp).")
        return Region(chrom, region.start, region.end)

    def fetch(self, chrom: str, start: int = 0, end: int | None = None) -> str:
        """Uppercase sequence of ``chrom[start:end]`` (0-based half-open)."""
        chrom = self.resolve(chrom)
        end = self.lengths[chrom] if end is None else end
        if not 0 <= start <= end <= self.lengths[chrom]:
            raise RegionError(f"{chrom}:{start + 1}-{end} is outside {chrom} (1-{self.lengths[chrom]}).")
        try:
            return str(self._fa[chrom][start:end])
        except ValueError as exc:  # pyfaidx 0.9 BGZF bug: a start exactly on a block boundary
            if "within_block_offset" not in str(exc) or start == 0 or start == end:
                raise
            return str(self._fa[chrom][start - 1:end])[1:]

    def codes(self, chrom: str) -> np.ndarray:
        """Whole-chromosome integer codes (L,) int64 (A=0 … T=3, N=4)."""
        return encode(self.fetch(chrom))

    @property
    def total_length(self) -> int:
        return sum(self.lengths.values())


def _is_bgzf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(18)
    return len(head) >= 16 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


MAX_FASTA_BYTES = 200 * 1024 * 1024


def normalize_fasta(src: str | Path, out_dir: str | Path, *, max_bytes: int = MAX_FASTA_BYTES) -> Path:
    """Read a user FASTA (plain or gz) with Biopython, validate it, write a clean BGZF copy.

    Cleaning: Windows line ends and spaces dropped, lowercase (soft-masked) bases upper-cased,
    IUPAC ambiguity codes → N. Errors name the record and what to fix: empty file, no '>' header,
    binary content, non-nucleotide characters, duplicate names, all-N records. Returns the path of
    ``out_dir/genome.fa.gz`` (indexed, ready for :class:`Genome`).
    """
    from Bio import SeqIO, bgzf

    from ..errors import InputTooLargeError
    from ..sequence import clean_sequence, read_text_file

    src, out_dir = Path(src), Path(out_dir)
    if not src.exists():
        raise FastaError(f"FASTA file not found: {src}.")
    size = src.stat().st_size
    if size > max_bytes:
        raise InputTooLargeError(f"{src.name} is {size / 2**20:.0f} MiB; the limit is {max_bytes / 2**20:.0f} MiB. "
                                 "Load a smaller genome or pass an indexed FASTA path instead.")
    text = read_text_file(src, FastaError, "FASTA")
    if not text.strip():
        raise FastaError(f"{src.name} is empty: a FASTA needs a '>name' line followed by bases.")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").lstrip()
    if not text.startswith(">"):
        raise FastaError(f"{src.name} does not start with a '>name' header line; add one (e.g. '>seq1').")
    import io

    records: dict[str, str] = {}
    try:
        parsed = list(SeqIO.parse(io.StringIO(text), "fasta"))
    except ValueError as exc:  # Biopython rejects some malformed layouts outright
        raise FastaError(f"{src.name} is not a readable FASTA: {exc}".split("\n")[0]) from exc
    for rec in parsed:
        name = rec.id
        if not name:
            raise FastaError(f"{src.name} has a record with an empty name after '>'.")
        if name in records:
            raise FastaError(f"{src.name} has two records named {name!r}; record names must be unique.")
        records[name] = clean_sequence(str(rec.seq), name=f"record {name!r}")
    if not records:
        raise FastaError(f"{src.name} holds no sequences.")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "genome.fa.gz"
    with bgzf.BgzfWriter(str(out), "wb") as handle:
        for name, seq in records.items():
            handle.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                handle.write(seq[i:i + 60] + "\n")
    import pysam

    pysam.faidx(str(out))
    return out


@dataclass(frozen=True)
class Window:
    """A fetched sequence window around a requested region.

    ``seq`` covers ``context`` (0-based half-open); the requested ``region`` is
    ``seq[offset:offset + region.length]``. ``note`` says when the context was shifted or cut at a
    contig edge.
    """

    seq: str
    context: Region
    region: Region
    offset: int
    note: str = ""


MAX_REGION_BP = 2000


def fetch_window(genome: Genome, region: Region | str, *, flank: int = 0, max_len: int = MAX_REGION_BP) -> Window:
    """Fetch ``region`` plus up to ``flank`` bases of context on each side, safely at contig edges.

    Raises :class:`RegionError` when the region is longer than ``max_len`` or off the contig.
    Near a contig end the context is cut there (never an IndexError) and ``note`` says so.
    """
    if isinstance(region, str):
        region = parse_region(region)
    region = genome.check_region(region)
    if region.length > max_len:
        raise RegionError(f"Region {region} is {region.length:,} bp; the limit here is {max_len:,} bp. "
                          "Choose a shorter region.")
    n = genome.lengths[region.chrom]
    lo, hi = max(0, region.start - flank), min(n, region.end + flank)
    note = ""
    if flank and (lo > region.start - flank or hi < region.end + flank):
        note = (f"Context cut at the contig edge: {region.start - lo} bp on the left and "
                f"{hi - region.end} bp on the right instead of {flank}.")
    context = Region(region.chrom, lo, hi)
    return Window(genome.fetch(region.chrom, lo, hi), context, region, region.start - lo, note)


def parse_span(text: str) -> tuple[int, int]:
    """A span inside a region as users write it, 'a-b' (1-based inclusive positions counted from the region's
    first base) → 0-based half-open offsets (a-1, b). Raises :class:`RegionError` saying what to write."""
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not m:
        raise RegionError(f"write the span as a-b (1-based inclusive positions inside the region), got {text!r}")
    a, b = int(m.group(1)), int(m.group(2))
    if a < 1 or b < a:
        raise RegionError(f"the span needs 1 ≤ a ≤ b, got {text!r}")
    return a - 1, b
