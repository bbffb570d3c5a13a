"""The dashboard as a presenter meets it: grouped navigation with Material icons, no Deploy button, readable module
names in the pages, and the model report's motif band drawn under its traces."""

from __future__ import annotations

import ast
import tomllib

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from streamlit.material_icon_names import ALL_MATERIAL_ICONS

# section → (title, url path) of the pages it must hold; other pages may be added to a section
SECTIONS = {
    "Explore": [("Home", ""), ("Nucleotide logits", "logits"), ("Embedding explorer", "embeddings"),
                ("Compare models", "compare")],
    "Variants": [("Variant effects", "variants")],
    "Interpret": [("Attribution & motifs", "attribution"), ("Motifs across windows", "motifs"),
                  ("How far does a model look?", "context")],
    "Apply": [("Generate sequences", "generate"), ("Design toward a goal", "design"),
              ("Annotate by transfer learning", "annotate")],
    "Model": [("Model report", "report")],
}


def _material_name(icon: str) -> str:
    """``:material/home:`` → ``home``; anything else (an emoji) → ``""``."""
    return icon[len(":material/"):-1] if icon.startswith(":material/") and icon.endswith(":") else ""


@pytest.fixture(scope="module")
def sent():
    """What app.py sends the browser on its first run (chloroplast): the Navigation and PageConfig messages."""
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    from streamlit.testing.v1 import AppTest

    msgs = []
    original = ForwardMsgQueue.enqueue

    def record(self, msg):
        msgs.append(msg)
        return original(self, msg)

    mp = pytest.MonkeyPatch()
    mp.setattr(ForwardMsgQueue, "enqueue", record)
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
        at.session_state["dataset_key"] = "chloroplast"
        at.run()
    finally:
        mp.undo()
    assert not at.exception, at.exception
    nav = [m.navigation for m in msgs if m.WhichOneof("type") == "navigation"]
    config = [m.page_config_changed for m in msgs if m.WhichOneof("type") == "page_config_changed"]
    assert nav and config, "app.py sent no navigation / page config"
    return nav[-1], config[-1], at


def test_navigation_is_grouped_in_sections_with_the_same_url_paths(sent):
    nav, _, at = sent
    assert list(nav.sections) == list(SECTIONS)
    got: dict[str, list[tuple[str, str]]] = {}
    for page in nav.app_pages:
        got.setdefault(page.section_header, []).append((page.page_name, page.url_pathname))
    assert list(got) == list(SECTIONS)  # every page is in a section, in this order
    for section, pages in SECTIONS.items():
        assert set(pages) <= set(got[section]), (section, got[section])
    assert [p.page_name for p in nav.app_pages if p.is_default] == ["Home"]
    assert not at.error  # Home ran inside the navigation


def test_every_icon_is_a_bundled_material_icon(sent):
    nav, config, _ = sent
    icons = {p.page_name: p.icon for p in nav.app_pages}
    bad = {name: icon for name, icon in icons.items() if _material_name(icon) not in ALL_MATERIAL_ICONS}
    assert not bad, f"not Streamlit's Material icons (emoji need an emoji font): {bad}"
    assert len(set(icons.values())) == len(icons), "two pages share an icon"
    # the favicon is the bundled PNG served by Streamlit itself, not a Material glyph fetched from Google's fonts CDN
    assert "/media/" in config.favicon and config.favicon.endswith(".png") and "://" not in config.favicon, config.favicon


def test_no_emoji_in_labels_of_pages_or_dashboard():
    """Emoji in labels render as empty boxes without an emoji font; icons go through ``icon=":material/…:"``.
    Pictographs (U+1F300–1FAFF) and the emoji presentation selector (U+FE0F, as in ⚖️) need one; text symbols
    such as ★ do not."""
    emoji = {chr(c) for c in range(0x1F300, 0x1FB00)} | {"\ufe0f"}
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "dashboard").rglob("*.py"))]
    found = [(f.relative_to(ROOT).as_posix(), ch) for f in files for ch in set(f.read_text()) if ch in emoji]
    assert not found, found


def test_deploy_button_is_hidden():
    """``viewer`` (and ``minimal``) hide Deploy / Rerun / Clear cache, which ``auto`` shows on localhost."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] in {"viewer", "minimal"}


def test_pages_import_modules_by_their_names():
    """No two- or three-letter aliases (``pp``, ``mf``, ``at``) for the project's modules in the pages."""
    project = {p.stem for p in (ROOT / "glm_explore").iterdir()} | {p.stem for p in (ROOT / "dashboard").iterdir()}
    short = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("glm_explore", "dashboard"):
                short += [(path.name, a.name, a.asname) for a in node.names
                          if a.asname and a.name in project and len(a.asname) <= 3]
    assert not short, short


def test_motif_band_is_drawn_below_the_traces_which_have_points_inside_it():
    from glm_explore.plots.report import motif_profile_chart

    offsets = np.arange(-4, 10)
    in_motif = (offsets >= 0) & (offsets < 6)  # a 6-bp motif
    rng = np.random.default_rng(0)
    profiles = pd.DataFrame({"motif_id": "MA0001.1", "motif": "TEST", "offset": offsets, "in_motif": in_motif,
                             "p_ref_model": rng.uniform(0, 1, len(offsets)),
                             "p_ref_baseline": rng.uniform(0, 1, len(offsets)), "n": 12})
    fig = motif_profile_chart(profiles, "MA0001.1")
    (band,) = fig.layout.shapes
    assert band.layer == "below"
    assert (band.x0, band.x1) == (0.5, 6.5)  # offsets 0..5 are positions 1..6 (1 = the motif's first base)
    for trace, column in zip(fig.data, ["p_ref_model", "p_ref_baseline"], strict=True):
        x, y = np.asarray(trace.x), np.asarray(trace.y)
        inside = (x > band.x0) & (x < band.x1)
        np.testing.assert_array_equal(x[inside], offsets[in_motif] + 1)
        np.testing.assert_allclose(y[inside], profiles.loc[in_motif, column])
