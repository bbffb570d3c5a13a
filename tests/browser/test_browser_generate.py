"""Generate & design in a real browser: in-fill a span of a chloroplast region with the default MLM, download
the samples, check them against the genome read by hand, and check the genome-likeness numbers shown."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser


def _fasta(text: str) -> list[str]:
    seqs, cur = [], []
    for line in text.splitlines():
        if line.startswith(">"):
            if cur:
                seqs.append("".join(cur))
            cur = []
        elif line.strip():
            cur.append(line.strip())
    return seqs + (["".join(cur)] if cur else [])


def test_infill_a_span_then_judge_against_real_windows(app):
    use_chloroplast(app, "generate")
    app.radio("Start from", "in-fill a span of a region")
    app.type_text("Region (1-based, inclusive)", f"{CHLORO}:2001-2200", submit=False)
    app.type_text("Span to in-fill, inside the region (a-b, 1-based)", "61-140", submit=False)
    app.type_text("Samples", "3", submit=False)
    app.type_text("Real windows", "6", submit=False)
    app.select("Real windows of class", "intergenic")
    app.press(re.compile("^Generate$"))
    figs = app.wait_charts(4, timeout_s=300)
    assert len(figs[0]["traces"]) == 3  # one log-prob line per sample
    main = app.main()
    with app.page.expect_download() as dl:
        main.get_by_role("button", name="Download FASTA").click()
    seqs = _fasta(open(dl.value.path()).read())
    region = chloroplast_seq()[2000:2200]
    assert len(seqs) == 3 and all(len(s) == 200 for s in seqs)
    for s in seqs:  # only positions 61-140 are regenerated; the flanks are the genome
        assert s[:60] == region[:60] and s[140:] == region[140:]
    parts = [s[60:140] for s in seqs]
    gc = sum((p.count("G") + p.count("C")) / len(p) for p in parts) / len(parts)
    assert app.metric("GC fraction") == f"{gc:.3f}"
    text = main.inner_text()
    assert "held-out intergenic windows of 80 bp" in text and "real (control)" in text
    app.screenshot("generate")
    app.assert_clean()
