"""Embedding explorer in a real browser: embed windows, PCA/UMAP scatter, click a point → logits page."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser


def _n_points(fig: dict) -> int:
    return sum(t["n"] for t in fig["traces"] if t["mode"] == "markers" or t["type"] in ("scattergl", "scatter"))


def test_embed_pca_umap_click_to_logits(app):
    use_chloroplast(app, "embeddings")
    app.page.get_by_label("Windows per class and split (cap)").fill("6")
    app.expand("Window options")
    app.page.get_by_label("Window length (bp)").fill("128")
    app.page.get_by_label("Centre length that must lie in one class (bp)").fill("50")
    app.press("Embed windows")
    fig = app.wait_charts(1)[0]
    n_windows = int(re.search(r"([\d,]+) windows", fig["title"]).group(1).replace(",", ""))
    assert 6 <= n_windows <= 6 * 2 * 9  # ≤ cap × splits × classes
    assert _n_points(fig) == n_windows
    assert fig["axes"]["xaxis"].startswith("PC1") and fig["axes"]["yaxis"].startswith("PC2")
    assert app.table_rows(0) >= 2  # separation table: the model and the k-mer baseline
    app.screenshot("pca")

    app.radio("Projection", "UMAP")
    fig = app.wait_charts(1)[0]
    assert fig["axes"]["xaxis"] == "UMAP1" and _n_points(fig) == n_windows
    app.screenshot("umap")

    region = app.select_first_point(half=5)  # box-select a small square around one UMAP point
    m = re.fullmatch(rf"{CHLORO}:(\d+)-(\d+)", region)
    assert m and int(m.group(2)) - int(m.group(1)) + 1 == 128
    shown_seq = app.main().locator('[data-testid="stCode"]').first.inner_text().replace("\n", "").strip()
    assert shown_seq == chloroplast_seq()[int(m.group(1)) - 1:int(m.group(2))]
    app.screenshot("selected")

    app.press("Open on the logits page →")
    assert "Nucleotide logits" in app.main().inner_text()
    box = app.page.get_by_label("Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)")
    assert box.input_value() == region
    app.press("Compute predictions")
    fig = app.wait_charts(1)[0]
    p_ref = next(t for t in fig["traces"] if t["name"] == "P(ref)")
    assert p_ref["x"] == list(range(int(m.group(1)), int(m.group(2)) + 1))
    app.screenshot("logits-from-umap")
