"""Coding effects of single-nucleotide substitutions in clean protein-coding CDSs.

* :func:`coding_transcripts` — CDS parts joined per CDS ``ID`` in transcription order
  (minus-strand parts reversed and complemented), the first part's GFF phase skipped, kept only
  when the CDS translates cleanly: length a multiple of 3 (≥ 9), ATG start, a stop at the end, no
  internal stop, A/C/G/T only (Biopython's standard table 1).
* :func:`codon_effect` — ``synonymous`` / ``missense`` / ``nonsense`` / ``stop_lost`` from
  Biopython's codon table (the demo VCF's EFFECT words; :data:`SO_TERMS` maps them to Sequence
  Ontology terms, e.g. ``nonsense`` → ``stop_gained``).
* :func:`coding_snv` / :func:`transcript_snvs` — one substitution / every substitution of a
  transcript, with REF/ALT on the genome's forward strand.

Coordinates: ``pos`` / ``pos0`` are 0-based genome positions; ``codon_pos`` 1–3 and the codon
number in ``aa`` (``K12*``) are 1-based, as people read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from Bio.Data import CodonTable

from ..io.datasets import GenomeData

TABLE = CodonTable.unambiguous_dna_by_id[1]
COMPLEMENT = str.maketrans("ACGT", "TGCA")
EFFECTS = ("synonymous", "missense", "nonsense", "stop_lost")
SO_TERMS = {"synonymous": "synonymous", "missense": "missense", "nonsense": "stop_gained", "stop_lost": "stop_lost"}
SNV_COLUMNS = ["chrom", "pos0", "ref", "alt", "codon_pos", "effect", "gene", "aa"]


@dataclass(frozen=True)
class CodingTranscript:
    """A clean CDS: ``pos`` (n,) 0-based genome positions in transcription order, ``seq`` the coding
    sequence (n bases, coding strand, ATG … stop)."""

    id: str
    chrom: str
    strand: str
    pos: np.ndarray
    seq: str


def translate_codon(codon: str) -> str:
    """One-letter amino acid of a coding-strand codon (``*`` for a stop), standard table 1."""
    return "*" if codon in TABLE.stop_codons else TABLE.forward_table[codon]


def codon_effect(codon: str, alt_codon: str) -> str:
    """``synonymous`` (same amino acid), ``nonsense`` (a stop made), ``stop_lost`` (the stop
    changed) or ``missense``, by translating both codons."""
    a, b = translate_codon(codon), translate_codon(alt_codon)
    return "synonymous" if a == b else "nonsense" if b == "*" else "stop_lost" if a == "*" else "missense"


def coding_transcripts(data: GenomeData, chroms: Iterable[str] | None = None) -> list[CodingTranscript]:
    """Clean protein-coding CDSs of ``data.annotation`` (see the module docstring), in file order.

    ``chroms`` limits them to those contigs (default: all). Empty without an annotation.
    """
    if data.annotation is None:
        return []
    f = data.annotation.features
    cds = f[f["Feature"] == "CDS"]
    if chroms is not None:
        cds = cds[cds["Chromosome"].isin({data.genome.resolve(c) for c in chroms})]
    sequences: dict[str, str] = {}
    out = []
    for cid, parts in cds.groupby("ID", sort=False):
        if parts["Chromosome"].nunique() != 1 or parts["Strand"].nunique() != 1:
            continue
        chrom, strand = parts["Chromosome"].iat[0], parts["Strand"].iat[0]
        if strand not in "+-":
            continue
        parts = parts.sort_values("Start", ascending=strand == "+")
        phase = parts["Frame"].iat[0] if "Frame" in parts else parts["Phase"].iat[0]
        phase = int(phase) if str(phase).isdigit() else 0
        pos: list[int] = []
        for s, e in zip(parts["Start"], parts["End"]):
            pos.extend(range(s, e) if strand == "+" else range(e - 1, s - 1, -1))
        pos_arr = np.array(pos[phase:], dtype=np.int64)
        if chrom not in sequences:
            sequences[chrom] = data.genome.fetch(chrom)
        seq = sequences[chrom]
        bases = "".join(seq[p] for p in pos_arr)
        if strand == "-":
            bases = bases.translate(COMPLEMENT)
        if len(bases) % 3 or len(bases) < 9 or not bases.startswith("ATG") or set(bases) - set("ACGT"):
            continue
        prot = "".join(translate_codon(bases[i:i + 3]) for i in range(0, len(bases), 3))
        if prot[-1] != "*" or "*" in prot[:-1]:
            continue
        out.append(CodingTranscript(str(cid).removeprefix("CDS:"), chrom, strand, pos_arr, bases))
    return out


def coding_snv(t: CodingTranscript, i: int, alt_coding: str) -> dict:
    """The substitution of coding base ``i`` of ``t`` by ``alt_coding`` (coding strand).

    Returns ``chrom, pos0`` (0-based genome position), ``ref, alt`` (genome forward strand),
    ``codon_pos`` (1–3), ``effect`` (:func:`codon_effect`), ``gene`` and ``aa`` (``RefCodonAlt``,
    1-based codon number).
    """
    codon_i, k = divmod(int(i), 3)
    codon = t.seq[3 * codon_i:3 * codon_i + 3]
    alt_codon = codon[:k] + alt_coding + codon[k + 1:]
    ref, alt = codon[k], alt_coding
    if t.strand == "-":
        ref, alt = ref.translate(COMPLEMENT), alt.translate(COMPLEMENT)
    return {"chrom": t.chrom, "pos0": int(t.pos[i]), "ref": ref, "alt": alt, "codon_pos": k + 1,
            "effect": codon_effect(codon, alt_codon), "gene": t.id,
            "aa": f"{translate_codon(codon)}{codon_i + 1}{translate_codon(alt_codon)}"}


def transcript_snvs(t: CodingTranscript, start: int = 0, end: int | None = None) -> pd.DataFrame:
    """Every substitution (3 per base) of ``t``'s coding bases at genome positions in ``[start, end)``.

    Columns :data:`SNV_COLUMNS` (see :func:`coding_snv`), in transcription order.
    """
    end = int(t.pos.max()) + 1 if end is None else end
    idx = np.flatnonzero((t.pos >= start) & (t.pos < end))
    rows = [coding_snv(t, i, b) for i in idx for b in "ACGT" if b != t.seq[i]]
    return pd.DataFrame(rows, columns=SNV_COLUMNS)
