"""Embedding explorer in a real browser: embed chloroplast windows, read the scatter, click a point."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser


def test_embeddings_scatter_table_and_point_click(app):
    use_chloroplast(app)  # open the app at its root (app.py's st.navigation + sidebar), then go to the page
    app.page.locator('[data-testid="stSidebarNav"]').get_by_text("Embedding explorer").click()
    app.wait_idle()
    app.type_text("Windows per class and split (cap)", "2", submit=False)
    app.press("Embed windows")
    figs = app.wait_charts(2, timeout_s=300)
    scatter = figs[0]
    classes = {re.sub(r" \(\d+\)$", "", t["name"]) for t in scatter["traces"]}
    assert classes <= {"CDS", "intron", "tRNA", "rRNA", "promoter", "intergenic"} and len(classes) >= 4
    for t in scatter["traces"]:  # legend says how many windows each class has, and that many are drawn
        assert int(re.search(r"\((\d+)\)$", t["name"]).group(1)) == t["n"] == t["customdata"]
    assert scatter["axes"]["xaxis"].startswith("PC1")
    assert figs[1]["axes"] == {"xaxis": "predicted", "yaxis": "true"}  # confusion matrix
    assert app.table_rows(0) == 3  # model, k-mer, model + k-mer
    app.screenshot("embeddings-pca")

    region = app.select_first_point(half=6)  # box-select a small square around the point
    m = re.match(rf"({CHLORO}):(\d+)-(\d+)$", region)
    assert m, region
    start, end = int(m.group(2)), int(m.group(3))
    assert end - start + 1 == 512
    shown = app.main().locator('[data-testid="stCode"]').first.inner_text().replace("\n", "")
    assert shown == chloroplast_seq()[start - 1:end]  # 1-based inclusive coordinates, read by hand
    app.screenshot("embeddings-selected")
