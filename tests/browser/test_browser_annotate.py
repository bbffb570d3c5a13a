"""Annotate by transfer learning in a real browser: train both heads on the chloroplast, download the predicted
segments and check them against the per-base lane and the genome's length, read by hand."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def test_train_heads_annotate_a_region_and_download_segments(app):
    use_chloroplast(app, "annotate")
    app.type_text("Training tiles per class (1 kb)", "3", submit=False)
    app.type_text("Training bases per class", "300", submit=False)
    app.type_text("Held-out tiles per class (0 = all)", "2", submit=False)
    app.type_text("Region to annotate (1-based, ≤ 1 Mb)", f"{CHLORO}:140001-142000", submit=False)
    app.press(re.compile("^Train and annotate$"))
    figs = app.wait_charts(3, timeout_s=300)
    model_f1 = float(app.metric("Held-out macro-F1, model head"))
    kmer_f1 = float(app.metric("Held-out macro-F1, k-mer head"))
    assert 0 <= model_f1 <= 1 and 0 <= kmer_f1 <= 1
    assert float(app.metric("Model − k-mer")) == pytest.approx(model_f1 - kmer_f1, abs=0.0011)  # shown rounded
    main = app.main()
    with app.page.expect_download() as dl:
        main.get_by_role("button", name="Download predicted segments (BED)").click()
    rows = [line.split("\t") for line in open(dl.value.path()).read().splitlines() if line and not line.startswith(("#", "track"))]
    starts, ends = [int(r[1]) for r in rows], [int(r[2]) for r in rows]
    assert all(r[0] == CHLORO for r in rows)
    assert starts[0] == 140000 and ends[-1] == 142000  # BED: 0-based half-open, the whole region
    assert all(e == s for e, s in zip(ends[:-1], starts[1:]))  # segments tile the region without gaps
    assert all(a != b for a, b in zip([r[3] for r in rows][:-1], [r[3] for r in rows][1:]))  # runs are maximal
    assert any(f["traces"] for f in figs)
    app.screenshot("annotate")
    app.assert_clean()
