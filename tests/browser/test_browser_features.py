"""Learned features in a real browser: a deep link opens the shipped dictionary of the default MLM on one feature;
the headline and card show the shipped numbers; a top site's button opens the logits page on that region."""

from __future__ import annotations

import json

import pytest

from glm_explore.features import FeatureSettings
from glm_explore.features.dictionary import shipped_path
from glm_explore.region_windows import region_string

pytestmark = pytest.mark.browser


def test_features_deep_link_card_and_click_to_logits(app):
    d = json.loads(shipped_path("default-mlm", "yeast", FeatureSettings(source="channels", layer=1)).read_text())
    star = next(r["feature"] for r in d["table"] if r["beats_both"])
    row = d["table"][star]
    app.open("features", f"dict=block1&feature={star}")
    b = d["headline"]["beats_both"]
    assert app.metric("Features beating both controls") == f"{b['k']} / {b['n']}"
    text = app.main().inner_text()
    assert f"Feature {star}: {row['best_name']}" in text and "beats both controls" in text
    figs = app.wait_charts(4)  # headline, logo, enrichment, landmark profile
    assert len(figs) >= 4
    app.screenshot("features")

    site = next(s for s in d["sites"] if s["feature"] == star and s["rank"] == 1)
    want = region_string(site["chrom"], max(0, site["start"] - 45), site["end"] + 45)
    app.press("Open in logits", where=app.page.locator(f".st-key-features_site_{star}_1"))
    app.wait_idle()
    assert "/logits" in app.location() and "region=" in app.location()
    assert "Nucleotide logits" in app.main().inner_text()
    region_box = app.page.locator(".st-key-logits_region input").first
    assert region_box.input_value() == want
    app.screenshot("features-to-logits")
