"""Annotations (GFF3 / GTF / BED) → region-class intervals → one class label per base.

Parsing is pyranges' (``read_gff3``, ``read_gtf``, ``read_bed``); this module validates the file
first so a malformed line gives a message naming the line, then derives region classes.

Region classes, highest priority first (a base covered by several features gets the first):

=========== =================================================================================
CDS          ``CDS`` features
UTR          ``five_prime_UTR`` / ``three_prime_UTR`` / ``UTR`` (absent from the yeast GenBank)
intron       gaps between consecutive parts (exons, else CDS parts) of one transcript —
             multi-part mRNA/CDS and tRNA; trans-spliced features are skipped
tRNA         ``tRNA``
rRNA         ``rRNA``
ncRNA        ``ncRNA``, ``snoRNA``, ``snRNA``, ``misc_RNA``, ``lnc_RNA``, ``miRNA``, …
repeat       ``long_terminal_repeat`` / ``LTR``, ``mobile_genetic_element``,
             ``transposable_element``, ``repeat_region``, retrotransposons
promoter     ``promoter_bp`` (default 300) upstream of each mRNA/transcript start (gene start
             when there are no transcripts), strand-aware, minus every gene/RNA span
intergenic   everything else
=========== =================================================================================
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyranges as pr

from ..errors import AnnotationError
from ..sequence import read_text_file

CLASSES = ["CDS", "UTR", "intron", "tRNA", "rRNA", "ncRNA", "repeat", "promoter", "intergenic"]
CLASS_CODE = {c: i for i, c in enumerate(CLASSES)}
INTERGENIC = CLASS_CODE["intergenic"]
PROMOTER_BP = 300

_FEATURE_CLASS = {
    "CDS": "CDS",
    "five_prime_UTR": "UTR", "three_prime_UTR": "UTR", "UTR": "UTR", "5UTR": "UTR", "3UTR": "UTR",
    "tRNA": "tRNA",
    "rRNA": "rRNA",
    **{k: "ncRNA" for k in ["ncRNA", "snoRNA", "snRNA", "misc_RNA", "lnc_RNA", "lncRNA", "miRNA", "scRNA",
                            "telomerase_RNA", "RNase_P_RNA", "RNase_MRP_RNA", "SRP_RNA", "ncRNA_gene"]},
    **{k: "repeat" for k in ["long_terminal_repeat", "LTR", "mobile_genetic_element", "mobile_element",
                             "transposable_element", "repeat_region", "LTR_retrotransposon",
                             "retrotransposon", "transposable_element_gene"]},
}
_TRANSCRIPT = {"mRNA", "transcript"}
_GENIC = {"gene", "mRNA", "transcript", "pseudogene", "CDS", "exon", "tRNA", "rRNA", "ncRNA", "snoRNA",
          "snRNA", "misc_RNA", "lnc_RNA", "miRNA", "five_prime_UTR", "three_prime_UTR", "ncRNA_gene"}
MAX_INTRON = 20_000


@dataclass
class Annotation:
    """Features (0-based half-open ``Start``/``End``) plus warnings raised while reading."""

    features: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)


def _read_text(path: Path) -> str:
    return read_text_file(path, AnnotationError, "GFF3/GTF/BED annotation")


def annotation_format(path: Path) -> str:
    """'gff3', 'gtf' or 'bed' from the file name (``.gz`` ignored)."""
    name = path.name.lower().removesuffix(".gz")
    for ext, fmt in ((".gff3", "gff3"), (".gff", "gff3"), (".gtf", "gtf"), (".bed", "bed")):
        if name.endswith(ext):
            return fmt
    raise AnnotationError(f"Cannot tell the format of {path.name}: name it .gff3, .gff, .gtf or .bed (optionally .gz).")


def _validate_lines(text: str, fmt: str, name: str) -> None:
    """Check column counts and coordinates line by line, naming the first bad line."""
    n_rows = 0
    bed_cols: int | None = None
    for i, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("#") or line.startswith(("track", "browser")):
            continue
        if fmt != "bed" and line.startswith(">"):
            break  # GFF3 with embedded ##FASTA
        cols = line.split("\t")
        if fmt == "bed":
            if len(cols) < 3:
                raise AnnotationError(f"{name} line {i}: a BED line needs at least 3 tab-separated columns "
                                      f"(chrom, start, end), found {len(cols)}.")
            if bed_cols is None:
                bed_cols = len(cols)
            elif len(cols) != bed_cols:
                raise AnnotationError(f"{name} line {i} has {len(cols)} tab-separated columns but earlier lines have "
                                      f"{bed_cols}; every BED line needs the same columns.")
            s, e = cols[1], cols[2]
            lo = 0
        else:
            if len(cols) != 9:
                raise AnnotationError(f"{name} line {i}: a {fmt.upper()} line needs 9 tab-separated columns, "
                                      f"found {len(cols)}. Check that columns are separated by tabs.")
            s, e = cols[3], cols[4]
            lo = 1
        if not (s.strip().isdigit() and e.strip().isdigit()):
            raise AnnotationError(f"{name} line {i}: start/end must be non-negative integers, got {s!r} and {e!r}.")
        if int(s) < lo or int(e) < int(s):
            raise AnnotationError(f"{name} line {i}: start {s} and end {e} are reversed or out of range "
                                  f"(need {lo} ≤ start ≤ end).")
        n_rows += 1
    if n_rows == 0:
        raise AnnotationError(f"{name} has no feature lines: is it empty or only comments?")


def _read_bed_text(text: str) -> pd.DataFrame:
    """pyranges' BED reader on the data lines only (it trips over track/browser/comment lines and CR)."""
    keep = [line.rstrip("\r") for line in text.splitlines()]
    keep = [line for line in keep if line.strip() and not line.startswith(("#", "track", "browser"))]
    with tempfile.TemporaryDirectory(prefix="glm_explore_bed_") as tmp:
        clean = Path(tmp) / "clean.bed"
        clean.write_text("\n".join(keep) + "\n")
        return pr.read_bed(str(clean)).df


