"""Compare models: two models on the same region — logit tracks, variant scores, embedding UMAPs."""

import pandas as pd
import streamlit as st

import ui
from glm_explore import compare as cmp
from glm_explore.errors import InputTooLargeError
from glm_explore.genome import parse_region
from glm_explore.models.capabilities import capability_matrix
from glm_explore.plots import embedding_scatter, logits_comparison, score_scatter

st.title("Compare models")
st.markdown("Two models on the same input. **Logits**: MLMs give exact masked marginals, CLMs next-base "
            "probabilities, aligned per position. **Variants**: every substitution at the first positions of the "
            "region, scored by each model (MLM masked LLR, CLM Δ log-likelihood; natural "
            "log, negative = alt less likely). **Embeddings**: the same labelled windows embedded by both.")


def picker(side: str, default: str, col) -> str:
    state = f"compare_{side}_model"
    st.session_state.setdefault(state, default)
    opts = ui.model_options(state)
    if st.session_state[state] not in opts:
        st.session_state[state] = default
    col.selectbox(f"Model {side.upper()}", list(opts), format_func=opts.get, key=state)
    if st.session_state[state] == ui.HF_OPTION or st.session_state[state].startswith("hf:"):
        ui.hf_model_inputs(f"compare_{side}", container=col, target=state)
    return st.session_state[state]


def labelled(keys: tuple[str, str]) -> dict:
    models = [ui.cached_model(k) for k in keys]
    return {f"{s}: {m.info.name}": m for s, m in zip("AB", models)}


@st.cache_data(max_entries=8, show_spinner="Predicting every position with both models…")
def logits_for(keys, data_key, region):
    return cmp.compare_logits(labelled(keys), ui.current_data(), region)


@st.cache_data(max_entries=8, show_spinner="Scoring every substitution with both models…")
def variants_for(keys, data_key, region, sites):
    data = ui.current_data()
    return cmp.compare_variant_scores(labelled(keys), data, cmp.region_snvs(data, region, max_sites=sites))


@st.cache_data(max_entries=4, show_spinner="Embedding windows with both models and running UMAP…")
def embeddings_for(keys, data_key, length, cap):
    return cmp.compare_embeddings(labelled(keys), ui.current_data(), length=length, cap_per_class=cap)


keys, data = None, None
with ui.user_errors():
    data = ui.current_data()
    left, right = st.columns(2)
    keys = (picker("a", "default-mlm", left), picker("b", "default-clm", right))
    models = labelled(keys)
    caps = [capability_matrix(m).set_index("what") for m in models.values()]
    with st.expander("Capabilities side by side"):
        st.dataframe(pd.DataFrame({label: c["value"] for label, c in zip(models, caps)}))
    with st.form("compare_form"):
        region = st.text_input("Region (1-based chrom:start-end, ≤ 500 bp)",
                               ui.incoming_region(f"{data.genome.chroms[0]}:1001-1100"), key="compare_region")
        sites = st.number_input("Positions to mutate (× 3 substitutions, from the region start)", 5, 200, 20,
                                step=5, key="compare_sites")
        go = st.form_submit_button("Compare", type="primary", key="compare_go")
    if go:
        if data.genome.check_region(parse_region(region)).length > 500:
            raise InputTooLargeError("Pick at most 500 bp to compare (two models, every position).")
        st.session_state["compare_params"] = (keys, f"{data.name}", region.strip(), int(sites))

params = st.session_state.get("compare_params")
if params and data is not None and params[0] == keys and params[1] == data.name:
    keys, data_key, region, sites = params
    with ui.user_errors():
        st.subheader("Logit tracks")
        tables = logits_for(keys, data_key, region)
        st.plotly_chart(logits_comparison(tables), key="compare_logits_chart")
        st.caption("P(ref) agreement over the region's positions (log P(ref), natural log):")
        st.dataframe(cmp.agreement(tables), hide_index=True)
    with ui.user_errors():
        st.subheader("Variant scores")
        scores = variants_for(keys, data_key, region, sites)
        a, b = [c for c in scores.columns if c.startswith("llr ")]
        stats = cmp.correlation(scores[a], scores[b])
        c1, c2, c3 = st.columns(3)
        c1.metric("Pearson r", f"{stats['pearson']:.3f}")
        c2.metric("Spearman ρ", f"{stats['spearman']:.3f}")
        c3.metric("Variants scored by both", f"{stats['n']:,} / {len(scores):,}")
        st.plotly_chart(score_scatter(scores, a, b, stats=stats), key="compare_variants_chart")
        st.download_button("Download scores (CSV)", scores.to_csv(index=False), "compare_variant_scores.csv",
                           "text/csv", key="compare_download")

with ui.user_errors():
    if keys is None:
        st.stop()
    with st.expander("Embeddings of both models (UMAP + class separation)"):
        with st.form("compare_embed_form"):
            length = st.select_slider("Window length (bp)", [128, 256, 512], 256, key="compare_embed_length")
            cap = st.number_input("Windows per class (max)", 10, 200, 40, step=10, key="compare_embed_cap")
            embed_go = st.form_submit_button("Embed windows with both models", key="compare_embed_go")
        if embed_go:
            st.session_state["compare_embed"] = (keys, data.name, length, int(cap))
        emb = st.session_state.get("compare_embed")
        if emb and emb[0] == keys and emb[1] == data.name:
            frames, sep = embeddings_for(*emb)
            st.dataframe(sep, hide_index=True)
            st.caption("Probes fit on training windows, scored on held-out windows (kNN accuracy, macro-F1).")
            for col, (label, frame) in zip(st.columns(2), frames.items()):
                col.plotly_chart(embedding_scatter(frame, x="umap1", y="umap2", title=label,
                                                   axis_titles=("UMAP1", "UMAP2"), height=420),
                                 key=f"compare_umap_{label[0]}")
