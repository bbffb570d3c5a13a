"""The genome-browser page's data: cached model blocks, the view, the igv.js component and the handout."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from dashboard import caches, costs
from dashboard.urls import shared_items
from glm_explore import browser as gb
from glm_explore import cost_defaults as cd
from glm_explore.browser.igv import FRONTEND
from glm_explore.browser.lanes import attribution_lane, variant_lane
from glm_explore.errors import TrackFileError
from glm_explore.io.genome import Region

DONE = "browser_blocks_done"  # (model text, genome key, block, rc) computed in this session: free to show again
TRACK_ROOTS_ENV = "GLM_EXPLORE_TRACKS"  # as the logits page: folders searched for stored tracks (default tracks/)
_igv = components.declare_component("glm_genome_browser", path=str(FRONTEND))


@st.cache_data(max_entries=512, show_spinner=False)
def block_log_probs(model_text: str, genome_key: str, chrom: str, start: int, end: int, rc: bool) -> np.ndarray:
    """(4, n) log-probabilities of one model block (cached per block: panning reuses the blocks it has)."""
    model, data = caches.cached_model(model_text), caches.current_data()
    return gb.block_log_probs(model, data.genome, Region(chrom, start, end), rc=rc)


def window_log_probs(model_text: str, genome_key: str, window: Region, rc: bool) -> np.ndarray:
    """(4, L) over the window, block by block under a progress bar."""
    todo = gb.blocks(window)
    bar = st.progress(0.0, f"Computing {model_text} predictions for {window} …")
    parts = []
    for i, b in enumerate(todo):
        bar.progress(i / len(todo), f"{model_text}: exact per-base predictions, block {i + 1}/{len(todo)} ({b})")
        parts.append(block_log_probs(model_text, genome_key, b.chrom, b.start, b.end, rc))
        st.session_state.setdefault(DONE, set()).add((model_text, genome_key, b, rc))
    bar.empty()
    return np.concatenate(parts, axis=1)


def lanes_agreed(texts: list[str], genome_key: str, window: Region, rc: bool, data) -> bool:
    """Whether the model lanes of ``texts`` over ``window`` may be computed now: every block already computed in
    this session, or the blocks still to do are short (:func:`glm_explore.cost_defaults.browser_lanes_cost`), or
    the user agreed to their measured estimate (*Run anyway*)."""
    done = st.session_state.get(DONE, set())
    todo = [b for b in gb.blocks(window) if any((t, genome_key, b, rc) not in done for t in texts)]
    if not todo:
        return True
    cost = cd.browser_lanes_cost([caches.cached_model(t) for t in texts], data.genome, todo, rc=rc)
    return costs.confirm_cost(cost, (tuple(texts), genome_key, str(window), rc), key="browser_cost_go")


@st.cache_data(max_entries=4, show_spinner=False)
def gene_index(genome_key: str) -> dict[str, str]:
    data = caches.current_data()
    return gb.gene_index(data.genes()) if data.annotation is not None else {}


def found_stored(data) -> list[str]:
    from glm_explore import track as tk

    roots = os.environ.get(TRACK_ROOTS_ENV, "tracks").split(os.pathsep)
    return [str(p) for p in tk.find_tracks(roots, genome_name=data.genome.name)]


def analysis_lanes(lanes, window: Region) -> list:
    """Other pages' last results in this session, as lanes over ``window`` (absent ones are skipped)."""
    out = []
    if "variants" in lanes:
        cache = st.session_state.get("variants_batch_cache") or {}
        if cache:
            scores, skipped, _ = list(cache.values())[-1]
            table = pd.concat([scores.assign(llr=scores.get("llr")),
                               skipped.assign(llr=np.nan)], ignore_index=True) if len(skipped) else scores
            out.append(variant_lane(table, window))
    if "attribution" in lanes:
        cache = st.session_state.get("attribution_results") or {}
        res = list(cache.values())[-1] if cache else None
        res = next((r for r in (res if isinstance(res, tuple) else (res,)) if hasattr(r, "per_position")), None)
        if res is not None and res.chrom is not None:
            lane = attribution_lane(res.per_position(), Region(res.chrom, res.start, res.start + res.length), window,
                                    name=f"Attribution · {res.method} · {res.model}")
            if lane is not None:
                out.append(lane)
    return out


def make_view(p, data, model_text: str, region: Region):
    """The BrowserView of the page's params over ``region`` (model lanes computed / cached per block)."""
    lanes = gb.check_lanes(p.tracks)
    window = gb.data_window(region, data.genome.lengths[region.chrom])
    log_probs = None
    texts = [model_text] + ([p.model2] if p.model2 else [])
    if (gb.wants_model(lanes) and region.length <= gb.MAX_MODEL_BP
            and lanes_agreed(texts, caches.genome_key(), window, p.rc, data)):
        log_probs = {}
        for text in texts:
            name = text if text not in log_probs else f"{text} (2)"
            log_probs[name] = window_log_probs(text, caches.genome_key(), window, p.rc)
    stored = (p.stored.strip() or next(iter(found_stored(data)), None)) if "stored" in lanes else None
    extra, genes = analysis_lanes(lanes, window), gene_index(caches.genome_key())
    try:
        return gb.build_view(data, region, lanes, log_probs=log_probs, stored=stored, extra=extra, genes=genes)
    except TrackFileError as exc:  # a bad stored-track file: say so, and show the view without it
        st.error(str(exc))
        return gb.build_view(data, region, [x for x in lanes if x != "stored"], log_probs=log_probs, extra=extra,
                             genes=genes)


def links() -> dict:
    """Where feature pop-ups link to: this app's pages, with the session's model and genome."""
    url = st.context.url or ""
    base = url.rsplit("/", 1)[0] + "/" if url.count("/") >= 3 else "/"
    return {"base": base, "shared": shared_items()}


def draw(view, on_locus) -> None:
    """The igv.js browser (a custom component); a pan / zoom / search reports the locus to ``on_locus``."""
    for note in view.notes:
        st.info(note)
    _igv(config=gb.igv_config(view, links=links()), key="browser_igv", default=None, on_change=on_locus,
         height=600)


def handout(view) -> None:
    st.download_button("Download this view (one HTML file, opens offline)", gb.handout_html(view),
                       file_name=f"genome-browser_{view.locus}.html".replace(":", "_"), mime="text/html",
                       key="browser_download")
    st.caption(f"The file holds igv.js {gb.igv_version()} (MIT) and only this view's window ({view.window}) — "
               "sequence, features and model values — so it opens from disk on any laptop, without network or "
               "Python. Same from the command line: `python -m glm_explore browser-export`.")
