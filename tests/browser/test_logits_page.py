"""Nucleotide logits page in a real browser: region → logo + tracks + annotation lane, table, MLM vs CLM."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
REGION_LABEL = "Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)"


def test_logits_region_tracks_and_comparison(app):
    app.open("logits")
    app.select("Genome", "chloroplast", where=app.sidebar())
    app.type_text(REGION_LABEL, "NC_000932:1001-1060", submit=False)
    app.press("Compute predictions")
    figs = app.wait_charts(1)
    names = {t["name"] for t in figs[0]["traces"]}
    assert {"A", "C", "G", "T", "P(ref)", "entropy"} <= names
    pref = next(t for t in figs[0]["traces"] if t["name"] == "P(ref)")
    assert pref["n"] == 60 and pref["x"][0] == 1001 and pref["x"][-1] == 1060
    assert all(0 <= y <= 1 for y in pref["y"])
    assert names & {"CDS", "intergenic", "tRNA", "intron"}  # annotation lane of the chloroplast
    assert app.table_rows(0) == 60
    app.screenshot("logits-tracks")

    exp = app.expand("MLM vs CLM")
    app.press("Compare MLM and CLM", where=exp)
    figs = app.wait_charts(2)
    assert any(t["name"].startswith("MLM") for t in figs[1]["traces"])
    assert any(t["name"].startswith("CLM") for t in figs[1]["traces"])
    app.screenshot("logits-compare")


def test_logits_bad_region_message(app):
    app.open("logits")
    app.select("Genome", "chloroplast", where=app.sidebar())
    app.type_text(REGION_LABEL, "NC_000932:1-5000", submit=False)
    app.press("Compute predictions")
    errs = app.errors()
    assert len(errs) == 1 and "limit" in errs[0]
