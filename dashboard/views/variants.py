"""The variant page's results: one scored SNV (LLRs, tracks, embedding shift), one indel / SV (aligned tracks,
z-score), the length bias of indel scores, and a scored VCF."""

from pathlib import Path

import streamlit as st

from dashboard import costs
from dashboard import params as pp
from dashboard.results_cache import session_cached
from dashboard.views.allele_features import render_allele_features
from dashboard.views.score_methods import which_score
from glm_explore import cost as gc
from glm_explore import variants as va
from glm_explore.calibration import background_for, describe
from glm_explore.io.annotation import CLASSES
from glm_explore.io.vcf import VcfRecords, count_records
from glm_explore.plots import synonymy_comparison, variant_score_histogram, variant_tracks
from glm_explore.plots.variants import indel_tracks, length_bias_plot


def single_variant(model, data, v: va.Variant, half_width: int, rc: bool, progress):
    tracks = va.delta_track(model, data, v, half_width=half_width, progress=progress)  # checks REF first
    scores = va.score_site(model, data, v.chrom, v.pos, va.VariantScoreSettings(rc=rc))
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
    if len(row):
        percentile_reading(model, data, v, float(row["llr"].iat[0]), p.rc)
    st.caption("All three alternatives at this site (one masked forward per strand):")
    st.dataframe(scores.drop(columns=["status"]), hide_index=True)
    st.plotly_chart(variant_tracks(tracks, emb), key="variants_tracks_chart")
    st.caption(f"Tracks: {tracks.ref.mode_label}; the variant column is masked in both, so its delta is 0. "
               "Pooled embeddings barely move for one base; the last row shows where the representation changes.")
    render_allele_features(v)


@st.cache_resource(show_spinner=False, max_entries=8)
def _background(_model, _data, model_name: str, genome_name: str):
    return background_for(_model, _data)


def percentile_reading(model, data, v: va.Variant, llr: float, rc: bool):
    """What the LLR means against the model's SNV background, in one sentence (issue 26)."""
    bg = _background(model, data, model.info.name, data.name)
    if bg is None:
        st.caption(f"No score background for {model.info.name} on {data.name}, so no percentile: "
                   "`python -m glm_explore background --model … --genome … --out bg.npz` computes one (cost first).")
        return
    lab = data.labels.get(data.genome.resolve(v.chrom)) if data.labels else None
    cls = CLASSES[int(lab[v.pos - 1])] if lab is not None and 0 < v.pos <= len(lab) else None
    sentence, detail = describe(bg, llr, cls)
    st.markdown(sentence)
    strand = "" if rc == bg.settings.get("rc", True) else (" This score used one strand; the background averages "
                                                             "both, so read the percentile loosely.")
    st.caption(detail + strand)


def batch_settings(batch: pp.Run) -> va.VariantScoreSettings:
    sv = batch.params.sv or None  # 0 = SNVs only
    return va.VariantScoreSettings(limit=batch.params.limit, chunk_size=100, max_sv_size=sv)


def batch_agreed(batch: pp.Run, model, data) -> bool:
    """Whether the VCF may be scored now: already scored, short, or agreed to after its measured estimate."""
    settings = batch_settings(batch)

    def cost_of():
        records = count_records(batch.extra)
        return gc.vcf_cost(model, data, batch.extra, settings,
                           records=min(records, settings.limit) if settings.limit else records)

    return costs.gate("variants_batch_cache", batch, cost_of, key="variants_cost_go")


def batch_scores(batch: pp.Run, model, data):
    """(scores, skipped, summary) of a VCF, kept in session state under a progress bar; SNVs gain their
    percentiles against the model's background when it has one (as ``score-vcf`` writes them)."""
    bg = _background(model, data, model.info.name, data.name)
    return session_cached("variants_batch_cache", batch, lambda cb: va.score_vcf_table(
        model, data, batch.extra, batch_settings(batch), progress=cb, background=bg),
        message="Scoring…", max_entries=4)


