"""Variant effects page in a real browser: handed-over position → scores, ref/alt/delta tracks; demo VCF batch."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _sidebar_ready(app) -> None:
    # the first script run loads the default genome and model: wait for the sidebar it draws
    app.sidebar().get_by_role("combobox", name="Genome", exact=True).first.wait_for(timeout=240_000)
    app.wait_idle(240)


def _open(app, query: str = "") -> None:
    # open the app's root first: on a fresh server a deep link alone can be served from pages/ without
    # app.py (no st.navigation, no sidebar) until app.py has run once
    app.open()
    _sidebar_ready(app)
    app.open("variants", query)
    _sidebar_ready(app)


def test_single_variant_from_handoff(app):
    _open(app, "region=NC_000932:1000-1000")
    app.select("Genome", "chloroplast", where=app.sidebar())
    main = app.main().inner_text()
    assert "Negative LLR" in main  # the sign convention is on the page
    app.press("Score variant")
    figs = app.wait_charts(1)
    traces = {t["name"]: t for t in figs[0]["traces"]}
    assert {"A", "C", "G", "T", "max |Δ log-odds|", "Δ log P(ref base)", "‖Δh‖"} <= set(traces)
    bars = traces["max |Δ log-odds|"]
    assert bars["n"] == 61 and bars["x"][0] == 970 and bars["x"][-1] == 1030  # 1000 ± 30, from the URL
    assert bars["y"][30] == pytest.approx(0, abs=1e-6)  # the variant column is masked in ref and alt
    assert "NC_000932:1000" in app.main().inner_text()
    assert app.table_rows(0) == 3  # the three alternatives at the site
    app.screenshot("variant-single")


def test_batch_demo_vcf_on_yeast(app):
    _open(app)
    app.page.get_by_role("tab", name="Batch (VCF)").click()
    app.type_text("Score at most this many alleles", "10", submit=False)
    app.press("Score VCF")
    text = app.main().inner_text()
    assert "SYNTHETIC" in text and "10 scored" in text and "REF mismatch: 1" in text
    figs = app.wait_charts(1)
    assert any(t["type"] == "histogram" for f in figs for t in f["traces"])
    app.screenshot("variant-batch")
