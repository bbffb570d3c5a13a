"""Variant effects: reference vs alternate allele under the model, for one SNV, one indel / SV or a whole VCF."""

from dataclasses import dataclass, replace

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.uploads import saved_vcf_upload
from dashboard.views import variants as views
from glm_explore import variants

SOURCES = ("Demo (synthetic, yeast)", "Upload")
TABS = {"single": "Single variant", "indel": "Indel / SV", "batch": "Batch (VCF)"}


@dataclass(frozen=True)
class VariantParams(params.PageParams):
    PREFIX = "variants"
    tab: str = params.param("single", choices=tuple(TABS))  # the tab of the last Run (no widget)
    chrom: str = ""
    pos: int = params.param(1000, lo=1)
    ref: str = params.param("", choices=("", *"ACGTacgt"))
    alt: str = params.param("A", choices=tuple("ACGT"))
    half: int = params.param(30, lo=5, hi=100)
    rc: bool = True
    src: str = params.param(SOURCES[0], choices=SOURCES)
    limit: int = params.param(300, lo=1, hi=20_000)
    sv: int = params.param(50, lo=0, hi=100_000)  # VCF: indels / SVs up to this size (bp), as --max-sv-size; 0 = SNVs
    ichrom: str = ""
    ipos: int = params.param(1000, lo=1)
    iref: str = ""
    ialt: str = ""
    iend: int = params.param(0, lo=0)
    nulls: int = params.param(0, lo=0, hi=50)
    exact: bool = False


navigation.require_app()
st.title("Variant effects")
st.info("**Sign convention:** LLR = log P(alt) − log P(ref) (natural log). **Negative LLR = the alternate allele is "
        "less likely under the model = more constrained / more likely deleterious.** There is no universal cutoff: "
        "compare distributions. MLM: GPN's masked LLR (variant position masked, averaged with the reverse-complement "
        "strand). CLM: Δ log-likelihood of the alt vs ref window (sum over positions).")
single = batch = indel = model = data = None  # stay None if loading the model or genome fails below
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    g = data.genome
    chrom, pos = navigation.region_as_site() or (g.chroms[0], 1000)  # a region handed over: its centre
    base = g.fetch(chrom, pos - 1, pos) if pos <= g.lengths.get(chrom, 0) else "N"
    params.seed(VariantParams(chrom=g.chroms[0], alt="ACGT"[("ACGT".index(base) + 2) % 4] if base in "ACGT" else "A",
                              ichrom=g.chroms[0], iref=g.fetch(g.chroms[0], 999, 1003), ialt=g.fetch(g.chroms[0], 999, 1000)),
            {"chrom": g.chroms, "ichrom": g.chroms})
    single_tab, indel_tab, batch_tab = st.tabs(list(TABS.values()), default=TABS[st.session_state["variants_tab"]])
    with single_tab, st.form("variants_single_form"):
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Chromosome", g.chroms, key="variants_chrom")
        c2.number_input("Position (1-based)", 1, None, key="variants_pos")
        c3.text_input("REF (blank = the genome's base)", max_chars=1, key="variants_ref")
        c4.selectbox("ALT", list("ACGT"), key="variants_alt")
        st.slider("Bases shown each side", 5, 100, key="variants_half")
        st.checkbox("Average scores with the reverse-complement strand", key="variants_rc")
        go = st.form_submit_button("Score variant", type="primary", key="variants_single_go")
    with indel_tab:
        go_indel = views.indel_form(g)
    with batch_tab, st.form("variants_batch_form"):
        st.radio("VCF", SOURCES, horizontal=True, key="variants_src")
        upload = st.file_uploader("VCF (.vcf or bgzipped .vcf.gz)", type=["vcf", "gz"], key="variants_upload")
        st.number_input("Score at most this many alleles", 1, 20_000, key="variants_limit")
        st.number_input("Also score indels / SVs up to this size (bp; 0 = SNVs only; 50 like score-vcf's "
                        "--max-sv-size)", 0, 100_000, key="variants_sv")
        go_batch = st.form_submit_button("Score VCF", type="primary", key="variants_batch_go")
    if go or go_batch or go_indel:
        st.session_state["variants_tab"] = "single" if go else "indel" if go_indel else "batch"
    p = params.from_widgets(VariantParams)
    uploaded = p.src == SOURCES[1]
    urls.link_box(replace(p, src=SOURCES[0]) if uploaded else p,
                  ["An uploaded VCF cannot travel in a link: the link opens the demo VCF instead."] * uploaded)
    if go:
        pos_ok = 1 <= p.pos <= g.lengths[p.chrom]
        ref = (p.ref or (g.fetch(p.chrom, p.pos - 1, p.pos) if pos_ok else "N")).upper()
        params.record_run(p, "single", extra=variants.Variant(p.chrom, p.pos, ref, p.alt))
    if go_batch:
        if uploaded and upload is None:
            raise variants.VariantError("Choose a VCF file to upload first (or use the demo).")
        params.record_run(p, "batch", extra=str(saved_vcf_upload(upload) if uploaded else variants.DEMO_VCF))
    if go_indel:
        params.record_run(p, "indel")
    single, batch = params.last_run(VariantParams, "single"), params.last_run(VariantParams, "batch")
    indel = params.last_run(VariantParams, "indel")

if single:
    with single_tab, user_errors():
        views.show_single(single, model, data)

if indel:
    with indel_tab, user_errors():
        views.show_indel(indel, model, data)

if model is not None and data is not None:
    with indel_tab, user_errors():
        views.show_length_bias(model, data)

if batch:
    with batch_tab, user_errors():
        views.show_batch(batch, model, data)

if model is not None and data is not None:
    with user_errors():
        views.which_score_expander(model, data)
