"""Indels and small SVs on the variant page in a real browser: a deletion typed into the Indel / SV tab gives the
sum, per-base mean and z-score and ref / alt tracks aligned with the gap; the length-bias section measures the
slope on demand. Default CLM on the chloroplast (fast); the alleles come from the genome read by hand."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, chloroplast_seq

pytestmark = pytest.mark.browser


def _open(app, query: str) -> None:
    app.open()  # the app's root first: a deep link alone can be served before app.py has run once
    app.sidebar().get_by_role("combobox", name="Genome", exact=True).first.wait_for(timeout=240_000)
    app.wait_idle(240)
    app.open("variants", query)
    app.sidebar().get_by_role("combobox", name="Genome", exact=True).first.wait_for(timeout=240_000)
    app.wait_idle(240)


def test_deletion_aligned_with_its_gap_and_the_length_bias(app):
    s = chloroplast_seq()
    ref, alt = s[2999:3005], s[2999]  # a 5-bp deletion after chloroplast position 3000
    _open(app, f"model=default-clm&genome=chloroplast&tab=indel&ichrom={CHLORO}&ipos=3000&iref={ref}&ialt={alt}"
               "&nulls=3&half=10")
    app.page.get_by_role("tab", name="Indel / SV").click()
    app.press("Score indel / SV")
    figs = app.wait_charts(1, timeout_s=300)
    traces = {t["name"]: t for t in figs[0]["traces"]}
    assert {"gap", "log P(ref base)", "log P(alt base)", "alt − ref"} <= set(traces)
    assert len(traces["gap"]["x"]) == 5  # the alt allele's gap columns (5 bases deleted)
    assert len(traces["log P(ref base)"]["x"]) == 10 + 5 + 10  # flanks + the event block
    text = app.main().inner_text()
    assert "Score (sum, alt − ref)" in text and "Per-base mean" in text and "Length-corrected z" in text
    assert "length-matched" in text  # the CLM method stated
    app.screenshot("indel-single")

    app.press(re.compile("^Measure the length bias$"))
    figs = app.wait_charts(2, timeout_s=300)
    names = {t["name"] for t in figs[1]["traces"]}
    assert "least squares" in names and any(n.startswith("DEL") for n in names)
    assert "95% CI" in app.main().inner_text()
    app.screenshot("indel-length-bias")
    app.assert_clean()
