"""Nucleotide logits page in a real browser: region → tracks + table, checked against masked forwards."""

from __future__ import annotations

import numpy as np
import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser
REGION_LABEL = "Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)"


def _trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["traces"] if t["name"] == name)


def test_logits_region_matches_masked_forward(app, default_mlm):
    use_chloroplast(app, "logits")
    app.type_text(REGION_LABEL, f"{CHLORO}:1001-1060", submit=False)
    app.press("Compute predictions")
    fig = app.wait_charts(1)[0]
    p_ref = _trace(fig, "P(ref)")
    assert p_ref["x"] == list(range(1001, 1061))
    assert "position (1-based)" in fig["axes"].values()
    ent = _trace(fig, "entropy")
    assert all(0 <= v <= 2 + 1e-9 for v in ent["y"])  # bits over 4 letters
    assert app.table_rows(0) == 60
    assert "60 bp" in app.main().inner_text()
    # independent check: P(ref) at three positions from one masked forward each, with ≥ receptive field context
    seq, rf = chloroplast_seq(), default_mlm.info.receptive_field
    for pos in (1001, 1030, 1060):
        lo = pos - 1 - rf - 8
        window = seq[lo:pos + rf + 8]
        masked = np.zeros((1, len(window)), dtype=bool)
        masked[0, pos - 1 - lo] = True
        lp = default_mlm.log_probs([window], masked)[0]
        want = float(np.exp(lp["ACGT".index(seq[pos - 1]), pos - 1 - lo]))
        assert abs(p_ref["y"][pos - 1001] - want) < 2e-3, (pos, p_ref["y"][pos - 1001], want)
    app.screenshot("logits-region")


def test_logits_bad_region_then_pasted_sequence(app):
    use_chloroplast(app, "logits")
    app.type_text(REGION_LABEL, f"{CHLORO}:154000-155000", submit=False)
    app.press("Compute predictions")
    errs = app.errors()
    assert len(errs) == 1 and "past the end" in errs[0]
    app.screenshot("logits-bad-region")

    app.radio("Input", "Pasted sequence")
    app.type_text("DNA sequence (≤ 2 kb)", "hello world", submit=False)
    app.press("Compute predictions")
    errs = app.errors()
    assert len(errs) == 1 and "not a nucleotide" in errs[0]

    pasted = "acgtRYacgt\nGGCCAATTGC" * 2  # lowercase, IUPAC and a line break: cleaned, 40 bp
    app.type_text("DNA sequence (≤ 2 kb)", pasted, submit=False)
    app.press("Compute predictions")
    fig = app.wait_charts(1)[0]
    assert _trace(fig, "P(ref)")["x"] == list(range(1, 41))
    assert app.table_rows(0) == 40
    app.screenshot("logits-pasted")
