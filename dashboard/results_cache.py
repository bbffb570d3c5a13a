"""Results computed once per session under a progress bar (``st.cache_data`` cannot replay one)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from glm_explore.cost import eta_progress

Progress = Callable[[float, str], None]


def session_cached(store: str, key: Hashable, fn: Callable[[Progress], Any], *, message: str = "Computing…",
                   max_entries: int = 8) -> Any:
    """``fn(progress)`` computed once per ``key`` in this session, under a progress bar.

    Results live in ``st.session_state[store]``; past ``max_entries`` the oldest result is dropped.
    """
    cache = st.session_state.setdefault(store, {})
    if key not in cache:
        bar = st.progress(0.0, message)
        cache[key] = fn(eta_progress(lambda f, msg: bar.progress(f, msg)))
        bar.empty()
        while len(cache) > max_entries:
            cache.pop(next(iter(cache)))
    return cache[key]
