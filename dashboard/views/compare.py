"""The compare page's plumbing and results: model pickers, both models' cached logits / scores / embeddings."""

import streamlit as st

from dashboard import caches, sidebar
from dashboard import params as pp
from dashboard.model_keys import HF_CHOICE, ModelKey, is_hf_text
from glm_explore import compare as cmp
from glm_explore.errors import GlmExploreError
from glm_explore.logits import position_table
from glm_explore.plots import embedding_scatter, logits_comparison, score_scatter


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


def show_logits(keys, run: pp.Run):
    st.subheader("Logit tracks")
    results = logits_for(keys, run.genome, run.params.region.strip())
    st.plotly_chart(logits_comparison(results), key="compare_logits_chart")
    tables = {label: position_table(res) for label, res in results.items()}
    st.caption("P(ref) agreement over the region's positions (log P(ref), natural log):")
    st.dataframe(cmp.agreement(tables), hide_index=True)


def show_variants(keys, run: pp.Run):
    st.subheader("Variant scores")
    scores = variants_for(keys, run.genome, run.params.region.strip(), run.params.sites)
    a, b = [c for c in scores.columns if c.startswith("llr ")]
    stats = cmp.correlation(scores[a], scores[b])
    c1, c2, c3 = st.columns(3)
    c1.metric("Pearson r", f"{stats['pearson']:.3f}")
    c2.metric("Spearman ρ", f"{stats['spearman']:.3f}")
    c3.metric("Variants scored by both", f"{stats['n']:,} / {len(scores):,}")
    st.plotly_chart(score_scatter(scores, a, b, stats=stats), key="compare_variants_chart")
    st.download_button("Download scores (CSV)", scores.to_csv(index=False), "compare_variant_scores.csv",
                       "text/csv", key="compare_download")


def show_embeddings(keys, emb: pp.Run):
    frames, sep = embeddings_for(keys, emb.genome, emb.params.embed_length, emb.params.embed_cap)
    st.dataframe(sep, hide_index=True)
    st.caption("Probes fit on training windows, scored on held-out windows (kNN accuracy, macro-F1).")
    for col, (label, frame) in zip(st.columns(2), frames.items()):
        col.plotly_chart(embedding_scatter(frame, x="umap1", y="umap2", title=label,
                                           axis_titles=("UMAP1", "UMAP2"), height=420),
                         key=f"compare_umap_{label[0]}")
