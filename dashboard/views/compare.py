"""The compare page's plumbing and results: model pickers, both models' logits / scores / embeddings (once per
session, under a progress bar with the time left; a long Run waits for *Run anyway* with its measured cost)."""

import streamlit as st

from dashboard import caches, costs, sidebar
from dashboard import params as pp
from dashboard.model_keys import HF_CHOICE, ModelKey, is_hf_text
from dashboard.results_cache import session_cached
from glm_explore import compare as cmp
from glm_explore import cost_apply as ca
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


def compared(keys, run: pp.Run):
    """Both models' logits over the Run's region and their scores of its substitutions (once per session,
    progress bar); None while a long Run waits for *Run anyway* (the estimate covers both models)."""
    region, sites = run.params.region.strip(), run.params.sites
    models, data = labelled(keys), caches.current_data()

    def build(progress):
        logits = cmp.compare_logits(models, data, region, progress=lambda f, m: progress(0.5 * f, m))
        scores = cmp.compare_variant_scores(models, data, cmp.region_snvs(data, region, max_sites=sites),
                                            progress=lambda f, m: progress(0.5 + 0.5 * f, m))
        return logits, scores

    if not costs.gate("compare_results", (keys, run), lambda: ca.compare_cost(models, data, region, sites=sites),
                      key="compare_cost_go"):
        return None
    return session_cached("compare_results", (keys, run), build,
                          message="Predicting every position and scoring every substitution with both models…",
                          max_entries=4)


def embedded(keys, emb: pp.Run):
    """Both models' embeddings of the same labelled windows, UMAP and separation (once per session); None while a
    long Run waits for *Run anyway*."""
    length, cap = emb.params.embed_length, emb.params.embed_cap
    models, data = labelled(keys), caches.current_data()
    if not costs.gate("compare_embeddings", (keys, emb), lambda: ca.compare_embed_cost(
            models, data, length=length, cap_per_class=cap), key="compare_embed_cost_go"):
        return None
    return session_cached("compare_embeddings", (keys, emb),
                          lambda progress: cmp.compare_embeddings(models, data, length=length, cap_per_class=cap,
                                                                  progress=progress),
                          message="Embedding windows with both models and running UMAP…", max_entries=2)


def show_logits(results: dict) -> None:
    """Both models' logit tracks and their P(ref) agreement."""
    st.subheader("Logit tracks")
    st.plotly_chart(logits_comparison(results), key="compare_logits_chart")
    tables = {label: position_table(res) for label, res in results.items()}
    st.caption("P(ref) agreement over the region's positions (log P(ref), natural log):")
    st.dataframe(cmp.agreement(tables), hide_index=True)


def show_variants(scores) -> None:
    """Both models' scores of the same substitutions: correlation and scatter, CSV download."""
    st.subheader("Variant scores")
    a, b = [c for c in scores.columns if c.startswith("llr ")]
    stats = cmp.correlation(scores[a], scores[b])
    c1, c2, c3 = st.columns(3)
    c1.metric("Pearson r", f"{stats['pearson']:.3f}")
    c2.metric("Spearman ρ", f"{stats['spearman']:.3f}")
    c3.metric("Variants scored by both", f"{stats['n']:,} / {len(scores):,}")
    st.plotly_chart(score_scatter(scores, a, b, stats=stats), key="compare_variants_chart")
    st.download_button("Download scores (CSV)", scores.to_csv(index=False), "compare_variant_scores.csv",
                       "text/csv", key="compare_download")


def show_embeddings(res) -> None:
    """The separation table and one UMAP per model (nothing while ``res`` waits for *Run anyway*)."""
    if res is None:
        return
    frames, sep = res
    st.dataframe(sep, hide_index=True)
    st.caption("Probes fit on training windows, scored on held-out windows (kNN accuracy, macro-F1).")
    for col, (label, frame) in zip(st.columns(2), frames.items()):
        col.plotly_chart(embedding_scatter(frame, x="umap1", y="umap2", title=label,
                                           axis_titles=("UMAP1", "UMAP2"), height=420),
                         key=f"compare_umap_{label[0]}")
