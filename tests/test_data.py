"""The bundled genomes and the annotation → region-class pipeline."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from glm_explore.errors import AnnotationError, FastaError, InputTooLargeError, InvalidSequenceError, RegionError
from glm_explore.io.annotation import CLASS_CODE, CLASSES, base_labels, read_annotation
from glm_explore.io.genome import Genome, fetch_window, normalize_fasta, parse_region
from glm_explore.sequence import clean_sequence, one_hot, reverse_complement

# LOCUS lengths of the SGD GenBank records BK006935…BK006949 (S288c R64; independent of our parser).
YEAST_LENGTHS = {
    "chrI": 230218, "chrII": 813184, "chrIII": 316620, "chrIV": 1531933, "chrV": 576874, "chrVI": 270161,
    "chrVII": 1090940, "chrVIII": 562643, "chrIX": 439888, "chrX": 745751, "chrXI": 666816, "chrXII": 1078177,
    "chrXIII": 924431, "chrXIV": 784333, "chrXV": 1091291, "chrXVI": 948066,
}
# Feature keys counted with grep in the 16 GenBank files (one line per feature, not per part).
YEAST_FEATURES = {"gene": 6399, "mRNA": 5995, "tRNA": 275, "rRNA": 12, "long_terminal_repeat": 383,
                  "mobile_genetic_element": 50}


def test_yeast_chromosomes_match_genbank_lengths(yeast):
    assert yeast.genome.lengths == YEAST_LENGTHS
    assert yeast.genome.total_length == 12_071_326


def test_yeast_feature_counts_match_genbank(yeast):
    counts = yeast.annotation.features["Feature"].value_counts()
    for feature, n in YEAST_FEATURES.items():
        assert counts[feature] == n, feature
    # CDS: 5989 GenBank CDS features; multi-part ones are one GFF3 line per part, sharing the ID
    cds = yeast.annotation.features.query("Feature == 'CDS'")
    assert cds["ID"].nunique() == 5989
    # ncRNA (18) + misc_RNA (10) + snoRNA (77) + snRNA (6) = 111
    assert counts[["ncRNA", "snoRNA", "snRNA"]].sum() == 111


def test_class_totals_add_up_to_genome_length(yeast, chloroplast):
    for data in (yeast, chloroplast):
        counts = data.class_counts()
        assert counts.sum() == data.genome.total_length
        assert list(counts.index) == CLASSES
    c = yeast.class_counts()
    assert c["CDS"] > 0.6 * c.sum()  # yeast is ~70 % coding
    for cls in ("intron", "tRNA", "rRNA", "ncRNA", "repeat", "promoter", "intergenic"):
        assert c[cls] > 0, cls


def test_fasta_random_access_matches_genbank_sequence(yeast):
    # chrI starts with the telomeric repeat CCACACCACACCCACACACC… in the SGD record
    assert yeast.genome.fetch("chrI", 0, 20) == "CCACACCACACCCACACACC"
    assert yeast.genome.fetch("1", 0, 20) == yeast.genome.fetch("chrI", 0, 20)  # aliases
    assert yeast.genome.resolve("XVI") == "chrXVI"


def _write(path, text):
    path.write_text(text)
    return path


@pytest.fixture()
def hand_genome(tmp_path):
    """One 200 bp contig and a hand-made GFF3 whose labels are worked out below."""
    fa = _write(tmp_path / "g.fa", ">c1\n" + "ACGT" * 50 + "\n")
    gff = _write(tmp_path / "a.gff3", "\n".join([
        "##gff-version 3",
        # + strand gene 101-160 with a two-exon mRNA: exons 101-120 and 141-160 → intron 121-140
        "c1\tt\tgene\t101\t160\t.\t+\t.\tID=g1",
        "c1\tt\tmRNA\t101\t160\t.\t+\t.\tID=m1;Parent=g1",
        "c1\tt\texon\t101\t120\t.\t+\t.\tID=e1;Parent=m1",
        "c1\tt\texon\t141\t160\t.\t+\t.\tID=e2;Parent=m1",
        "c1\tt\tCDS\t105\t120\t.\t+\t0\tID=cds1;Parent=m1",
        "c1\tt\tCDS\t141\t155\t.\t+\t0\tID=cds1;Parent=m1",
        # - strand tRNA 21-40 inside a repeat 11-50; its promoter-free (tRNA, not mRNA)
        "c1\tt\tlong_terminal_repeat\t11\t50\t.\t-\t.\tID=r1",
        "c1\tt\ttRNA\t21\t40\t.\t-\t.\tID=t1",
        # - strand mRNA 61-70: promoter = 300 bp upstream on the minus strand = 71-370, clipped at 200,
        # minus gene bodies (101-160)
        "c1\tt\tmRNA\t61\t70\t.\t-\t.\tID=m2",
    ]) + "\n")
    return fa, gff


def test_labels_follow_priority_and_strand(hand_genome):
    fa, gff = hand_genome
    g = Genome(fa)
    ann = read_annotation(gff, g.lengths, g.resolve)
    lab = base_labels(ann, g.lengths)["c1"]
    expect = np.full(200, CLASS_CODE["intergenic"])
    expect[10:50] = CLASS_CODE["repeat"]
    expect[20:40] = CLASS_CODE["tRNA"]
    expect[70:100] = CLASS_CODE["promoter"]  # upstream of m2 (minus strand) up to the next gene body
    expect[160:200] = CLASS_CODE["promoter"]
    # + strand m1 starts at 101: its promoter 1-100 (0-based 0..99) lies below repeat/tRNA and m2
    expect[0:10] = CLASS_CODE["promoter"]
    expect[50:60] = CLASS_CODE["promoter"]
    expect[104:120] = CLASS_CODE["CDS"]
    expect[140:155] = CLASS_CODE["CDS"]
    expect[120:140] = CLASS_CODE["intron"]
    # exon parts outside CDS (UTR-like, unannotated) and the m2 body stay intergenic
    assert [CLASSES[i] for i in lab] == [CLASSES[i] for i in expect]


def test_clean_sequence_rules():
    assert clean_sequence("acgt\r\nNNRY acg") == "ACGTNNNNACG"
    with pytest.raises(InvalidSequenceError, match="position 3"):
        clean_sequence("AC!GT")
    with pytest.raises(InvalidSequenceError, match="empty"):
        clean_sequence(" \n")
    with pytest.raises(InvalidSequenceError, match="all N"):
        clean_sequence("NNNN")
    assert reverse_complement("AACGTN") == "NACGTT"
    oh = one_hot("ACGTN")
    assert oh.shape == (4, 5) and oh[:, 4].sum() == 0 and (oh[:, :4] == np.eye(4)).all()


def test_user_fasta_is_cleaned_and_indexed(tmp_path):
    src = tmp_path / "u.fa.gz"
    src.write_bytes(gzip.compress(b">s1 desc\r\nacgtRYNN\r\nACGT\r\n>s2\nGGGG\n"))
    out = normalize_fasta(src, tmp_path / "clean")
    g = Genome(out)
    assert g.lengths == {"s1": 12, "s2": 4}
    assert g.fetch("s1") == "ACGTNNNNACGT"


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"ACGT\n", "header"),
    (b"\x00\x01\x02binary", "binary"),
    (b">a\nACGT\n>a\nACGT\n", "two records named"),
    (b">a\nAC-XGT\n", "not a nucleotide"),
    (b">a\nNNNN\n", "all N"),
])
def test_bad_fasta_messages(tmp_path, content, match):
    src = tmp_path / "bad.fa"
    src.write_bytes(content)
    with pytest.raises((FastaError, InvalidSequenceError), match=match):
        normalize_fasta(src, tmp_path / "out")


def test_truncated_gzip_and_size_cap(tmp_path):
    src = tmp_path / "t.fa.gz"
    src.write_bytes(gzip.compress(b">a\n" + b"ACGT" * 1000)[:-20])
    with pytest.raises(FastaError, match="truncated"):
        normalize_fasta(src, tmp_path / "o")
    big = tmp_path / "big.fa"
    big.write_bytes(b">a\n" + b"A" * 2000)
    with pytest.raises(InputTooLargeError, match="limit"):
        normalize_fasta(big, tmp_path / "o2", max_bytes=1000)


def test_bad_annotation_messages(tmp_path, hand_genome):
    fa, _ = hand_genome
    g = Genome(fa)
    cases = {
        "cols.gff3": ("c1\tt\tgene\t1\t10\n", "9 tab-separated columns"),
        "rev.gff3": ("c1\tt\tgene\t50\t10\t.\t+\t.\tID=x\n", "reversed"),
        "contig.gff3": ("chrZ\tt\tgene\t1\t10\t.\t+\t.\tID=x\n", "None of the annotation's contigs"),
        "empty.gff3": ("##gff-version 3\n", "no feature lines"),
        "x.txt": ("c1\t1\t2\n", "Cannot tell the format"),
    }
    for name, (text, match) in cases.items():
        with pytest.raises(AnnotationError, match=match):
            read_annotation(_write(tmp_path / name, text), g.lengths, g.resolve)
    (tmp_path / "latin.bed").write_bytes("c1\t1\t5\tg\u00e8ne\n".encode("latin-1"))
    with pytest.raises(AnnotationError, match="UTF-8"):
        read_annotation(tmp_path / "latin.bed", g.lengths, g.resolve)


def test_annotation_on_partly_missing_contigs_warns(tmp_path, hand_genome):
    fa, _ = hand_genome
    g = Genome(fa)
    gff = _write(tmp_path / "m.gff3", "c1\tt\tgene\t1\t10\t.\t+\t.\tID=a\nchrZ\tt\tgene\t1\t10\t.\t+\t.\tID=b\n")
    ann = read_annotation(gff, g.lengths, g.resolve)
    assert len(ann.features) == 1 and "chrZ" in ann.warnings[0]


def test_regions_and_windows(chloroplast):
    r = parse_region("NC_000932:1,001-1,512")
    assert (r.start, r.end, str(r)) == (1000, 1512, "NC_000932:1001-1512")
    for bad in ("chrI", "chrI:10-5", "chrI:0-5", ""):
        with pytest.raises(RegionError):
            parse_region(bad)
    n = chloroplast.genome.lengths["NC_000932"]
    w = fetch_window(chloroplast.genome, f"NC_000932:{n - 9}-{n}", flank=100)
    assert w.seq[w.offset:] == chloroplast.genome.fetch("NC_000932", n - 10, n) and "edge" in w.note
    with pytest.raises(RegionError, match="past the end"):
        fetch_window(chloroplast.genome, f"NC_000932:{n - 9}-{n + 1}")
    with pytest.raises(RegionError, match="limit"):
        fetch_window(chloroplast.genome, "NC_000932:1-5000")
    with pytest.raises(RegionError, match="not in genome"):
        fetch_window(chloroplast.genome, "chrQ:1-10")
