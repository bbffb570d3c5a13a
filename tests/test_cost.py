"""Cost before compute (glm_explore.cost): the measured line, the pass counts, the text, the ETA — against hand
values with a fake clock (no wall-time assertions)."""

from __future__ import annotations

import numpy as np
import pytest

from glm_explore import cost
from glm_explore import logits as lg


class FakeJob:
    """A job whose run(k) takes ``fixed + per · k`` seconds on a fake clock; records the k it was asked."""

    def __init__(self, fixed: float, per: float) -> None:
        self.now, self.fixed, self.per, self.calls = 0.0, fixed, per, []

    def clock(self) -> float:
        return self.now

    def run(self, k: int) -> None:
        self.calls.append(k)
        self.now += self.fixed + self.per * k


def test_fitted_line_recovers_fixed_and_per_unit_time_from_two_probes():
    job = FakeJob(fixed=3.0, per=0.5)
    fixed, per, probe = cost.fitted_line(job.run, 1000, 10, clock=job.clock)
    assert job.calls == [10, 20] and probe == 10
    assert fixed == pytest.approx(3.0) and per == pytest.approx(0.5)
    small = FakeJob(fixed=3.0, per=0.5)
    fixed, per, probe = cost.fitted_line(small.run, 15, 10, clock=small.clock)  # ≤ 2 probes: just run it
    assert small.calls == [15] and fixed == 0 and per == pytest.approx((3 + 7.5) / 15) and probe == 15


def test_a_slow_first_probe_is_the_estimate_on_its_own():
    """A probe of p units that already takes ≥ 15 s (a big model) is not repeated on 2p: its average per unit,
    fixed part included, is the line."""
    job = FakeJob(fixed=3.0, per=2.0)  # run(10) takes 23 s
    fixed, per, probe = cost.fitted_line(job.run, 1000, 10, clock=job.clock)
    assert job.calls == [10] and probe == 10 and fixed == 0 and per == pytest.approx(2.3)


def test_a_noisy_second_probe_never_makes_units_free():
    times = iter([0.0, 10.0, 10.0, 19.0])  # the 2p run took less than the p run
    fixed, per, _ = cost.fitted_line(lambda k: None, 1000, 10, clock=lambda: next(times))
    assert per == pytest.approx(10 / 10 / 4) and fixed == pytest.approx(10 - per * 10)


def test_estimate_measures_once_per_model_and_job_and_says_so(tiny_mlm, monkeypatch):
    monkeypatch.setattr(cost, "LONG_SECONDS", 20.0)  # the product's default (the tests' conftest raises it)
    job = FakeJob(fixed=2.0, per=0.25)
    key = ("test-job", object())
    c = cost.estimate(tiny_mlm, key, 400, "positions", job.run, probe=8, passes=12, pass_bp=1500,
                      clock=job.clock)
    assert c.seconds == pytest.approx(2.0 + 0.25 * 400) and c.long and c.probe == 8
    assert c.text() == ("≈ 2 min: 400 positions, 12 forward passes of 1.5 kb (0.25 s per position, measured on 8 "
                        "positions of tiny-mlm)")
    again = cost.estimate(tiny_mlm, key, 40, "positions", job.run, probe=8, clock=job.clock)
    assert job.calls == [8, 16] and again.seconds == pytest.approx(12.0) and not again.long


@pytest.mark.parametrize("seconds, text", [(0.2, "≈ 1 s"), (44.6, "≈ 45 s"), (200, "≈ 3 min"), (7200, "≈ 2.0 h")])
def test_duration_text(seconds, text):
    assert cost.duration_text(seconds) == text


def test_length_text():
    assert [cost.length_text(b) for b in (512, 1500, 2_000_000)] == ["512 bp", "1.5 kb", "2.0 Mb"]


def test_logits_passes_follow_the_path_the_model_takes(tiny_mlm, tiny_clm):
    assert tiny_mlm.info.capabilities.masked_sites and tiny_mlm.info.capabilities.k == 1
    assert cost.logits_passes(tiny_mlm, 500, 600, mode="exact", rc=True) == 2  # cones: one clean pass a strand
    R = tiny_mlm.info.receptive_field
    assert cost.logits_passes(tiny_mlm, 500, 600, mode="brute", rc=False) == 500  # one mask per copy
    assert cost.logits_passes(tiny_clm, 500, 600, mode="next", rc=False) == 1
    assert len(lg.mask_groups(500, R)) == R + 1  # the grouped path, for reference


def test_logits_passes_count_tokens_for_kmer_models(tmp_path):
    from hf_builders import build_kmer_esm

    from glm_explore.models import load_model

    build_kmer_esm(tmp_path / "kmer")
    kmer = load_model(str(tmp_path / "kmer"))
    k = kmer.info.capabilities.k
    assert k == 6
    assert cost.logits_passes(kmer, 120, 300, mode="exact", rc=True) == 2 * 20


