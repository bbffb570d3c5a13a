"""AppTest: app.py and the home page, on both bundled genomes and both default models."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest


def _contigs(at: AppTest):
    """The contig table of the home page (the one with a 'chrom' column)."""
    return next(d.value for d in at.dataframe if "chrom" in d.value.columns)


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


def test_app_opens_on_yeast_with_default_mlm():
    at = _app().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.sidebar.selectbox(key="model_key").value == "default-mlm"
    assert at.sidebar.selectbox(key="dataset_key").value == "yeast"
    text = " ".join(s.value for s in at.subheader)
    assert "default-mlm" in text and "Yeast" in text
    contigs = _contigs(at)
    assert len(contigs) == 16 and contigs["length"].sum() == 12_071_326


@pytest.mark.parametrize("model, genome, n_contigs", [("default-clm", "chloroplast", 1), ("default-mlm", "chloroplast", 1)])
def test_sidebar_switches_model_and_genome(model, genome, n_contigs):
    # AppTest drops sidebar widgets from its tree after a rerun under st.navigation, so the choice is
    # made through session state (the selectboxes' keys) before the first run.
    at = _app()
    at.session_state["model_key"] = model
    at.session_state["dataset_key"] = genome
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="model_key").value == model
    assert at.sidebar.selectbox(key="dataset_key").value == genome
    text = " ".join(s.value for s in at.subheader)
    assert model in text and "chloroplast" in text
    assert len(_contigs(at)) == n_contigs


# ------------------------------------------------------------------------------------------------
# Every view in its URL: a link fills the sidebar and the page's widgets; Run writes them back
# ------------------------------------------------------------------------------------------------

CP = "NC_000932"
# Non-default parameters for every page (query parameter → value as the link writes it).
PAGE_LINKS = {
    "logits": {"region": f"{CP}:2001-2030", "mode": "unmasked", "rc": "1", "logo": "probability"},
    "variants": {"tab": "single", "chrom": CP, "pos": "2000", "ref": "", "alt": "T", "half": "7", "rc": "0",
                 "src": "Demo (synthetic, yeast)", "limit": "40"},
    "embeddings": {"chroms": CP, "cap": "3", "center": "50", "layers": "2,9", "pooling": "window-mean", "rc": "0",
                   "k": "2", "length": "256", "stride": "150", "dedup": "1", "seed": "7", "projection": "UMAP",
                   "color": "gc", "nn": "5", "md": "0.2", "metric": "cosine"},
    "attribution": {"region": f"{CP}:1001-1030", "target": "mlm_span", "spec": "1010-1020", "method": "saliency",
                    "baseline": "uniform", "steps": "20", "nbase": "3", "probe_class": "promoter", "correct": "1",
                    "ism": "1", "tax": "plants"},
    "motifs": {"class": "intergenic", "n": "2", "target": "default", "method": "saliency", "baseline": "zeros",
               "steps": "10", "nbase": "1", "tax": "plants", "q": "0.1"},
    "compare": {"a_model": "default-clm", "b_model": "default-mlm", "region": f"{CP}:3001-3020", "sites": "5",
                "embed_length": "128", "embed_cap": "20"},
    "report": {"windows": "5", "snvs": "20", "cap": "20"},
    "generate": {"source": "in-fill a span of a region", "prefix": "ACGT", "region": f"{CP}:1001-1200",
                 "span": "51-110", "length": "60", "n": "3", "temperature": "0.8", "top_k": "3", "top_p": "0.9",
                 "seed": "5", "method": "gibbs", "rounds": "4", "schedule": "linear", "judge": "1",
                 "class": "intergenic", "n_real": "5"},
    "design": {"start": "sequence", "region": f"{CP}:2001-2100", "sequence": "ACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTG",
               "objective": "motif", "class": "intergenic", "motif": "REB1", "rounds": "3", "budget": "4",
               "method": "beam", "beam_width": "2", "candidates": "50", "gc_lo": "0.1", "gc_hi": "0.9",
               "fixed": "1-5", "seed": "3", "judge": "0", "n_real": "10"},
    "annotate": {"head": "conv", "prior": "genome", "windows_per_class": "3", "bases_per_class": "200",
                 "heldout_per_class": "2", "kmer_k": "2", "seed": "1", "region": f"{CP}:140001-141000"},
    "context": {"classes": "CDS,intergenic", "per_class": "3", "per_window": "2", "truncation": "crop", "seed": "4",
                "region": f"{CP}:5001-5060", "band": "20"},
}
RUN_BUTTON = {"logits": "logits_go", "variants": "variants_single_go", "embeddings": "embeddings_go",
              "attribution": "attribution_go", "motifs": "motifs_go", "compare": "compare_go",
              "report": "report_go", "generate": "generate_go", "design": "design_go",
              "annotate": "annotate_go", "context": "context_go"}


def _open_link(page: str, query: dict[str, str]) -> AppTest:
    """A new session opened on ``/<page>?<query>`` (AppTest runs the page file first, as a fresh server
    does; the page then runs again inside app.py with the sidebar)."""
    at = _app()
    at.query_params.update(query)
    if page != "home":
        at.switch_page(f"pages/{page}.py")
    return at.run()


def _widget_text(at: AppTest, key: str) -> str:
    from dashboard.params import as_text

    value = at.session_state[key]
    return as_text(tuple(value) if isinstance(value, list) else value)


def test_home_link_sets_model_and_genome():
    at = _open_link("home", {"model": "default-clm", "genome": "chloroplast"})
    assert not at.exception and not at.warning
    assert at.sidebar.selectbox(key="model_key").value == "default-clm"
    assert at.sidebar.selectbox(key="dataset_key").value == "chloroplast"
    assert "default-clm" in " ".join(s.value for s in at.subheader)
    assert at.query_params["model"] == "default-clm" and at.query_params["genome"] == "chloroplast"
    assert any(c.value == "/?model=default-clm&genome=chloroplast" for c in at.sidebar.code)  # the copy-link box


@pytest.mark.parametrize("page", list(PAGE_LINKS))
def test_page_link_fills_widgets_then_run_writes_the_view_back(page):
    """URL → widgets (a fresh session on a deep link, non-default values) → Run → result, URL kept;
    then a changed widget + Run → the URL follows."""
    link = PAGE_LINKS[page]
    at = _open_link(page, {"model": "default-mlm", "genome": "chloroplast", **link})
    assert not at.exception and not at.error and not at.warning, [w.value for w in at.warning]
    assert at.sidebar.selectbox(key="dataset_key").value == "chloroplast"  # the sidebar ran
    for name, raw in link.items():
        assert _widget_text(at, f"{page}_{name}") == raw, name
        assert at.query_params[name] == raw, name  # written back as read
    code = [c.value for c in at.sidebar.code]
    assert len(code) == 1 and code[0].startswith(f"/{page}?model=default-mlm&genome=chloroplast&")

    at.button(key=RUN_BUTTON[page]).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("plotly_chart") or at.dataframe, "no result after Run"
    assert {k: at.query_params[k] for k in link} == link


def test_widgets_write_the_url():
    """A submitted form puts its values in the URL; the copy-link box shows the same link."""
    at = _open_link("logits", {"genome": "chloroplast"})
    at.text_input(key="logits_region").set_value(f"{CP}:3001-3010")
    at.checkbox(key="logits_rc").set_value(True)
    at.button(key="logits_go").click().run()
    assert not at.exception and not at.error
    assert at.query_params["region"] == f"{CP}:3001-3010" and at.query_params["rc"] == "1"
    assert at.query_params["model"] == "default-mlm" and at.query_params["genome"] == "chloroplast"
    assert f"region={CP}:3001-3010&" in at.sidebar.code[0].value
    at.radio(key="logits_input").set_value("Pasted sequence").run()  # outside the form: at once
    assert at.query_params["input"] == "Pasted sequence"


def test_bad_link_values_are_named_in_a_warning():
    at = _open_link("logits", {"model": "no-such-model", "genome": "upload", "mode": "next", "rc": "maybe",
                               "region": "chrQ:1-40", "logo": "letters"})
    assert not at.exception and not at.error
    text = " ".join(w.value for w in at.warning)
    for bad in ("model='no-such-model'", "genome='upload'", "mode='next'", "rc='maybe'", "region='chrQ:1-40'",
                "logo='letters'"):
        assert bad in text, bad
    assert "uploaded genome cannot travel in a link" in text
    assert at.sidebar.selectbox(key="model_key").value == "default-mlm"  # the defaults instead
    assert at.session_state["logits_mode"] == "exact" and at.session_state["logits_rc"] is False
    assert at.query_params["mode"] == "exact" and at.query_params["rc"] == "0"  # the URL now says what is used


def test_link_never_trusts_remote_code(tmp_path):
    at = _open_link("home", {"model": f"hf+code:{tmp_path}"})
    assert not at.exception
    assert any("never lets a model's own code run" in w.value for w in at.warning)
    assert at.session_state["model_key"] == f"hf:{tmp_path}"
    assert at.sidebar.checkbox(key="hf_trust_remote_code").value is False


def test_uploads_cannot_travel_in_a_link():
    """The link of a view over an uploaded file opens the bundled input instead, and says so."""
    at = _open_link("variants", {"genome": "chloroplast", "src": "Upload"})
    assert not at.exception and at.session_state["variants_src"] == "Upload"
    assert at.query_params["src"] == "Demo (synthetic, yeast)"
    assert any("uploaded VCF cannot travel in a link" in c.value for c in at.sidebar.caption)


def test_controls_the_model_cannot_serve_are_disabled_before_run():
    """A CLM: the logits mode is fixed to next-token and greyed out; no probe yet: the probe class is
    greyed out and says why."""
    at = _open_link("logits", {"model": "default-clm", "genome": "chloroplast"})
    mode = at.selectbox(key="logits_mode")
    assert mode.disabled and mode.options == [lg_modes()["next"]] and "masked LM" in mode.help
    at = _open_link("attribution", {"genome": "chloroplast"})
    probe_class = at.selectbox(key="attribution_probe_class")
    assert probe_class.disabled and "fit one" in probe_class.help
    assert not at.selectbox(key="attribution_method").disabled  # the built-in model takes gradients


def lg_modes() -> dict:
    from glm_explore.logits import MODES

    return MODES


def test_logits_hands_a_position_to_the_variant_page():
    """The region hand-off: "Score variants at this position" opens the variant page on that site."""
    at = _open_link("logits", {"genome": "chloroplast", "region": f"{CP}:3001-3010"})
    at.button(key="logits_go").click().run()
    at.button(key="logits_to_variants").click().run()
    assert not at.exception and not at.error
    assert at.session_state["handoff_region"] == f"{CP}:3001-3001"
    assert at.session_state["variants_chrom"] == CP and at.session_state["variants_pos"] == 3001
    assert at.query_params["chrom"] == CP and at.query_params["pos"] == "3001" and "region" not in at.query_params


def test_report_page_opens_on_the_shipped_report_and_home_tour_hands_off():
    """Default model on yeast: the shipped report is drawn with no Run; a tour stop on Home opens the logits page."""
    import json

    from glm_explore.report import default_report_path

    shipped = json.loads(default_report_path("default-mlm", "yeast").read_text())
    at = _open_link("report", {})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Precomputed for exactly these weights" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 3 and at.dataframe
    assert len(at.dataframe[0].value) == len(shipped["tables"]["classes"]["data"])
    from glm_explore.evaluate import learning_curve
    from glm_explore.models.builtin import WEIGHTS_DIR

    card = json.loads((WEIGHTS_DIR / "yeast-mlm" / "card.json").read_text())
    assert "Learning curve of the default" in " ".join(s.value for s in at.subheader)
    shown = next(d.value for d in at.dataframe if "cpu_hours" in d.value)  # the learning-curve table
    assert list(shown["model_bits"]) == [r["model_bits"] for r in learning_curve(card)]
    at.button(key="report_go").click().run()  # the shipped sizes: served at once, nothing recomputed
    assert not at.exception and not at.error and len(at.get("plotly_chart")) >= 3
    assert len(at.dataframe[0].value) == len(shipped["tables"]["classes"]["data"])
    home = _app().run()
    assert "Journal-club tour" in " ".join(s.value for s in home.subheader)
    home.button(key="home_tour_0").click().run()
    assert not home.exception
    show = shipped["tables"]["showcase"]
    assert home.session_state["handoff_region"] in {r[show["columns"].index("region")] for r in show["data"]}


def test_generate_page_samples_judges_and_reports_bad_inputs():
    """Default CLM on yeast: samples of the asked length, the genome-likeness numbers recomputed from the table;
    in-filling with a CLM and a malformed span are errors on the page, not tracebacks."""
    from glm_explore.sequence import gc_content

    at = _open_link("generate", {"model": "default-clm", "length": "90", "n": "3", "class": "CDS", "n_real": "5",
                                 "seed": "2"})
    at.button(key="generate_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert len(table) == 3 and (table["generated_bp"] == 90).all()
    assert list(table["seed"]) == [2, 3, 4]
    summary = next(d.value for d in at.dataframe if "js_bits_k6" in d.value.columns).set_index("set")
    gen_gc = np.mean([gc_content(s[-90:]) for s in table["sequence"]])
    assert summary.loc["generated", "gc"] == pytest.approx(gen_gc)
    assert summary.loc["real (control)", "n"] == 3 and summary.loc["real (reference)", "n"] == 5
    assert len(at.get("plotly_chart")) == 4
    at.radio(key="generate_source").set_value("in-fill a span of a region")
    at.button(key="generate_go").click().run()
    assert not at.exception and any("masked LM" in e.value for e in at.error)
    at2 = _open_link("generate", {"source": "in-fill a span of a region", "span": "20-3", "judge": "0"})
    at2.button(key="generate_go").click().run()
    assert not at2.exception and any("1 ≤ a ≤ b" in e.value for e in at2.error)


def test_design_page_plants_a_motif_within_the_constraints_and_reports_bad_inputs():
    """Motif goal on a yeast region: the shown value is the best FIMO score of the designed sequence (memelite,
    computed here), the trajectory never falls, fixed positions and the budget hold; bad positions → st.error."""
    from glm_explore.motifs import find_motif, scan_motif
    from glm_explore.sequence import gc_content

    at = _open_link("design", {"region": "chrXVI:50001-50120", "objective": "motif", "motif": "REB1", "rounds": "4",
                               "budget": "3", "fixed": "1-10", "judge": "1", "class": "intergenic", "n_real": "5"})
    at.button(key="design_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    traj = next(d.value for d in at.dataframe if "edit" in d.value.columns)
    assert (np.diff(traj["objective"]) > 0).all() and traj["edits"].iloc[-1] <= 3
    code = at.main.code[-1].value  # the designed sequence, edited bases in lower case
    designed = code.upper()
    start = at.session_state["design_results"]
    res = next(iter(start.values()))
    assert designed == res.sequence and designed[:10] == res.start[:10]
    edited = [i for i, c in enumerate(code) if c.islower()]
    assert len(edited) == traj["edits"].iloc[-1] and all(i >= 10 for i in edited)
    best = scan_motif(designed, find_motif("REB1"), threshold=1.0)["score"].max()
    assert traj["objective"].iloc[-1] == pytest.approx(best, abs=1e-6)
    summary = next(d.value for d in at.dataframe if "js_bits_k6" in d.value.columns).set_index("set")
    assert summary.loc["designed", "gc"] == pytest.approx(gc_content(designed))
    at.text_input(key="design_fixed").set_value("10-5")
    at.button(key="design_go").click().run()
    assert not at.exception and any("a ≤ b" in e.value for e in at.error)


def test_annotate_page_scores_match_sklearn_and_a_bad_region_is_an_error():
    """Default MLM on yeast with small sizes: the macro-F1 shown for each head is sklearn's on the held-out bases
    the fit kept; the region table covers the region; a region outside the genome → st.error, no traceback."""
    from sklearn.metrics import f1_score

    at = _open_link("annotate", {"windows_per_class": "3", "bases_per_class": "300", "heldout_per_class": "2",
                                 "region": "chrXVI:100001-103000"})
    at.button(key="annotate_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fit = next(iter(at.session_state["annotate_fits"].values()))
    held = fit.heldout
    for label, features in (("model head", "model"), ("k-mer head", "k-mer")):
        want = f1_score(held["true"].astype(str), held[features].astype(str), average="macro",
                        labels=sorted(set(held["true"].astype(str))), zero_division=0)
        shown = next(m.value for m in at.metric if m.label == f"Held-out macro-F1, {label}")
        assert shown == f"{want:.3f}"
    pred, base = next(iter(at.session_state["annotate_regions"].values()))
    assert (pred.chrom, pred.start, pred.end) == ("chrXVI", 100000, 103000) and len(pred.predicted) == 3000
    assert len(at.get("plotly_chart")) == 3
    at.text_input(key="annotate_region").set_value("chrXVI:1-99999999")
    at.button(key="annotate_go").click().run()
    assert not at.exception and at.error


def test_context_page_curve_points_equal_a_direct_forward_and_the_dependency_map_draws():
    """Default CLM on yeast: a point at full context equals the next-base probability of a direct forward over the
    F bases before it; the dependency map of a short region draws; a region past the contig end → st.error."""
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    at = _open_link("context", {"model": "default-clm", "classes": "CDS", "per_class": "3",
                                "region": "chrI:1001-1040", "band": "10"})
    at.button(key="context_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    res = next(iter(at.session_state["context_curves"].values()))
    full = res.points[res.points["width"] == res.full_width].iloc[0]
    genome, clm = load_dataset("yeast").genome, load_builtin("default-clm")
    seq = genome.fetch(full["chrom"], int(full["pos"]) - res.full_width, int(full["pos"]) + 1)
    direct = clm.log_probs([seq])[0][:, -1]["ACGT".index(seq[-1])]
    assert full["log_p_ref"] == pytest.approx(direct, abs=1e-5)
    w90 = next(d.value for d in at.dataframe if "w90" in d.value.columns)
    assert set(w90["class"]) >= {"CDS"}
    at.button(key="context_dep_go").click().run()
    assert not at.exception and not at.error and len(at.get("plotly_chart")) == 2
    at.text_input(key="context_region").set_value("chrI:230000-231000")
    at.button(key="context_dep_go").click().run()
    assert not at.exception and at.error


def test_context_page_attention_for_a_transformer_and_greyed_out_for_the_cnn(tmp_path):
    """A tiny BERT in the sidebar: the attention of one head over a chloroplast region is drawn, and the partners
    table holds the largest weights of the middle base's row (recomputed here with the library on the same bases).
    The default CNN has no attention: the button is disabled before Run."""
    from hf_builders import build_char_bert

    from dashboard.model_keys import ModelKey
    from glm_explore.attention import attention_maps
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models import load_model

    build_char_bert(tmp_path / "bert")
    at = _open_link("context", {"region": f"{CP}:3001-3040", "layer": "1", "head": "2"})
    assert at.button(key="context_att_go").disabled
    at = _app()
    at.session_state["dataset_key"] = "chloroplast"
    at.session_state["model_key"] = ModelKey.of_hf(str(tmp_path / "bert")).text
    at.run()
    at.switch_page("pages/context.py").run()
    at.text_input(key="context_region").set_value(f"{CP}:3001-3040")
    at.number_input(key="context_layer").set_value(1)
    at.number_input(key="context_head").set_value(2)
    at.button(key="context_att_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 2
    partners = next(d.value for d in at.dataframe if "weight" in d.value.columns)
    seq = load_dataset("chloroplast").genome.fetch(CP, 3000, 3040)
    row = attention_maps(load_model(str(tmp_path / "bert")), seq, layers=[1], heads=[2]).matrix(1, 2)[20]
    assert partners["query"].iloc[0] == 3021
    assert np.allclose(sorted(partners["weight"], reverse=True), np.sort(row)[::-1][:len(partners)], atol=1e-6)
