"""Compare models: two models on the same region — logit tracks, variant scores, embedding UMAPs."""

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.model_keys import shareable_text
from dashboard.views import compare as views
from glm_explore.errors import InputTooLargeError
from glm_explore.io.genome import parse_region
from glm_explore.models.capabilities import capability_matrix

LENGTHS = (128, 256, 512)


@dataclass(frozen=True)
class CompareParams(params.PageParams):
    PREFIX = "compare"
    a_model: str = "default-mlm"
    b_model: str = "default-clm"
    region: str = ""
    sites: int = params.param(20, lo=5, hi=200)
    embed_length: int = params.param(256, choices=LENGTHS)
    embed_cap: int = params.param(40, lo=10, hi=200)


navigation.require_app()
st.title("Compare models")
st.markdown("Two models on the same input. **Logits**: MLMs give exact masked marginals, CLMs next-base "
            "probabilities, aligned per position. **Variants**: every substitution at the first positions of the "
            "region, scored by each model (MLM masked LLR, CLM Δ log-likelihood; natural "
            "log, negative = alt less likely). **Embeddings**: the same labelled windows embedded by both.")

keys = run = None  # stay None if loading the genome or a model fails below
with user_errors():
    data = caches.current_data()
    params.seed(CompareParams(region=f"{data.genome.chroms[0]}:1001-1100"),
                {"a_model": views.model_problem, "b_model": views.model_problem,
                 "region": params.region_problem(data.genome)})
    left, right = st.columns(2)
    keys = (views.picker("a", left), views.picker("b", right))
    models = views.labelled(keys)
    caps = [capability_matrix(m).set_index("what") for m in models.values()]
    with st.expander("Capabilities side by side"):
        st.dataframe(pd.DataFrame({label: c["value"] for label, c in zip(models, caps)}))
    with st.form("compare_form"):
        st.text_input("Region (1-based chrom:start-end, ≤ 500 bp)", key="compare_region")
        st.number_input("Positions to mutate (× 3 substitutions, from the region start)", 5, 200, step=5,
                        key="compare_sites")
        go = st.form_submit_button("Compare", type="primary", key="compare_go")
    p = params.from_widgets(CompareParams)  # the embedding form's values too (drawn below)
    urls.link_box(replace(p, a_model=shareable_text(p.a_model), b_model=shareable_text(p.b_model)))
    if go:
        if data.genome.check_region(parse_region(p.region)).length > 500:
            raise InputTooLargeError("Pick at most 500 bp to compare (two models, every position).")
        params.record_run(p, uses_model=False)
    run = params.last_run(CompareParams, uses_model=False)
    run = run if run and (run.params.a_model, run.params.b_model) == keys else None

if run:
    with user_errors():
        res = views.compared(keys, run)
        if res is not None:
            views.show_logits(res[0])
            views.show_variants(res[1])

if keys is not None:
    with st.expander("Embeddings of both models (UMAP + class separation)"), user_errors():
        with st.form("compare_embed_form"):
            st.select_slider("Window length (bp)", LENGTHS, key="compare_embed_length")
            st.number_input("Windows per class (max)", 10, 200, step=10, key="compare_embed_cap")
            if st.form_submit_button("Embed windows with both models", key="compare_embed_go"):
                params.record_run(params.from_widgets(CompareParams), "embed", uses_model=False)
        emb = params.last_run(CompareParams, "embed", uses_model=False)
        if emb and (emb.params.a_model, emb.params.b_model) == keys:
            views.show_embeddings(views.embedded(keys, emb))