def test_logits_cost_runs_the_real_job_on_a_probe(chloroplast, tiny_mlm):
    """The probe runs the same function on the first positions; the estimate scales it to all of them."""
    c = chloroplast.genome.chroms[0]
    w = lg.region_window(chloroplast.genome, f"{c}:1001-1400", tiny_mlm)
    est = cost.logits_cost(tiny_mlm, w.seq, w.offset, 400, mode="exact", rc=True)
    assert est.units == 400 and est.unit == "positions" and est.passes == 2 and est.pass_bp == len(w.seq)
    assert est.seconds == pytest.approx(est.fixed + est.per_unit * 400) and est.seconds > 0
    assert 24 <= est.probe <= 200  # grown ×4 while a probe run took < 0.5 s (a tiny model)


def test_eta_progress_appends_the_time_left():
    now = [0.0]
    seen = []
    wrapped = cost.eta_progress(lambda f, m: seen.append((f, m)), clock=lambda: now[0])
    wrapped(0.0, "start")
    now[0] = 10.0
    wrapped(0.25, "window 1/4")
    wrapped(1.0, "done")
    assert seen == [(0.0, "start"), (0.25, "window 1/4 · about 30 s left"), (1.0, "done")]


def test_variants_and_embed_costs_measure_their_job(chloroplast, tiny_mlm):
    import pandas as pd

    c = chloroplast.genome.chroms[0]
    s = chloroplast.genome.fetch(c, 0, 2000)
    snvs = pd.DataFrame({"chrom": c, "pos": np.arange(100, 1900, 60),
                         "ref": [s[p - 1] for p in range(100, 1900, 60)],
                         "alt": ["A" if s[p - 1] != "A" else "C" for p in range(100, 1900, 60)]})
    v = cost.variants_cost(tiny_mlm, chloroplast, snvs)
    assert v.units == len(snvs) == 30 and v.unit == "variants" and v.probe == 6
    e = cost.embed_cost(tiny_mlm, [s[i:i + 200] for i in range(0, 1800, 100)])
    assert e.units == 18 and e.passes == 18 and e.pass_bp == 200 and e.seconds > 0


def _vcf(path, genome, positions):
    c = genome.chroms[0]
    s = genome.fetch(c, 0, max(positions) + 10)
    body = "".join(f"{c}\t{p}\tv{p}\t{s[p - 1]}\t{'A' if s[p - 1] != 'A' else 'C'}\t.\t.\t.\n" for p in positions)
    path.write_text(f"##fileformat=VCFv4.2\n##contig=<ID={c},length={genome.lengths[c]}>\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + body)
    return path


@pytest.mark.parametrize("command", ["logits", "score-vcf", "embed"])
def test_the_cli_says_the_cost_of_a_long_job_before_it_starts(tmp_path, capsys, monkeypatch, chloroplast, command):
    """With the threshold at 0 s every job counts as long: the estimate line comes first on stderr, with the
    units of the job and how to stop it; results still go to stdout / the output file."""
    from glm_explore.cli import main

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    cost._LINES.clear()
    c = chloroplast.genome.chroms[0]
    common = ["--genome", "chloroplast", "--model", "default-mlm"]
    args = {"logits": ["logits", *common, "--region", f"{c}:3001-3100", "--out", str(tmp_path / "l.parquet")],
            "score-vcf": ["score-vcf", str(_vcf(tmp_path / "v.vcf", chloroplast.genome, range(300, 3300, 150))),
                          *common, "--out", str(tmp_path / "v.parquet")],
            "embed": ["embed", *common, "--cap", "2", "--no-umap", "--no-metrics", "--out", str(tmp_path / "e.parquet")]}
    assert main(args[command]) == 0
    err = capsys.readouterr().err
    unit = {"logits": "100 positions", "score-vcf": "20 variants", "embed": "windows"}[command]
    said = err.index("This will take ≈")
    assert "\r" not in err[:said]  # before any progress line: the cost comes before the work
    assert unit in err and "Ctrl-C stops it" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["logits", "score-vcf"])
