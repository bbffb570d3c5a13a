"""The genome-browser library: loci, windows, lanes (model values vs the logits computation), igv configs,
the one-file handout, stored bigWigs and the bad-input messages."""

from __future__ import annotations

import base64
import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest

from glm_explore import browser as gb
from glm_explore import logits as lg
from glm_explore.browser.lanes import llr_color, stored_lanes, variant_lane
from glm_explore.errors import LocusError, RegionError, TrackFileError
from glm_explore.io.genome import Region

CP = "NC_000932"


@pytest.fixture(scope="module")
def genes(chloroplast):
    return gb.gene_index(chloroplast.genes())


def test_loci_regions_genes_and_contigs(chloroplast, genes):
    g = chloroplast.genome
    assert gb.resolve_locus(g, f"{CP}:1,001-2,000") == Region(CP, 1000, 2000)
    assert gb.resolve_locus(g, CP) == Region(CP, 0, g.lengths[CP])
    name, locus = next(iter(genes.items()))
    gene = g.check_region(gb.locus.parse_region(locus))
    got = gb.resolve_locus(g, name.lower(), genes)  # case-insensitive, padded around the gene
    assert got.chrom == CP and got.start <= gene.start and got.end >= gene.end and got.length > gene.length


def test_bad_loci_say_what_to_type(chloroplast, genes):
    g = chloroplast.genome
    with pytest.raises(LocusError, match="Unknown locus or gene 'NOSUCHGENE'.*chrom:start-end"):
        gb.resolve_locus(g, "NOSUCHGENE", genes)
    with pytest.raises(RegionError, match="past the end of NC_000932"):
        gb.resolve_locus(g, f"{CP}:154000-160000", genes)
    with pytest.raises(LocusError, match="chrZZ"):
        gb.resolve_locus(g, "chrZZ:1-100", genes)
    with pytest.raises(LocusError, match="start 5 and end 1"):
        gb.resolve_locus(g, f"{CP}:5-1", genes)


def test_window_snaps_to_blocks_and_blocks_tile_it():
    w = gb.data_window(Region("c", 1900, 2100), 10_000)
    assert w == Region("c", 0, 4000)
    assert gb.data_window(Region("c", 1950, 2050), 10_000) == w  # a small pan keeps the window
    assert gb.blocks(w) == [Region("c", 0, 2000), Region("c", 2000, 4000)]
    assert gb.data_window(Region("c", 9000, 9999), 9999) == Region("c", 8000, 9999)  # cut at the contig end
    wide = gb.data_window(Region("c", 12_345, 67_890), 1_000_000)
    assert wide.start <= 12_345 and wide.end >= 67_890 and wide.start % 10_000 == 0


