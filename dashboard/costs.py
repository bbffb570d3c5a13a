"""Cost before compute on the pages: a long job's measured estimate, and its start only after the user agrees.

The estimate comes from :mod:`glm_explore.cost` (the job run on a small probe of this model, remembered for the
process); a job under :data:`glm_explore.cost.LONG_SECONDS` starts at once. While a job runs its progress bar
shows the time left (:func:`glm_explore.cost.eta_progress`) and Streamlit's Stop button (top right) ends it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

import streamlit as st

from glm_explore import cost as gc

AGREED = "cost_agreed"


def agreed_key(run: Hashable) -> str:
    """A short stable key for one Run (its repr hashed)."""
    return hashlib.sha1(repr(run).encode()).hexdigest()[:16]


def confirm_cost(cost: gc.Cost, run: Hashable, *, key: str) -> bool:
    """True when the job of ``run`` may start: at once when ``cost`` is short or this session already agreed to
    this run; else the estimate as a warning with a *Run anyway* button (``key``), and False until it is
    pressed."""
    agreed = st.session_state.setdefault(AGREED, set())
    tag = agreed_key(run)
    if not cost.long or tag in agreed:
        return True
    st.warning(f"**This will take {cost.text()}.** The progress bar will show the time left; Streamlit's "
               "**Stop** (top right) ends the job. Choose fewer or shorter inputs to make it quicker.",
               icon=":material/hourglass_top:")
    if st.button("Run anyway", key=key, type="primary"):
        agreed.add(tag)
        st.rerun()
    return False


def gate(store: str, run: Hashable, cost_of, *, key: str) -> bool:
    """Whether ``run`` may compute now: its result is already in the session store ``store`` (no estimate), or
    ``cost_of()`` (a :class:`~glm_explore.cost.Cost`, measured only when needed) passes :func:`confirm_cost`."""
    if run in st.session_state.get(store, {}):
        return True
    return confirm_cost(cost_of(), run, key=key)
