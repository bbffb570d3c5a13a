"""Model report: what the loaded model learned beyond k-mer counting, measured on held-out DNA."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import report as views
from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET
from glm_explore.report import ReportSettings


@dataclass(frozen=True)
class ReportParams(params.PageParams):
    PREFIX = "report"
    windows: int = params.param(30, lo=5, hi=200)
    snvs: int = params.param(150, lo=20, hi=1000)
    cap: int = params.param(200, lo=20, hi=1000)
    others: bool = False


navigation.require_app()
st.title("Model report")
st.markdown(
    "What the loaded model knows **beyond k-mer counting**, measured on held-out DNA: bits/base per region class "
    "against the fair count baseline of the same context, P(ref) over known motifs, variant-effect sanity on "
    "held-out SNVs, how well embeddings separate region classes, and the windows where the model shines. "
    "Every number has a confidence interval; the definitions are in SCIENCE.md.")

run = rep = model = data = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    genome = caches.picked(caches.GENOME_STATE, DEFAULT_DATASET)
    sizes, sizes_note = views.default_sizes(caches.current_model_text(), caches.genome_key(), model, data)
    params.seed(ReportParams(windows=sizes["windows_per_class"], snvs=sizes["snvs_per_class"], cap=sizes["embed_cap"]))
    with st.form("report_form"):
        c1, c2, c3 = st.columns(3)
        c1.slider("Held-out windows per class", 5, 200, key="report_windows")
        c2.slider("Held-out SNVs per effect class", 20, 1000, step=10, key="report_snvs")
        c3.slider("Probe windows per class and split", 20, 1000, step=10, key="report_cap")
        st.checkbox("Also the other bundled genomes (the per-genome table; minutes more)", key="report_others")
        go = st.form_submit_button("Compute report", type="primary", key="report_go")
    if sizes_note:
        st.caption(sizes_note)
    p = params.from_widgets(ReportParams)
    urls.link_box(p)
    if go:
        params.record_run(p)
    run = params.last_run(ReportParams)
    if run is None:
        rep = views.shipped(genome)
        if rep is not None:
            st.success(f"Precomputed for exactly these weights on {rep.genome} ({rep.created}); press Compute report "
                       "for other sizes.")
        else:
            st.info("Press **Compute report** (a few minutes on a laptop for a small model; cached afterwards).")
    else:
        q = run.params
        settings = ReportSettings(windows_per_class=q.windows, snvs_per_class=q.snvs, embed_cap=q.cap)
        bundled = [k for k in DATASETS if k != genome] if q.others and genome in DATASETS else []
        others = {d.name: d for d in map(caches.cached_dataset, bundled)}
        rep = views.computed(run, settings, model, data, others, genome)

if rep is not None:
    with user_errors():
        views.show_report(rep, model, data)
