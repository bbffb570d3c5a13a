"""Cost before compute on the compare, design, generate and annotate pages: each estimate runs the page's real job
on a probe of this model (checked by recording the calls the probe makes), counts the job's units as the job does
(checked against the job's own output or a count by hand), and each page shows the estimate with *Run anyway*
before it computes (AppTest). No wall-time assertions: only ``seconds == fixed + per_unit × units`` and sums."""

from __future__ import annotations

import math

import pytest

from glm_explore import cost, cost_apply


@pytest.fixture(autouse=True)
def _fresh_lines():
    """Every test measures its own lines (the module-level memory would otherwise carry probes between tests)."""
    saved = dict(cost._LINES)
    cost._LINES.clear()
    yield
    cost._LINES.clear()
    cost._LINES.update(saved)


def test_compare_cost_is_both_models_logits_and_variants_summed(chloroplast, tiny_mlm, tiny_clm):
    from glm_explore.logits import region_window, resolve_mode

    c = chloroplast.genome.chroms[0]
    region = f"{c}:3001-3040"
    models = {"A: mlm": tiny_mlm, "B: clm": tiny_clm}
    est = cost_apply.compare_cost(models, chloroplast, region, sites=7)
    seq = chloroplast.genome.fetch(c, 3000, 3007).upper()
    n_variants = 3 * sum(b in "ACGT" for b in seq)  # every other base at each of the first 7 positions, by hand
    assert est.units == 40 and est.unit == "positions"
    assert est.also == f"{n_variants} variants, each with all 2 models"
    # the sum of each model's own measured estimates (the lines are remembered, so these repeat them exactly)
    from glm_explore.compare import region_snvs

    parts = 0.0
    for m in models.values():
        w = region_window(chloroplast.genome, region, m)
        parts += cost.logits_cost(m, w.seq, w.offset, 40, mode=resolve_mode(m, "auto")).seconds
        parts += cost.variants_cost(m, chloroplast, region_snvs(chloroplast, region, max_sites=7)).seconds
    assert est.seconds == pytest.approx(parts) and est.seconds > 0
    assert "tiny" in est.model or " and " in est.model
    emb = cost_apply.compare_embed_cost(models, chloroplast, length=64, cap_per_class=3)
    assert emb.unit == "windows" and emb.passes == 2 * emb.units and emb.model.count(" and ") == 1


def test_design_cost_probes_the_design_in_rounds_without_stopping_early(chloroplast, tiny_mlm, monkeypatch):
    import glm_explore.design as gd

    calls = []
    real = gd.design

    def recorded(model, seq, settings, **kw):
        res = real(model, seq, settings, **kw)
        calls.append((settings.rounds, settings.min_gain, len(res.trajectory) - 1))
        return res

    monkeypatch.setattr(gd, "design", recorded)
    seq = chloroplast.genome.fetch(chloroplast.genome.chroms[0], 3000, 3060)
    s = gd.DesignSettings("likelihood", rounds=40, edit_budget=3, candidates=4)
    est = cost_apply.design_cost(tiny_mlm, seq, s)
    assert est.units == 40 and est.unit == "rounds" and calls
    assert all(g == -math.inf and done == r for r, g, done in calls)  # every probe ran all its rounds
    assert [r for r, _, _ in calls][-1] in {2 * est.probe, 40}
    assert est.seconds == pytest.approx(est.fixed + est.per_unit * 40)
    n = len(calls)
    again = cost_apply.design_cost(tiny_mlm, seq, gd.DesignSettings("likelihood", rounds=7, edit_budget=3, candidates=4,
                                                              seed=5))
    assert len(calls) == n and again.seconds == pytest.approx(est.fixed + est.per_unit * 7)  # remembered


