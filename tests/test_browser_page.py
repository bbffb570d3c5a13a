"""Genome browser page (AppTest): the default view and its URL, a gene name, bad loci and a bad track file
(one clear error each, the view unchanged), and model lanes whose values equal the logits computation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import app_on_page

CP = "NC_000932"


def igv_config(at) -> dict:
    (el,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("glm_genome_browser")]
    return json.loads(el.proto.json_args)["config"]


@pytest.fixture()
def at():
    return app_on_page("browser")


def test_default_view_and_its_url(at):
    assert not at.exception and not at.error
    cfg = igv_config(at)
    assert cfg["locus"] == f"{CP}:1001-3000"
    assert [t["name"] for t in cfg["tracks"]] == ["Genes", "CDS / exons / UTRs", "Other features"]
    assert at.query_params["locus"] == [f"{CP}:1,001-3,000"] or at.query_params["locus"] == f"{CP}:1,001-3,000"
    assert at.get("download_button")


def test_gene_name_moves_the_view(at, chloroplast):
    from glm_explore.browser import gene_index

    name, locus = next(iter(gene_index(chloroplast.genes()).items()))
    at.text_input(key="browser_locus").set_value(name.lower()).run()
    assert not at.error
    start, end = (int(x) for x in locus.split(":")[1].split("-"))
    shown = igv_config(at)["locus"]
    a, b = (int(x) for x in shown.split(":")[1].split("-"))
    assert a <= start and b >= end


@pytest.mark.parametrize(("typed", "message"), [("NOSUCHGENE", "Unknown locus or gene 'NOSUCHGENE'"),
                                                (f"{CP}:154000-160000", "runs past the end of NC_000932")])
def test_bad_locus_one_error_view_unchanged(at, typed, message):
    before = igv_config(at)
    at.text_input(key="browser_locus").set_value(typed).run()
    assert len(at.error) == 1 and message in at.error[0].value
    assert igv_config(at) == before


def test_bad_track_file_one_error_view_kept(at, tmp_path):
    bad = tmp_path / "scores.bedgraph"
    bad.write_text(f"{CP}\t0\t10\t1.0\n")
    at.text_input(key="browser_stored").set_value(str(bad))
    at.multiselect(key="browser_tracks").set_value(["genes", "stored"]).run()
    assert len(at.error) == 1 and "scores.bedgraph is not a bigWig" in at.error[0].value
    assert [t["name"] for t in igv_config(at)["tracks"]] == ["Genes"]


def test_model_lanes_equal_the_logits_table(at, chloroplast, default_mlm, one_thread):
    from glm_explore import logits as lg

    at.text_input(key="browser_locus").set_value(f"{CP}:1101-1160")
    at.multiselect(key="browser_tracks").set_value(["p_ref", "min_llr"]).run()
    assert not at.exception and not at.error
    cfg = igv_config(at)
    values = {t["id"]: t["_values"] for t in cfg["tracks"]}
    table = lg.position_table(lg.nucleotide_logits(default_mlm, lg.region_window(chloroplast.genome,
                                                                                  f"{CP}:1101-1160", default_mlm)))
    lo = 1100 - values["p_ref"]["start"]
    np.testing.assert_allclose(values["p_ref"]["values"][lo:lo + 60], table["p_ref"], atol=1e-4)
    assert cfg["tracks"][0]["name"] == "P(ref) · default-mlm" and "min" not in cfg["tracks"][0]["name"]
    assert at.query_params["tracks"] in ("p_ref,min_llr", ["p_ref,min_llr"])
