"""Design toward a goal in a real browser: plant a JASPAR motif into a chloroplast region with fixed positions and
an edit budget, download the design and check it against the genome read by hand and a FIMO score computed here."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser


def test_motif_design_respects_fixed_positions_and_budget(app):
    use_chloroplast(app, "design")
    app.type_text("Start region (1-based, inclusive; ≤ 2 kb)", f"{CHLORO}:3001-3100", submit=False)
    app.select("Goal", "motif")
    app.type_text("JASPAR motif id or TF name (goal = motif)", "REB1", submit=False)
    app.type_text("Edit budget (positions that may differ from the start)", "3", submit=False)
    app.type_text("Fixed positions (1-based, e.g. 1-10,50)", "1-20", submit=False)
    app.select("Class (the goal's class; the real windows designs are judged against)", "intergenic")
    app.type_text("Real windows", "5", submit=False)
    app.press(re.compile("^Design$"))
    app.wait_charts(4, timeout_s=300)  # trajectory + the three genome-likeness charts
    main = app.main()
    with app.page.expect_download() as dl:
        main.get_by_role("button", name="Download designed FASTA").click()
    lines = open(dl.value.path()).read().splitlines()
    designed = "".join(x for x in lines if not x.startswith(">"))
    start = chloroplast_seq()[3000:3100]
    diff = [i for i, (a, b) in enumerate(zip(start, designed)) if a != b]
    assert len(designed) == 100 and 1 <= len(diff) <= 3 and min(diff) >= 20
    assert app.metric("Edits from the start") == str(len(diff))

    from glm_explore.motifs import find_motif, scan_motif

    best = scan_motif(designed, find_motif("REB1"), threshold=1.0)["score"].max()
    assert float(app.metric("motif").split()[0]) == pytest.approx(best, abs=1e-3)
    assert "held-out intergenic windows of 100 bp" in main.inner_text()
    app.screenshot("design")
    app.assert_clean()
