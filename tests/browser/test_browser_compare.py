"""Compare models page in a real browser: two built-in models on one short region."""

from __future__ import annotations

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def test_compare_region(app):
    use_chloroplast(app, "compare")
    app.type_text("Region (1-based chrom:start-end, ≤ 500 bp)", f"{CHLORO}:1001-1030", submit=False)
    app.page.get_by_label("Positions to mutate (× 3 substitutions, from the region start)").fill("5")
    app.press("Compare")
    figs = app.wait_charts(2)
    xs = {x for t in figs[0]["traces"] for x in t["x"] if isinstance(x, (int, float))}
    assert min(xs) >= 1000 and max(xs) <= 1031  # logit tracks over the 30 bp
    points = sum(t["n"] for t in figs[1]["traces"] if t["mode"] and "markers" in t["mode"])
    assert points == 15  # 5 positions × 3 substitutions, scored by both models
    assert "15 / 15" in app.main().inner_text()
    app.screenshot("compare")


def test_compare_region_too_long(app):
    use_chloroplast(app, "compare")
    app.type_text("Region (1-based chrom:start-end, ≤ 500 bp)", f"{CHLORO}:1001-2000", submit=False)
    app.press("Compare")
    errs = app.errors()
    assert len(errs) == 1 and "500 bp" in errs[0]
