"""Home: what the dashboard shows, the loaded model's card, the loaded genome's summary."""

import streamlit as st

from dashboard import caches, navigation, urls
from dashboard.errors import user_errors
from dashboard.views import report as report_views
from glm_explore.io.datasets import DEFAULT_DATASET
from glm_explore.models.capabilities import base_tokens, capability_matrix
from glm_explore.plots import class_counts_bar

navigation.require_app()
st.title("glm-explore")
st.markdown(
    "Explore what a **genomic language model** learned: embeddings that cluster by region class, "
    "per-position nucleotide predictions, attributions, and variant-effect scores. "
    "Pick a model and a genome in the sidebar; every page uses them."
)

urls.link_box()
with user_errors():
    model = caches.current_model()
    data = caches.current_data()
    info = model.info
    left, right = st.columns(2)
    with left:
        st.subheader(f"Model: {info.name}")
        objective = "masked LM (predicts a hidden base from both sides)" if info.is_mlm else \
            "causal LM (predicts the next base from the left)"
        st.markdown(
            f"- **Objective:** {objective}\n"
            f"- **Tokens:** {info.tokenization}-level, {info.n_layers} layers, width {info.dim}\n"
            f"- **Parameters:** {info.n_parameters:,}\n"
            + (f"- **Receptive field:** {info.receptive_field} bp {'each side' if info.is_mlm else 'to the left'}"
               if info.receptive_field is not None else "- **Receptive field:** unbounded (whole input)")
        )
        card = info.card
        if card.get("heldout"):
            h = card["heldout"]
            st.markdown(f"**Held-out {h['chrom']}** ({h['n_positions']:,} positions)")
            st.dataframe(
                {
                    "": ["model", f"count baseline ({h['baseline']['name']})"],
                    "cross-entropy (bits/base)": [h["model"]["bits"], h["baseline"]["bits"]],
                    "top-1 accuracy": [h["model"]["accuracy"], h["baseline"]["accuracy"]],
                },
                hide_index=True,
            )
            st.caption(f"Margin: model − baseline = {h['margin_bits']:+.4f} bits/base "
                       f"(95% CI {h['margin_ci95'][0]:+.4f} to {h['margin_ci95'][1]:+.4f}); negative = model better.")
        else:
            st.info("This model has no evaluation card yet.")
        with st.expander("What this model supports (capability matrix)", expanded=not base_tokens(model)):
            st.dataframe(capability_matrix(model), hide_index=True)
    with right:
        st.subheader(f"Genome: {data.name}")
        st.caption(data.description)
        summary = data.summary()
        st.metric("Total length", f"{data.genome.total_length:,} bp", f"{len(summary)} contig(s)",
                  delta_color="off")
        st.plotly_chart(class_counts_bar(data.class_counts()), width="stretch")
    report_views.tour_section(caches.picked(caches.GENOME_STATE, DEFAULT_DATASET))
    st.subheader("Contigs")
    st.dataframe(summary, hide_index=True, width="stretch")
