"""Genome browser: igv.js over the loaded genome, its annotation and the model's per-base tracks."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import browser as views
from glm_explore import browser
from glm_explore.io.genome import parse_region
from glm_explore.models.builtin import BUILTIN_MODELS

GOOD = "_browser_good_locus"  # the last locus that resolved: shown while a typed one is wrong


@dataclass(frozen=True)
class BrowserParams(params.PageParams):
    PREFIX = "browser"
    locus: str = ""
    tracks: tuple[str, ...] = params.param(browser.DEFAULT_LANES, choices=tuple(browser.LANES))
    model2: str = params.param("", choices=("", *BUILTIN_MODELS))
    rc: bool = False
    stored: str = ""


def moved(value=None) -> None:
    """igv.js reported a pan / zoom / search: it becomes the locus (and reaches the URL)."""
    value = st.session_state.get("browser_igv") if value is None else value
    if isinstance(value, dict) and value.get("locus"):
        st.session_state["browser_locus"] = value["locus"]


navigation.require_app()
st.title("Genome browser")
st.markdown("The loaded genome in [igv.js](https://igv.org) (vendored, offline): annotation lanes, and per-base "
            "model lanes for views up to 20 kb computed on demand — **P(ref)**, **entropy** (bits), **min LLR** "
            "(natural log; min over the 3 alternatives of log P(alt) − log P(ref), negative = constrained) and the "
            "**logo** lane, drawn as four stacked bars (A bottom, C, G, T; heights p·IC bits) because igv.js "
            "cannot draw letters. MLM: exact masked marginals; CLM: next-token. Drag, zoom or type a gene name; "
            "click a feature to open the logits / attribution / variant page there.")

view_region = None
with user_errors():
    data, model_text = caches.current_data(), caches.current_model_text()
    caches.current_model()  # a Hugging Face choice without a folder says so here
    genes = views.gene_index(caches.genome_key())
    params.seed(BrowserParams(locus=f"{data.genome.chroms[0]}:1,001-3,000"))
    c1, c2, c3 = st.columns([2, 4, 2])
    c1.text_input("Locus or gene (1-based chrom:start-end)", key="browser_locus")
    c2.multiselect("Tracks", list(browser.LANES), format_func=browser.LANES.get, key="browser_tracks")
    c3.selectbox("Paired second model", ["", *BUILTIN_MODELS], key="browser_model2",
                 format_func=lambda k: k or "none")
    with st.expander("Options: strands, stored track"):
        st.checkbox("Average model lanes with the reverse-complement strand (twice the compute)", key="browser_rc")
        st.text_input("Stored track: a `python -m glm_explore track` folder or a bigWig file (blank = found under "
                      "tracks/)", key="browser_stored")
    p = params.from_widgets(BrowserParams)
    urls.link_box(p)
    good = st.session_state.get(GOOD)
    if good and good[0] == caches.genome_key():  # a wrong locus below: its error shows, the last good view stays
        view_region = parse_region(good[1])
    view_region = browser.resolve_locus(data.genome, p.locus, genes)
    st.session_state[GOOD] = (caches.genome_key(), str(view_region))

if view_region is not None:
    with user_errors():
        view = views.make_view(p, data, model_text, view_region)
        views.draw(view, moved)
        views.handout(view)
