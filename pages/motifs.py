"""Motifs across windows: seqlets from many windows of one region class, named by JASPAR (TOMTOM)."""

import numpy as np
import streamlit as st

import ui
from glm_explore import attribution as at
from glm_explore import motifs as mf
from glm_explore import windows as wn
from glm_explore.embed import PROBE_CAP
from glm_explore.models.capabilities import supports_probe_target
from glm_explore.plots import motif_pair_logos

st.title("Motifs across windows")
st.markdown(
    "Attribute many windows of one region class (e.g. all promoter windows of the embedding sample), call "
    "**seqlets** with one pooled threshold (median + 4 robust SD of |attribution| over all windows) and name them "
    "with **TOMTOM** against JASPAR CORE. The **probe** target (log P(class) under the embedding explorer's linear "
    "probe) asks *what makes these windows look like their class*; the likelihood target asks what the model uses "
    "to predict the centre base. The default reference is the dinucleotide-shuffled window (what composition "
    "alone gives), as in DeepLIFT/BPNet motif discovery. Random segments of the same windows (same lengths and "
    "weights) are matched too: their match rate is what chance gives.")


@st.cache_data(persist="disk", max_entries=4, show_spinner="Finding windows…")
def default_windows(data_key, _data):
    return wn.make_windows(_data, cap_per_class=PROBE_CAP, seed=0)


@st.cache_data(max_entries=8, show_spinner="Matching seqlets and random segments to JASPAR (TOMTOM)…")
def report(key, tax, q, _results):
    return mf.seqlet_report(_results, mf.jaspar_motifs(tax), q=q)


def compute(key, model, table, probe, **kw):
    """Attribution maps kept in session state (not st.cache_data: the progress bar must not be replayed)."""
    return ui.session_cached("motifs_results", key, lambda progress: at.attribute_windows(
        model, table, probe=probe, progress=progress, **kw), message="Attributing windows…", max_entries=4)


held = data_key = None  # stay defined if loading the model or genome fails below
model_key = st.session_state.get("model_key", "default-mlm")
with ui.user_errors():
    model, data = ui.current_model(), ui.current_data()
    data_key = f"{st.session_state.get('dataset_key', '')}:{data.name}"
    differentiable = supports_probe_target(model)  # else no probe target (k-mer / BPE models)
    held = ui.current_probe()
    ws = held["windows"] if held else default_windows(data_key, data)
    st.caption(f"Window sample: {held['source'] if held else 'the explorer recipe, seed 0'} · {len(ws):,} windows. "
               + ws.split_note)
    if not held and differentiable:
        ui.probe_fit_button("motifs_fit_probe")
    classes = sorted(set(ws.labels))
    targets = {"default": "MLM: log P(ref) at the centre (masked)" if model.info.is_mlm else
               "CLM: log-likelihood of the window"} | ({"probe": "probe: log P(class | embedding)"} if held else {})
    with st.form("motifs_form"):
        c1, c2, c3 = st.columns(3)
        cls = c1.selectbox("Region class", classes, index=classes.index("promoter") if "promoter" in classes else 0,
                           key="motifs_class")
        n = c1.slider("Windows (held-out first)", 2, 100, 20, key="motifs_n")
        target = c2.selectbox("Target", list(targets), format_func=targets.get, index=len(targets) - 1,
                              key="motifs_target")
        method = c2.selectbox("Method", list(at.METHODS), format_func=at.METHODS.get, key="motifs_method")
        baseline = c2.selectbox("Baseline (IG, DeepLift)", list(at.BASELINES), format_func=at.BASELINES.get,
                                index=list(at.BASELINES).index("shuffle"), key="motifs_baseline")
        steps = c3.slider("IG steps", 5, 100, 25, 5, key="motifs_steps")
        n_base = c3.slider("Shuffled baselines", 1, 10, 2, key="motifs_nbase")
        tax = c3.selectbox("JASPAR CORE group", mf.JASPAR_TAX_GROUPS, key="motifs_tax")
        q = c3.select_slider("TOMTOM q-value cut", [0.01, 0.05, 0.1, 0.25], 0.05, key="motifs_q")
        if st.form_submit_button("Find motifs", type="primary", key="motifs_go"):
            st.session_state["motifs_params"] = (model_key, data_key, cls, n, target, method, baseline, steps, n_base,
                                                 tax, q, id(held["probe"]) if held else None)  # + the window sample

