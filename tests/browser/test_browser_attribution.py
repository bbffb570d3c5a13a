"""Attribution & motifs page in a real browser: a short chloroplast region → attribution tracks."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def test_attribution_region(app):
    use_chloroplast(app, "attribution")
    app.type_text("Region (1-based chrom:start-end, ≤ 1000 bp)", f"{CHLORO}:1001-1040", submit=False)
    app.press("Compute attributions")
    fig = app.wait_charts(1)[0]
    xs = [x for t in fig["traces"] for x in t["x"] if isinstance(x, (int, float))]
    assert min(xs) >= 1000 and max(xs) <= 1041  # drawn over the requested 40 bp
    assert "Seqlets:" in app.main().inner_text()
    app.screenshot("attribution")
    app.main().get_by_role("link", name=re.compile("Seqlets across many windows")).click()  # to the motifs page
    app.wait_idle()
    assert "Motifs across windows" in app.main().inner_text() and "Find motifs" in app.main().inner_text()


def test_attribution_bad_region(app):
    use_chloroplast(app, "attribution")
    app.type_text("Region (1-based chrom:start-end, ≤ 1000 bp)", "chrQ:1-40", submit=False)
    app.press("Compute attributions")
    errs = app.errors()
    assert len(errs) == 1 and "not in genome" in errs[0]
