"""Every view in its URL, in a real browser.

(a) For every page: a server started for the test alone, opened straight on a deep link with
    non-default parameters: the app's sidebar is there, the parameters are filled in, and pressing
    Run computes the result they describe.
(b) A view's link, taken from its "Copy link to this view" control (clipboard), reopened in a new
    browser context: the same parameters, and after Run the same numbers and tracks.
(c) Controls a model cannot serve are greyed out, with the reason, before anything is run
    (a k-mer Hugging Face model: gradient methods, the probe target, motif discovery).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from pages_common import CHLORO, chloroplast_seq
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
LOGITS_REGION = "Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)"
ATTRIBUTION_REGION = "Region (1-based chrom:start-end, ≤ 1000 bp)"


def _open_deep_link(new_tab, base: str, page: str, query: dict[str, str]):
    """A new browser context on ``/<page>?<query>``; waits for the app's own sidebar (model picker and
    page navigation), which a page run on its own would not have."""
    app = new_tab(base)
    app.open(page, urlencode(query))
    expect(app.combobox("Model", app.sidebar())).to_be_visible()
    expect(app.sidebar().get_by_role("link", name="Nucleotide logits")).to_be_visible()
    expect(app.combobox("Genome", app.sidebar())).to_have_value(re.compile("chloroplast"))
    assert not app.errors()
    return app


def _home(app) -> None:
    expect(app.combobox("Model", app.sidebar())).to_have_value(re.compile("^Default CLM"))
    bars = app.wait_charts(1)[0]["traces"]
    assert bars and "154,478 bp" in app.main().inner_text()
    expect(app.main().get_by_role("heading", name=re.compile("^Model: "))).to_contain_text("clm")


def _logits(app) -> None:
    expect(app.main().get_by_label(LOGITS_REGION, exact=True)).to_have_value(f"{CHLORO}:2001-2040")
    expect(app.combobox("Mode")).to_have_value(re.compile("^unmasked reconstruction"))
    expect(app.main().get_by_role("checkbox", name="Average with the reverse-complement strand")).to_be_checked()
    expect(app.main().get_by_role("radio", name="probability", exact=True)).to_be_checked()
    app.press("Compute predictions")
    app.wait_charts(1)
    text = app.main().inner_text()
    assert f"{CHLORO}:2001-2040 · default-mlm · unmasked reconstruction" in text and "40 bp" in text


def _variants(app) -> None:
    expect(app.main().get_by_label("Position (1-based)", exact=True)).to_have_value("2000")
    expect(app.slider("Bases shown each side")).to_have_value("7")
    expect(app.main().get_by_role("checkbox", name="Average scores with the reverse-complement strand")
           ).not_to_be_checked()
    app.press("Score variant")
    ref = chloroplast_seq()[1999]
    heading = app.main().get_by_role("heading", name=f"{CHLORO}:2000{ref}>{_alt(ref)}")
    expect(heading).to_be_visible()
    assert app.metric("LLR (this ALT)") != "—" and app.table_rows(0) == 3


def _alt(ref: str) -> str:
    return "A" if ref != "A" else "C"


def _embeddings(app) -> None:
    expect(app.main().get_by_label("Windows per class and split (cap)", exact=True)).to_have_value("3")
    expect(app.main().get_by_label("Window length (bp)", exact=True)).to_have_value("256")
    expect(app.slider("k-mer baseline k")).to_have_value("2")
    app.press("Embed windows")
    figs = app.wait_charts(2)
    scatter = next(f for f in figs if "windows" in f["title"])
    assert "layer(s) 3" in scatter["title"]
    expect(app.main().get_by_role("radio", name="gc", exact=True)).to_be_checked()  # colour from the link
    assert app.table_rows(0) == 3  # separation: the model, the 2-mer baseline, both


def _attribution(app) -> None:
    expect(app.main().get_by_label(ATTRIBUTION_REGION, exact=True)).to_have_value(f"{CHLORO}:1001-1030")
    expect(app.combobox("Method")).to_have_value(re.compile("^Saliency"))
    expect(app.combobox("JASPAR CORE group")).to_have_value(re.compile("^plants"))
    app.press("Compute attributions")
    fig = app.wait_charts(1)[0]
    xs = [x for t in fig["traces"] for x in t["x"] if isinstance(x, (int, float))]
    assert min(xs) >= 1000 and max(xs) <= 1031  # drawn over the linked 30 bp
    assert "Seqlets:" in app.main().inner_text()


def _motifs(app) -> None:
    expect(app.combobox("Region class")).to_have_value(re.compile("^intergenic"))
    expect(app.slider("Windows (held-out first)")).to_have_value("2")
    expect(app.combobox("Method")).to_have_value(re.compile("^Saliency"))
    app.press("Find motifs")
    expect(app.main().get_by_text(re.compile(r"^2 intergenic windows · "))).to_be_visible()


def _compare(app) -> None:
    expect(app.combobox("Model A")).to_have_value(re.compile("^Default CLM"))
    expect(app.combobox("Model B")).to_have_value(re.compile("^Default MLM"))
    expect(app.main().get_by_label("Region (1-based chrom:start-end, ≤ 500 bp)", exact=True)
           ).to_have_value(f"{CHLORO}:3001-3020")
    app.press("Compare")
    app.wait_charts(2)
    assert app.metric("Variants scored by both") == "15 / 15"


DEEP_LINKS = [
    ("", {"model": "default-clm", "genome": "chloroplast"}, _home),
    ("logits", {"genome": "chloroplast", "region": f"{CHLORO}:2001-2040", "mode": "unmasked", "rc": "1",
                "logo": "probability"}, _logits),
    ("variants", {"genome": "chloroplast", "chrom": CHLORO, "pos": "2000", "alt": _alt(chloroplast_seq()[1999]),
                  "half": "7", "rc": "0"}, _variants),
    ("embeddings", {"genome": "chloroplast", "cap": "3", "k": "2", "layers": "3", "length": "256",
                    "stride": "150", "seed": "7", "color": "gc"}, _embeddings),
    ("attribution", {"genome": "chloroplast", "region": f"{CHLORO}:1001-1030", "method": "saliency",
                     "steps": "20", "tax": "plants"}, _attribution),
    ("motifs", {"genome": "chloroplast", "class": "intergenic", "n": "2", "method": "saliency",
                "tax": "plants"}, _motifs),
    ("compare", {"genome": "chloroplast", "a_model": "default-clm", "b_model": "default-mlm",
                 "region": f"{CHLORO}:3001-3020", "sites": "5"}, _compare),
]


@pytest.mark.parametrize("path, query, check", DEEP_LINKS, ids=[p or "home" for p, _, _ in DEEP_LINKS])
def test_deep_link_on_a_fresh_server(fresh_server, new_tab, path, query, check):
    app = _open_deep_link(new_tab, fresh_server, path, query)
    check(app)
    assert not app.errors(), app.errors()
    app.assert_clean()
    app.screenshot(f"deep-link-{path or 'home'}")


def test_copied_link_reopens_the_same_view(app, new_tab):
    app.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.base)
    app.open("logits", "genome=chloroplast")
    app.type_text(LOGITS_REGION, f"{CHLORO}:2101-2130", submit=False)
    app.select("Mode", re.compile("^unmasked reconstruction"), where=app.main())
    app.main().get_by_text("Average with the reverse-complement strand").click()
    app.radio("Logo letters", "probability")
    app.press("Compute predictions")
    before = app.wait_charts(1)
    numbers = {m: app.metric(m) for m in ("Mean log-likelihood", "Mean P(ref)", "Top base ≠ ref")}

    link = app.copied_link()
    assert link.startswith(f"{app.base}/logits?")
    for part in ("genome=chloroplast", f"region={CHLORO}:2101-2130", "mode=unmasked", "rc=1", "logo=probability"):
        assert part in link, (part, link)
    here, copied = urlsplit(app.location()), urlsplit(link)
    assert (here.path, parse_qs(here.query)) == (copied.path, parse_qs(copied.query))  # = the address bar

    other = new_tab(app.base)  # a new browser context: no session, no cookies, no storage shared
    other.open_link(link)
    expect(other.main().get_by_label(LOGITS_REGION, exact=True)).to_have_value(f"{CHLORO}:2101-2130")
    other.press("Compute predictions")
    after = other.wait_charts(1)
    assert {m: other.metric(m) for m in numbers} == numbers
    assert [t["y"] for t in after[0]["traces"]] == [t["y"] for t in before[0]["traces"]]
    assert not other.errors() and not app.errors()


@pytest.fixture(scope="module")
def kmer_dir(tmp_path_factory):
    from hf_builders import build_kmer_esm

    folder = tmp_path_factory.mktemp("hf") / "tiny-kmer-esm"
    build_kmer_esm(folder)
    return folder


def _help_text(app, label: str) -> str:
    """The help tooltip of the selectbox labelled ``label`` (hovering its help icon)."""
    box = app.main().locator('[data-testid="stSelectbox"]').filter(
        has=app.page.get_by_role("combobox", name=label, exact=True))
    box.locator('[data-testid="stTooltipHoverTarget"]').first.hover()
    tip = app.page.get_by_test_id("stTooltipContent").last
    tip.wait_for()
    return tip.inner_text()


def test_kmer_model_greys_out_what_it_cannot_serve(app, kmer_dir):
    query = urlencode({"model": f"hf:{kmer_dir}", "genome": "chloroplast"})
    app.open("attribution", query)
    expect(app.combobox("Model", app.sidebar())).to_have_value(re.compile("^HF: "))
    expect(app.combobox("Method")).to_be_disabled()
    expect(app.combobox("Method")).to_have_value(re.compile("^In-silico mutagenesis only"))
    assert "Unsupported for this model" in _help_text(app, "Method")
    expect(app.combobox("Probe class (probe target)")).to_be_disabled()
    fit = app.expand("Region-class probe target").get_by_role("button", name="Fit a region-class probe")
    expect(fit).to_be_disabled()
    expect(app.combobox("Target")).to_be_enabled()  # likelihood targets stay
    assert not app.errors()

    app.open("motifs", query)
    expect(app.main().get_by_role("button", name="Find motifs")).to_be_disabled()
    expect(app.combobox("Method")).to_be_disabled()
    assert not app.errors()
