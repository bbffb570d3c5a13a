"""Region-class windows: labels against a hand-made annotation, the centre rule, splits, sampling."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_dna

from glm_explore.errors import RegionError
from glm_explore.io.annotation import CLASSES
from glm_explore.io.datasets import load_genome_data
from glm_explore.region_windows import candidate_windows, make_windows, region_string

# chr1 (3,000 bp): + gene with CDS 1001-1600 (1-based) → promoter 701-1000;
#                  - gene with CDS 2001-2400 → promoter 2401-2700 (downstream on the forward strand);
#                  tRNA 150-221 (72 bp, + strand) → promoter 1-149 (clipped at 0).
# chr2 (2,000 bp): + gene with CDS 501-1500; an N at 1,801.
GFF = """##gff-version 3
chr1\tt\tgene\t1001\t1600\t.\t+\t.\tID=g1
chr1\tt\tmRNA\t1001\t1600\t.\t+\t.\tID=m1;Parent=g1
chr1\tt\tCDS\t1001\t1600\t.\t+\t0\tID=c1;Parent=m1
chr1\tt\tgene\t2001\t2400\t.\t-\t.\tID=g2
chr1\tt\tmRNA\t2001\t2400\t.\t-\t.\tID=m2;Parent=g2
chr1\tt\tCDS\t2001\t2400\t.\t-\t0\tID=c2;Parent=m2
chr1\tt\ttRNA\t150\t221\t.\t+\t.\tID=t1
chr2\tt\tgene\t501\t1500\t.\t+\t.\tID=g3
chr2\tt\tmRNA\t501\t1500\t.\t+\t.\tID=m3;Parent=g3
chr2\tt\tCDS\t501\t1500\t.\t+\t0\tID=c3;Parent=m3
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    rng = np.random.default_rng(3)
    d = tmp_path_factory.mktemp("toy")
    chr2 = list(random_dna(rng, 2000))
    chr2[1800] = "N"
    (d / "genome.fa").write_text(f">chr1\n{random_dna(rng, 3000)}\n>chr2\n{''.join(chr2)}\n")
    (d / "ann.gff3").write_text(GFF)
    return load_genome_data(d / "genome.fa", d / "ann.gff3", name="toy", heldout_chrom="chr2")


def starts(ws, label, chrom="chr1"):
    t = ws.table
    return sorted(t.loc[(t["label"] == label) & (t["chrom"] == chrom), "start"].tolist())


def test_cds_boundaries_and_centre_rule(toy):
    # length 200, stride 50, centre 100: window s has centre [s+50, s+150); CDS is [1000, 1600)
    ws = make_windows(toy, length=200, stride=50, center=100, cap_per_class=None)
    cds = starts(ws, "CDS")
    assert [s for s in cds if s < 1800] == list(range(950, 1451, 50))
    assert [s for s in cds if s > 1800] == list(range(1950, 2251, 50))  # CDS [2000, 2400) on the - strand
    # s = 900: centre [950, 1050) straddles promoter/CDS → no window at all
    assert 900 not in ws.table.loc[ws.table["chrom"] == "chr1", "start"].tolist()
    # promoter of the + gene is [700, 1000): centres inside it start at 650..850
    prom = starts(ws, "promoter")
    assert [s for s in prom if s < 1000] == [650, 700, 750, 800, 850]
    # minus-strand gene: promoter lies downstream on the forward strand, [2400, 2700)
    assert [s for s in prom if s > 2000] == [2350, 2400, 2450, 2500, 2550]


def test_strand_of_windows(toy):
    t = make_windows(toy, length=200, stride=50, center=100, cap_per_class=None).table
    t1 = t[t["chrom"] == "chr1"].set_index("start")
    assert t1.loc[1000, "strand"] == "+" and t1.loc[2000, "strand"] == "-"
    assert t1.loc[2450, "strand"] == "-" and t1.loc[750, "strand"] == "+"  # promoters carry their gene's strand
    inter = t1[t1["label"] == "intergenic"]
    assert len(inter) > 0 and set(inter["strand"]) == {"."}


def test_short_feature_needs_short_centre(toy):
    ws = make_windows(toy, length=200, stride=10, center=100, cap_per_class=None)
    assert "tRNA" in ws.dropped and "tRNA" not in set(ws.table["label"])
    assert any("tRNA" in n for n in ws.notes)
    ws = make_windows(toy, length=200, stride=10, center=50, cap_per_class=None)
    # tRNA is [149, 221): centre [s+75, s+125) inside it → s in [74, 96] → 80, 90
    assert starts(ws, "tRNA") == [80, 90]
    assert "tRNA" not in ws.dropped


