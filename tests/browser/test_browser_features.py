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


def _until(app, pred, what: str, timeout_s: float = 120) -> list[dict]:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        figs = app.figures()
        if pred(figs):
            return figs
        time.sleep(0.3)
    app.screenshot("missing-" + what)
    raise AssertionError(f"no {what} drawn; figures titled {[f['title'] for f in app.figures()]}")


def test_features_concept_search_and_activation_track(app):
    from glm_explore.features.dictionary import shipped_dictionary
    from glm_explore.features.query import concept_search, region_track
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models import load_model
    from glm_explore.models.fingerprint import tensors_fingerprint

    model, data = load_model("default-mlm"), load_dataset("yeast")
    fd = shipped_dictionary("default-mlm", "yeast", FeatureSettings(source="channels", layer=1),
                            tensors_fingerprint(model))
    star = int(fd.table.loc[fd.table["beats_both"], "feature"].iloc[0])
    app.open("features", f"dict=block1&feature={star}")
    app.wait_charts(4)

    app.radio("Concept kind", "landmark")
    app.select("Concept", "start codon")
    app.press("Search features")
    want = concept_search(model, data, fd, "landmark", "start codon")
    figs = _until(app, lambda fs: any(t["type"] == "bar" and t["name"] == "feature AUROC" for f in fs
                                      for t in f["traces"]), "concept chart")
    bars = next(t for f in figs for t in f["traces"] if t["name"] == "feature AUROC")
    assert bars["n"] == len(want) == 20
    assert bars["y"] == pytest.approx(want["auroc"].tolist(), abs=1e-9)
    assert f"k-mer baseline AUROC {want.attrs['kmer_auroc']:.3f}" in app.main().inner_text()
    app.screenshot("features-concept-search")

    region = app.page.locator(".st-key-features_track_region input").first.input_value()
    app.press("Draw activation track")
    track = region_track(model, data.genome, fd, region, star, flank=100)
    figs = _until(app, lambda fs: any(f"Feature {star}: " in f["title"] for f in fs), "activation track")
    line = next(f for f in figs if f"Feature {star}: " in f["title"])["traces"][0]  # (titles come wrapped in <b>)
    assert line["x"][0] == track.positions[0] and line["n"] == len(track.values)
    assert line["y"] == pytest.approx(track.values.astype(float).tolist(), rel=1e-5, abs=1e-5)
    assert not app.errors()
    app.screenshot("features-activation-track")


def test_logits_feature_overlay_is_opt_in(app):
    app.open("logits", "region=chrI:1001-1060")
    app.press("Compute predictions")
    n = len(app.wait_charts(1))
    assert "Overlay a learned feature" in app.main().inner_text()
    app.page.get_by_text("Overlay a learned feature", exact=True).click()
    app.wait_idle()
    figs = _until(app, lambda fs: len(fs) > n and any("Feature " in f["title"] for f in fs), "feature overlay")
    line = next(f for f in figs if "Feature " in f["title"])["traces"][0]  # (titles come wrapped in <b>)
    assert line["n"] == 60 and line["x"][0] == 1001 and "★" in line["name"]
    assert not app.errors()
    app.screenshot("logits-feature-overlay")
