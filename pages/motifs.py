"""Motifs across windows: seqlets from many windows of one region class, named by JASPAR (TOMTOM)."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, probe, urls
from dashboard.errors import user_errors
from dashboard.views import motifs as views
from glm_explore import attribution, motifs, patterns
from glm_explore.models.capabilities import feature_status, supports_onehot

Q_CUTS = (0.01, 0.05, 0.1, 0.25)


@dataclass(frozen=True)
class MotifsParams(params.PageParams):
    PREFIX = "motifs"
    cls: str = params.param("promoter", name="class")
    n: int = params.param(20, lo=2, hi=100)
    target: str = params.param("default", choices=("default", "probe"))
    method: str = params.param("integrated_gradients", choices=tuple(attribution.METHODS))
    baseline: str = params.param("shuffle", choices=tuple(attribution.BASELINES))
    steps: int = params.param(25, lo=5, hi=100)
    nbase: int = params.param(2, lo=1, hi=10)
    tax: str = params.param(motifs.JASPAR_TAX_GROUPS[0], choices=motifs.JASPAR_TAX_GROUPS)
    q: float = params.param(0.05, choices=Q_CUTS)


@dataclass(frozen=True)
class PatternsParams(params.PageParams):
    PREFIX = "patterns"
    cls: str = params.param("promoter", name="pclass")
    n: int = params.param(patterns.PatternSettings.n_windows, lo=patterns.MIN_WINDOWS, hi=200, name="pwindows")
    target: str = params.param("default", choices=("default", "probe"), name="ptarget")


navigation.require_app()
st.title("Motifs across windows")
st.markdown(
    "Attribute many windows of one region class (e.g. all promoter windows of the embedding sample), call "
    "**seqlets** with one pooled threshold (median + 4 robust SD of |attribution| over all windows) and name them "
    "with **TOMTOM** against JASPAR CORE. The **probe** target (log P(class) under the embedding explorer's linear "
    "probe) asks *what makes these windows look like their class*; the likelihood target asks what the model uses "
    "to predict the centre base. The default reference is the dinucleotide-shuffled window (what composition "
    "alone gives), as in DeepLIFT/BPNet motif discovery. Random segments of the same windows (same lengths and "
    "weights) are matched too: their match rate is what chance gives.")

held = run = classes = None  # stay defined if loading the model or genome fails below
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    held = probe.current_probe()
    ws = held["windows"] if held else views.default_windows(caches.genome_key(), data)
    st.caption(f"Window sample: {held['source'] if held else 'the explorer recipe, seed 0'} · {len(ws):,} windows. "
               + ws.split_note)
    if not held:
        probe.probe_fit_button("motifs_fit_probe")
    classes = sorted(set(ws.labels))
    targets = {"default": "MLM: log P(ref) at the centre (masked)" if model.info.is_mlm else
               "CLM: log-likelihood of the window"} | ({"probe": "probe: log P(class | embedding)"} if held else {})
    gradients = supports_onehot(model)  # every method here is a gradient method
    no_gradient = None if gradients else "Unsupported for this model: " + feature_status(
        model, "Gradient attribution")[1] + "; ISM of one region is on the Attribution page."
    params.seed(MotifsParams(cls="promoter" if "promoter" in classes else classes[0], target=list(targets)[-1]),
                {"cls": classes, "target": list(targets)})
    with st.form("motifs_form"):
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Region class", classes, key="motifs_class")
        c1.slider("Windows (held-out first)", 2, 100, key="motifs_n")
        c2.selectbox("Target", list(targets), format_func=targets.get, key="motifs_target")
        c2.selectbox("Method", list(attribution.METHODS), format_func=attribution.METHODS.get, key="motifs_method",
                     disabled=not gradients, help=no_gradient)
        c2.selectbox("Baseline (IG, DeepLift)", list(attribution.BASELINES), format_func=attribution.BASELINES.get,
                     key="motifs_baseline", disabled=not gradients, help=no_gradient)
        c3.slider("IG steps", 5, 100, step=5, key="motifs_steps", disabled=not gradients, help=no_gradient)
        c3.slider("Shuffled baselines", 1, 10, key="motifs_nbase", disabled=not gradients, help=no_gradient)
        c3.selectbox("JASPAR CORE group", motifs.JASPAR_TAX_GROUPS, key="motifs_tax")
        c3.select_slider("TOMTOM q-value cut", Q_CUTS, key="motifs_q")
        go = st.form_submit_button("Find motifs", type="primary", key="motifs_go", disabled=not gradients,
                                   help=no_gradient)
    p = params.from_widgets(MotifsParams)
    urls.link_box(p, ["The window sample and the probe target come from a region-class probe: whoever opens the "
                      "link fits one first (Embedding explorer, or 'Fit a region-class probe')."] * bool(held))
    if go:
        params.record_run(p, extra=probe.probe_digest(held))  # the probe's windows are the sample
    run = params.last_run(MotifsParams)

if run and run.extra != probe.probe_digest(held):  # e.g. another model's probe was fit since
    st.info("The probe this run used is gone (a probe for another model or genome replaced it): fit one again, "
            "then press Find motifs." if run.params.target == "probe" else "The window sample changed since this "
            "run (a region-class probe was fit or dropped): press Find motifs again.")
elif run:
    with user_errors():
        views.show_result(run, model, ws, held)

st.divider()
st.header("Patterns across many windows (TF-MoDISco)")
st.markdown(
    "**TF-MoDISco** (modisco-lite) clusters high-contribution stretches of many windows into **patterns**: each has "
    "a contribution-weight matrix (CWM, the logo), a seqlet count, where its seqlets sit in the window and its "
    "closest JASPAR motifs (TOMTOM). Inputs are *hypothetical contributions* of Integrated Gradients with "
    "dinucleotide-shuffled references and the one-hot gradient correction. The **control** runs the same pipeline on "
    "dinucleotide-shuffled copies of the same windows: its pattern count is what TF-MoDISco forms by chance.")
if classes:
    with user_errors():
        params.seed(PatternsParams(cls="promoter" if "promoter" in classes else classes[0], target=list(targets)[-1]),
                    {"cls": classes, "target": list(targets)})
        with st.form("patterns_form"):
            c1, c2, c3 = st.columns(3)
            c1.selectbox("Pattern class", classes, key="patterns_pclass")
            c2.slider("Pattern windows (held-out first)", patterns.MIN_WINDOWS, 200, step=10, key="patterns_pwindows")
            c3.selectbox("Pattern target", list(targets), format_func=targets.get, key="patterns_ptarget")
            pgo = st.form_submit_button("Find patterns", type="primary", key="patterns_go", disabled=not gradients,
                                        help=no_gradient)
        q = params.from_widgets(PatternsParams)
        if pgo:
            params.record_run(q, extra=probe.probe_digest(held))
        prun = params.last_run(PatternsParams)
        if prun is None:
            rep = views.shipped_patterns(model, q.cls)
            if rep is not None:
                st.success(f"Precomputed for exactly these weights ({rep.n_windows} {rep.region_class} windows); "
                           "press Find patterns to run your own settings (minutes).")
                views.show_patterns(rep)
            else:
                st.info("Press **Find patterns**: attributions of the windows and of their shuffled copies, then "
                        "TF-MoDISco on both (a few minutes for 100 windows of the default model).")
        elif prun.params.target == "probe" and prun.extra != probe.probe_digest(held):
            st.info("The probe this pattern run used is gone: fit one again, then press Find patterns.")
        else:
            views.show_patterns(views.computed_patterns(prun, model, ws, held))
