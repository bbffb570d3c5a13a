"""The region-class probe, shared by the embedding explorer, attribution and motif pages.

The explorer (or a "Fit" button) keeps one probe per session with the model and genome it belongs
to; the attribution and motif pages use it as the **probe** target. Runs name a probe by its
content (:func:`probe_digest`), never by object identity.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from glm_explore.embed import PROBE_CAP
from glm_explore.models.capabilities import feature_status, supports_probe_target

from .caches import current_data, current_model, current_model_text, genome_key
from .errors import user_errors

PROBE_STATE = "region_probe"


def _probe_owner() -> str:
    """Which model + genome a probe in session state belongs to."""
    return f"{current_model_text()}|{genome_key()}"


def probe_digest(held: dict | None) -> str | None:
    """SHA-1 (16 hex digits) of a held probe's JSON (weights, classes, recipe); None without a probe."""
    if held is None:
        return None
    return held.get("digest") or hashlib.sha1(held["probe"].to_json().encode()).hexdigest()[:16]


def remember_probe(probe, windows, source: str) -> None:
    """Keep the probe (and the windows it was fit on) for the current model and genome."""
    held = {"owner": _probe_owner(), "probe": probe, "windows": windows, "source": source}
    st.session_state[PROBE_STATE] = {**held, "digest": probe_digest(held)}


def current_probe() -> dict | None:
    """``{"probe", "windows", "source", "digest"}`` for the current model and genome, or None (also when
    the model cannot take the probe target: no differentiable hidden states)."""
    held = st.session_state.get(PROBE_STATE)
    ok = held and held["owner"] == _probe_owner() and supports_probe_target(current_model())
    return held if ok else None


def probe_unavailable_note() -> str:
    """Why there is no probe target now (help text of the greyed-out probe controls)."""
    if not supports_probe_target(current_model()):
        return "Unsupported for this model: " + feature_status(current_model(), "Probe attribution target")[1] + "."
    return ("No region-class probe for this model and genome yet: fit one on the Embedding explorer or with "
            "'Fit a region-class probe'.")


@st.cache_resource(show_spinner=False, max_entries=4)
def _fit_default_probe(owner: str, _model, _data):
    from glm_explore.embed import fit_region_probe

    bar = st.progress(0.0, "Embedding windows for the probe…")
    out = fit_region_probe(_model, _data, seed=0, progress=lambda f, m: bar.progress(f, m))
    bar.empty()
    return out


def probe_fit_button(key: str) -> None:
    """Offer to fit the region-class probe here (last layer, the explorer's default recipe); greyed out
    with the reason when the model cannot take the probe target."""
    st.caption(f"No region-class probe for this model yet. Fit one on the Embedding explorer (your layers and "
               f"windows), or here: last layer, 512-bp windows, centre 100 bp, {PROBE_CAP} windows per class "
               "and split.")
    supported = supports_probe_target(current_model())
    if st.button("Fit a region-class probe", key=key, disabled=not supported,
                 help=None if supported else probe_unavailable_note()):
        with user_errors():
            probe, ws = _fit_default_probe(_probe_owner(), current_model(), current_data())
            remember_probe(probe, ws, f"fit here on {probe.n_train} training windows")
            st.rerun()
