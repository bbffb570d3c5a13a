"""Defaults that finish in about a minute (glm_explore.cost_defaults): the scaled counts against hand values on a
fake measured line, the clip bounds, a tiny model keeping today's defaults unmeasured; the measured parts against
independent counts; and the pages (AppTest) — the scaled-default captions, and the report's and the genome browser's
estimate before any result, with nothing computed until *Run anyway*."""

from __future__ import annotations

import math

import pytest

from glm_explore import cost
from glm_explore import cost_defaults as cd

CP = "NC_000932"


def line(units: int, per: float, fixed: float = 0.0, unit: str = "positions", probe: int = 2) -> cost.Cost:
    """A measured line as :func:`glm_explore.cost.estimate` returns it (seconds = fixed + per × units)."""
    return cost.Cost(fixed + per * units, units, unit, "big-lm", per, fixed, probe=probe)


def test_scaled_count_by_hand():
    c = line(60, 3.0, fixed=20.0)  # the job at a knob of 20: 3 units per step, 200 s
    assert cd.scaled_count(c, 20, budget=60.0) == 4  # (60 − 20) // 3 = 13 units → 13 / 3 = 4.33 steps → 4
    assert cd.scaled_count(c, 20, lo=2, budget=21.0) == 2  # 0 units fit: the floor
    assert cd.scaled_count(c, 20, budget=200.0) == 20  # the whole default fits: kept
    assert cd.scaled_count(line(60, 0.5), 20, budget=60.0) == 20  # 30 s: kept


def test_a_small_model_keeps_the_defaults_without_measuring(monkeypatch, tiny_mlm, chloroplast):
    def boom(*a, **k):
        raise AssertionError("a small model must not be timed")

    for name in ("context_curve_cost", "embed_cost", "estimate"):
        monkeypatch.setattr(cost, name, boom)
    assert (tiny_mlm.info.n_parameters or 0) <= cd.SCALE_ABOVE
    assert cd.context_per_class(tiny_mlm, chloroplast) == cd.Scaled(20, 20)
    assert cd.embed_cap(tiny_mlm, chloroplast) == cd.Scaled(150, 150)
    sizes, note = cd.report_sizes(tiny_mlm, chloroplast)
    assert sizes == {"windows_per_class": 30, "snvs_per_class": 150, "embed_cap": 200} and note == ""


