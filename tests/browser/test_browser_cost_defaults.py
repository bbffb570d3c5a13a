"""Cost gates in a real browser on a server where every job is long (GLM_EXPLORE_LONG_SECONDS=0): the Model
report shows its measured estimate before computing and the report only after *Run anyway*; the genome browser
shows the model lanes' estimate and draws them only after *Run anyway*."""

from __future__ import annotations

import pytest
from test_browser_genome_browser import LANE_NAMES_JS, drawn_id, igv_frame

pytestmark = pytest.mark.browser


@pytest.fixture()
def fresh_report_cache(monkeypatch, tmp_path):
    """No report computed on this machine before (the server reads its cache folder from the environment)."""
    monkeypatch.setenv("GLM_EXPLORE_CACHE", str(tmp_path))


def test_the_report_and_the_model_lanes_wait_for_run_anyway(fresh_report_cache, long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    app.open("report", "genome=chloroplast&windows=5&snvs=20&cap=20")
    app.press("Compute report")
    app.wait_idle(timeout_s=300)
    warning = app.main().locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "This will take ≈" in warning and "held-out windows" in warning and "SNVs" in warning
    assert "measured on" in warning
    assert app.main().locator('[data-testid="stMetric"]').count() == 0  # nothing computed yet
    app.screenshot("report-cost-first")
    app.press("Run anyway")
    app.wait_idle(timeout_s=500)
    assert app.metric("Held-out bits/base vs counts").startswith(("+", "-", "−"))
    assert app.main().locator('[data-testid="stAlertContentWarning"]').count() == 0
    app.assert_clean()

    app.open("browser", "genome=chloroplast&locus=NC_000932:1101-1160&tracks=genes,p_ref")
    warning = app.main().locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "This will take ≈" in warning and "positions" in warning
    frame = igv_frame(app, timeout_s=120)
    assert frame.evaluate(LANE_NAMES_JS) == ["Genes"]  # no model lane until agreed
    app.screenshot("browser-cost-first")
    before = drawn_id(frame)
    app.press("Run anyway")
    app.wait_idle(timeout_s=300)
    frame = igv_frame(app, drawn_not=before, timeout_s=240)
    assert frame.evaluate(LANE_NAMES_JS) == ["Genes", "P(ref) · default-mlm"]
    assert app.main().locator('[data-testid="stAlertContentWarning"]').count() == 0
    app.assert_clean()
