"""Attribution & motifs: which bases make the model predict this, and do they look like known motifs?"""

import numpy as np
import streamlit as st

import ui
from glm_explore import attribution as at
from glm_explore import motifs as mf
from glm_explore.models.capabilities import supports_probe_target
from glm_explore.plots import attribution_tracks, motif_pair_logos

st.title("Attribution & motifs")
st.markdown(
    "Pick a **target** (MLM: log P(reference base) at a masked position, or the pseudo-log-likelihood of a "
    "span; CLM: log-likelihood of a span) and a **method**. Letters are scaled by attribution (natural-log "
    "units of the target; below the axis = pushes the target down). ISM shows f(mutant) − f(reference) for "
    "every substitution. The **probe** target asks which bases make the region look like a class (the "
    "embedding explorer's linear probe). Seqlets (stretches of high |attribution|: median + 4 robust SD) are "
    "matched to JASPAR CORE with TOMTOM; FIMO draws a chosen motif's sites under the map.")


def compute(model_key, data_key, region, target, spec, method, baseline, n_steps, n_baselines, correct, ism,
            probe_class=None, probe_id=None):
    """Results kept in session state (not st.cache_data: the progress bar must not be replayed)."""
    key = (model_key, data_key, region, target, spec, method, baseline, n_steps, n_baselines, correct, ism,
           probe_class, probe_id)

    def run(progress):
        model, data = ui.cached_builtin_model(model_key), ui.current_data()
        held = ui.current_probe() if target == "probe" else None
        return at.attribute_region(model, data.genome, region, target=target, target_spec=spec, method=method,
                                   baseline=baseline, n_steps=n_steps, n_baselines=n_baselines, correct=correct,
                                   ism=ism, probe=held and held["probe"], probe_class=probe_class, progress=progress)

    return ui.session_cached("attribution_results", key, run)


@st.cache_data(max_entries=16, show_spinner="Matching seqlets to JASPAR (TOMTOM)…")
def seqlet_table(_result, key, tax_group):
    return mf.match_seqlets(mf.call_seqlets(_result), mf.jaspar_motifs(tax_group))


model_key = st.session_state.get("model_key", "default-mlm")
tax = "fungi"
with ui.user_errors():
    model, data = ui.current_model(), ui.current_data()
    data_key = f"{st.session_state.get('dataset_key', '')}:{data.name}"
    differentiable = supports_probe_target(model)  # else no probe target (k-mer / BPE models)
    held = ui.current_probe()
    targets = [k for k in at.TARGETS if k.startswith("mlm" if model.info.is_mlm else "clm")] + (["probe"] * bool(held))
    methods = {**at.METHODS, "ism": "In-silico mutagenesis only"}
    if differentiable:
        with st.expander("Region-class probe target" + (f" — {held['source']}" if held else "")):
            if held:
                st.caption(f"Classes: {', '.join(held['probe'].classes)} · held-out macro-F1 "
                           f"{held['probe'].heldout_macro_f1:.3f}. The target pools the probe's layers over its "
                           f"centre {held['probe'].center} bp of the region (or the span you type).")
            else:
                ui.probe_fit_button("attribution_fit_probe")
    st.page_link("pages/motifs.py", label="Seqlets across many windows of one region class → Motifs across windows")
    if st.session_state.get("attribution_target") not in targets:  # the model changed objective
        st.session_state.pop("attribution_target", None)
    with st.form("attribution_form"):
        region = st.text_input(f"Region (1-based chrom:start-end, ≤ {at.MAX_ATTRIBUTION_BP} bp)",
                               ui.incoming_region(f"{data.genome.chroms[0]}:1001-1100"), key="attribution_region")
        c1, c2, c3 = st.columns(3)
        target = c1.selectbox("Target", targets, format_func=at.TARGETS.get, key="attribution_target")
        spec = c1.text_input("Target position or span (1-based; blank = centre / whole region)",
                             key="attribution_spec")
        method = c2.selectbox("Method", list(methods), format_func=methods.get, key="attribution_method")
        baseline = c2.selectbox("Baseline (IG, DeepLift)", list(at.BASELINES), format_func=at.BASELINES.get,
                                key="attribution_baseline")
        n_steps = c3.slider("IG steps", 10, 200, 50, 10, key="attribution_steps")
        n_baselines = c3.slider("Shuffled baselines", 1, 20, 5, key="attribution_nbase")
        probe_class = c1.selectbox("Probe class (probe target)", held["probe"].classes, key="attribution_probe_class",
                                   index=held["probe"].classes.index("promoter") if "promoter" in held["probe"].classes
                                   else 0) if held else None
        correct = c1.checkbox("One-hot gradient correction", key="attribution_correct")
        ism = c2.checkbox("Also run ISM (heatmap)", key="attribution_ism")
        tax = c3.selectbox("JASPAR CORE group", mf.JASPAR_TAX_GROUPS, key="attribution_tax")
        go = st.form_submit_button("Compute attributions", type="primary", key="attribution_go")
    if go:
        st.session_state["attribution_params"] = (model_key, data_key, region, target, spec, method, baseline,
                                                  n_steps, n_baselines, correct, ism, probe_class,
                                                  id(held["probe"]) if held else None)

