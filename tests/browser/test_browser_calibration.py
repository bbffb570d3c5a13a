"""The variant page's percentile sentence in a real browser: a deep link to a yeast CDS SNV → Score → the sentence."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _sidebar_ready(app) -> None:
    app.sidebar().get_by_role("combobox", name="Genome", exact=True).first.wait_for(timeout=240_000)
    app.wait_idle(240)


def test_variant_page_reads_the_score_against_its_background(app):
    app.open()
    _sidebar_ready(app)
    app.open("variants", "model=default-mlm&genome=yeast&tab=single&chrom=chrXVI&pos=30079&alt=G&half=5")
    _sidebar_ready(app)
    app.press("Score variant")
    app.wait_charts(1)
    text = app.main().inner_text()
    m = re.search(r"An LLR of [−+]\d+\.\d\d is (lower than|at or above) [\d.]+ % of possible SNVs in CDS on held-out "
                  r"chrXVI under default-mlm", text)
    assert m, text[:2000]
    assert "genome-wide" in text and "Percentile = fraction of background SNVs with LLR ≤ this one" in text
    app.screenshot("variant-percentile")
