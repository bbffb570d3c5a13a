"""Model report page and the Home tour in a real browser: the default's shipped report opens at once."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "glm_explore" / "data" / "reports" / "default-mlm--yeast.json"


def _shipped() -> dict:
    return json.loads(SHIPPED.read_text())


def test_report_opens_precomputed_and_hands_a_showcase_window_to_logits(app):
    """No button pressed: the shipped report's numbers are on the page; a showcase window opens on the logits page."""
    app.open("report")
    figs = app.wait_charts(3)
    text = app.main().inner_text()
    assert "Precomputed for exactly these weights" in text
    shipped = _shipped()
    cols = shipped["tables"]["classes"]["columns"]
    rows = {r[cols.index("class")]: r for r in shipped["tables"]["classes"]["data"]}
    margin = rows["all"][cols.index("margin_bits")]
    assert app.metric("Held-out bits/base vs counts") == f"{margin:+.3f}"
    chart = figs[0]["traces"][0]  # per-class margins, one point per class
    assert {y for y in chart["y"]} == set(rows)
    assert app.table_rows(0) == len(rows)
    show_cols = shipped["tables"]["showcase"]["columns"]
    first_region = shipped["tables"]["showcase"]["data"][0][show_cols.index("region")]
    app.screenshot("report")
    app.press("Open →")
    app.page.wait_for_url("**/logits**")
    app.wait_idle()
    query = parse_qs(urlparse(app.location()).query)
    assert query["region"] == [first_region]
    app.screenshot("report-to-logits")


def test_home_tour_opens_a_stop_on_the_logits_page(app):
    app.open()
    text = app.main().inner_text()
    assert "Journal-club tour" in text
    app.main().get_by_role("button", name="Open →").first.click()
    app.page.wait_for_url("**/logits**")
    app.wait_idle()
    region = parse_qs(urlparse(app.location()).query)["region"][0]
    shipped = _shipped()
    show_cols = shipped["tables"]["showcase"]["columns"]
    assert region in {r[show_cols.index("region")] for r in shipped["tables"]["showcase"]["data"]}
    assert app.page.get_by_label("Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)").input_value() == region
