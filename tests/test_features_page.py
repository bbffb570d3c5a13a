"""The Learned features page (AppTest): opens at once on the shipped dictionary of the default MLM, its numbers are
the shipped file's, a feature card draws, and a top site hands its region to the logits page."""

from __future__ import annotations

import json

from helpers import app_on_page

from glm_explore.features import FeatureSettings
from glm_explore.features.dictionary import shipped_path
from glm_explore.region_windows import region_string


def shipped_json() -> dict:
    return json.loads(shipped_path("default-mlm", "yeast", FeatureSettings(source="channels", layer=1)).read_text())


def test_page_opens_on_the_shipped_dictionary_and_hands_a_site_to_logits():
    d = shipped_json()
    at = app_on_page("features", dataset="yeast")
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    b = d["headline"]["beats_both"]
    assert metrics["Features beating both controls"] == f"{b['k']} / {b['n']}"
    named = d["headline"]["named"]["random weights"]
    assert metrics["Named, random weights"] == f"{named['k']} / {named['n']}"
    assert len(at.dataframe[0].value) == len(d["table"]) == 96

    star = next(r["feature"] for r in d["table"] if r["beats_both"])
    at.selectbox(key="features_feature").set_value(star).run()
    assert not at.exception
    row = d["table"][star]
    assert any(row["best_name"] in s.value and "beats both controls" in s.value for s in at.subheader)
    enr = [c for c in at.get("plotly_chart") if "features_enrichment" in c.proto.id]
    fig = json.loads(enr[0].proto.spec)
    classes = {r["class"] for r in d["enrichment"] if r["feature"] == star}
    assert set(fig["data"][0]["y"]) == classes

    site = next(s for s in d["sites"] if s["feature"] == star and s["rank"] == 1)
    at.button(key=f"features_site_{star}_1").click().run()
    assert not at.exception
    want = region_string(site["chrom"], max(0, site["start"] - 45), site["end"] + 45)
    assert at.session_state["handoff_region"] == want
    assert at.query_params.get("region") in (want, [want])


def test_other_genome_offers_compute_instead():
    at = app_on_page("features", dataset="chloroplast")
    assert not at.exception and not at.error
    assert any("No precomputed dictionary" in i.value for i in at.info)
    assert at.button(key="features_go")
