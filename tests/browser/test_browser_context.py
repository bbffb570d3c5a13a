"""How far does a model look? in a real browser: context curves on the chloroplast with the default MLM, then the
banded dependency map of a short region, checked against the region and band typed in."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def test_context_curves_then_a_banded_dependency_map(app):
    use_chloroplast(app, "context")
    app.type_text("Held-out windows per class", "3", submit=False)
    app.press(re.compile("^Compute curves$"))
    figs = app.wait_charts(1, timeout_s=300)
    xs = {x for t in figs[0]["traces"] for x in (t.get("x") or []) if isinstance(x, (int, float))}
    assert 142 in xs  # the default MLM's receptive field is the full-context width on the curve
    assert "receptive field 142 bp" in app.main().inner_text()
    app.type_text("Region for the dependency map (≤ 5 kb) and attention (≤ 1 kb), 1-based", f"{CHLORO}:5001-5060", submit=False)
    app.type_text("Band (bp each side; 0 = the receptive field)", "15", submit=False)
    app.press(re.compile("^Compute dependency map$"))
    figs = app.wait_charts(2, timeout_s=300)
    heat = figs[1]["traces"][0]
    assert list(heat["x"])[0] == 5001 and list(heat["x"])[-1] == 5060
    assert list(heat["y"]) == list(range(-15, 16))
    app.screenshot("context")
    app.assert_clean()
