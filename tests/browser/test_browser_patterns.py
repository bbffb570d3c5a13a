"""The motifs page's TF-MoDISco section in a real browser: on the default model and genome the shipped
promoter report shows at once (no run), with the control count beside the real count; the numbers
are checked against the shipped JSON read by hand."""

from __future__ import annotations

import json

import pytest
from pages_common import ROOT

pytestmark = pytest.mark.browser

SHIPPED = ROOT / "glm_explore/data/reports/patterns-default-mlm--yeast--promoter.json"


def _metric(app, label: str) -> tuple[str, str]:
    box = app.main().locator('[data-testid="stMetric"]').filter(has_text=label).first
    return (box.locator('[data-testid="stMetricValue"]').inner_text(),
            box.locator('[data-testid="stMetricDelta"]').inner_text())


def test_shipped_patterns_show_without_a_run(app):
    d = json.loads(SHIPPED.read_text())
    n_real, n_control = len(d["patterns"]), len(d["control"])
    app.open("motifs")  # default model and genome: yeast, default MLM, class promoter
    main = app.main()
    main.get_by_text("Patterns across many windows (TF-MoDISco)").wait_for()
    assert "Precomputed for exactly these weights" in main.inner_text()
    value, delta = _metric(app, "Seqlets in patterns")
    assert int(value.replace(",", "")) == sum(p["n_seqlets"] for p in d["patterns"])
    assert delta.strip().endswith(str(sum(p["n_seqlets"] for p in d["control"])))
    value, delta = _metric(app, "Patterns")
    assert int(value) == n_real and delta.strip().endswith(f"shuffled control: {n_control}")
    rows = app.table_rows(0, where=app.page.locator(".st-key-patterns_table"))
    assert rows == n_real
    figs = app.wait_charts(1 + min(n_real, 8))  # counts chart + one CWM / position figure per pattern
    assert len(figs) >= 1 + min(n_real, 8)
    assert f"{d['n_windows']} promoter windows" in main.inner_text()
    app.screenshot("patterns-shipped")
