"""Cost before compute in a real browser: a server told every job is long (GLM_EXPLORE_LONG_SECONDS=0) shows the
embedding page's measured estimate first, and computes only after *Run anyway*."""

from __future__ import annotations

import pytest
from pages_common import use_chloroplast

pytestmark = pytest.mark.browser


def test_the_estimate_comes_before_the_embedding_run(long_jobs_server, new_tab):
    app = new_tab(long_jobs_server)
    use_chloroplast(app)
    app.page.locator('[data-testid="stSidebarNav"]').get_by_text("Embedding explorer").click()
    app.wait_idle()
    app.type_text("Windows per class and split (cap)", "2", submit=False)
    app.press("Embed windows")
    app.wait_idle(timeout_s=300)
    warning = app.main().locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "This will take ≈" in warning and "windows" in warning and "measured on" in warning
    assert app.main().locator('[data-testid="stPlotlyChart"]').count() == 0  # nothing computed yet
    app.screenshot("embeddings-cost-first")
    app.press("Run anyway")
    figs = app.wait_charts(2, timeout_s=300)
    assert figs[0]["axes"]["xaxis"].startswith("PC1") and app.table_rows(0) == 3
    app.assert_clean()
