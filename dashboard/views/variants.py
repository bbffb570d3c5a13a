"""The variant page's results: one scored SNV (LLRs, tracks, embedding shift) and a scored VCF."""

from pathlib import Path

import streamlit as st

from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import variants as va
from glm_explore.plots import synonymy_comparison, variant_score_histogram, variant_tracks


def single_variant(model, data, v: va.Variant, half_width: int, rc: bool, progress):
    tracks = va.delta_track(model, data, v, half_width=half_width, progress=progress)  # checks REF first
    scores = va.score_site(model, data, v.chrom, v.pos, rc=rc)
    return scores, tracks, va.embedding_shift(model, data, v)


def show_single(single: pp.Run, model, data):
    """One SNV: its LLR and embedding shift, the three alternatives, the delta tracks."""
    v, p = single.extra, single.params
    scores, tracks, emb = session_cached("variants_single_cache", single, lambda cb: single_variant(
        model, data, v, p.half, p.rc, cb), message="Scoring…", max_entries=4)
    row = scores[scores["alt"] == v.alt]
    st.subheader(str(v))
    m1, m2, m3 = st.columns(3)
    m1.metric("LLR (this ALT)", f"{row['llr'].iat[0]:+.3f}" if len(row) else "—",
              help="Negative = alt less likely = more likely deleterious")
    m2.metric("Embedding shift (cosine distance)", f"{emb.cosine_distance:.2e}")
    m3.metric("Embedding shift (Euclidean)", f"{emb.euclidean:.3f}")
    st.caption("All three alternatives at this site (one masked forward per strand):")
    st.dataframe(scores.drop(columns=["status"]), hide_index=True)
    st.plotly_chart(variant_tracks(tracks, emb), key="variants_tracks_chart")
    st.caption(f"Tracks: {tracks.ref.mode_label}; the variant column is masked in both, so its delta is 0. "
               "Pooled embeddings barely move for one base; the last row shows where the representation changes.")


def batch_scores(batch: pp.Run, model, data):
    """(scores, skipped, summary) of a VCF, kept in session state under a progress bar."""
    return session_cached("variants_batch_cache", batch, lambda cb: va.score_vcf_table(
        model, data, batch.extra, limit=batch.params.limit, batch_size=100, progress=cb), message="Scoring…",
        max_entries=4)


def scores_by_class(scores):
    """The scores table filtered to the picked region classes, its downloads, and LLRs per class."""
    classes = sorted(scores["region_class"].dropna().unique()) if "region_class" in scores else []
    keep = st.multiselect("Region classes", classes, classes, key="variants_classes")
    shown = scores[scores["region_class"].isin(keep)] if classes else scores
    st.dataframe(shown, hide_index=True, height=300)
    d1, d2 = st.columns(2)
    d1.download_button("Download CSV", shown.to_csv(index=False), "variant_scores.csv", "text/csv",
                       key="variants_csv")
    d2.download_button("Download Parquet", va.parquet_bytes(shown), "variant_scores.parquet",
                       key="variants_parquet")
    if classes:
        st.plotly_chart(variant_score_histogram(shown), key="variants_hist")
        st.dataframe(va.score_summary(shown, "region_class"), hide_index=True)


def synonymy(scores):
    """Synonymous vs nonsynonymous LLRs in CDS (when the VCF's variants were annotated)."""
    if "synonymy" not in scores or not scores["synonymy"].notna().any():
        return
    st.subheader("Expected pattern in CDS: nonsynonymous < synonymous")
    st.plotly_chart(synonymy_comparison(scores), key="variants_syn")
    st.dataframe(va.cds_summary_table(scores), hide_index=True)
    cds = scores[scores["synonymy"].notna()]
    syn, non = cds[cds["synonymy"] == "synonymous"], cds[cds["synonymy"] == "nonsynonymous"]
    if len(syn) and len(non):
        st.markdown(va.compare_groups(syn["llr"], non["llr"], ("synonymous", "nonsynonymous")).sentence()
                    + ". 95% CIs are t-intervals of the mean.")


def show_batch(batch: pp.Run, model, data):
    """A scored VCF: summary, skipped records, scores by region class, the CDS synonymy check."""
    if Path(batch.extra) == va.DEMO_VCF:
        st.warning(va.DEMO_NOTE + (" It belongs to the yeast genome: pick Yeast in the sidebar."
                                   if "yeast" not in data.name.lower() else ""))
    scores, skipped, summary = batch_scores(batch, model, data)
    st.markdown(f"**{summary.line()}**")
    with st.expander("Skipped records by reason"):
        st.dataframe(summary.table(), hide_index=True)
        st.dataframe(skipped, hide_index=True)
    scores_by_class(scores)
    synonymy(scores)
