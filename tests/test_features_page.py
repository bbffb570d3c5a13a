"""The Learned features page (AppTest): opens at once on the shipped dictionary of the default MLM, its numbers are
the shipped file's, a feature card draws, and a top site hands its region to the logits page."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
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


def _arr(v) -> np.ndarray:
    """A trace's x / y from the chart's JSON (plotly writes numpy arrays as base64 ``bdata``)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def _chart(at, key: str) -> dict:
    (c,) = [c for c in at.get("plotly_chart") if key in c.proto.id]
    return json.loads(c.proto.spec)


def _shipped_block1():
    from glm_explore.features.dictionary import shipped_dictionary
    from glm_explore.models import load_model
    from glm_explore.models.fingerprint import tensors_fingerprint

    model = load_model("default-mlm")
    return model, shipped_dictionary("default-mlm", "yeast", FeatureSettings(source="channels", layer=1),
                                     tensors_fingerprint(model))


def test_concept_search_renders_the_library_numbers():
    from glm_explore.features.query import concept_search
    from glm_explore.io.datasets import load_dataset

    at = app_on_page("features", dataset="yeast")
    at.radio(key="features_concept_kind").set_value("region class").run()
    at.selectbox(key="features_concept_region_class").set_value("promoter").run()
    at.button(key="features_concept_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    model, fd = _shipped_block1()
    want = concept_search(model, load_dataset("yeast"), fd, "region class", "promoter")
    table = [d for d in at.dataframe if d.value.columns.tolist()[:3] == ["feature", "name", "q"]][0].value
    assert table["feature"].tolist() == want["feature"].tolist()
    assert table["auroc"].tolist() == want["auroc"].tolist()
    fig = _chart(at, "features_concept_chart")
    np.testing.assert_array_equal(_arr(fig["data"][0]["y"]), want["auroc"].to_numpy())
    assert any(f"{want.attrs['kmer_auroc']:.3f}" in m.value for m in at.markdown)


def test_activation_track_of_the_feature_over_its_top_site():
    from glm_explore.features.query import region_track
    from glm_explore.io.datasets import load_dataset

    at = app_on_page("features", dataset="yeast")
    region = at.text_input(key="features_track_region").value
    at.button(key="features_track_go").click().run()
    assert not at.exception and not at.error
    model, fd = _shipped_block1()
    want = region_track(model, load_dataset("yeast").genome, fd, region, 0, flank=100)
    fig = _chart(at, "features_track_chart")
    np.testing.assert_array_equal(_arr(fig["data"][0]["x"]), want.positions)
    np.testing.assert_array_equal(_arr(fig["data"][0]["y"]), want.values)


def test_compute_button_builds_a_dictionary_for_a_local_model(tmp_path):
    import torch
    from safetensors.torch import save_file

    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    torch.manual_seed(0)
    cfg = ConvLMConfig(objective="mlm", width=8, kernel_sizes=[9], dilations=[1])
    net = ConvLM(cfg)
    (tmp_path / "config.json").write_text(cfg.to_json())
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "model.safetensors"))
    from streamlit.testing.v1 import AppTest

    from dashboard.model_keys import ModelKey

    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=300)
    at.session_state["dataset_key"] = "chloroplast"  # the sidebar's choices, before the first run (see test_app)
    at.session_state["model_key"] = ModelKey.of_hf(str(tmp_path)).text
    at.run()
    at.switch_page("pages/features.py").run()
    assert any("No precomputed dictionary" in i.value for i in at.info)
    at.button(key="features_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Features beating both controls"].split(" / ")[1] == str(int((at.dataframe[0].value["n_sites"]
                                                                                   >= 20).sum()))
    assert len(at.dataframe[0].value) == 8  # the width-8 model's 8 channels
    assert any("Feature 0" in s.value for s in at.subheader)


def test_logits_overlay_is_opt_in_and_draws_the_library_track():
    from glm_explore.features.query import region_track
    from glm_explore.io.datasets import load_dataset

    at = app_on_page("logits", dataset="yeast")
    at.text_input(key="logits_region").set_value("chrI:1001-1060")
    at.button(key="logits_go").click().run()
    assert not at.exception and not at.error
    assert not at.checkbox(key="logits_feature_overlay").value  # default: off, nothing computed
    assert not [c for c in at.get("plotly_chart") if "logits_feature_chart" in c.proto.id]
    at.checkbox(key="logits_feature_overlay").check().run()
    assert not at.exception and not at.error
    model, fd = _shipped_block1()
    f = int(at.selectbox(key="logits_feature_pick_block1").value)
    assert fd.table["beats_both"].iloc[f]  # opens on a feature that beats both controls
    want = region_track(model, load_dataset("yeast").genome, fd, "chrI:1001-1060", f, flank=100)
    fig = _chart(at, "logits_feature_chart")
    np.testing.assert_array_equal(_arr(fig["data"][0]["y"]), want.values)


def _allele_script(ref: str) -> None:
    from dashboard.views.allele_features import render_allele_features
    from glm_explore.results import Variant

    render_allele_features(Variant("chrI", 5001, ref, "G"))


def test_allele_features_view_matches_the_library():
    """chrI:5001 is an A in the bundled yeast genome; a wrong REF is one line of error, never a traceback."""
    from streamlit.testing.v1 import AppTest

    from glm_explore.features.query import features_changed_by_allele
    from glm_explore.io.datasets import load_dataset
    from glm_explore.results import Variant

    data = load_dataset("yeast")
    assert data.genome.fetch("chrI", 5000, 5001) == "A"
    model, fd = _shipped_block1()
    at = AppTest.from_function(_allele_script, args=("A",), default_timeout=120)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    want = features_changed_by_allele(model, fd, data.genome, Variant("chrI", 5001, "A", "G"))
    got = at.dataframe[0].value
    assert got["feature"].tolist() == want["feature"].tolist() and len(got) == 10
    assert got["delta"].tolist() == want["delta"].tolist()

    bad = AppTest.from_function(_allele_script, args=("C",), default_timeout=120)
    bad.run()
    assert not bad.exception and len(bad.error) == 1 and "chrI" in bad.error[0].value


def test_logits_overlay_on_a_pasted_sequence():
    from glm_explore.features.query import activation_track

    seq = "ACGTTGCAAGGCTTACGATCGGATCCATTTGAAATTTTGC"
    at = app_on_page("logits", dataset="yeast")
    at.radio(key="logits_input").set_value("Pasted sequence").run()
    at.text_area(key="logits_paste").set_value(seq)
    at.button(key="logits_go").click().run()
    at.checkbox(key="logits_feature_overlay").check().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    model, fd = _shipped_block1()
    f = int(at.selectbox(key="logits_feature_pick_block1").value)
    fig = _chart(at, "logits_feature_chart")
    np.testing.assert_array_equal(_arr(fig["data"][0]["x"]), np.arange(1, len(seq) + 1))
    np.testing.assert_array_equal(_arr(fig["data"][0]["y"]), activation_track(model, fd, seq, f))
