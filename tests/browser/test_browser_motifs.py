"""Motifs across windows in a real browser: fit the probe, find motifs, download the seqlets and check
them against the chloroplast read by hand; then the probe target on the attribution page."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser


def _metric(app, label: str) -> str:
    box = app.main().locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_motifs_with_probe_then_attribution(app):
    use_chloroplast(app, "motifs")
    app.press("Fit a region-class probe")
    app.select("Region class", "intergenic")
    app.select("Target", re.compile("^probe"))
    app.select("Method", "Input × Gradient")  # the fast method: this test is about the page, not IG
    app.press("Find motifs", timeout_s=300)  # attributions of every window + TOMTOM: minutes on a loaded machine
    main = app.main()
    assert "intergenic windows" in main.inner_text() and "log P(intergenic" in main.inner_text()
    n_seqlets = int(_metric(app, "Seqlets").replace(",", ""))
    assert n_seqlets > 0
    with app.page.expect_download() as dl:
        main.get_by_role("button", name="Download seqlets (CSV)").click()
    table = pd.read_csv(io.StringIO(open(dl.value.path()).read()))
    rows = app.table_rows(0, where=app.page.locator(".st-key-motifs_seqlets"))  # by key: robust to other tables
    assert len(table) == n_seqlets == rows, (len(table), n_seqlets, rows)
    genome = chloroplast_seq()
    for row in table.itertuples():  # 1-based inclusive coordinates, as shown
        assert genome[row.pos_start - 1:row.pos_end] == row.sequence
    app.screenshot("motifs")

    app.sidebar().get_by_role("link", name="Attribution & motifs").click()  # same session: the probe is kept
    app.wait_idle()
    app.type_text("Region (1-based chrom:start-end, ≤ 1000 bp)", f"{CHLORO}:1001-1200", submit=False)
    app.select("Target", re.compile("^probe"))
    app.select("Probe class (probe target)", "CDS")
    app.press("Compute attributions")
    app.wait_charts(1)
    assert "log P(CDS | layer" in app.main().inner_text()
    app.screenshot("attribution-probe")
