"""Hypothesis property tests: sequence cleaning, region parsing, reverse complement, and the readers.

Each property is checked against an independent statement of the rule (written here, not taken
from the code), and the readers are fed random junk: they may accept it or raise a
``GlmExploreError``, never anything else.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glm_explore.errors import AnnotationError, GlmExploreError, InvalidSequenceError, RegionError
from glm_explore.io.genome import Region, parse_region
from glm_explore.sequence import clean_sequence, reverse_complement

IUPAC = "ACGTNRYSWKMBDHV"
AMBIGUOUS = set("RYSWKMBDHV")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

iupac_text = st.text(alphabet=IUPAC + IUPAC.lower() + " \t\r\n", max_size=200)


# ------------------------------------------------------------------------------- clean_sequence
@FAST
@given(iupac_text)
def test_clean_sequence_iupac_rule(raw):
    """Whitespace dropped, upper-cased, ambiguity codes → N; empty / all-N inputs are errors."""
    want = "".join("N" if c.upper() in AMBIGUOUS else c.upper() for c in raw if c not in " \t\r\n")
    if not want or set(want) == {"N"}:
        with pytest.raises(InvalidSequenceError):
            clean_sequence(raw)
    else:
        assert clean_sequence(raw) == want


@FAST
@given(st.text(max_size=100))
def test_clean_sequence_any_text(raw):
    """Any text: a string over ACGTN of the same number of non-space characters, or InvalidSequenceError."""
    try:
        out = clean_sequence(raw)
    except InvalidSequenceError as exc:
        assert str(exc)
        return
    assert set(out) <= set("ACGTN") and "".join(raw.split()) != ""
    assert len(out) == len("".join(raw.split()))
    assert all(c in IUPAC + IUPAC.lower() for c in "".join(raw.split()))


@FAST
@given(st.text(alphabet="ACGT", min_size=1, max_size=50), st.text(alphabet="ACGTN", max_size=50))
def test_clean_sequence_allow_n(acgt, rest):
    seq = acgt + rest
    if "N" in seq:
        with pytest.raises(InvalidSequenceError):
            clean_sequence(seq, allow_n=False)
    else:
        assert clean_sequence(seq, allow_n=False) == seq


# ------------------------------------------------------------------------------- reverse complement
@FAST
@given(st.text(max_size=200))
def test_reverse_complement_involution(seq):
    assert reverse_complement(reverse_complement(seq)) == seq


@FAST
@given(st.text(alphabet="ACGTacgt", max_size=200))
def test_reverse_complement_by_hand(seq):
    pair = {"A": "T", "C": "G", "G": "C", "T": "A", "a": "t", "c": "g", "g": "c", "t": "a"}
    assert reverse_complement(seq) == "".join(pair[c] for c in reversed(seq))


# ------------------------------------------------------------------------------- regions
chrom_names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"),
                                             blacklist_characters=":"), min_size=1, max_size=20)


@FAST
@given(chrom_names, st.integers(1, 10**12), st.integers(0, 10**6), st.booleans())
def test_parse_region_round_trip(chrom, start, extra, commas):
    end = start + extra
    text = f"{chrom}:{start:,}-{end:,}" if commas else f"{chrom}:{start}-{end}"
    r = parse_region(text)
    assert r == Region(chrom, start - 1, end)  # 1-based inclusive → 0-based half-open
    assert r.length == extra + 1
    assert str(r) == f"{chrom}:{start}-{end}"
    assert parse_region(str(r)) == r


@FAST
@given(chrom_names, st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_parse_region_rejects_bad_coordinates(chrom, start, end):
    text = f"{chrom}:{start}-{end}"
    if 1 <= start <= end:
        assert parse_region(text).end == end
    else:
        with pytest.raises(RegionError):
            parse_region(text)


@FAST
@given(st.text(max_size=60))
def test_parse_region_any_text(text):
    try:
        r = parse_region(text)
    except RegionError as exc:
        assert repr(text) in str(exc)  # the message quotes what the user typed
        return
    assert 0 <= r.start < r.end and ":" not in r.chrom


# ------------------------------------------------------------------------------- readers on junk
def _write(data: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="glm_explore_prop_"))
    path = folder / name
    path.write_bytes(data)
    return path


junk_bytes = st.binary(max_size=400)
field = st.sampled_from(["ctgA", "ctgB", "chrZ", "1", "0", "-5", "100", "99999", "abc", ".", "+", "-", "gene",
                         "CDS", "exon", "ID=g1", 'gene_id "g1";', "", "1.5", "\u00e9", "#x"])
tsv_text = st.lists(st.lists(field, min_size=1, max_size=10).map("\t".join), max_size=8).map("\n".join)


@FILES
@given(st.one_of(junk_bytes, tsv_text.map(str.encode)))
def test_fasta_reader_junk(data):
    from glm_explore.io.genome import Genome, normalize_fasta

    path = _write(data, "junk.fa")
    try:
        Genome(normalize_fasta(path, path.parent / "out"))
    except GlmExploreError:
        pass


@FILES
@given(st.lists(st.text(alphabet="ACGTNacgtnRY>x \r\n", max_size=30), max_size=8).map("\n".join))
def test_fasta_reader_fasta_like(text):
    from glm_explore.io.genome import Genome, normalize_fasta

    path = _write(text.encode(), "like.fa")
    try:
        g = Genome(normalize_fasta(path, path.parent / "out"))
    except GlmExploreError:
        return
    assert all(set(g.fetch(c)) <= set("ACGTN") for c in g.chroms)


REF = {"ctgA": 5000, "ctgB": 300}


def _resolve(name: str) -> str:
    if name not in REF:
        raise RegionError(f"no {name}")
    return name


@FILES
@given(st.one_of(junk_bytes, tsv_text.map(str.encode)), st.sampled_from(["a.gff3", "a.gtf", "a.bed"]))
def test_annotation_reader_junk(data, name):
    from glm_explore.io.annotation import base_labels, read_annotation

    path = _write(data, name)
    try:
        ann = read_annotation(path, REF, _resolve)
    except AnnotationError:
        return
    labels = base_labels(ann, REF)  # whatever was accepted can be turned into per-base labels
    assert {c: len(v) for c, v in labels.items()} == REF
    assert (ann.features["End"] <= ann.features["Chromosome"].map(REF)).all()


vcf_field = st.sampled_from(["ctgA", "ctgB", "chrQ", "1", "100", "5001", "-1", "ten", "A", "C", "G", "T", "AC",
                             "<DEL>", "*", ".", "PASS", "A,C", "acg", "N", ""])
vcf_text = st.lists(st.lists(vcf_field, min_size=1, max_size=9).map("\t".join), max_size=6).map(
    lambda rows: "##fileformat=VCFv4.2\n##contig=<ID=ctgA,length=5000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def ref_genome(tmp_path_factory):
    from glm_explore.io.genome import Genome, normalize_fasta

    return Genome(normalize_fasta(Path(__file__).parent / "data" / "bad" / "ref.fa", tmp_path_factory.mktemp("r")))


@FILES
@given(data=st.one_of(junk_bytes, vcf_text.map(str.encode)))
def test_vcf_reader_junk(ref_genome, data):
    from glm_explore.variants import VcfReader

    path = _write(data, "junk.vcf")
    try:
        reader = VcfReader(path, ref_genome)
        batches = list(reader)
        reader.close()
    except GlmExploreError:
        return
    for ok, _skipped in batches:  # whatever is scored is a valid SNV on the reference
        for chrom, pos, ref in zip(ok["chrom"], ok["pos"], ok["ref"]):
            assert ref_genome.fetch(chrom, pos - 1, pos) == ref.upper()