def read_annotation(path: str | Path, contig_lengths: dict[str, int] | None = None,
                    resolve=None) -> Annotation:
    """Read a GFF3 / GTF / BED file (plain or gz) into an :class:`Annotation`.

    ``contig_lengths`` (the genome's) and ``resolve`` (a name → genome-name function that raises
    for unknown contigs, e.g. ``Genome.resolve``) check the contigs: features on contigs missing
    from the genome are dropped with a warning; if none match, :class:`AnnotationError`.
    """
    path = Path(path)
    if not path.exists():
        raise AnnotationError(f"Annotation file not found: {path}.")
    fmt = annotation_format(path)
    text = _read_text(path)
    _validate_lines(text, fmt, path.name)
    try:
        if fmt == "bed":
            df = _read_bed_text(text)
        else:
            df = {"gff3": pr.read_gff3, "gtf": pr.read_gtf}[fmt](str(path)).df
    except Exception as exc:  # pyranges' own errors are not user-readable
        raise AnnotationError(f"Cannot parse {path.name} as {fmt.upper()}: {exc}") from exc
    if fmt == "bed":
        df["Feature"] = df["Name"].astype(str) if "Name" in df else "region"
    for col in ("Strand", "ID", "Parent", "Name", "transcript_id", "trans_splicing", "gene_name"):
        if col not in df:
            df[col] = np.nan
    df["Chromosome"] = df["Chromosome"].astype(str)
    df["Strand"] = df["Strand"].astype(str).replace({"nan": "."})
    warnings: list[str] = []
    if contig_lengths is not None:
        names = {}
        for c in df["Chromosome"].unique():
            try:
                names[c] = resolve(c) if resolve else (c if c in contig_lengths else None)
            except Exception:
                names[c] = None
        missing = sorted(c for c, v in names.items() if v is None)
        if len(missing) == len(names):
            raise AnnotationError(
                f"None of the annotation's contigs ({', '.join(missing[:5])}) is in the genome "
                f"({', '.join(list(contig_lengths)[:5])}). Use the annotation that belongs to this FASTA."
            )
        if missing:
            warnings.append(f"Dropped features on {len(missing)} contig(s) not in the genome: {', '.join(missing[:5])}.")
        df["Chromosome"] = df["Chromosome"].map(names)
        df = df[df["Chromosome"].notna()].copy()
        too_long = df["End"] > df["Chromosome"].map(contig_lengths)
        if too_long.any():
            warnings.append(f"Clipped {int(too_long.sum())} feature(s) that ran past their contig's end.")
            df.loc[too_long, "End"] = df.loc[too_long, "Chromosome"].map(contig_lengths)
    df = df.sort_values(["Chromosome", "Start", "End"]).reset_index(drop=True)
    return Annotation(df, source=path.name, warnings=warnings)


