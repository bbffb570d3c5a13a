"""Nucleotide logits: what the model expects at every position (logo, P(ref), entropy, dependencies)."""

from pathlib import Path

import streamlit as st

import ui
from glm_explore import logits as lg
from glm_explore.errors import FastaError, InputTooLargeError
from glm_explore.plots import dependency_heatmap, logits_comparison, logits_tracks

st.title("Nucleotide logits")
st.markdown("At every position, the model's distribution over A/C/G/T. **MLM**: exact masked marginals "
            "P(x_i | x_{-i}) (position i masked, one copy per position, batched by receptive field) or the fast "
            "unmasked reconstruction (an approximation). **CLM**: next-token P(x_i | x_<i). Logo letters are "
            "p·IC in bits (IC = 2 − entropy) or plain probabilities; natural log in the table.")


def compute(model_key, data_key, source, payload, mode, rc, progress=None):
    model, data = ui.cached_builtin_model(model_key), ui.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    res = lg.nucleotide_logits(model, inp, mode=mode, rc=rc, name="" if source == "region" else source,
                               progress=progress)
    return res, lg.position_table(res, data if source == "region" else None)


@st.cache_data(max_entries=8, show_spinner="Mutating every position (3 per base)…")
def compute_dependency(model_key, data_key, source, payload):
    model, data = ui.cached_builtin_model(model_key), ui.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    return lg.dependency_map(model, inp, name=source)


def run(*params):
    return ui.session_cached("logits_cache", params, lambda progress: compute(*params, progress=progress),
                             message="Computing predictions…")


model_key, data_key = st.session_state.get("model_key", "default-mlm"), st.session_state.get("dataset_key", "")
with ui.user_errors():
    model, data = ui.current_model(), ui.current_data()
    data_key = f"{data_key}:{data.name}"
    kind = st.radio("Input", ["Genome region", "Pasted sequence", "FASTA record"], horizontal=True,
                    key="logits_input")
    with st.form("logits_form"):
        if kind == "Genome region":
            region = st.text_input("Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)",
                                   ui.incoming_region(f"{data.genome.chroms[0]}:1001-1200"), key="logits_region")
            source, payload = "region", region
        elif kind == "Pasted sequence":
            source, payload = "pasted sequence", st.text_area("DNA sequence (≤ 2 kb)", key="logits_paste")
        else:
            upload = st.file_uploader("FASTA (first record, or name one below)", key="logits_fasta")
            record = st.text_input("Record name (optional)", key="logits_record")
            source, payload = "FASTA record", upload
        modes = ["exact", "unmasked"] if model.info.is_mlm else ["next"]
        mode = st.selectbox("Mode", modes, format_func=lg.MODES.get, key="logits_mode")
        rc = st.checkbox("Average with the reverse-complement strand", key="logits_rc")
        logo = st.radio("Logo letters", ["information", "probability"], horizontal=True, key="logits_logo",
                        format_func={"information": "p · IC (bits)", "probability": "probability"}.get)
        submitted = st.form_submit_button("Compute predictions", type="primary", key="logits_go")
    if submitted:
        st.session_state.pop("logits_params", None)  # a rejected input must not leave the previous run's results
        if source == "FASTA record":
            if payload is None:
                raise FastaError("Choose a FASTA file first.")
            recs = lg.fasta_records(payload.getvalue())
            name = record.strip() or next(iter(recs))
            if name not in recs:
                raise FastaError(f"No record {name!r} in {payload.name}; it has {', '.join(list(recs)[:5])}.")
            source, payload = f"record {name}", lg.sequence_input(recs[name], name=f"record {name!r}")
        elif source == "pasted sequence":
            payload = lg.sequence_input(payload)
        st.session_state["logits_params"] = (model_key, data_key, source, payload, mode, rc)

params = st.session_state.get("logits_params")
if params and params[0] == model_key and params[1] == data_key:
    with ui.user_errors():
        res, table = run(*params)
        st.caption(f"{res.label} · {res.model} · {res.mode_label} · {res.length} bp"
                   + (f" · context {res.flank} bp each side" if res.flank else ""))
        if res.note:
            st.info(res.note)
        if res.approximate:
            st.warning("Unmasked reconstruction: the model sees the base it predicts, so P(ref) is inflated. "
                       "Use exact masked marginals for scores.")
        c1, c2, c3 = st.columns(3)
        c1.metric("Mean log-likelihood", f"{table['log_p_ref'].mean() / 0.6931:.3f} bits/base")
        c2.metric("Mean P(ref)", f"{table['p_ref'].mean():.3f}")
        c3.metric("Top base ≠ ref", f"{table['model_disagrees'].mean():.1%}")
        chart = st.plotly_chart(logits_tracks(table, data=data if res.chrom else None, logo=logo),
                                key="logits_tracks_chart", on_select="rerun", selection_mode="points")
        st.download_button("Download table (CSV)", table.to_csv(index=False), f"logits_{res.label}.csv",
                           "text/csv", key="logits_download")
        st.dataframe(table, hide_index=True, height=260)
        picked = [p["x"] for p in (chart.selection.points if chart else []) if "x" in p]
        if res.chrom and Path("pages/variants.py").exists():
            pos = st.number_input("Position to hand to the variant page (click a bar to pick)", res.start + 1,
                                  res.start + res.length, int(picked[0]) if picked else res.start + 1)
            if st.button("Score variants at this position →", key="logits_to_variants"):
                ui.handoff_region(f"{res.chrom}:{pos}-{pos}", "pages/variants.py")

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
                    st.session_state["logits_dep"] = (params, f"{res.chrom}:{lo}-{hi}" if res.chrom else res.seq[lo - 1:hi])
                if st.session_state.get("logits_dep", (None,))[0] == params:
                    dep = compute_dependency(model_key, data_key, params[2], st.session_state["logits_dep"][1])
                    st.plotly_chart(dependency_heatmap(dep), key="logits_dep_chart")

        with st.expander("MLM vs CLM on the same input (both built-in models)"):
            if st.button("Compare MLM and CLM", key="logits_compare"):
                st.session_state["logits_compare_for"] = params
            if st.session_state.get("logits_compare_for") == params:
                both = {k.upper(): run(f"default-{k}", *params[1:4], "exact" if k == "mlm" else "next", rc)[1]
                        for k in ("mlm", "clm")}
                st.plotly_chart(logits_comparison(both, logo=logo), key="logits_compare_chart")
                st.caption("The MLM sees both sides of each base; the CLM only the left, so it is least sure "
                           "at the start of motifs and sharpens once the motif has begun.")
