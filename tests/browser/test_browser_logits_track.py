"""Nucleotide logits page in a real browser: a stored genome-wide track (``python -m glm_explore track``) drawn
for the region of the form, read from its bigWigs; after a Run the page's own values lie on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser
REGION_LABEL = "Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)"
TRACK_LABEL = "Stored track directory"


@pytest.fixture(scope="module")
def track_dir(tmp_path_factory, chloroplast, default_mlm):
    """A default-MLM track (RC-averaged exact marginals) over 2001-2040 of the chloroplast."""
    from glm_explore import track as tk

    out = tmp_path_factory.mktemp("tracks") / "mlm"
    regions = pd.DataFrame({"Chromosome": [CHLORO], "Start": [2000], "End": [2040]})
    tk.run_track(default_mlm, chloroplast, tk.plan_chunks(chloroplast, regions=regions, chunk_bp=25),
                 tk.ChunkStore(out))
    return out


def _trace(figs: list[dict], name: str) -> dict:
    return next(t for f in figs for t in f["traces"] if t["name"] == name)


def test_stored_track_drawn_then_matches_the_run(app, track_dir):
    from glm_explore.track import read_track

    use_chloroplast(app, "logits")
    app.type_text(REGION_LABEL, f"{CHLORO}:2001-2040", submit=False)
    app.press("Compute predictions")
    app.wait_charts(1)
    box = app.expand("Stored genome-wide track")
    app.type_text(TRACK_LABEL, str(track_dir), where=box)
    figs = app.wait_charts(2)
    stored = _trace(figs, "stored P(ref)")
    want = read_track(track_dir, CHLORO, 2000, 2040)
    assert stored["x"] == list(range(2001, 2041))
    np.testing.assert_allclose(stored["y"], want["p_ref"], atol=1e-6)
    assert _trace(figs, "stored min")["n"] == 40
    assert "default-mlm" in box.inner_text()

    # the Run was forward strand only: no comparison; with both strands (as the track) the values coincide
    assert not any(t["name"].startswith("computed now") for f in figs for t in f["traces"])
    app.main().locator('[data-testid="stCheckbox"]').filter(has_text="Average with the reverse-complement strand") \
        .first.click()
    app.press("Compute predictions")
    figs = app.wait_charts(2)
    computed = _trace(figs, "computed now P(ref)")
    np.testing.assert_allclose(computed["y"], want["p_ref"], atol=1e-5)
    assert float(app.metric("Max |stored − computed| P(ref)")) < 1e-5
    assert not app.errors()
    app.screenshot("logits-stored-track")