def test_context_per_class_from_the_measured_line(monkeypatch, tiny_mlm, chloroplast):
    seen = {}

    def fake(model, data, **kw):
        seen.update(kw)
        return line(57, 1.5, fixed=10.0)  # 20 windows per class → 57 positions (some dropped at contig ends)

    monkeypatch.setattr(cost, "context_curve_cost", fake)
    s = cd.context_per_class(tiny_mlm, chloroplast, classes=["CDS", "intergenic", "promoter"], scale_above=0)
    assert seen["per_class"] == 20 and seen["classes"] == ["CDS", "intergenic", "promoter"]
    assert s.value == math.floor(((60 - 10) // 1.5) / (57 / 20)) == 11 and s.scaled and s.cost.units == 57
    assert "finish in about 60 s for tiny-mlm" in s.note and "1.5 s per position" in s.note
    slow = cd.context_per_class(tiny_mlm, chloroplast, scale_above=0, budget=1.0)
    assert slow.value == 2  # nothing fits a second: the floor
    monkeypatch.setattr(cost, "context_curve_cost", lambda *a, **k: line(57, 0.5))
    fast = cd.context_per_class(tiny_mlm, chloroplast, scale_above=0)
    assert fast.value == 20 and not fast.scaled and fast.note == ""  # 28.5 s: the full default fits


def test_embed_cap_from_the_measured_line(monkeypatch, tiny_mlm, chloroplast):
    seen = {}

    def fake(model, seqs, settings=None):
        seen["n"], seen["bp"] = len(seqs), {len(s) for s in seqs}
        return cost.Cost(0.0, len(seqs), "windows", "tiny-mlm", per_unit=0.25, fixed=4.0, probe=4)

    monkeypatch.setattr(cost, "embed_cost", fake)
    n_classes = int((chloroplast.class_counts() > 0).sum())
    s = cd.embed_cap(tiny_mlm, chloroplast, scale_above=0)
    assert seen == {"n": 2 * n_classes * 150, "bp": {512}}
    assert s.value == min(150, 224 // (2 * n_classes))  # (60 − 4) / 0.25 = 224 windows, two splits × the classes
    s = cd.embed_cap(tiny_mlm, chloroplast, scale_above=0, budget=4.5)  # 2 windows fit: under 2 per class and split
    assert s.value == 2 and "2 windows per class and split" in s.note


def test_report_sizes_shrink_by_one_factor(monkeypatch, tiny_mlm, chloroplast):
    parts = {"classes": line(90, 2.0, fixed=1.0, unit="windows"), "motifs": line(40, 0.25, unit="motif instances"),
             "variants": line(600, 0.1, unit="variants"), "embedding": line(1000, 0.05, unit="windows")}
    monkeypatch.setattr(cd, "report_parts", lambda *a, **k: parts)
    sizes, note = cd.report_sizes(tiny_mlm, chloroplast, scale_above=0)
    fixed, variable = 1.0 + 10.0, 180.0 + 60.0 + 50.0  # the motif profiles are fixed: their size is not a knob
    f = (60.0 - fixed) / variable
    assert sizes == {"windows_per_class": max(5, math.floor(30 * f)), "snvs_per_class": math.floor(150 * f),
                     "embed_cap": math.floor(200 * f)} == {"windows_per_class": 5, "snvs_per_class": 25, "embed_cap": 33}
    assert "finish in about 60 s for tiny-mlm" in note and "2 s per window" in note
    assert cd.report_sizes(tiny_mlm, chloroplast, scale_above=0, budget=1000.0)[1] == ""  # 301 s fits 1000 s
    tight, why = cd.report_sizes(tiny_mlm, chloroplast, scale_above=0, budget=5.0)  # under the fixed part: the lows
    assert tight == cd.REPORT_LOWS
    left = 11.0 + 180.0 * 5 / 30 + 60.0 * 20 / 150 + 50.0 * 20 / 200  # = 54 s at the lows
    assert f"the report still takes {cost.duration_text(left)}" in why and "motif profiles ≈ 10 s" in why


def test_report_parts_measure_the_report_on_its_own_samples(tiny_mlm, chloroplast):
    """The units of each part are the report's own samples, counted here independently; the cost is their sum."""
    from glm_explore.region_windows import make_windows
    from glm_explore.report import ReportSettings, heldout
    from glm_explore.report import variant_sanity as vs

    s = ReportSettings(windows_per_class=4, snvs_per_class=20, embed_cap=20, sections=("classes", "variants",
                                                                                       "embedding"))
    parts = cd.report_parts(tiny_mlm, chloroplast, s)
    split = heldout.heldout_split(chloroplast)
    assert set(parts) == {"classes", "variants", "embedding"}
    assert parts["classes"].units == len(heldout.class_windows(chloroplast, split, per_class=4, length=512))
    assert parts["variants"].units == len(vs.heldout_snvs(chloroplast, split.chrom, split.start, split.end,
                                                          per_class=20))
    assert parts["embedding"].units == len(make_windows(chloroplast, cap_per_class=20))
    total = cd.report_cost(tiny_mlm, chloroplast, s)
    assert total.seconds == pytest.approx(sum(c.seconds for c in parts.values()))
    assert total.unit == "held-out windows" and total.units == parts["classes"].units
    assert f"{parts['variants'].units:,} SNVs + {parts['embedding'].units:,} probe windows" in total.text()
    assert "count baseline" in total.text()
    two = cd.report_cost(tiny_mlm, chloroplast, s, others=2)
    assert two.seconds == pytest.approx(total.seconds + 2 * parts["classes"].seconds)


def test_browser_lanes_cost_is_one_block_times_the_blocks(tiny_mlm, chloroplast):
    from glm_explore import browser as gb
    from glm_explore.io.genome import Region
    from glm_explore.logits import region_window

    todo = gb.blocks(Region(CP, 2000, 8000))
    c = cd.browser_lanes_cost([tiny_mlm, tiny_mlm], chloroplast.genome, todo)
    w = region_window(chloroplast.genome, todo[0], tiny_mlm)
    one = cost.logits_cost(tiny_mlm, w.seq, w.offset, todo[0].length, mode="exact")  # the remembered line
    assert len(todo) == 3 and c.units == 2 * 6000 and c.unit == "positions"
    assert c.seconds == pytest.approx(2 * 3 * one.seconds) and c.passes == 2 * 3 * one.passes
    assert "3 blocks of ≤ 2.0 kb per model" in c.text()


# ------------------------------------------------------------------------------------------- pages (AppTest)

@pytest.fixture()
def fresh_defaults():
    """The pages' defaults measured anew in this test, and not left behind for the next one."""
    import dashboard.views.context as cv
    import dashboard.views.embeddings as ev
    import dashboard.views.report as rv

    caches = (cv.default_per_class, ev.default_cap, rv.default_sizes)
    for c in caches:
        c.clear()
    yield
    for c in caches:
        c.clear()


def test_the_context_page_says_when_its_default_was_scaled(monkeypatch, fresh_defaults):
    from helpers import app_on_page

    import dashboard.views.context as cv

    monkeypatch.setattr(cv, "SCALE_ABOVE", 0)
    monkeypatch.setattr(cost, "context_curve_cost", lambda *a, **k: line(57, 1.5, fixed=10.0))
    at = app_on_page("context")
    assert not at.exception and not at.error
    assert at.number_input(key="context_per_class").value == 11
    note = " ".join(c.value for c in at.caption)
    assert "Windows per class chosen to finish in about 60 s for default-mlm" in note and "1.5 s per position" in note


def test_the_report_page_scales_its_sizes_and_waits_for_run_anyway(monkeypatch, tmp_path, fresh_defaults):
    """A slow model (a fake measured line) gets smaller sizes, said on the page; with every job long, Compute report
    shows the estimate and no report until Run anyway."""
    from helpers import app_on_page

    import dashboard.views.report as rv

    monkeypatch.setenv("GLM_EXPLORE_CACHE", str(tmp_path))
    parts = {"classes": line(90, 2.0, unit="windows"), "variants": line(600, 0.1, unit="variants"),
             "embedding": line(1000, 0.05, unit="windows")}
    monkeypatch.setattr(rv, "SCALE_ABOVE", 0)
    monkeypatch.setattr(cd, "report_parts", lambda *a, **k: parts)
    at = app_on_page("report")
    assert not at.exception and not at.error
    f = 60.0 / 290.0
    assert at.slider(key="report_windows").value == math.floor(30 * f) == 6
    assert at.slider(key="report_snvs").value == math.floor(150 * f) // 10 * 10 == 30
    assert at.slider(key="report_cap").value == math.floor(200 * f) // 10 * 10 == 40
    assert any("Sizes chosen to finish in about 60 s for default-mlm" in c.value for c in at.caption)
    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at.slider(key="report_windows").set_value(5)
    at.slider(key="report_snvs").set_value(20)
    at.slider(key="report_cap").set_value(20)
    at.button(key="report_go").click().run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "90 windows" in warning and "600 SNVs" in warning
    assert not at.metric and not at.dataframe  # nothing computed yet
    assert at.button(key="report_cost_go")


def test_the_report_gate_measures_and_run_anyway_computes(monkeypatch, tmp_path):
    """The real measured estimate on the tiny default (chloroplast), then the report after Run anyway."""
    from helpers import app_on_page

    monkeypatch.setenv("GLM_EXPLORE_CACHE", str(tmp_path))
    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("report", timeout=600)
    at.slider(key="report_windows").set_value(5)
    at.slider(key="report_snvs").set_value(20)
    at.slider(key="report_cap").set_value(20)
    at.button(key="report_go").click().run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "windows" in warning and "measured on" in warning
    assert not at.metric
    at.button(key="report_cost_go").click().run()
    assert not at.exception and not at.error
    assert any(m.label == "Held-out bits/base vs counts" for m in at.metric)
    assert not any("This will take" in w.value for w in at.warning)


def test_the_browser_asks_before_computing_model_lanes(monkeypatch):
    """With every job long, model lanes show the estimate and a note instead of lanes; Run anyway draws them; a
    view of blocks already computed is not asked about again."""
    from helpers import app_on_page
    from test_browser_page import igv_config

    monkeypatch.setattr(cost, "LONG_SECONDS", 0.0)
    at = app_on_page("browser")
    at.text_input(key="browser_locus").set_value(f"{CP}:1101-1160")
    at.multiselect(key="browser_tracks").set_value(["p_ref"]).run()
    assert not at.exception and not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "This will take ≈" in warning and "positions" in warning and "forward passes" in warning
    assert [t["name"] for t in igv_config(at)["tracks"]] == []
    assert any("Model tracks were not computed for this view" in i.value for i in at.info)
    at.button(key="browser_cost_go").click().run()
    assert not at.exception and not at.error and not at.warning
    assert [t["name"] for t in igv_config(at)["tracks"]] == ["P(ref) · default-mlm"]
    at.text_input(key="browser_locus").set_value(f"{CP}:1201-1300").run()  # the same block: no question
    assert not at.warning and [t["name"] for t in igv_config(at)["tracks"]] == ["P(ref) · default-mlm"]
