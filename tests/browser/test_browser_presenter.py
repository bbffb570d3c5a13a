"""The dashboard as a presenter meets it, at 1500 × 1000 in Debian's Chromium (no emoji font): the sidebar's
sections and Material icons, no Deploy button, and the two charts whose point was hidden — the motif profile's
traces inside its band, and the Embedding explorer's probe macro-F1 column in view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "glm_explore" / "data" / "reports" / "default-mlm--yeast.json"
VIEWPORT = {"width": 1500, "height": 1000}
SECTIONS = {
    "Explore": {"Home": "", "Nucleotide logits": "logits", "Embedding explorer": "embeddings",
                "Compare models": "compare"},
    "Variants": {"Variant effects": "variants"},
    "Interpret": {"Attribution & motifs": "attribution", "Motifs across windows": "motifs",
                  "How far does a model look?": "context"},
    "Apply": {"Generate sequences": "generate", "Design toward a goal": "design",
              "Annotate by transfer learning": "annotate"},
    "Model": {"Model report": "report"},
}

# Each sidebar section: its header's text and its links (title, path of the href, icon element, its box).
_NAV_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stNavSectionHeader"]')).map(h => ({
  header: h.innerText.replace(/expand_more|expand_less/g, '').trim(),
  links: Array.from(h.parentElement.querySelectorAll('[data-testid="stSidebarNavLink"]')).map(a => {
    const icon = a.querySelector('[data-testid="stIconMaterial"]');
    const box = icon ? icon.getBoundingClientRect() : null;
    return {title: a.querySelector('[data-testid="stMarkdownContainer"]').innerText.trim(),
            path: new URL(a.href).pathname.replace(/^\\//, ''),
            emoji: a.querySelectorAll('[data-testid="stIconEmoji"]').length,
            icon: icon ? icon.textContent : null, font: icon ? getComputedStyle(icon).fontFamily : null,
            w: box ? box.width : 0, h: box ? box.height : 0};
  }),
}))
"""

# The motif-profile figure: its shapes, its traces' data, and where plotly drew the band and the markers.
_MOTIF_JS = """
() => {
  const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .find(g => /mean P\\(ref\\)/.test(((g.layout || {}).title || {}).text || ''));
  if (!gd) return null;
  const below = gd.querySelectorAll('.layer-below .shapelayer path');
  const above = gd.querySelectorAll('.layer-above .shapelayer path');
  const band = below.length ? below[0].getBoundingClientRect() : null;
  return {
    title: gd.layout.title.text,
    shapes: (gd.layout.shapes || []).map(s => ({layer: s.layer || 'above', x0: s.x0, x1: s.x1})),
    n_below: below.length, n_above: above.length,
    band: band && {left: band.left, right: band.right},
    traces: (gd._fullData || gd.data).map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)})),
    markers: Array.from(gd.querySelectorAll('.scatterlayer .trace')).map(tr =>
      Array.from(tr.querySelectorAll('.points path.point')).map(p => {
        const r = p.getBoundingClientRect();
        return (r.left + r.right) / 2;
      })),
  };
}
"""


def test_sidebar_sections_material_icons_and_no_deploy_button(app):
    app.page.set_viewport_size(VIEWPORT)
    app.open()
    app.page.wait_for_function("document.fonts.check('20px \"Material Symbols Rounded\"')")
    nav = app.page.evaluate(_NAV_JS)
    assert [s["header"] for s in nav] == list(SECTIONS)
    for section, want in zip(nav, SECTIONS.values(), strict=True):
        got = {link["title"]: link["path"] for link in section["links"]}
        assert want.items() <= got.items(), (section["header"], got)  # the same URL paths as before
        for link in section["links"]:
            assert link["emoji"] == 0 and link["icon"], link
            assert "Material Symbols" in link["font"], link
            # the ligature drew one square glyph: the icon's name as text ("scatter_plot") would be wider than tall
            assert 0 < link["w"] <= 1.3 * link["h"], link
    # the toolbar is there (main menu), without the developer's Deploy button
    assert app.page.locator('[data-testid="stToolbar"]').is_visible()
    assert app.page.locator('[data-testid="stMainMenu"]').count() == 1
    assert app.page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert app.page.get_by_role("button", name=re.compile("Deploy")).count() == 0
    assert "Deploy" not in app.page.locator('[data-testid="stHeader"]').inner_text()
    app.screenshot("sidebar")


def test_report_motif_profile_traces_show_inside_the_motif_band(app):
    app.page.set_viewport_size(VIEWPORT)
    app.open("report")
    app.wait_charts(3)
    assert "Precomputed for exactly these weights" in app.main().inner_text()
    fig = app.page.evaluate(_MOTIF_JS)
    assert fig is not None, [f["title"] for f in app.figures()]
    # the motif's length from the shipped report itself: its rows marked in_motif
    motif_id = re.search(r"\((MA\d+\.\d+)\)", fig["title"]).group(1)
    table = json.loads(SHIPPED.read_text())["tables"]["motif_profiles"]
    cols = table["columns"]
    rows = [r for r in table["data"] if r[cols.index("motif_id")] == motif_id]
    in_motif = sorted(r[cols.index("offset")] + 1 for r in rows if r[cols.index("in_motif")])
    assert len(in_motif) >= 4
    assert fig["shapes"] == [{"layer": "below", "x0": in_motif[0] - 0.5, "x1": in_motif[-1] + 0.5}]
    assert (fig["n_below"], fig["n_above"]) == (1, 0)  # drawn under the traces, none over them
    assert [t["name"] for t in fig["traces"]] == ["model", "count baseline"]
    band = fig["band"]
    for trace, markers in zip(fig["traces"], fig["markers"], strict=True):
        inside = [(x, y) for x, y in zip(trace["x"], trace["y"], strict=True) if in_motif[0] <= x <= in_motif[-1]]
        assert [x for x, _ in inside] == in_motif and all(y is not None and 0 <= y <= 1 for _, y in inside)
        # and plotly drew a marker for each of them within the band's pixels
        assert sum(band["left"] < cx < band["right"] for cx in markers) == len(in_motif), trace["name"]
    chart = app.page.locator('.js-plotly-plot').filter(has_text="mean P(ref)").first
    chart.scroll_into_view_if_needed()
    app.screenshot("motif-profile")


def test_embedding_separation_table_shows_the_probe_f1_column(app):
    app.page.set_viewport_size(VIEWPORT)
    app.open("embeddings", "genome=chloroplast&cap=2&length=128&center=50&k=2")
    app.press("Embed windows", timeout_s=300)
    app.wait_charts(2, timeout_s=300)
    box = app.main().locator('.st-key-embeddings_separation [data-testid="stDataFrame"]')
    box.scroll_into_view_if_needed()
    grid = box.bounding_box()
    assert grid["x"] >= 0 and grid["x"] + grid["width"] <= VIEWPORT["width"]  # the table itself is on screen
    # the data grid draws on a canvas and lists in its accessible table only the columns it drew in view
    headers = box.locator('th[role="columnheader"]').all_text_contents()
    assert "probe macro-F1" in headers, f"the F1 column is out of view; drawn: {headers}"
    assert headers[:3] == ["features", "probe macro-F1", "macro-F1 95% CI"], headers  # not scrolled: from the left
    f1 = box.locator('td[role="gridcell"][aria-colindex="2"]').all_text_contents()
    assert len(f1) == 3 and all(0 <= float(v) <= 1 for v in f1)  # model, k-mers, model + k-mers
    app.screenshot("separation-table")