def test_generate_cost_counts_bases_for_a_clm_and_rounds_for_an_mlm(tiny_mlm, tiny_clm, monkeypatch):
    import glm_explore.generate as gen

    calls = []
    real = gen.generate

    def recorded(model, **kw):
        calls.append((model.info.objective, kw.get("length"), kw.get("rounds"), kw.get("n")))
        return real(model, **kw)

    monkeypatch.setattr(gen, "generate", recorded)
    clm = cost_apply.generate_cost(tiny_clm, prefix="", length=300, n=3, seed=1)
    assert clm.units == 300 and clm.unit == "bases"
    assert {(o, n) for o, _, _, n in calls} == {("clm", 3)} and max(c[1] for c in calls) < 300
    assert clm.seconds == pytest.approx(clm.fixed + clm.per_unit * 300)
    calls.clear()
    mlm = cost_apply.generate_cost(tiny_mlm, length=50, rounds=30, method="gibbs", n=2)
    assert mlm.units == 30 and mlm.unit == "rounds" and calls
    assert all(o == "mlm" and length == 50 and n == 2 for o, length, _, n in calls)
    rounds = [r for _, _, r, _ in calls]  # the line through the last two probes (or one run of all 30 rounds)
    assert rounds[-2:] == [mlm.probe, 2 * mlm.probe] or rounds[-1] == mlm.probe == 30
    calls.clear()  # another seed and temperature: the same line, nothing run again
    cost_apply.generate_cost(tiny_mlm, length=50, rounds=5, method="gibbs", n=2, seed=9, temperature=0.5)
    assert calls == []
    cost_apply.generate_cost(tiny_mlm, length=50, rounds=5, method="mask-predict", n=2)
    assert calls  # another sampler is another job: measured


def test_generate_cost_of_an_infill_is_measured_once_per_region_length(chloroplast, tiny_mlm, monkeypatch):
    import glm_explore.generate as gen

    calls = []
    real = gen.generate
    monkeypatch.setattr(gen, "generate", lambda model, **kw: calls.append(kw["region"]) or real(model, **kw))
    c = chloroplast.genome.chroms[0]
    first = cost_apply.generate_cost(tiny_mlm, genome=chloroplast.genome, region=f"{c}:2001-2200", span=(60, 140),
                                     rounds=12, n=2)
    assert first.units == 12 and first.unit == "rounds" and calls and set(calls) == {f"{c}:2001-2200"}
    calls.clear()
    other = cost_apply.generate_cost(tiny_mlm, genome=chloroplast.genome, region=f"{c}:5001-5200", span=(60, 140),
                                     rounds=6, n=2)
    assert calls == [] and other.seconds == pytest.approx(first.fixed + first.per_unit * 6)


def test_annotate_cost_counts_the_tiles_the_fit_uses(chloroplast, tiny_mlm):
    from glm_explore.annotate import AnnotateSettings, fit_annotator

    s = AnnotateSettings(windows_per_class=2, bases_per_class=60, heldout_windows_per_class=2, window=200, n_boot=10)
    fit = fit_annotator(tiny_mlm, chloroplast, s)
    train, held = cost_apply.annotate_tiles(chloroplast, s)
    assert [(c, a, b) for c, a, b in fit.train_tiles[["chrom", "start", "end"]].itertuples(index=False)] == train
    assert [tuple(t) for t in fit.heldout_tiles.itertuples(index=False)] == held
    c = chloroplast.genome.chroms[0]
    est = cost_apply.annotate_cost(tiny_mlm, chloroplast, s, region=f"{c}:1001-1450")
    assert est.unit == "tiles" and est.units == len(train) + len(held) + 3  # 450 bp = 3 tiles of 200 bp
    assert est.passes == est.units and est.pass_bp == 200 and "fitting the logistic head twice" in est.also
    assert est.seconds > est.fixed + est.per_unit * est.units  # the two head fits come on top of the features



def test_judge_cost_embeds_every_judged_window_and_plus_adds_it(tiny_mlm, monkeypatch):
    import glm_explore.embed as ge

    seen = []
    real = ge.embed_windows

    def recorded(model, seqs, settings=None, **kw):
        seen.append((len(seqs), {len(x) for x in seqs}, settings.layers, settings.pooling))
        return real(model, seqs, settings, **kw)

    monkeypatch.setattr(ge, "embed_windows", recorded)
    j = cost_apply.judge_cost(tiny_mlm, length=120, windows=34)
    assert j.units == j.passes == 34 and j.pass_bp == 120 and j.unit == "windows"
    assert seen and all(lengths == {120} and layers == (-1,) and pooling == "window-mean"
                        for _, lengths, layers, pooling in seen)  # what judge's embedding_projection asks for
    base = cost.Cost(10.0, 5, "rounds", "m", 2.0, also="x")
    both = cost_apply.plus(base, j, "embedding 34 windows to judge")
    assert both.seconds == pytest.approx(10.0 + j.seconds) and both.also == "x + embedding 34 windows to judge"
    assert cost_apply.plus(cost.Cost(1.0, 1, "rounds", "m", 1.0), j, "y").also == "y"