def _introns(features: pd.DataFrame) -> pd.DataFrame:
    """Gaps between consecutive parts of each transcript (exons, else CDS parts)."""
    f = features[features["trans_splicing"].astype(str).str.lower() != "true"]
    exons = f[f["Feature"] == "exon"]
    key_exon = exons["Parent"].fillna(exons["transcript_id"])
    cds = f[f["Feature"] == "CDS"]
    key_cds = cds["Parent"].fillna(cds["transcript_id"]).fillna(cds["ID"])
    has_exons = set(key_exon.dropna())
    cds = cds[~key_cds.isin(has_exons)]
    key_cds = key_cds[cds.index]
    parts = pd.concat([exons.assign(_key=key_exon), cds.assign(_key=key_cds)])
    parts = parts[parts["_key"].notna()].sort_values(["_key", "Start"])
    nxt = parts.groupby(["_key", "Chromosome", "Strand"])["Start"].shift(-1)
    gap = pd.DataFrame({"Chromosome": parts["Chromosome"], "Start": parts["End"], "End": nxt})
    gap = gap[gap["End"].notna()]
    gap["End"] = gap["End"].astype(np.int64)
    gap = gap[(gap["End"] > gap["Start"]) & (gap["End"] - gap["Start"] <= MAX_INTRON)]
    return gap.assign(Class="intron")


def _promoters(features: pd.DataFrame, promoter_bp: int) -> pd.DataFrame:
    tx = features[features["Feature"].isin(_TRANSCRIPT)]
    if tx.empty:
        tx = features[features["Feature"] == "gene"]
    plus = tx["Strand"] != "-"
    start = np.where(plus, tx["Start"] - promoter_bp, tx["End"])
    end = np.where(plus, tx["Start"], tx["End"] + promoter_bp)
    return pd.DataFrame({"Chromosome": tx["Chromosome"].values, "Start": np.maximum(start, 0),
                         "End": end, "Class": "promoter"})


def class_intervals(annotation: Annotation, *, promoter_bp: int = PROMOTER_BP) -> pd.DataFrame:
    """Intervals ``Chromosome, Start, End, Class`` (0-based half-open, possibly overlapping)."""
    f = annotation.features
    direct = f[f["Feature"].isin(_FEATURE_CLASS)]
    direct = pd.DataFrame({"Chromosome": direct["Chromosome"], "Start": direct["Start"], "End": direct["End"],
                           "Class": direct["Feature"].map(_FEATURE_CLASS)})
    out = pd.concat([direct, _introns(f), _promoters(f, promoter_bp)], ignore_index=True)
    return out[out["End"] > out["Start"]].reset_index(drop=True)


def base_labels(annotation: Annotation, contig_lengths: dict[str, int], *, promoter_bp: int = PROMOTER_BP
                ) -> dict[str, np.ndarray]:
    """One class code per base, ``{chrom: (L,) uint8}`` indexing :data:`CLASSES` (priority rule above)."""
    iv = class_intervals(annotation, promoter_bp=promoter_bp)
    genic_rows = annotation.features[annotation.features["Feature"].isin(_GENIC)]
    labels = {c: np.full(n, INTERGENIC, dtype=np.uint8) for c, n in contig_lengths.items()}
    for cls in reversed(CLASSES[:-1]):  # paint lowest priority first
        rows = iv[iv["Class"] == cls]
        for chrom, s, e in zip(rows["Chromosome"], rows["Start"], rows["End"]):
            if chrom in labels:
                labels[chrom][s:e] = CLASS_CODE[cls]
        if cls == "promoter":  # promoters never overlap a gene body
            for chrom, s, e in zip(genic_rows["Chromosome"], genic_rows["Start"], genic_rows["End"]):
                if chrom in labels:
                    seg = labels[chrom][s:e]
                    seg[seg == CLASS_CODE["promoter"]] = INTERGENIC
    return labels


def class_counts(labels: dict[str, np.ndarray]) -> pd.Series:
    """Bases per region class over all contigs (index :data:`CLASSES`)."""
    total = sum(np.bincount(v, minlength=len(CLASSES)) for v in labels.values())
    return pd.Series(np.asarray(total, dtype=np.int64), index=CLASSES, name="bases")


def gene_table(annotation: Annotation) -> pd.DataFrame:
    """Named features for annotation lanes: ``Chromosome, Start, End, Strand, Feature, Name``."""
    f = annotation.features
    keep = f[f["Feature"].isin({"gene", "tRNA", "rRNA", "ncRNA", "snoRNA", "snRNA", "mobile_genetic_element",
                                "long_terminal_repeat", "transposable_element"})]
    return keep[["Chromosome", "Start", "End", "Strand", "Feature", "Name"]].reset_index(drop=True)
