"""Home page and the sidebar (genome picker, upload form) in a real browser."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from glm_explore.io.annotation import CLASSES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"


def _fai_lengths(fai: Path) -> dict[str, int]:
    return {line.split("\t")[0]: int(line.split("\t")[1]) for line in fai.read_text().splitlines()}


def test_home_chloroplast_class_counts(app):
    """Switch the genome to the chloroplast: the bars cover every base of it, the table has its contig."""
    app.open()
    app.select("Genome", "chloroplast", where=app.sidebar())
    figs = app.wait_charts(1)
    bars = [t for t in figs[0]["traces"] if t["type"] == "bar"]
    assert bars, figs[0]
    total = sum(sum(v for v in t["y"] if isinstance(v, (int, float))) or sum(v for v in t["x"] if isinstance(v, (int, float))) for t in bars)
    lengths = _fai_lengths(ROOT / "glm_explore/data/chloroplast/genome.fa.gz.fai")
    assert total == sum(lengths.values())  # every base gets exactly one class
    labels = set()
    for t in bars:
        labels |= {v for v in t["x"] + t["y"] if isinstance(v, str)}
    assert labels <= set(CLASSES) and "CDS" in labels
    assert app.table_rows(-1) == len(lengths)
    assert "154,478 bp" in app.main().inner_text()
    app.screenshot("home-chloroplast")


def test_upload_genome_then_bad_file(app, tmp_path):
    """Upload a FASTA + GFF3 through the sidebar form, then a binary file: a clear error, genome kept."""
    app.open()
    form = app.expand("Load your own genome", where=app.sidebar())
    app.upload("FASTA", BAD / "ref.fa", where=form)
    app.upload("Annotation", BAD / "annotation/gff_past_end.gff3", where=form)
    app.press("Load genome", where=form)
    side = app.sidebar().inner_text()
    assert "Loaded ref.fa: 2 contig(s), 5,300 bp" in side
    assert "Clipped 1 feature" in side
    assert app.table_rows(-1) == 2
    app.screenshot("uploaded")

    bad = tmp_path / "binary.fa"
    bad.write_bytes((BAD / "fasta/binary.fa").read_bytes())
    app.upload("FASTA", bad, where=form)
    app.press("Load genome", where=form)
    errs = app.errors()
    assert len(errs) == 1 and "binary" in errs[0]
    assert "Genome: ref.fa" in app.main().inner_text()  # what the user loaded is kept
    app.screenshot("bad-upload")


def test_upload_gzipped_fasta(app, tmp_path):
    gz = tmp_path / "mini.fa.gz"
    gz.write_bytes(gzip.compress(b">m1\nACGTACGTAC\n>m2\nGGGGCCCCAAAATTTT\n"))
    app.open()
    form = app.expand("Load your own genome", where=app.sidebar())
    app.upload("FASTA", gz, where=form)
    app.press("Load genome", where=form)
    assert "Loaded mini.fa.gz: 2 contig(s), 26 bp" in app.sidebar().inner_text()