def test_vectorised_candidates_match_brute_force(toy):
    lab = toy.labels["chr1"]
    codes = toy.genome.codes("chr1")
    for length, stride, center in [(200, 50, 100), (101, 7, 33), (64, 1, 64)]:
        got = candidate_windows(lab, codes, length=length, stride=stride, center=center)
        want = []
        for s in range(0, len(lab) - length + 1, stride):
            c0 = s + (length - center) // 2
            if len(set(lab[c0:c0 + center])) == 1 and (codes[s:s + length] < 4).all():
                want.append((s, CLASSES[lab[c0]]))
        assert [(s, CLASSES[c]) for s, c in zip(got["start"], got["label_code"])] == want


def test_windows_with_n_are_dropped(toy):
    t = make_windows(toy, length=200, stride=50, center=100, cap_per_class=None).table
    t2 = t[t["chrom"] == "chr2"]
    assert len(t2) > 0
    assert not ((t2["start"] <= 1800) & (t2["end"] > 1800)).any()
    assert all("N" not in s for s in t["sequence"])


def test_heldout_chromosome_split(toy):
    ws = make_windows(toy, length=200, stride=50, center=100, cap_per_class=None)
    assert set(ws.table.loc[ws.table["split"] == "test", "chrom"]) == {"chr2"}
    assert set(ws.table.loc[ws.table["split"] == "train", "chrom"]) == {"chr1"}
    assert "chr2" in ws.split_note


def test_single_chromosome_segment_split(toy):
    ws = make_windows(toy, chroms=["chr1"], length=200, stride=50, center=100, cap_per_class=None,
                      heldout_fraction=0.25)
    cut = ws.params["heldout_start"]
    assert cut == 2250
    t = ws.table
    assert (t.loc[t["split"] == "train", "end"] <= cut).all()
    assert (t.loc[t["split"] == "test", "start"] >= cut).all()
    assert (t["split"] == "test").any() and (t["split"] == "train").any()
    assert "2251" in ws.split_note  # 1-based boundary told to the user


def test_sampling_cap_seed_and_counts(toy):
    full = make_windows(toy, length=200, stride=10, center=100, cap_per_class=None)
    ws = make_windows(toy, length=200, stride=10, center=100, cap_per_class=7, seed=1)
    again = make_windows(toy, length=200, stride=10, center=100, cap_per_class=7, seed=1)
    other = make_windows(toy, length=200, stride=10, center=100, cap_per_class=7, seed=2)
    assert ws.table.equals(again.table)
    assert not ws.table[["chrom", "start"]].equals(other.table[["chrom", "start"]])
    per = ws.table.groupby(["label", "split"]).size()
    assert per.max() <= 7
    fullper = full.table.groupby(["label", "split"]).size()
    for (cls, split), n in fullper.items():
        row = ws.counts.set_index("class").loc[cls]
        assert row[f"{split}_before"] == n
        assert row[split] == min(n, 7)
    # every sampled window is one of the full set's windows with the same label
    merged = ws.table.merge(full.table, on=["chrom", "start"], suffixes=("", "_full"))
    assert len(merged) == len(ws.table) and (merged["label"] == merged["label_full"]).all()


def test_non_overlapping(toy):
    ws = make_windows(toy, length=200, stride=10, center=50, cap_per_class=None, non_overlapping=True)
    for _, g in ws.table.groupby("chrom"):
        s = g["start"].to_numpy()
        e = g["end"].to_numpy()
        order = np.argsort(s)
        assert (s[order][1:] >= e[order][:-1]).all()
    # the rare class is picked first, so it survives de-duplication
    assert (ws.table["label"] == "tRNA").sum() == 1


def test_sequences_and_region_strings(toy):
    ws = make_windows(toy, length=200, stride=50, center=100, cap_per_class=3)
    for c, s, e, q in ws.table[["chrom", "start", "end", "sequence"]].itertuples(index=False):
        assert toy.genome.fetch(c, s, e) == q
    assert region_string("chr1", 0, 200) == "chr1:1-200"


def test_bad_parameters(toy):
    with pytest.raises(RegionError):
        make_windows(toy, length=100, center=200)
    with pytest.raises(RegionError):
        make_windows(toy, classes=["exon"])
    with pytest.raises(RegionError):
        make_windows(toy, chroms=["chr1"], heldout="chr2")
