"""Model comparison (glm_explore.compare + pages/compare.py), on tiny models built in the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hf_builders import build_char_bert, build_char_gpt2
from scipy.stats import rankdata

from glm_explore import compare as cmp
from glm_explore.logits import nucleotide_logits, position_table, region_window
from glm_explore.variants import score_variants

CP = "NC_000932"
ROOT = Path(__file__).resolve().parents[1]


def test_region_snvs_three_per_base_one_based(chloroplast):
    df = cmp.region_snvs(chloroplast, f"{CP}:101-110")
    seq = chloroplast.genome.fetch(CP, 100, 110)
    assert len(df) == 30 and df["pos"].tolist() == [p for p in range(101, 111) for _ in range(3)]
    assert (df["ref"] == [b for b in seq for _ in range(3)]).all()
    assert (df["ref"] != df["alt"]).all() and set(df["alt"]) <= set("ACGT")
    assert len(cmp.region_snvs(chloroplast, f"{CP}:101-110", max_sites=4)) == 12


def test_correlation_matches_numpy(rng):
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    y[3] = np.nan
    ok = np.isfinite(y)
    got = cmp.correlation(x, y)
    assert got["n"] == 49
    assert got["pearson"] == pytest.approx(np.corrcoef(x[ok], y[ok])[0, 1])
    assert got["spearman"] == pytest.approx(np.corrcoef(rankdata(x[ok]), rankdata(y[ok]))[0, 1])
    assert np.isnan(cmp.correlation([1, 2], [3, 4])["pearson"])


def test_logits_and_variants_per_model_equal_single_model_runs(chloroplast, tiny_mlm, tiny_clm):
    models = {"A": tiny_mlm, "B": tiny_clm}
    region = f"{CP}:2001-2030"
    tables = {k: position_table(r, chloroplast) for k, r in cmp.compare_logits(models, chloroplast, region).items()}
    for label, m in models.items():
        direct = position_table(nucleotide_logits(m, region_window(chloroplast.genome, region, m)), chloroplast)
        np.testing.assert_allclose(tables[label]["log_p_ref"], direct["log_p_ref"], atol=1e-6)
        assert tables[label]["pos"].tolist() == list(range(2001, 2031))
    ag = cmp.agreement(tables)
    assert ag.loc[0, "pearson"] == pytest.approx(np.corrcoef(tables["A"]["log_p_ref"], tables["B"]["log_p_ref"])[0, 1])

    snvs = cmp.region_snvs(chloroplast, region, max_sites=5)
    scores = cmp.compare_variant_scores(models, chloroplast, snvs)
    for label, m in models.items():
        np.testing.assert_allclose(scores[f"llr {label}"], score_variants(m, chloroplast, snvs)["llr"], atol=1e-6)
    assert "region_class" in scores


def test_embeddings_same_windows_and_separation(chloroplast, tiny_mlm, tiny_clm):
    from glm_explore.embed import embed_windows
    from glm_explore.reduce import separation
    from glm_explore.region_windows import make_windows

    # PCA keeps this test fast (UMAP's numba compile is tested in test_reduce; the page uses UMAP)
    frames, sep = cmp.compare_embeddings({"A": tiny_mlm, "B": tiny_clm}, chloroplast, length=64, cap_per_class=12,
                                         projection="pca")
    assert frames["A"]["region"].tolist() == frames["B"]["region"].tolist()
    assert {"pca1", "pca2"} <= set(frames["A"].columns) and sep["features"].tolist() == ["A", "B"]
    w = make_windows(chloroplast, length=64, center=32, cap_per_class=12, seed=0)
    X = embed_windows(tiny_clm, w.sequences, layers=-1, center=32).features()
    direct = separation(X, w.labels, w.train_mask, seed=0)
    assert sep.loc[1, "kNN accuracy"] == pytest.approx(direct.knn_accuracy)
    assert sep.loc[1, "probe macro-F1"] == pytest.approx(direct.macro_f1)


def test_compare_page_two_hf_models(tmp_path):
    from streamlit.testing.v1 import AppTest

    from dashboard.model_keys import ModelKey

    build_char_bert(tmp_path / "bert")
    build_char_gpt2(tmp_path / "gpt2")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["dataset_key"] = "chloroplast"
    at.session_state["compare_a_model"] = ModelKey.of_hf(str(tmp_path / "bert")).text
    at.session_state["compare_b_model"] = ModelKey.of_hf(str(tmp_path / "gpt2")).text
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    at.text_input(key="compare_region").set_value(f"{CP}:3001-3040")
    at.number_input(key="compare_sites").set_value(5)
    at.button(key="compare_go").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 2  # logit tracks + variant scatter
    assert at.metric[2].value == "15 / 15"
    at.number_input(key="compare_sites").set_value(200)
    at.text_input(key="compare_region").set_value(f"{CP}:1-99999")
    at.button(key="compare_go").click()
    at.run()
    assert not at.exception and at.error and "500 bp" in at.error[0].value
