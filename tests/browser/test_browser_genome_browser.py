"""Genome browser page in real Chromium: igv.js draws the default lanes offline, a gene name moves the view,
a pan reaches the URL and a shared URL restores it, model lanes equal the logits computation, and the
downloaded one-file handout draws the same lanes from file:// with the network off."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser
LOCUS_LABEL = "Locus or gene (1-based chrom:start-end)"
DOCS = Path(__file__).resolve().parents[2] / "docs"
LANE_NAMES_JS = ("() => window.glmIgv.trackViews.map(v => v.track)"
                 ".filter(t => ['annotation', 'wig', 'merged'].includes(t.type)).map(t => t.name)")
LANES_WITH_MODEL = ["Genes", "CDS / exons / UTRs", "P(ref) · default-mlm", "Entropy (bits) · default-mlm",
                    "Min LLR · default-mlm", "Logo p·IC (bits) · default-mlm"]


def igv_frame(app, drawn_not: str | None = None, timeout_s: float = 60):
    """The component's frame once igv.js has drawn (a window id other than ``drawn_not``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in app.page.frames:
            if "glm_genome_browser" in frame.url:
                drawn = frame.evaluate("() => document.body.getAttribute('data-glm-drawn')")
                err = frame.evaluate("() => document.body.getAttribute('data-glm-error')")
                assert err is None, err
                if drawn and drawn != drawn_not and frame.evaluate("() => !!window.glmIgv"):
                    return frame
        time.sleep(0.2)
    app.screenshot("no-igv")
    raise AssertionError("igv.js did not draw")


def drawn_id(frame) -> str:
    return frame.evaluate("() => document.body.getAttribute('data-glm-drawn')")


def test_page_draws_moves_links_and_hands_out(app, browser, tmp_path):
    requests: list[str] = []
    app.page.on("request", lambda r: requests.append(r.url) if "glm_genome_browser" in r.frame.url else None)
    app.open("browser")
    frame = igv_frame(app)
    assert frame.evaluate(LANE_NAMES_JS) == ["Genes", "CDS / exons / UTRs", "Other features"]
    assert frame.evaluate("() => window.glmIgv.currentLoci()") == "chrI:1001-3000"
    outside = [u for u in requests if not re.match(r"^(http://127\.0\.0\.1|data:|blob:|about:)", u)]
    assert not outside, outside[:5]  # offline: igv.js asks nothing but the app itself
    DOCS.mkdir(exist_ok=True)

    # a gene name typed in the locus box: the view moves to the gene (YAL067C is chrI:7235-9016, 1-based)
    first = drawn_id(frame)
    app.type_text(LOCUS_LABEL, "yal067c")
    frame = igv_frame(app, drawn_not=first)
    chrom, start, end = re.match(r"(\w+):(\d+)-(\d+)", frame.evaluate("() => window.glmIgv.currentLoci()")).groups()
    assert chrom == "chrI" and int(start) < 7235 and int(end) > 9016
    genes = frame.evaluate("() => window.glmIgv.trackViews.map(v => v.track).find(t => t.name === 'Genes')"
                           ".featureSource.getFeatures({chr: 'chrI', start: 7000, end: 9500})"
                           ".then(fs => fs.map(f => f.name))")
    assert "YAL067C" in genes

    # a pan inside igv reaches the URL; a fresh tab on that URL shows the same locus
    frame.evaluate("() => window.glmIgv.search('chrI:12001-12600')")
    deadline = time.monotonic() + 30
    while "locus=chrI%3A12001-12600" not in app.location() and "locus=chrI:12001-12600" not in app.location():
        assert time.monotonic() < deadline, app.location()
        time.sleep(0.3)
    app.wait_idle()
    shared = app.location()
    assert app.page.get_by_label(LOCUS_LABEL, exact=True).input_value() == "chrI:12001-12600"
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        from browser_helpers import App

        other = App(ctx.new_page(), app.base, "shared")
        other.open_link(shared)
        assert igv_frame(other).evaluate("() => window.glmIgv.currentLoci()") == "chrI:12001-12600"
    finally:
        ctx.close()

    # model lanes for a small view: the page's P(ref) equals the logits computation of the same bases
    app.open("browser", "locus=chrI:1701-2000&tracks=genes,coding,p_ref,entropy,min_llr,logo")
    frame = igv_frame(app, timeout_s=240)
    assert frame.evaluate(LANE_NAMES_JS) == LANES_WITH_MODEL
    shown = frame.evaluate("() => window.glmConfig.tracks.find(t => t.id === 'p_ref')._values")
    from glm_explore import logits as lg
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    data, model = load_dataset("yeast"), load_builtin("default-mlm")
    table = lg.position_table(lg.nucleotide_logits(model, lg.region_window(data.genome, "chrI:1701-2000", model)))
    offset = 1700 - shown["start"]  # the lane covers its 2-kb block
    np.testing.assert_allclose(shown["values"][offset:offset + 300], table["p_ref"], atol=1e-4)
    app.page.wait_for_timeout(500)
    app.page.screenshot(path=str(DOCS / "browser-page.png"))

    # the handout: one HTML file, opened from disk with the network off, draws the same lanes
    with app.page.expect_download() as dl:
        app.page.get_by_role("button", name=re.compile("Download this view")).click()
    path = tmp_path / "view.html"
    dl.value.save_as(path)
    offline = browser.new_context(viewport={"width": 1300, "height": 800})
    try:
        offline.set_offline(True)
        page = offline.new_page()
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-glm-drawn]", timeout=60_000)
        assert page.evaluate(LANE_NAMES_JS) == LANES_WITH_MODEL
        assert page.evaluate("() => window.glmIgv.currentLoci()") == "chrI:1701-2000"
        assert all(u.startswith(("file:", "data:", "blob:")) for u in asked), asked[:5]
        page.wait_for_timeout(500)
        page.screenshot(path=str(DOCS / "browser-handout.png"))
    finally:
        offline.close()


def test_bad_locus_keeps_the_view(app):
    app.open("browser", "locus=chrI:1001-3000")
    frame = igv_frame(app)
    first = drawn_id(frame)
    app.type_text(LOCUS_LABEL, "chrI:230000-231000")
    assert any("past the end of chrI" in e for e in app.errors())
    app.type_text(LOCUS_LABEL, "NOSUCHGENE")
    assert any("Unknown locus or gene 'NOSUCHGENE'" in e for e in app.errors())
    frame = igv_frame(app)
    assert drawn_id(frame) == first and frame.evaluate("() => window.glmIgv.currentLoci()") == "chrI:1001-3000"