def test_the_cli_logs_each_estimate_beside_the_time_the_job_took(tmp_path, monkeypatch, chloroplast, command):
    """With GLM_EXPLORE_COST_LOG set, a costed command appends one JSON line: its estimate (the measured line
    times the job's units, counted here independently) and the job's own wall time, which the real-size bench
    compares. Even --quiet score-vcf logs it; nothing is written without the variable."""
    import json

    from glm_explore.cli import main

    cost._LINES.clear()
    c = chloroplast.genome.chroms[0]
    positions = range(300, 3300, 150)
    common = ["--genome", "chloroplast", "--model", "default-mlm"]
    args = {"logits": ["logits", *common, "--region", f"{c}:3001-3077", "--out", str(tmp_path / "l.parquet")],
            "score-vcf": ["score-vcf", str(_vcf(tmp_path / "v.vcf", chloroplast.genome, positions)), "--quiet",
                          *common, "--out", str(tmp_path / "v.parquet")]}
    assert main(args[command]) == 0  # no log variable: nothing written anywhere
    log = tmp_path / "cost.jsonl"
    monkeypatch.setenv("GLM_EXPLORE_COST_LOG", str(log))
    assert main(args[command]) == 0
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) == 1
    rec = lines[0]
    assert rec["job"] == command
    assert rec["units"] == {"logits": 3077 - 3001 + 1, "score-vcf": len(positions)}[command]
    assert rec["estimate_s"] == pytest.approx(rec["fixed_s"] + rec["per_unit_s"] * rec["units"])
    assert rec["actual_s"] > 0 and rec["probe"] >= 1


