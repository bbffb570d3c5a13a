"""Attribution & motifs: which bases make the model predict this, and do they look like known motifs?"""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, probe, urls
from dashboard.errors import user_errors
from dashboard.views import attribution as views
from glm_explore import attribution, motifs
from glm_explore.models.capabilities import feature_status, supports_onehot

METHODS = {**attribution.METHODS, "ism": "In-silico mutagenesis only"}


@dataclass(frozen=True)
class AttributionParams(params.PageParams):
    PREFIX = "attribution"
    region: str = ""
    target: str = params.param("mlm_position", choices=tuple(attribution.TARGETS))
    spec: str = ""
    method: str = params.param("integrated_gradients", choices=tuple(METHODS))
    baseline: str = params.param("zeros", choices=tuple(attribution.BASELINES))
    steps: int = params.param(50, lo=10, hi=200)
    nbase: int = params.param(5, lo=1, hi=20)
    probe_class: str = ""
    correct: bool = False
    ism: bool = False
    tax: str = params.param(motifs.JASPAR_TAX_GROUPS[0], choices=motifs.JASPAR_TAX_GROUPS)


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
    targets = [k for k in attribution.TARGETS if k.startswith("mlm" if model.info.is_mlm else "clm")] + \
        ["probe"] * bool(held)
    gradients = supports_onehot(model)  # else ISM only (k-mer / BPE models)
    methods = list(METHODS) if gradients else ["ism"]
    classes = held["probe"].classes if held else ()
    params.seed(AttributionParams(region=f"{data.genome.chroms[0]}:1001-1100", target=targets[0], method=methods[0],
                                  probe_class="promoter" if "promoter" in classes or not held else classes[0]),
            {"target": targets, "method": methods, "region": params.region_problem(data.genome)}
            | ({"probe_class": classes} if held else {}))
    views.probe_target(held)
    st.page_link("pages/motifs.py", label="Seqlets across many windows of one region class → Motifs across windows")
    no_gradient = None if gradients else "Unsupported for this model: " + feature_status(
        model, "Gradient attribution")[1] + "."
    with st.form("attribution_form"):
        st.text_input(f"Region (1-based chrom:start-end, ≤ {attribution.MAX_ATTRIBUTION_BP} bp)",
                      key="attribution_region")
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Target", targets, format_func=attribution.TARGETS.get, key="attribution_target")
        c1.text_input("Target position or span (1-based; blank = centre / whole region)", key="attribution_spec")
        c2.selectbox("Method", methods, format_func=METHODS.get, key="attribution_method", disabled=not gradients,
                     help=no_gradient)
        c2.selectbox("Baseline (IG, DeepLift)", list(attribution.BASELINES), format_func=attribution.BASELINES.get,
                     key="attribution_baseline", disabled=not gradients, help=no_gradient)
        c3.slider("IG steps", 10, 200, step=10, key="attribution_steps", disabled=not gradients, help=no_gradient)
        c3.slider("Shuffled baselines", 1, 20, key="attribution_nbase", disabled=not gradients, help=no_gradient)
        c1.selectbox("Probe class (probe target)", classes or [st.session_state["attribution_probe_class"]],
                     key="attribution_probe_class", disabled=not held,
                     help=None if held else probe.probe_unavailable_note())
        c1.checkbox("One-hot gradient correction", key="attribution_correct", disabled=not gradients, help=no_gradient)
        c2.checkbox("Also run ISM (heatmap)", key="attribution_ism")
        c3.selectbox("JASPAR CORE group", motifs.JASPAR_TAX_GROUPS, key="attribution_tax")
        go = st.form_submit_button("Compute attributions", type="primary", key="attribution_go")
    p = params.from_widgets(AttributionParams)
    urls.link_box(p, ["The probe target needs a region-class probe: whoever opens the link fits one first "
                      "(Embedding explorer, or 'Fit a region-class probe' above)."] * (p.target == "probe"))
    if go:
        params.record_run(p, extra=probe.probe_digest(held) if p.target == "probe" else None)
    run = params.last_run(AttributionParams)

if run and run.params.target == "probe" and run.extra != probe.probe_digest(held):
    st.info("The probe this run used is gone (another probe replaced it): press Compute attributions again.")
elif run:
    with user_errors():
        views.show_result(run, held, data)