params = st.session_state.get("attribution_params")
if params and params[0] == model_key and params[1] == data_key:
    with ui.user_errors():
        attr, ism_res = compute(*params)
        shown = attr if attr is not None else ism_res
        f_x = attr.target_value if attr is not None else ism_res.reference_value
        value = f"{f_x:.3f} (P = {np.exp(f_x):.3g})" if params[3] in ("mlm_position", "probe") else f"{f_x:.2f} nats"
        st.caption(f"{shown.label} · {model_key} · target: {shown.target} = {value}")
        for note in shown.notes + (ism_res.notes if ism_res is not None and attr is not None else ()):
            st.info(note)
        if attr is not None and attr.delta is not None:
            (st.success if attr.relative_delta < 0.01 else st.warning)(
                f"Convergence delta Σ attr − (f(x) − f(x′)) = {attr.delta:+.2e} over the whole context window "
                f"({attr.relative_delta:.2%} of f(x) − f(x′) = {attr.target_value - attr.baseline_value:+.3f}).")
        lib = mf.jaspar_motifs(tax)
        motif = st.selectbox("FIMO: scan the region with a JASPAR motif", ["(none)"] + [m.label for m in lib],
                             key="attribution_fimo")
        hits = None
        if motif != "(none)":
            hits = mf.scan_motif(shown.seq, mf.find_motif(motif.split()[0], lib), start=shown.start)
            st.caption(f"{len(hits)} FIMO hit(s) of {motif} at p ≤ 1e-4 (both strands).")
        table = seqlet_table(shown, params, tax)
        st.plotly_chart(attribution_tracks(shown, ism=ism_res, data=data, hits=hits, seqlets=table),
                        key="attribution_chart")
        st.download_button("Download per-position table (CSV)", at.attribution_table(attr, ism_res).to_csv(
            index=False), f"attribution_{shown.label}.csv", "text/csv", key="attribution_download")
        st.subheader(f"Seqlets: {len(table)} (|s| ≥ {table.attrs.get('threshold', float('nan')):.3g})")
        cols = ["pos_start", "pos_end", "sequence", "score", "match_1_id", "match_1_name", "match_1_p",
                "match_1_q", "match_2_id", "match_2_name", "match_2_p"]
        st.dataframe(table[[c for c in cols if c in table]], hide_index=True, key="attribution_seqlets")
        values = attr.values if attr is not None else ism_res.logo_values
        for row in table.head(3).itertuples():
            if row.match_1_id:
                st.plotly_chart(motif_pair_logos(mf.matched_values(values, row), mf.find_motif(row.match_1_id, lib),
                                                 title=f"{row.pos_start}-{row.pos_end}: best match "
                                                       f"{row.match_1_name} ({row.match_1_strand} strand, "
                                                       f"p = {row.match_1_p:.1e})"),
                                key=f"attribution_pair_{row.Index}")