def scores_by_class(scores, info=()):
    """The scores table filtered to the picked region classes, its downloads, and LLRs per class (``info``: the
    VCF's INFO fields, text columns of the Parquet)."""
    classes = sorted(scores["region_class"].dropna().unique()) if "region_class" in scores else []
    keep = st.multiselect("Region classes", classes, classes, key="variants_classes")
    shown = scores[scores["region_class"].isin(keep)] if classes else scores
    st.dataframe(shown, hide_index=True, height=300)
    d1, d2 = st.columns(2)
    d1.download_button("Download CSV", shown.to_csv(index=False), "variant_scores.csv", "text/csv",
                       key="variants_csv")
    d2.download_button("Download Parquet", va.parquet_bytes(shown, info), "variant_scores.parquet",
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
    if not batch_agreed(batch, model, data):
        return
    scores, skipped, summary = batch_scores(batch, model, data)
    st.markdown(f"**{summary.line()}**")
    if "llr_pct_class" in scores:
        st.caption("`llr_pct_class` / `llr_pct_genome`: the share of possible SNVs in the variant's region class / "
                   "in the whole held-out span whose LLR is at or below this one (0.03 = lower than 97 % of them). "
                   "Indels and MNVs have no SNV background (empty).")
    with st.expander("Skipped records by reason"):
        st.dataframe(summary.table(), hide_index=True)
        st.dataframe(skipped, hide_index=True)
    scores_by_class(scores, VcfRecords.fields(batch.extra))
    synonymy(scores)


INDEL_HELP = ("**Indels and small SVs** (VCF-style REF/ALT with the padding base, e.g. REF `ACGT` ALT `A`; symbolic "
              "`<DEL>`/`<DUP>`/`<INV>` with END; up to 1 kb). Every representation is normalised first (trimmed, "
              "left-aligned in repeats), so it scores the same. **CLM:** Δ log-likelihood of alt vs ref over "
              "length-matched windows (same flanks; the shorter allele's window extended on the right). **MLM:** "
              "pseudo-log-likelihood of the affected span ± the receptive field on both alleles — **an "
              "approximation** (a PLL is not log P(sequence)); *exact* masks every base of both windows (≤ 50 bp). "
              "**Length-corrected z** = (score − mean) / sd of random events of the same kind and length in "
              "intergenic DNA of the same contig.")


def indel_form(g) -> bool:
    """The Indel / SV tab's form (its widgets hold the ``variants_i*`` params); True when submitted."""
    with st.form("variants_indel_form"):
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Chromosome", g.chroms, key="variants_ichrom")
        c2.number_input("Position (1-based POS)", 1, None, key="variants_ipos")
        c3.text_input("REF", key="variants_iref")
        c4.text_input("ALT (bases or <DEL>/<DUP>/<INV>)", key="variants_ialt")
        c5, c6, c7 = st.columns(3)
        c5.number_input("END (symbolic ALT; 0 = none)", 0, None, key="variants_iend")
        c6.number_input("Random events for the z-score (0 = none)", 0, 50, key="variants_nulls")
        c7.checkbox("Exact whole-window PLL (MLM, ≤ 50 bp)", key="variants_exact")
        st.caption(INDEL_HELP)
        return st.form_submit_button("Score indel / SV", type="primary", key="variants_indel_go")


def show_indel(run: pp.Run, model, data):
    """One indel / SV: sum and per-base mean, the z-score, the method, the aligned ref / alt tracks."""
    p = run.params
    view = session_cached("variants_indel_cache", run, lambda cb: va.indel_view(
        model, data, p.ichrom, p.ipos, p.iref, p.ialt, end=p.iend or None, half_width=p.half, rc=p.rc,
        exact=p.exact, null_events=p.nulls, progress=cb), message="Scoring…", max_entries=4)
    st.subheader(view.label)
    m1, m2, m3 = st.columns(3)
    m1.metric("Score (sum, alt − ref)", f"{view.llr:+.3f}", help="Negative = alt less likely under the model")
    m2.metric("Per-base mean (alt − ref)", f"{view.llr_mean:+.5f}")
    m3.metric("Length-corrected z", "—" if view.n_null == 0 else f"{view.z:+.2f}",
              help=f"against {view.n_null} random {view.kind} events of {view.length} bp on the same contig")
    (st.warning if "approximation" in view.method else st.caption)(f"Method: {view.method}.")
    st.plotly_chart(indel_tracks(view), key="variants_indel_chart")
    st.dataframe(view.table(), hide_index=True, height=240)


def show_length_bias(model, data):
    """The length-bias section: score vs length of random intergenic indels on demand, slope with its CI."""
    key = ("bias", model.info.name, data.name)
    with st.container(border=True):
        st.markdown("**Length bias of indel scores** (random intergenic indels of 1–100 bp)")
        n = va.default_bias_events(model)
        st.caption(f"Scores {n} random intergenic deletions and insertions of 1–100 bp with {model.info.name} and fits "
                   "score = a + b · (inserted − deleted bp) by least squares (95 % t-interval of the slope). "
                   "~30 s. The z-score of an indel above corrects for this bias.")
        if st.button("Measure the length bias", key="variants_bias_go"):
            session_cached("variants_bias_cache", key, lambda cb: va.length_bias(model, data, progress=cb),
                           message="Scoring random indels…", max_entries=2)
        bias = st.session_state.get("variants_bias_cache", {}).get(key)
        if bias is not None:
            st.markdown(f"**{bias.sentence()}**")
            st.plotly_chart(length_bias_plot(bias), key="variants_bias_chart")
            st.dataframe(bias.fits, hide_index=True)


def which_score_expander(model, data):
    """"Which score should I use?": the scoring methods ranked per variant-class pair for the loaded model."""
    with st.expander("Which score should I use?"):
        which_score(model, data, key="variants_methods")
