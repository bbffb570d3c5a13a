"""The link of a view: the shared keys (``model``, ``genome``) and the page's parameters in the URL.

Opening the link — in another browser, on a fresh server — shows the same page with the same
model, genome and parameters filled in; pressing Run gives the same result. Uploaded files cannot
travel in a link: the link then names the default / bundled input, and the page says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

import streamlit as st

from glm_explore.errors import GlmExploreError
from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET
from glm_explore.models.builtin import DEFAULT_MODEL

from .caches import GENOME_STATE, USER_DATASET, current_model_text, picked
from .model_keys import HF_CHOICE, ModelKey
from .params import SHARED_NOTES_STATE, PageParams, url_items

MODEL_URL, GENOME_URL = "model", "genome"
PAGE_PATH_STATE = "_page_url_path"  # set by app.py: the current page's URL path ('' for home)


def _note(text: str) -> None:
    st.session_state.setdefault(SHARED_NOTES_STATE, []).append(text)


def model_from_link(raw: str | None) -> str:
    """The model picker text for a link's ``model`` value (the default model if it names none)."""
    if raw is None:
        return DEFAULT_MODEL
    try:
        key = ModelKey.parse(raw)
    except GlmExploreError as exc:
        _note(f"model={raw!r} ({exc})")
        return DEFAULT_MODEL
    if key.trust_remote_code:
        _note(f"model={raw!r}: a link never lets a model's own code run; tick 'Trust remote code' in the "
              "sidebar if you trust it")
    return key.shareable().text


def genome_from_link(raw: str | None) -> str:
    """The genome picker choice for a link's ``genome`` value (the default genome if it names none)."""
    if raw is None or raw in DATASETS:
        return raw or DEFAULT_DATASET
    if raw == USER_DATASET:
        _note(f"genome={raw!r} (an uploaded genome cannot travel in a link: load it again under "
              "'Load your own genome' in the sidebar)")
    else:
        _note(f"genome={raw!r} (choose one of {', '.join(DATASETS)})")
    return DEFAULT_DATASET


def shared_items() -> dict[str, str]:
    """The model and genome of this session as URL query parameters."""
    items = {GENOME_URL: picked(GENOME_STATE, DEFAULT_DATASET)}
    text = current_model_text()
    if text != HF_CHOICE:
        try:
            items = {MODEL_URL: ModelKey.parse(text).shareable().text, **items}
        except GlmExploreError:
            pass
    return items


def show_shared_notes() -> None:
    """Warn about the link's model / genome values that were ignored (until the next Run)."""
    if st.session_state.get(SHARED_NOTES_STATE):
        st.warning("Ignored from the link: " + "; ".join(st.session_state[SHARED_NOTES_STATE]) + ".")


def view_link(items: dict[str, str]) -> str:
    """The full link of a view (``st.context.url`` + query); a relative link where the browser's URL is unknown."""
    base = st.context.url or "/" + st.session_state.get(PAGE_PATH_STATE, "")
    return f"{base}?{urlencode(items, safe=':/,')}"


def link_box(params: PageParams | None = None, notes: Iterable[str] = ()) -> str:
    """Write this view (shared keys + ``params``) to the URL and show "Copy link to this view" (in the
    sidebar, the same place on every page); ``notes`` say what the link cannot carry (uploads). Returns the link."""
    items = {**shared_items(), **(url_items(params) if params is not None else {})}
    if st.query_params.to_dict() != items:
        st.query_params.from_dict(items)
    notes = list(notes)
    if picked(GENOME_STATE, DEFAULT_DATASET) == USER_DATASET:
        notes.insert(0, "Your uploaded genome cannot travel in a link: whoever opens it gets the bundled "
                        f"{DATASETS[DEFAULT_DATASET].label} genome.")
    link = view_link(items)
    with st.sidebar.expander("Copy link to this view", icon=":material/link:"):
        st.caption("Opening this link (also on another machine running glm-explore) shows this page with the "
                   "same model, genome and parameters; press the page's Run button to get the same result.")
        st.code(link, language=None, wrap_lines=True)
        for note in notes:
            st.caption(note)
    return link