# -- the pages: the estimate first, the result after *Run anyway* ------------------------------------------------------
def _warning(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_the_compare_page_waits_for_run_anyway(monkeypatch, chloroplast):
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    c = chloroplast.genome.chroms[0]
    at = app_on_page("compare")
    at.text_input(key="compare_region").set_value(f"{c}:3001-3030")
    at.number_input(key="compare_sites").set_value(5)
    at.button(key="compare_go").click().run()
    assert not at.exception and not at.error
    w = _warning(at)
    assert "This will take ≈" in w and "30 positions + 15 variants, each with all 2 models" in w
    assert not at.get("plotly_chart") and not at.metric
    at.button(key="compare_cost_go").click().run()
    assert not at.exception and not at.error
    assert at.metric and any("/ 15" in m.value for m in at.metric) and len(at.get("plotly_chart")) >= 2
    at.run()
    assert "This will take" not in _warning(at)


def test_the_compare_embeddings_wait_for_run_anyway(monkeypatch, chloroplast):
    from helpers import app_on_page

    from glm_explore.region_windows import make_windows

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("compare")
    at.select_slider(key="compare_embed_length").set_value(128)
    at.number_input(key="compare_embed_cap").set_value(10)
    at.button(key="compare_embed_go").click().run()
    assert not at.exception and not at.error
    n = len(make_windows(chloroplast, length=128, center=64, cap_per_class=10, seed=0).sequences)  # the page's windows
    assert f"{n} windows, {2 * n} forward passes of 128 bp (measured on default-mlm and default-clm)" in _warning(at)
    assert not at.get("plotly_chart")
    at.button(key="compare_embed_cost_go").click().run()
    assert not at.exception and not at.error and len(at.get("plotly_chart")) == 2


def test_the_design_page_waits_for_run_anyway(monkeypatch, chloroplast):
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    c = chloroplast.genome.chroms[0]
    at = app_on_page("design")
    at.text_input(key="design_region").set_value(f"{c}:3001-3060")
    at.number_input(key="design_rounds").set_value(3)
    at.number_input(key="design_n_real").set_value(5)
    at.button(key="design_go").click().run()
    assert not at.exception and not at.error
    w = _warning(at)
    assert "This will take ≈" in w and "3 rounds + embedding 7 windows to judge" in w and not at.metric  # 5 + 1 + 1
    at.button(key="design_cost_go").click().run()
    assert not at.exception and not at.error
    assert any(m.label == "Rounds" for m in at.metric) and any(m.label.startswith("6-mer JS") for m in at.metric)


def test_the_generate_page_waits_for_run_anyway(monkeypatch):
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("generate")
    at.number_input(key="generate_length").set_value(30)
    at.number_input(key="generate_n").set_value(2)
    at.number_input(key="generate_rounds").set_value(3)
    at.checkbox(key="generate_judge").uncheck()
    at.button(key="generate_go").click().run()
    assert not at.exception and not at.error
    w = _warning(at)
    assert "This will take ≈" in w and ("3 rounds" in w or "30 bases" in w) and not at.dataframe
    at.button(key="generate_cost_go").click().run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 2


def test_the_annotate_page_waits_for_run_anyway(monkeypatch):
    from helpers import app_on_page

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("annotate")
    at.number_input(key="annotate_windows_per_class").set_value(1)
    at.number_input(key="annotate_bases_per_class").set_value(50)
    at.number_input(key="annotate_heldout_per_class").set_value(1)
    at.button(key="annotate_go").click().run()
    assert not at.exception and not at.error
    w = _warning(at)
    assert "This will take ≈" in w and "tiles" in w and "fitting the logistic head twice" in w and not at.metric
    at.button(key="annotate_cost_go").click().run()
    assert not at.exception and not at.error
    assert any(m.label.startswith("Held-out macro-F1") for m in at.metric)
