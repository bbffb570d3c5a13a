""""Features most changed by this allele": for one variant, the learned features (a shipped dictionary of the
current model) whose activation the ALT allele changes most near the variant. Called by the variants page."""

from __future__ import annotations

import streamlit as st

from dashboard import caches
from dashboard.errors import user_errors
from dashboard.results_cache import session_cached
from dashboard.views.features import DICTIONARIES, dictionary_key, shipped
from glm_explore.features.query import features_changed_by_allele


def render_allele_features(variant, *, radius: int = 20, top: int = 10, key: str = "allele_features") -> None:
    """An expander with the ``top`` features most changed by ``variant`` (a
    :class:`~glm_explore.results.Variant`, SNV) within ±``radius`` bp, from a dictionary picked there; says so
    when no dictionary ships for the current model and genome. Errors show as one line (never a traceback)."""
    with st.expander("Learned features most changed by this allele"), user_errors():
        model, data = caches.current_model(), caches.current_data()
        avail = {w: fd for w in DICTIONARIES if (fd := shipped(model, w)) is not None}
        if not avail:
            st.info("No learned-features dictionary ships for this model and genome (see the Learned features page).")
            return
        which = st.selectbox("Dictionary", list(avail), format_func=DICTIONARIES.get, key=f"{key}_dict")
        fd = avail[which]
        df = session_cached(f"{key}_results", (caches.genome_key(), dictionary_key(fd), str(variant), radius, top),
                            lambda _p: features_changed_by_allele(model, fd, data.genome, variant, radius=radius,
                                                                  top=top),
                            message="Reading the features on both alleles…")
        st.caption(f"Δ = alt − ref activation where it changes most within ±{radius} bp of {variant} (offset: bp "
                   f"from the variant, + = 3′ on the forward strand); window {df.attrs['region']}. ★ = beats both "
                   "controls (see the Learned features page).")
        st.dataframe(df, hide_index=True, key=f"{key}_table",
                     column_config={"q": st.column_config.NumberColumn("TOMTOM q", format="%.2g"),
                                    "delta": st.column_config.NumberColumn("Δ (alt − ref)", format="%+.3g"),
                                    "abs_delta": None,
                                    "ref_peak": st.column_config.NumberColumn("ref", format="%.3g"),
                                    "alt_peak": st.column_config.NumberColumn("alt", format="%.3g")})