def test_the_embedding_page_shows_the_estimate_and_waits_for_run_anyway(tmp_path, monkeypatch):
    """AppTest: with every job counted as long, pressing *Embed windows* shows the measured estimate and no
    result; *Run anyway* starts it and the numbers appear; the same run is not asked about again."""
    from helpers import app_on_page

    import glm_explore.reduce

    monkeypatch.setenv("HOME", str(tmp_path))  # a fresh persisted st.cache_data
    monkeypatch.setattr(glm_explore.reduce, "warm_umap", lambda: None)
    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("embeddings", timeout=240)
    at.number_input(key="embeddings_cap").set_value(3)
    at.button(key="embeddings_go").click()
    at.run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "windows" in warning and "Stop" in warning
    assert not at.dataframe and not at.get("plotly_chart")  # nothing computed yet
    at.button(key="embeddings_cost_go").click()
    at.run()
    assert not at.exception and not at.error
    assert "default-mlm" in list(at.dataframe[0].value["features"])
    at.radio(key="embeddings_color").set_value("gc")
    at.run()  # a view change on the agreed run: no second question
    assert not at.exception and not any("This will take" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2


def test_units_within_a_budget_by_hand():
    c = cost.Cost(seconds=0, units=1000, unit="windows", model="m", per_unit=0.5, fixed=4.0)
    assert cost.units_within(c, 60.0) == 112  # (60 − 4) / 0.5
    assert cost.units_within(c, 3.0) == 0
    assert cost.units_within(cost.Cost(0, 7, "windows", "m", per_unit=0.0), 1.0) == 7


def test_a_big_model_gets_an_embedding_cap_measured_to_fit_the_budget(tmp_path, monkeypatch):
    """AppTest: a model above the size threshold (here: any) gets the cap that fits the time budget (here a
    tiny one, so the floor of 2), and the page says the default was scaled and why."""
    from helpers import app_on_page

    import dashboard.views.embeddings as ev

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(ev, "SCALE_ABOVE", 0)
    monkeypatch.setattr(ev, "BUDGET_SECONDS", 1e-6)
    ev.default_cap.clear()
    at = app_on_page("embeddings", timeout=240)
    assert not at.exception
    assert at.number_input(key="embeddings_cap").value == 2
    note = " ".join(c.value for c in at.caption)
    assert "Default cap scaled to default-mlm" in note and "2 windows per class and split" in note
    ev.default_cap.clear()


def test_attribution_cost_counts_gradient_passes_and_ism(chloroplast, tiny_mlm):
    from glm_explore.attribution import AttributionSettings

    c = chloroplast.genome.chroms[0]
    ig = cost.attribution_cost(tiny_mlm, chloroplast.genome, f"{c}:2001-2040",
                               AttributionSettings(n_steps=20, baseline="shuffle", n_baselines=3))
    assert ig.units == 60 and ig.unit == "gradient passes" and ig.probe >= 3 and ig.seconds > 0
    both = cost.attribution_cost(tiny_mlm, chloroplast.genome, f"{c}:2001-2040",
                                 AttributionSettings(n_steps=20, baseline="zeros", ism=True))
    assert both.units == 20 and both.also == "ISM of 40 positions" and both.seconds > both.fixed + both.per_unit * 20
    assert "20 gradient passes + ISM of 40 positions" in both.text()
    ism = cost.attribution_cost(tiny_mlm, chloroplast.genome, f"{c}:2001-2040", AttributionSettings(method="ism"))
    assert ism.units == 40 and ism.unit == "ISM positions"


def test_the_attribution_page_shows_the_estimate_before_integrated_gradients(monkeypatch, chloroplast):
    """AppTest: with every job long, Compute attributions shows the IG estimate in gradient passes (steps ×
    baselines) and no chart; Run anyway computes it."""
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    c = chloroplast.genome.chroms[0]
    at = app_on_page("attribution")
    at.text_input(key="attribution_region").set_value(f"{c}:1001-1040")
    at.slider(key="attribution_steps").set_value(20)
    at.button(key="attribution_go").click()
    at.run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "20 gradient passes" in warning
    assert not at.get("plotly_chart")
    at.button(key="attribution_cost_go").click()
    at.run()
    assert not at.exception and not at.error and len(at.get("plotly_chart")) >= 1


def test_the_logits_page_shows_the_estimate_first(monkeypatch, chloroplast):
    """AppTest: with every job long, Run shows the measured estimate in positions and forward passes and no
    table; Run anyway computes the 60 positions; a view change does not ask again."""
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    c = chloroplast.genome.chroms[0]
    at = app_on_page("logits")
    at.text_input(key="logits_region").set_value(f"{c}:1001-1060")
    at.button(key="logits_go").click()
    at.run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "60 positions" in warning and "forward passes" in warning
    assert not at.dataframe
    at.button(key="logits_cost_go").click()
    at.run()
    assert not at.exception and not at.error and len(at.dataframe[0].value) == 60
    at.run()
    assert not any("This will take" in w.value for w in at.warning)


def test_the_variants_page_shows_the_vcf_estimate_first(monkeypatch):
    """AppTest: with every job long, scoring the demo VCF shows the measured estimate for its records and no
    table; Run anyway scores it."""
    from helpers import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = AppTest.from_file(str(ROOT / "pages" / "variants.py"), default_timeout=240)
    at.session_state["dataset_key"] = "yeast"
    at.run()
    at.number_input(key="variants_limit").set_value(12)
    at.button(key="variants_batch_go").click().run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "12 variants" in warning
    assert not any("scored" in m.value for m in at.markdown)
    at.button(key="variants_cost_go").click().run()
    assert not at.exception and not at.error
    assert any("12 scored" in m.value for m in at.markdown)


def test_the_features_page_shows_the_cost_of_computing_a_dictionary(tmp_path, monkeypatch):
    """AppTest: a model with no shipped dictionary; with every job long, Compute shows the measured estimate of
    the dictionary's forward passes (trained, random-weights and shuffled windows) before anything is built."""
    import torch
    from helpers import ROOT
    from safetensors.torch import save_file
    from streamlit.testing.v1 import AppTest

    from dashboard.model_keys import ModelKey
    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    torch.manual_seed(0)
    cfg = ConvLMConfig(objective="mlm", width=8, kernel_sizes=[9], dilations=[1])
    (tmp_path / "config.json").write_text(cfg.to_json())
    save_file({k: v.contiguous() for k, v in ConvLM(cfg).state_dict().items()}, str(tmp_path / "model.safetensors"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["dataset_key"] = "chloroplast"
    at.session_state["model_key"] = ModelKey.of_hf(str(tmp_path)).text
    at.run()
    at.switch_page("pages/features.py").run()
    at.button(key="features_go").click().run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "forward passes of 300 bp" in warning
    assert not at.metric  # nothing built yet
    assert at.button(key="features_cost_go")


def test_the_context_and_motifs_pages_wait_for_run_anyway(monkeypatch):
    """AppTest: with every job long, the context curve (per held-out position, every width) and the motif page's
    attributions (per window) show their estimate and compute only after Run anyway."""
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("context", dataset="yeast")
    at.multiselect(key="context_classes").set_value(["CDS"])
    at.number_input(key="context_per_class").set_value(3)
    at.button(key="context_go").click().run()
    assert not at.exception and not at.error
    assert "positions" in " ".join(w.value for w in at.warning) and "context_curves" not in at.session_state
    at.button(key="context_cost_go").click().run()
    assert not at.exception and not at.error and len(at.session_state["context_curves"]) == 1

    at = app_on_page("motifs")
    at.selectbox(key="motifs_class").set_value("intergenic")
    at.slider(key="motifs_n").set_value(3)
    at.selectbox(key="motifs_method").set_value("saliency")
    at.button(key="motifs_go").click().run()
    assert not at.exception and not at.error
    assert "3 windows" in " ".join(w.value for w in at.warning) and not at.metric
    at.button(key="motifs_cost_go").click().run()
    assert not at.exception and not at.error
    assert any("3 intergenic windows" in c.value for c in at.caption)


def test_a_fast_job_is_probed_at_larger_sizes_until_a_run_takes_half_a_second():
    job = FakeJob(fixed=0.01, per=0.001)
    fixed, per, probe = cost.fitted_line(job.run, 10_000, 4, clock=job.clock)
    assert job.calls == [4, 16, 64, 256, 1024, 2048] and probe == 1024
    assert per == pytest.approx(0.001) and fixed == pytest.approx(0.01)