params = st.session_state.get("motifs_params")
params = params if params and params[:2] == (model_key, data_key) else None  # a run for this model and genome
if params and params[4] == "probe" and not held:  # e.g. another model's probe was fit since
    st.info("The probe this run used is gone (a probe for another model or genome replaced it): fit one again, "
            "then press Find motifs.")
elif params:
    with ui.user_errors():
        _, _, cls, n, target, method, baseline, steps, n_base, tax, q, _ = params
        results = compute(params, model, ws.of_class(cls, n), held["probe"] if target == "probe" else None,
                          target=target, probe_class=cls, method=method, baseline=baseline, n_steps=steps,
                          n_baselines=n_base)
        rep = report(params, tax, q, results)
        seqlets, summary = rep.seqlets, rep.summary
        st.caption(f"{len(results)} {cls} windows · {model.info.name} · {at.METHODS[method]} · target: "
                   f"{results[0].target}")
        if not np.isnan(rep.delta_worst):
            (st.success if rep.delta_worst < 0.05 else st.warning)(
                f"Convergence: |Σ attr − (f(x) − f(x′))| is {rep.delta_median:.1%} of f(x) − f(x′) in the median "
                f"window, {rep.delta_worst:.1%} at worst" + ("" if rep.delta_worst < 0.05 else " — raise the IG steps."))
        m1, m2, m3 = st.columns(3)
        m1.metric("Seqlets", f"{len(seqlets):,}", f"|s| ≥ {rep.threshold:.3g}", delta_color="off")
        m2.metric("Windows with a seqlet", f"{seqlets['window'].nunique() if len(seqlets) else 0} / {len(results)}")
        pct = lambda v: "—" if np.isnan(v) else f"{v:.0%}"  # noqa: E731 (no seqlets: no rate)
        m3.metric(f"Match a JASPAR motif (q ≤ {q})", pct(rep.match_rate), f"random segments: {pct(rep.chance_rate)}",
                  delta_color="off")
        st.subheader("JASPAR motifs the seqlets resemble")
        st.dataframe(summary, hide_index=True, key="motifs_summary")
        lib = mf.jaspar_motifs(tax)
        for row in summary.head(3).itertuples():
            best = seqlets[seqlets["match_1_id"] == row.matrix_id].sort_values("match_1_q").iloc[0]
            values = mf.matched_values(results[int(best["window"])].values, best)
            st.plotly_chart(motif_pair_logos(values, mf.find_motif(row.matrix_id, lib),
                                             title=f"{best['chrom']}:{best['pos_start']}-{best['pos_end']} · "
                                                   f"{row.name} ({best['match_1_strand']} strand, "
                                                   f"q = {row.best_q:.1e})"),
                            key=f"motifs_pair_{row.Index}")
        st.subheader("All seqlets")
        shown = seqlets.drop(columns=["weight", "start", "end", "match_1_offset", "match_1_overlap"])
        st.container(key="motifs_seqlets").dataframe(shown, hide_index=True)  # key: CSS class for browser tests
        st.download_button("Download seqlets (CSV)", shown.to_csv(index=False), f"seqlets_{cls}.csv", "text/csv",
                           key="motifs_download")
        regions = [r.region for r in results]
        pick = st.selectbox("Open a window on the attribution page", [str(r) for r in regions], key="motifs_pick")
        if st.button("Open on the attribution page →", key="motifs_to_attribution"):
            ui.handoff_region(pick, "pages/attribution.py")
