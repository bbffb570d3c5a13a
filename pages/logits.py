"""Nucleotide logits: what the model expects at every position (logo, P(ref), entropy, dependencies)."""

from dataclasses import dataclass, replace

import streamlit as st

from dashboard import caches, navigation, urls
from dashboard import params as pp
from dashboard.errors import user_errors
from dashboard.results_cache import session_cached
from glm_explore import logits as lg
from glm_explore.errors import FastaError, InputTooLargeError
from glm_explore.plots import dependency_heatmap, logits_comparison, logits_tracks

INPUTS = ("Genome region", "Pasted sequence", "FASTA record")
LOGOS = {"information": "p · IC (bits)", "probability": "probability"}


@dataclass(frozen=True)
class LogitsParams(pp.PageParams):
    PREFIX = "logits"
    input: str = pp.param(INPUTS[0], choices=INPUTS)
    region: str = ""
    paste: str = ""
    record: str = ""
    mode: str = pp.param("exact", choices=tuple(lg.MODES))
    rc: bool = False
    logo: str = pp.param("information", choices=tuple(LOGOS))


def compute(model_text, genome_key, source, payload, mode, rc, progress=None):
    model, data = caches.cached_model(model_text), caches.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    res = lg.nucleotide_logits(model, inp, mode=mode, rc=rc, name="" if source == "region" else source,
                               progress=progress)
    return res, lg.position_table(res, data if source == "region" else None)


@st.cache_data(max_entries=8, show_spinner="Mutating every position (3 per base)…")
def compute_dependency(model_text, genome_key, source, payload):
    model, data = caches.cached_model(model_text), caches.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    return lg.dependency_map(model, inp, name=source)


def results(model_text, genome_key, source, payload, mode, rc):
    key = (model_text, genome_key, source, payload, mode, rc)
    return session_cached("logits_cache", key, lambda progress: compute(*key, progress=progress),
                          message="Computing predictions…")


def checked_input(p: LogitsParams, upload) -> tuple[str, str]:
    """(source, payload) of a Run: the region, or a checked sequence (pasted / a record of the uploaded FASTA)."""
    if p.input == "Genome region":
        return "region", p.region
    if p.input == "Pasted sequence":
        return "pasted sequence", lg.sequence_input(p.paste)
    if upload is None:
        raise FastaError("Choose a FASTA file first.")
    recs = lg.fasta_records(upload.getvalue())
    name = p.record.strip() or next(iter(recs))
    if name not in recs:
        raise FastaError(f"No record {name!r} in {upload.name}; it has {', '.join(list(recs)[:5])}.")
    return f"record {name}", lg.sequence_input(recs[name], name=f"record {name!r}")


navigation.require_app()
st.title("Nucleotide logits")
st.markdown("At every position, the model's distribution over A/C/G/T. **MLM**: exact masked marginals "
            "P(x_i | x_{-i}) (position i masked, one copy per position, batched by receptive field) or the fast "
            "unmasked reconstruction (an approximation). **CLM**: next-token P(x_i | x_<i). Logo letters are "
            "p·IC in bits (IC = 2 − entropy) or plain probabilities; natural log in the table.")

run = None  # stays None if loading the model or genome fails below
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    modes = ["exact", "unmasked"] if model.info.is_mlm else ["next"]
    pp.seed(LogitsParams(region=f"{data.genome.chroms[0]}:1001-1200", mode=modes[0]),
            {"mode": modes, "region": pp.region_problem(data.genome)})
    kind = st.radio("Input", INPUTS, horizontal=True, key="logits_input")
    with st.form("logits_form"):
        upload = None
        if kind == "Genome region":
            st.text_input("Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)", key="logits_region")
        elif kind == "Pasted sequence":
            st.text_area("DNA sequence (≤ 2 kb)", key="logits_paste")
        else:
            upload = st.file_uploader("FASTA (first record, or name one below)", key="logits_fasta")
            st.text_input("Record name (optional)", key="logits_record")
        st.selectbox("Mode", modes, format_func=lg.MODES.get, key="logits_mode", disabled=len(modes) == 1,
                     help=None if len(modes) > 1 else "A causal LM has no mask token: masked marginals and the "
                                                      "unmasked reconstruction need a masked LM.")
        st.checkbox("Average with the reverse-complement strand", key="logits_rc")
        st.radio("Logo letters", list(LOGOS), horizontal=True, key="logits_logo", format_func=LOGOS.get)
        submitted = st.form_submit_button("Compute predictions", type="primary", key="logits_go")
    p = pp.from_widgets(LogitsParams)
    fasta = p.input == "FASTA record"
    urls.link_box(replace(p, input=INPUTS[0]) if fasta else p,
                  ["An uploaded FASTA cannot travel in a link: the link opens the genome region instead."] * fasta)
    if submitted:
        pp.forget_run(LogitsParams)  # a rejected input must not leave the previous run's results
        pp.record_run(p, extra=checked_input(p, upload))
    run = pp.last_run(LogitsParams)

