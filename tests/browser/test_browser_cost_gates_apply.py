"""Cost before compute in a real browser on the compare, design, generate and annotate pages: a server told every
job is long (GLM_EXPLORE_LONG_SECONDS=0) shows each page's measured estimate first — in its units, nothing
computed — and the result only after *Run anyway*."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def _estimate_first(app, go: str | re.Pattern, *units: str) -> str:
    """Press ``go``: the warning names the measured estimate and ``units``; no chart, no metric yet."""
    app.press(go, timeout_s=300)
    warning = app.main().locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "This will take ≈" in warning and "measured on" in warning, warning
    assert all(u in warning for u in units), warning
    assert app.main().locator('[data-testid="stPlotlyChart"]').count() == 0
    assert app.main().locator('[data-testid="stMetric"]').count() == 0
    return warning


def test_compare_shows_the_cost_of_both_models_first(long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    use_chloroplast(app, "compare")
    app.type_text("Region (1-based chrom:start-end, ≤ 500 bp)", f"{CHLORO}:1001-1030", submit=False)
    app.page.get_by_label("Positions to mutate (× 3 substitutions, from the region start)").fill("5")
    _estimate_first(app, "Compare", "30 positions + 15 variants, each with all 2 models")
    app.screenshot("compare-cost-first")
    app.press("Run anyway", timeout_s=300)
    app.wait_charts(2, timeout_s=300)
    assert "15 / 15" in app.main().inner_text()
    app.assert_clean()


def test_design_shows_the_cost_in_rounds_first(long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    use_chloroplast(app, "design")
    app.type_text("Start region (1-based, inclusive; ≤ 2 kb)", f"{CHLORO}:3001-3060", submit=False)
    app.type_text("Rounds", "3", submit=False)
    app.type_text("Real windows", "5", submit=False)
    _estimate_first(app, re.compile("^Design$"), "3 rounds", "embedding 7 windows to judge")  # 5 real + 1 + 1
    app.press("Run anyway", timeout_s=300)
    app.wait_charts(4, timeout_s=300)  # trajectory + the three genome-likeness charts
    assert int(app.metric("Rounds")) <= 3
    app.assert_clean()


def test_generate_shows_the_cost_in_rounds_first(long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    use_chloroplast(app, "generate")
    app.type_text("Bases to generate", "40", submit=False)
    app.type_text("Samples", "2", submit=False)
    app.type_text("MLM rounds", "4", submit=False)
    app.type_text("Real windows", "5", submit=False)
    _estimate_first(app, re.compile("^Generate$"), "4 rounds",  # the default model is an MLM
                    "embedding 9 windows to judge")  # 5 real + 2 control + 2 samples
    app.press("Run anyway", timeout_s=300)
    figs = app.wait_charts(4, timeout_s=300)
    assert len(figs[0]["traces"]) == 2  # one log-prob line per sample
    app.assert_clean()


def test_annotate_shows_the_cost_in_tiles_first(long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    use_chloroplast(app, "annotate")
    app.type_text("Training tiles per class (1 kb)", "2", submit=False)
    app.type_text("Training bases per class", "200", submit=False)
    app.type_text("Held-out tiles per class (0 = all)", "1", submit=False)
    app.type_text("Region to annotate (1-based, ≤ 1 Mb)", f"{CHLORO}:140001-142000", submit=False)
    _estimate_first(app, re.compile("^Train and annotate$"), "tiles", "forward passes of 1.0 kb",
                    "fitting the logistic head twice")
    app.press("Run anyway", timeout_s=300)
    app.wait_charts(3, timeout_s=300)
    assert 0 <= float(app.metric("Held-out macro-F1, model head")) <= 1
    app.assert_clean()
