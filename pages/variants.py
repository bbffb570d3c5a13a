"""Variant effects: reference vs alternate allele under the model, for one SNV or a whole VCF."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from glm_explore import variants as va
from glm_explore.errors import RegionError
from glm_explore.genome import parse_region
from glm_explore.plots import synonymy_comparison, variant_score_histogram, variant_tracks

st.title("Variant effects")
st.info("**Sign convention:** LLR = log P(alt) − log P(ref) (natural log). **Negative LLR = the alternate allele is "
        "less likely under the model = more constrained / more likely deleterious.** There is no universal cutoff: "
        "compare distributions. MLM: GPN's masked LLR (variant position masked, averaged with the reverse-complement "
        "strand). CLM: Δ log-likelihood of the alt vs ref window (sum over positions).")


def single(model, data, v: va.Variant, half_width: int, rc: bool, progress):
    tracks = va.delta_track(model, data, v, half_width=half_width, progress=progress)  # checks REF first
    scores = va.score_site(model, data, v.chrom, v.pos, rc=rc)
    return scores, tracks, va.embedding_shift(model, data, v)


model_key = st.session_state.get("model_key", "default-mlm")
single_tab, batch_tab = st.tabs(["Single variant", "Batch (VCF)"])
with single_tab, ui.user_errors():
    model, data = ui.current_model(), ui.current_data()
    g = data.genome
    try:  # a 1-bp region handed over by the logits page (or the URL); its centre otherwise
        handed = parse_region(ui.incoming_region(f"{g.chroms[0]}:1000-1000"))
    except RegionError:
        handed = parse_region(f"{g.chroms[0]}:1000-1000")
    chrom0 = handed.chrom if handed.chrom in g.lengths else g.chroms[0]
    p0 = min((handed.start + handed.end - 1) // 2, g.lengths[chrom0] - 1)
    with st.form("variants_single_form"):
        c1, c2, c3, c4 = st.columns(4)
        chrom = c1.selectbox("Chromosome", g.chroms, index=g.chroms.index(chrom0), key="variants_chrom")
        pos = c2.number_input("Position (1-based)", 1, None, p0 + 1, key="variants_pos")
        ref = c3.text_input("REF (blank = the genome's base)", "", max_chars=1, key="variants_ref")
        base = g.fetch(chrom0, p0, p0 + 1)
        alt = c4.selectbox("ALT", list("ACGT"), index=("ACGT".index(base) + 2) % 4 if base in "ACGT" else 0,
                           key="variants_alt")
        half = st.slider("Bases shown each side", 5, 100, 30, key="variants_half")
        rc = st.checkbox("Average scores with the reverse-complement strand", True, key="variants_rc")
        go = st.form_submit_button("Score variant", type="primary", key="variants_single_go")
    if go:
        pos_ok = 1 <= pos <= g.lengths[chrom]
        genome_ref = g.fetch(chrom, pos - 1, pos) if pos_ok else "N"
        st.session_state["variants_single"] = (model_key, data.name, chrom, int(pos), (ref or genome_ref).upper(),
                                               alt, half, rc)
    p = st.session_state.get("variants_single")
    if p and p[:2] == (model_key, data.name):
        v = va.Variant(*p[2:6])
        scores, tracks, emb = ui.session_cached("variants_single_cache", p, lambda cb: single(
            model, data, v, p[6], p[7], cb), message="Scoring…", max_entries=4)
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

with batch_tab, ui.user_errors():
    model, data = ui.current_model(), ui.current_data()
    with st.form("variants_batch_form"):
        src = st.radio("VCF", ["Demo (synthetic, yeast)", "Upload"], horizontal=True, key="variants_src")
        upload = st.file_uploader("VCF (.vcf or bgzipped .vcf.gz)", type=["vcf", "gz"], key="variants_upload")
        limit = st.number_input("Score at most this many alleles", 1, 20_000, 300, key="variants_limit")
        go_batch = st.form_submit_button("Score VCF", type="primary", key="variants_batch_go")
    if go_batch:
        if src == "Upload":
            if upload is None:
                raise va.VariantError("Choose a VCF file to upload first (or use the demo).")
            path = Path(tempfile.mkdtemp(prefix="glm_explore_vcf_")) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
        else:
            path = va.DEMO_VCF
        st.session_state["variants_batch"] = (model_key, data.name, str(path), int(limit))
    p = st.session_state.get("variants_batch")
    if p and p[:2] == (model_key, data.name):
        if Path(p[2]) == va.DEMO_VCF:
            st.warning(va.DEMO_NOTE + (" It belongs to the yeast genome: pick Yeast in the sidebar."
                                       if "yeast" not in data.name.lower() else ""))
        scores, skipped, summary = ui.session_cached("variants_batch_cache", p, lambda cb: va.score_vcf_table(
            model, data, p[2], limit=p[3], batch_size=100, progress=cb), message="Scoring…", max_entries=4)
        st.markdown(f"**{summary.line()}**")
        with st.expander("Skipped records by reason"):
            st.dataframe(summary.table(), hide_index=True)
            st.dataframe(skipped, hide_index=True)
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
        if "synonymy" in scores and scores["synonymy"].notna().any():
            st.subheader("Expected pattern in CDS: nonsynonymous < synonymous")
            st.plotly_chart(synonymy_comparison(scores), key="variants_syn")
            cds = scores[scores["synonymy"].notna()]
            st.dataframe(pd.concat([va.score_summary(cds, "synonymy").rename(columns={"synonymy": "group"}),
                                    va.score_summary(cds, "EFFECT").rename(columns={"EFFECT": "group"}),
                                    va.score_summary(cds, "CODON_POS").assign(
                                        CODON_POS=lambda t: "codon pos " + t["CODON_POS"].astype(str))
                                    .rename(columns={"CODON_POS": "group"})]), hide_index=True)
            syn, non = cds[cds["synonymy"] == "synonymous"], cds[cds["synonymy"] == "nonsynonymous"]
            if len(syn) and len(non):
                st.markdown(va.compare_groups(syn["llr"], non["llr"], ("synonymous", "nonsynonymous")).sentence()
                            + ". 95% CIs are t-intervals of the mean.")