def test_model_lanes_equal_the_logits_of_a_sampled_region(chloroplast, tiny_mlm, one_thread):
    view = gb.compute_view(chloroplast, f"{CP}:1901-2100", ["genes", "p_ref", "entropy", "min_llr", "logo"],
                           model=tiny_mlm)
    assert view.window == Region(CP, 0, 4000)
    sample = Region(CP, 1950, 2060)  # crosses the block boundary at 2,000
    table = lg.position_table(lg.nucleotide_logits(tiny_mlm, lg.region_window(chloroplast.genome, sample, tiny_mlm)))
    cut = slice(sample.start - view.window.start, sample.end - view.window.start)
    np.testing.assert_allclose(view.track("p_ref").values[cut], table["p_ref"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(view.track("entropy").values[cut], table["entropy_bits"], rtol=1e-5, atol=1e-6)
    p = table[["p_A", "p_C", "p_G", "p_T"]].to_numpy()
    ref = np.array(["ACGT".index(b) for b in table["ref"]])
    alt = np.log(p)
    alt[np.arange(len(ref)), ref] = np.inf
    np.testing.assert_allclose(view.track("min_llr").values[cut], alt.min(axis=1) - np.log(p[np.arange(len(ref)), ref]),
                               rtol=1e-4, atol=1e-5)
    # the stacked logo: its top bar (A+C+G+T of p·IC) is the information content, 2 − entropy
    np.testing.assert_allclose(view.track("logo_T").values[cut], 2 - table["entropy_bits"], atol=1e-5)
    assert [t.id for t in view.tracks] == ["genes", "p_ref", "entropy", "min_llr", "logo_T", "logo_G", "logo_C",
                                           "logo_A"]


def test_model_lanes_need_a_small_view(chloroplast):
    view = gb.compute_view(chloroplast, f"{CP}:1-30000", ["genes", "p_ref"])
    assert view.track_ids == ["genes"] and "20,000 bp" in view.notes[0]
    with pytest.raises(LocusError, match="need a model"):
        gb.compute_view(chloroplast, f"{CP}:1-300", ["p_ref"])
    with pytest.raises(TrackFileError, match="Unknown track 'bogus'"):
        gb.check_lanes(["genes", "bogus"])


def test_igv_config_holds_only_the_window(chloroplast, tiny_mlm, one_thread):
    view = gb.compute_view(chloroplast, f"{CP}:2501-2700", ["genes", "coding", "elements", "p_ref", "logo"],
                           model=tiny_mlm)
    cfg = gb.igv_config(view)
    assert cfg["locus"] == f"{CP}:2501-2700" and cfg["loadDefaultGenomes"] is False
    fasta = gzip.decompress(base64.b64decode(cfg["reference"]["fastaURL"].split(",", 1)[1])).decode()
    header, seq = fasta.split("\n")[:2]
    assert header == f">{CP}:2001-4000 @len={chloroplast.genome.lengths[CP]}"
    assert seq == chloroplast.genome.fetch(CP, 2000, 4000)
    kinds = [(t["type"], t["name"]) for t in cfg["tracks"]]
    assert kinds[:3] == [("annotation", "Genes"), ("annotation", "CDS / exons / UTRs"), ("annotation", "Other features")]
    assert kinds[3][0] == "wig" and kinds[4][0] == "merged" and len(cfg["tracks"][4]["tracks"]) == 4
    ann = chloroplast.annotation.features
    overlapping = ann[(ann["End"] > 2000) & (ann["Start"] < 4000) & ann["Feature"].isin(["gene", "tRNA", "rRNA"])]
    assert len(cfg["tracks"][0]["features"]) == len(overlapping)
    values = cfg["tracks"][3]["_values"]
    assert values["start"] == 2000 and len(values["values"]) == 2000
    assert "http" not in json.dumps(cfg)


def test_handout_is_one_offline_file(chloroplast):
    view = gb.compute_view(chloroplast, f"{CP}:1001-1500", ["genes"])
    html = gb.handout_html(view)
    assert "<script src" not in html and 'src="http' not in html
    assert gb.igv_version() in html and "glmBrowser.create" in html
    cfg = json.loads(re.search(r"const GLM_VIEW = (\{.*?\});\n", html).group(1))
    assert cfg["locus"] == f"{CP}:1001-1500" and [t["name"] for t in cfg["tracks"]] == ["Genes"]


def test_stored_bigwig_lanes_and_bad_files(tmp_path, chloroplast):
    import pyBigWig

    values = np.linspace(0, 1, 500).astype(np.float64)
    path = tmp_path / "p_ref.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([(CP, chloroplast.genome.lengths[CP])])
    bw.addEntries(CP, 1000, values=values.tolist(), span=1, step=1)
    bw.close()
    (lane,) = stored_lanes(path, Region(CP, 0, 2000))
    np.testing.assert_allclose(lane.values[1000:1500], values, rtol=1e-6)
    assert np.isnan(lane.values[:1000]).all()
    lanes = stored_lanes(tmp_path, Region(CP, 0, 2000))  # a track folder: its p_ref.bw
    assert [t.id for t in lanes] == ["stored_p_ref"]
    bed = tmp_path / "x.bed"
    bed.write_text(f"{CP}\t0\t10\n")
    with pytest.raises(TrackFileError, match="x.bed is not a bigWig"):
        stored_lanes(bed, Region(CP, 0, 2000))
    with pytest.raises(TrackFileError, match="No track file"):
        stored_lanes(tmp_path / "missing.bw", Region(CP, 0, 2000))


def test_variant_lane_colours_by_llr_and_greys_skipped():
    scores = pd.DataFrame({"chrom": ["c", "c", "c"], "pos": [5, 9, 500], "ref": ["A", "C", "G"], "alt": ["G", "T", "A"],
                           "llr": [-5.0, np.nan, 1.0]})
    lane = variant_lane(scores, Region("c", 0, 100))
    assert [f["start"] for f in lane.features] == [4, 8]
    assert lane.features[0]["color"] == llr_color(-5.0) == "rgb(255,0,0)"
    assert lane.features[1]["color"] == "#bbbbbb" and "skipped" in lane.features[1]["name"]


def test_variant_lane_names_carry_the_percentiles_when_the_table_has_them():
    scores = pd.DataFrame({"chrom": ["c", "c"], "pos": [5, 9], "ref": ["A", "C"], "alt": ["G", "T"],
                           "llr": [-2.5, 0.25], "region_class": ["CDS", "intron"],
                           "llr_pct_class": [0.031, np.nan], "llr_pct_genome": [0.042, 0.6]})
    lane = variant_lane(scores, Region("c", 0, 100))
    assert lane.features[0]["name"] == "A>G llr=-2.500 · 3.1 % of CDS SNVs ≤ · 4.2 % genome-wide"
    assert lane.features[1]["name"] == "C>T llr=0.250 · 60.0 % genome-wide"
    assert "share of possible SNVs" in lane.name
    plain = variant_lane(scores.drop(columns=["llr_pct_class", "llr_pct_genome"]), Region("c", 0, 100))
    assert plain.features[0]["name"] == "A>G llr=-2.500" and "share" not in plain.name


def test_second_model_lanes_pair_with_the_first(chloroplast, tiny_mlm, tiny_clm, one_thread):
    view = gb.compute_view(chloroplast, f"{CP}:101-200", ["p_ref", "entropy"], model=tiny_mlm, model2=tiny_clm)
    assert view.track_ids == ["p_ref", "p_ref_b", "entropy", "entropy_b"]
    assert view.track("p_ref_b").name == "P(ref) · tiny-clm"
    table = lg.position_table(lg.nucleotide_logits(tiny_clm, lg.region_window(chloroplast.genome, f"{CP}:101-200",
                                                                              tiny_clm)))
    np.testing.assert_allclose(view.track("p_ref_b").values[100:200], table["p_ref"], rtol=1e-5, atol=1e-6)
