"""The logits page's results: cached predictions, metrics and tracks, the dependency map, MLM vs CLM."""

import streamlit as st

from dashboard import caches, navigation
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import logits as lg
from glm_explore.errors import InputTooLargeError
from glm_explore.plots import dependency_heatmap, logits_comparison, logits_tracks


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


def notes(res):
    st.caption(f"{res.label} · {res.model} · {res.mode_label} · {res.length} bp"
               + (f" · context {res.flank} bp each side" if res.flank else ""))
    if res.note:
        st.info(res.note)
    if res.approximate:
        st.warning("Unmasked reconstruction: the model sees the base it predicts, so P(ref) is inflated. "
                   "Use exact masked marginals for scores.")


def metrics(table):
    c1, c2, c3 = st.columns(3)
    c1.metric("Mean log-likelihood", f"{lg.mean_bits_per_base(table['log_p_ref']):.3f} bits/base")
    c2.metric("Mean P(ref)", f"{table['p_ref'].mean():.3f}")
    c3.metric("Top base ≠ ref", f"{table['model_disagrees'].mean():.1%}")


def tracks(res, table, data, logo):
    """The logo / P(ref) / entropy tracks, their table and download; returns the clicked positions."""
    chart = st.plotly_chart(logits_tracks(table, data=data if res.chrom else None, logo=logo),
                            key="logits_tracks_chart", on_select="rerun", selection_mode="points")
    st.download_button("Download table (CSV)", table.to_csv(index=False), f"logits_{res.label}.csv",
                       "text/csv", key="logits_download")
    st.dataframe(table, hide_index=True, height=260)
    return [pt["x"] for pt in (chart.selection.points if chart else []) if "x" in pt]


def to_variants(res, picked):
    """Hand a position of a genome region to the variant page."""
    pos = st.number_input("Position to hand to the variant page (click a bar to pick)", res.start + 1,
                          res.start + res.length, int(picked[0]) if picked else res.start + 1)
    if st.button("Score variants at this position →", key="logits_to_variants"):
        navigation.handoff_region(f"{res.chrom}:{pos}-{pos}", "pages/variants.py")


def dependency_map(run: pp.Run, res, source):
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


def mlm_vs_clm(run: pp.Run, source, payload):
    p = run.params
    with st.expander("MLM vs CLM on the same input (both built-in models)"):
        if st.button("Compare MLM and CLM", key="logits_compare"):
            st.session_state["logits_compare_for"] = run
        if st.session_state.get("logits_compare_for") == run:
            both = {k.upper(): results(f"default-{k}", run.genome, source, payload,
                                       "exact" if k == "mlm" else "next", p.rc)[1] for k in ("mlm", "clm")}
            st.plotly_chart(logits_comparison(both, logo=p.logo), key="logits_compare_chart")
            st.caption("The MLM sees both sides of each base; the CLM only the left, so it is least sure "
                       "at the start of motifs and sharpens once the motif has begun.")


def show_result(run: pp.Run, data):
    """Everything under the form for a Run (``run.extra`` is its checked (source, payload))."""
    p, (source, payload) = run.params, run.extra
    res, table = results(run.model, run.genome, source, payload, p.mode, p.rc)
    notes(res)
    metrics(table)
    picked = tracks(res, table, data, p.logo)
    if res.chrom:
        to_variants(res, picked)
    if res.length < 2:  # a 1-bp input has no pairs (and a slider needs min < max)
        st.caption("The nucleotide dependency map needs at least 2 positions.")
    else:
        dependency_map(run, res, source)
    mlm_vs_clm(run, source, payload)
