"""Nucleotide logits page in a real browser: the on-request parts (dependency map, MLM vs CLM).

The region → tracks → table path is tested in ``test_logits.py``.
"""

from __future__ import annotations

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser
REGION_LABEL = "Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)"


def test_logits_dependency_map_and_mlm_vs_clm(app):
    use_chloroplast(app, "logits")
    app.type_text(REGION_LABEL, f"{CHLORO}:2001-2040", submit=False)
    app.press("Compute predictions")
    app.wait_charts(1)

    dep = app.expand("Nucleotide dependency map")
    app.press("Compute dependency map", where=dep)
    figs = app.wait_charts(2)
    heat = next(t for f in figs for t in f["traces"] if t["type"] == "heatmap")
    assert heat["n"] == 40 and heat["x"][0] == 2001 and heat["x"][-1] == 2040

    cmp_ = app.expand("MLM vs CLM")
    app.press("Compare MLM and CLM", where=cmp_)
    figs = app.wait_charts(3)
    names = [t["name"] for f in figs for t in f["traces"]]
    assert any(n.startswith("MLM (") for n in names) and any(n.startswith("CLM (") for n in names)
    assert not app.errors()
    app.screenshot("logits-dependency-compare")
