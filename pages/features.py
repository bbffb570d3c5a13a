"""Learned features: what the model's units detect, named, placed on the genome, and checked against chance."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import features as views


@dataclass(frozen=True)
class FeaturesParams(params.PageParams):
    PREFIX = "features"
    which: str = params.param("block1", choices=tuple(views.DICTIONARIES), name="dict")
    feature: int = params.param(0, lo=0, hi=65535)


navigation.require_app()
st.title("Learned features")
st.markdown(
    "A **dictionary** of what the model's units detect: the convolution channels of one block of a built-in CNN, "
    "or the latents of a TopK **sparse autoencoder** on a layer. Each feature's strongest sites (one per window, "
    "≥ half its maximum) give a PFM, named by **TOMTOM** against JASPAR; its **class enrichment** is an odds ratio "
    "on the held-out chromosome. Random filters match JASPAR too, so every number has two **controls** beside it: "
    "the same architecture with **random weights**, and the model on **dinucleotide-shuffled** windows. A feature "
    "*beats* a control when its motif or class score is significant and above the control's 95th percentile — so "
    "about 5 % of features pass one control by chance: read the headline against that. A class-detector claim also "
    "needs the feature's held-out AUROC above the **k-mer logistic baseline**'s (composition alone).")

fd = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    params.seed(FeaturesParams())
    c1, c2 = st.columns([2, 1])
    c1.selectbox("Dictionary", list(views.DICTIONARIES), format_func=views.DICTIONARIES.get, key="features_dict")
    p = params.from_widgets(FeaturesParams)
    fd = views.shipped(model, p.which)
    if fd is None:
        st.info("No precomputed dictionary for this model and genome: press **Compute** (several minutes on 2 "
                "cores), or run `python -m glm_explore features --out DIR`.")
        if c2.button("Compute", type="primary", key="features_go"):
            params.record_run(p)
        run = params.last_run(FeaturesParams)
        fd = views.computed(run, model, data) if run else None

if fd is not None:
    views.show_headline(fd)
    views.show_table(fd)
    with user_errors():
        views.show_concept_search(model, data, fd)
    with user_errors():
        params.seed(FeaturesParams(), {"feature": list(range(fd.n_features))})
        st.selectbox("Feature", list(range(fd.n_features)), key="features_feature",
                     format_func=lambda f: f"{f}: {fd.table['best_name'].iloc[f]} (q {fd.table['best_q'].iloc[f]:.2g})"
                     + (" ★" if fd.table["beats_both"].iloc[f] else ""))
        urls.link_box(params.from_widgets(FeaturesParams))
        views.show_card(fd, int(st.session_state["features_feature"]))
        views.show_track(model, data, fd, int(st.session_state["features_feature"]))
