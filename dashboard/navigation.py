"""Moving between pages: a page URL opened on a fresh server, and the region hand-off."""

from __future__ import annotations

import streamlit as st

from glm_explore.errors import RegionError
from glm_explore.io.genome import parse_region

from .urls import PAGE_PATH_STATE, shared_items

REGION_URL = "region"


def require_app() -> None:
    """Run this page inside ``app.py`` (sidebar, navigation) also when a session starts on a page URL of a
    fresh server.

    Until an entry script has called ``st.navigation`` once in the process, Streamlit runs a file of
    the ``pages/`` folder on its own (no sidebar). A session's first such run turns that mode off and
    starts again, which runs ``app.py`` on the same page with the same query parameters. Call it
    first on every page. (Streamlit's AppTest turns the mode on again before every run; there only a
    session's first run starts again, so that later runs keep the button press being tested.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and PAGE_PATH_STATE not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()


def remember_page(url_path: str) -> None:
    """``app.py``: the current page's URL path (for links where the browser's URL is unknown)."""
    st.session_state[PAGE_PATH_STATE] = url_path


def handoff_region(region: str, page: str) -> None:
    """Open ``page`` (e.g. ``"pages/logits.py"``) on a 1-based ``chrom:start-end`` region (``?region=``)."""
    st.session_state["handoff_region"] = region
    st.switch_page(page, query_params={**shared_items(), REGION_URL: region})


def region_as_site() -> tuple[str, int] | None:
    """A handed-over ``?region=chrom:start-end`` as the site ``?chrom=…&pos=…`` at its centre (1-based),
    for pages that take one position; returns that site. A region that does not parse is reported."""
    raw = st.query_params.get(REGION_URL)
    if raw is None or "chrom" in st.query_params or "pos" in st.query_params:
        return None
    try:
        region = parse_region(raw)
    except RegionError as exc:
        st.warning(f"Ignored from the link: region={raw!r} ({exc}).")
        return None
    site = region.chrom, (region.start + region.end - 1) // 2 + 1
    del st.query_params[REGION_URL]
    st.query_params["chrom"], st.query_params["pos"] = site[0], str(site[1])
    return site
