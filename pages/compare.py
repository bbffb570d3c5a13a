"""Compare models: two models on the same region — logit tracks, variant scores, embedding UMAPs."""

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from dashboard import caches, navigation, sidebar, urls
from dashboard import params as pp
from dashboard.errors import user_errors
from dashboard.model_keys import HF_CHOICE, ModelKey, is_hf_text, shareable_text
from glm_explore import compare as cmp
from glm_explore.errors import GlmExploreError, InputTooLargeError
from glm_explore.genome import parse_region
from glm_explore.models.capabilities import capability_matrix
from glm_explore.plots import embedding_scatter, logits_comparison, score_scatter

LENGTHS = (128, 256, 512)


@dataclass(frozen=True)
class CompareParams(pp.PageParams):
    PREFIX = "compare"
    a_model: str = "default-mlm"
    b_model: str = "default-clm"
    region: str = ""
    sites: int = pp.param(20, lo=5, hi=200)
    embed_length: int = pp.param(256, choices=LENGTHS)
    embed_cap: int = pp.param(40, lo=10, hi=200)


def model_problem(text: str) -> str | None:
    """What is wrong with a picker text from a link (None if fine)."""
    try:
        key = ModelKey.parse(text) if text != HF_CHOICE else None
    except GlmExploreError as exc:
        return str(exc)
    return "a link never lets a model's own code run" if key and key.trust_remote_code else None


def picker(side: str, col) -> str:
    state = f"compare_{side}_model"
    opts = sidebar.model_options(state)
    col.selectbox(f"Model {side.upper()}", list(opts), format_func=opts.get, key=state)
    if is_hf_text(st.session_state[state]):
        sidebar.hf_model_inputs(f"compare_{side}", container=col, target=state)
    return st.session_state[state]


def labelled(keys: tuple[str, str]) -> dict:
    models = [caches.cached_model(k) for k in keys]
    return {f"{s}: {m.info.name}": m for s, m in zip("AB", models)}


@st.cache_data(max_entries=8, show_spinner="Predicting every position with both models…")
def logits_for(keys, data_key, region):
    return cmp.compare_logits(labelled(keys), caches.current_data(), region)


@st.cache_data(max_entries=8, show_spinner="Scoring every substitution with both models…")
def variants_for(keys, data_key, region, sites):
    data = caches.current_data()
    return cmp.compare_variant_scores(labelled(keys), data, cmp.region_snvs(data, region, max_sites=sites))


@st.cache_data(max_entries=4, show_spinner="Embedding windows with both models and running UMAP…")
def embeddings_for(keys, data_key, length, cap):
    return cmp.compare_embeddings(labelled(keys), caches.current_data(), length=length, cap_per_class=cap)


navigation.require_app()
st.title("Compare models")
st.markdown("Two models on the same input. **Logits**: MLMs give exact masked marginals, CLMs next-base "
            "probabilities, aligned per position. **Variants**: every substitution at the first positions of the "
            "region, scored by each model (MLM masked LLR, CLM Δ log-likelihood; natural "
            "log, negative = alt less likely). **Embeddings**: the same labelled windows embedded by both.")

keys = run = None  # stay None if loading the genome or a model fails below
with user_errors():
    data = caches.current_data()
    pp.seed(CompareParams(region=f"{data.genome.chroms[0]}:1001-1100"),
            {"a_model": model_problem, "b_model": model_problem, "region": pp.region_problem(data.genome)})
    left, right = st.columns(2)
    keys = (picker("a", left), picker("b", right))
    models = labelled(keys)
    caps = [capability_matrix(m).set_index("what") for m in models.values()]
    with st.expander("Capabilities side by side"):
        st.dataframe(pd.DataFrame({label: c["value"] for label, c in zip(models, caps)}))
    with st.form("compare_form"):
        st.text_input("Region (1-based chrom:start-end, ≤ 500 bp)", key="compare_region")
        st.number_input("Positions to mutate (× 3 substitutions, from the region start)", 5, 200, step=5,
                        key="compare_sites")
        go = st.form_submit_button("Compare", type="primary", key="compare_go")
    p = pp.from_widgets(CompareParams)  # the embedding form's values too (drawn below)
    urls.link_box(replace(p, a_model=shareable_text(p.a_model), b_model=shareable_text(p.b_model)))
    if go:
        if data.genome.check_region(parse_region(p.region)).length > 500:
            raise InputTooLargeError("Pick at most 500 bp to compare (two models, every position).")
        pp.record_run(p, uses_model=False)
    run = pp.last_run(CompareParams, uses_model=False)
    run = run if run and (run.params.a_model, run.params.b_model) == keys else None

if run:
    p = run.params
    with user_errors():
        st.subheader("Logit tracks")
        tables = logits_for(keys, run.genome, p.region.strip())
        st.plotly_chart(logits_comparison(tables), key="compare_logits_chart")
        st.caption("P(ref) agreement over the region's positions (log P(ref), natural log):")
        st.dataframe(cmp.agreement(tables), hide_index=True)
    with user_errors():
        st.subheader("Variant scores")
        scores = variants_for(keys, run.genome, p.region.strip(), p.sites)
        a, b = [c for c in scores.columns if c.startswith("llr ")]
        stats = cmp.correlation(scores[a], scores[b])
        c1, c2, c3 = st.columns(3)
        c1.metric("Pearson r", f"{stats['pearson']:.3f}")
        c2.metric("Spearman ρ", f"{stats['spearman']:.3f}")
        c3.metric("Variants scored by both", f"{stats['n']:,} / {len(scores):,}")
        st.plotly_chart(score_scatter(scores, a, b, stats=stats), key="compare_variants_chart")
        st.download_button("Download scores (CSV)", scores.to_csv(index=False), "compare_variant_scores.csv",
                           "text/csv", key="compare_download")

if keys is not None:
    with st.expander("Embeddings of both models (UMAP + class separation)"), user_errors():
        with st.form("compare_embed_form"):
            st.select_slider("Window length (bp)", LENGTHS, key="compare_embed_length")
            st.number_input("Windows per class (max)", 10, 200, step=10, key="compare_embed_cap")
            if st.form_submit_button("Embed windows with both models", key="compare_embed_go"):
                pp.record_run(pp.from_widgets(CompareParams), "embed", uses_model=False)
        emb = pp.last_run(CompareParams, "embed", uses_model=False)
        if emb and (emb.params.a_model, emb.params.b_model) == keys:
            frames, sep = embeddings_for(keys, emb.genome, emb.params.embed_length, emb.params.embed_cap)
            st.dataframe(sep, hide_index=True)
            st.caption("Probes fit on training windows, scored on held-out windows (kNN accuracy, macro-F1).")
            for col, (label, frame) in zip(st.columns(2), frames.items()):
                col.plotly_chart(embedding_scatter(frame, x="umap1", y="umap2", title=label,
                                                   axis_titles=("UMAP1", "UMAP2"), height=420),
                                 key=f"compare_umap_{label[0]}")
