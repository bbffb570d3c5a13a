"""Attribution & motifs: which bases make the model predict this, and do they look like known motifs?"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from dashboard import caches, navigation, probe, urls, warmup
from dashboard import params as pp
from dashboard.errors import user_errors
from dashboard.results_cache import session_cached
from glm_explore import attribution as at
from glm_explore import motifs as mf
from glm_explore.models.capabilities import feature_status, supports_onehot
from glm_explore.plots import attribution_tracks, motif_pair_logos

METHODS = {**at.METHODS, "ism": "In-silico mutagenesis only"}


@dataclass(frozen=True)
class AttributionParams(pp.PageParams):
    PREFIX = "attribution"
    region: str = ""
    target: str = pp.param("mlm_position", choices=tuple(at.TARGETS))
    spec: str = ""
    method: str = pp.param("integrated_gradients", choices=tuple(METHODS))
    baseline: str = pp.param("zeros", choices=tuple(at.BASELINES))
    steps: int = pp.param(50, lo=10, hi=200)
    nbase: int = pp.param(5, lo=1, hi=20)
    probe_class: str = ""
    correct: bool = False
    ism: bool = False
    tax: str = pp.param(mf.JASPAR_TAX_GROUPS[0], choices=mf.JASPAR_TAX_GROUPS)


def results(run: pp.Run, held: dict | None):
    """Results kept in session state (not st.cache_data: the progress bar must not be replayed)."""
    p = run.params
    return session_cached("attribution_results", run, lambda progress: at.attribute_region(
        caches.cached_model(run.model), caches.current_data().genome, p.region, target=p.target,
        target_spec=p.spec, method=p.method, baseline=p.baseline, n_steps=p.steps, n_baselines=p.nbase,
        correct=p.correct, ism=p.ism, probe=held and held["probe"], probe_class=p.probe_class or None,
        progress=progress))


@st.cache_data(max_entries=16, show_spinner="Matching seqlets to JASPAR (TOMTOM)…")
def seqlet_table(_result, key, tax_group):
    return mf.match_seqlets(mf.call_seqlets(_result), mf.jaspar_motifs(tax_group))


navigation.require_app()
st.title("Attribution & motifs")
st.markdown(
    "Pick a **target** (MLM: log P(reference base) at a masked position, or the pseudo-log-likelihood of a "
    "span; CLM: log-likelihood of a span) and a **method**. Letters are scaled by attribution (natural-log "
    "units of the target; below the axis = pushes the target down). ISM shows f(mutant) − f(reference) for "
    "every substitution. The **probe** target asks which bases make the region look like a class (the "
    "embedding explorer's linear probe). Seqlets (stretches of high |attribution|: median + 4 robust SD) are "
    "matched to JASPAR CORE with TOMTOM; FIMO draws a chosen motif's sites under the map.")

run = None  # stays None if loading the model or genome fails below
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    held = probe.current_probe()
    targets = [k for k in at.TARGETS if k.startswith("mlm" if model.info.is_mlm else "clm")] + ["probe"] * bool(held)
    gradients = supports_onehot(model)  # else ISM only (k-mer / BPE models)
    methods = list(METHODS) if gradients else ["ism"]
    classes = held["probe"].classes if held else ()
    pp.seed(AttributionParams(region=f"{data.genome.chroms[0]}:1001-1100", target=targets[0], method=methods[0],
                              probe_class="promoter" if "promoter" in classes or not held else classes[0]),
            {"target": targets, "method": methods, "region": pp.region_problem(data.genome)}
            | ({"probe_class": classes} if held else {}))
    with st.expander("Region-class probe target" + (f" — {held['source']}" if held else "")):
        if held:
            st.caption(f"Classes: {', '.join(classes)} · held-out macro-F1 {held['probe'].heldout_macro_f1:.3f}. The "
                       f"target pools the probe's layers over its centre {held['probe'].center} bp of the region "
                       "(or the span you type).")
        else:
            probe.probe_fit_button("attribution_fit_probe")
    st.page_link("pages/motifs.py", label="Seqlets across many windows of one region class → Motifs across windows")
    no_gradient = None if gradients else "Unsupported for this model: " + feature_status(
        model, "Gradient attribution")[1] + "."
    with st.form("attribution_form"):
        st.text_input(f"Region (1-based chrom:start-end, ≤ {at.MAX_ATTRIBUTION_BP} bp)", key="attribution_region")
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Target", targets, format_func=at.TARGETS.get, key="attribution_target")
        c1.text_input("Target position or span (1-based; blank = centre / whole region)", key="attribution_spec")
        c2.selectbox("Method", methods, format_func=METHODS.get, key="attribution_method", disabled=not gradients,
                     help=no_gradient)
        c2.selectbox("Baseline (IG, DeepLift)", list(at.BASELINES), format_func=at.BASELINES.get,
                     key="attribution_baseline", disabled=not gradients, help=no_gradient)
        c3.slider("IG steps", 10, 200, step=10, key="attribution_steps", disabled=not gradients, help=no_gradient)
        c3.slider("Shuffled baselines", 1, 20, key="attribution_nbase", disabled=not gradients, help=no_gradient)
        c1.selectbox("Probe class (probe target)", classes or [st.session_state["attribution_probe_class"]],
                     key="attribution_probe_class", disabled=not held,
                     help=None if held else probe.probe_unavailable_note())
        c1.checkbox("One-hot gradient correction", key="attribution_correct", disabled=not gradients, help=no_gradient)
        c2.checkbox("Also run ISM (heatmap)", key="attribution_ism")
        c3.selectbox("JASPAR CORE group", mf.JASPAR_TAX_GROUPS, key="attribution_tax")
        go = st.form_submit_button("Compute attributions", type="primary", key="attribution_go")
    p = pp.from_widgets(AttributionParams)
    urls.link_box(p, ["The probe target needs a region-class probe: whoever opens the link fits one first "
                      "(Embedding explorer, or 'Fit a region-class probe' above)."] * (p.target == "probe"))
    if go:
        pp.record_run(p, extra=probe.probe_digest(held) if p.target == "probe" else None)
    run = pp.last_run(AttributionParams)

if run and run.params.target == "probe" and run.extra != probe.probe_digest(held):
    st.info("The probe this run used is gone (another probe replaced it): press Compute attributions again.")
elif run:
    with user_errors():
        attr, ism_res = results(run, held)
        shown, p = attr if attr is not None else ism_res, run.params
        f_x = attr.target_value if attr is not None else ism_res.reference_value
        value = f"{f_x:.3f} (P = {np.exp(f_x):.3g})" if p.target in ("mlm_position", "probe") else f"{f_x:.2f} nats"
        st.caption(f"{shown.label} · {run.model} · target: {shown.target} = {value}")
        for note in shown.notes + (ism_res.notes if ism_res is not None and attr is not None else ()):
            st.info(note)
        if attr is not None and attr.delta is not None:
            (st.success if attr.relative_delta < 0.01 else st.warning)(
                f"Convergence delta Σ attr − (f(x) − f(x′)) = {attr.delta:+.2e} over the whole context window "
                f"({attr.relative_delta:.2%} of f(x) − f(x′) = {attr.target_value - attr.baseline_value:+.3f}).")
        lib = mf.jaspar_motifs(p.tax)
        warmup.wait_for_motif_tools()  # TOMTOM / FIMO compiled once, in the background
        motif = st.selectbox("FIMO: scan the region with a JASPAR motif", ["(none)"] + [m.label for m in lib],
                             key="attribution_fimo")
        hits = None
        if motif != "(none)":
            hits = mf.scan_motif(shown.seq, mf.find_motif(motif.split()[0], lib), start=shown.start)
            st.caption(f"{len(hits)} FIMO hit(s) of {motif} at p ≤ 1e-4 (both strands).")
        table = seqlet_table(shown, run, p.tax)
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