if run:
    with user_errors():
        p, (source, payload) = run.params, run.extra
        res, table = results(run.model, run.genome, source, payload, p.mode, p.rc)
        st.caption(f"{res.label} · {res.model} · {res.mode_label} · {res.length} bp"
                   + (f" · context {res.flank} bp each side" if res.flank else ""))
        if res.note:
            st.info(res.note)
        if res.approximate:
            st.warning("Unmasked reconstruction: the model sees the base it predicts, so P(ref) is inflated. "
                       "Use exact masked marginals for scores.")
        c1, c2, c3 = st.columns(3)
        c1.metric("Mean log-likelihood", f"{lg.mean_bits_per_base(table['log_p_ref']):.3f} bits/base")
        c2.metric("Mean P(ref)", f"{table['p_ref'].mean():.3f}")
        c3.metric("Top base ≠ ref", f"{table['model_disagrees'].mean():.1%}")
        chart = st.plotly_chart(logits_tracks(table, data=data if res.chrom else None, logo=p.logo),
                                key="logits_tracks_chart", on_select="rerun", selection_mode="points")
        st.download_button("Download table (CSV)", table.to_csv(index=False), f"logits_{res.label}.csv",
                           "text/csv", key="logits_download")
        st.dataframe(table, hide_index=True, height=260)
        picked = [pt["x"] for pt in (chart.selection.points if chart else []) if "x" in pt]
        if res.chrom:
            pos = st.number_input("Position to hand to the variant page (click a bar to pick)", res.start + 1,
                                  res.start + res.length, int(picked[0]) if picked else res.start + 1)
            if st.button("Score variants at this position →", key="logits_to_variants"):
                navigation.handoff_region(f"{res.chrom}:{pos}-{pos}", "pages/variants.py")

        if res.length < 2:  # a 1-bp input has no pairs (and a slider needs min < max)
            st.caption("The nucleotide dependency map needs at least 2 positions.")
        else:
            with st.expander(f"Nucleotide dependency map (≤ {lg.MAX_DEPENDENCY_BP} bp)"):
                st.caption("d(i, j) = max over the 3 substitutions at query i of max_b |Δ log-odds p_j(b)| "
                           "(Tomaz da Silva et al. 2024); predictions from one unmasked forward per mutant.")
                lo, hi = st.slider("Sub-region (1-based)", int(res.positions[0]), int(res.positions[-1]),
                                   (int(res.positions[0]), int(min(res.positions[-1], res.positions[0] + 99))),
                                   key="logits_dep_range")
                if st.button("Compute dependency map", key="logits_dep_go"):
                    if hi - lo + 1 > lg.MAX_DEPENDENCY_BP:
                        raise InputTooLargeError(f"Pick at most {lg.MAX_DEPENDENCY_BP} bp (you picked {hi - lo + 1}).")
                    st.session_state["logits_dep"] = (run, f"{res.chrom}:{lo}-{hi}" if res.chrom else res.seq[lo - 1:hi])
                if st.session_state.get("logits_dep", (None,))[0] == run:
                    dep = compute_dependency(run.model, run.genome, source, st.session_state["logits_dep"][1])
                    st.plotly_chart(dependency_heatmap(dep), key="logits_dep_chart")

        with st.expander("MLM vs CLM on the same input (both built-in models)"):
            if st.button("Compare MLM and CLM", key="logits_compare"):
                st.session_state["logits_compare_for"] = run
            if st.session_state.get("logits_compare_for") == run:
                both = {k.upper(): results(f"default-{k}", run.genome, source, payload,
                                           "exact" if k == "mlm" else "next", p.rc)[1] for k in ("mlm", "clm")}
                st.plotly_chart(logits_comparison(both, logo=p.logo), key="logits_compare_chart")
                st.caption("The MLM sees both sides of each base; the CLM only the left, so it is least sure "
                           "at the start of motifs and sharpens once the motif has begun.")
