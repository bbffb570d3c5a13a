"""How far does a model look? Prediction quality as the visible context is cut, and the banded dependency map."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import context as views
from glm_explore.attention import supports_attention
from glm_explore.context_curve import TRUNCATIONS
from glm_explore.io.annotation import CLASSES


@dataclass(frozen=True)
class ContextParams(params.PageParams):
    PREFIX = "context"
    classes: tuple[str, ...] = ("CDS", "promoter", "intergenic")
    per_class: int = params.param(20, lo=1, hi=500)
    per_window: int = params.param(1, lo=1, hi=20)
    truncation: str = params.param("auto", choices=("auto", *TRUNCATIONS))
    seed: int = params.param(0, lo=0, hi=100_000)
    region: str = ""
    band: int = params.param(0, lo=0, hi=5000)
    layer: int = params.param(-1, lo=-1, hi=1000)
    head: int = params.param(1, lo=1, hi=1000)
    position: int = params.param(0, lo=0, hi=10**9)


navigation.require_app()
st.title("How far does a model look?")
st.markdown(
    "The review asks what receptive field a genomic LM needs. Here the loaded model predicts held-out bases while "
    "the context it may see is cut to **±w bases** (MLM) or **w bases on the left** (CLM): the curve shows how many "
    "bits per base each extra stretch of context buys, per region class, and **w90** where 90% of the gain is "
    "reached. The **banded dependency map** shows, for a long region, which nearby bases each position's mutation "
    "changes; for transformer models, **attention** shows which bases each head reads.")

run = dep_run = att_run = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    mid = data.genome.lengths[data.genome.chroms[0]] // 2
    n_default, n_note = views.default_per_class(caches.current_model_text(), caches.genome_key(),
                                                ContextParams.classes, model, data)
    params.seed(ContextParams(region=f"{data.genome.chroms[0]}:{mid + 1}-{mid + 400}", per_class=n_default),
                {"classes": CLASSES, "region": params.region_problem(data.genome)})
    with st.form("context_form"):
        c1, c2, c3 = st.columns(3)
        c1.multiselect("Region classes", CLASSES, key="context_classes")
        c1.number_input("Held-out windows per class", 1, 500, key="context_per_class")
        c1.number_input("Positions per window", 1, 20, key="context_per_window")
        c2.selectbox("How context is cut", ("auto", *TRUNCATIONS), key="context_truncation",
                     help="auto: MLM → mask (bases beyond ±w get the mask token), CLM → left (w bases on the left); "
                          "crop: the MLM's input is cut to ±w.")
        c2.number_input("Seed", 0, 100_000, key="context_seed")
        curve_go = c2.form_submit_button("Compute curves", type="primary", key="context_go")
        c3.text_input("Region for the dependency map (≤ 5 kb) and attention (≤ 1 kb), 1-based", key="context_region")
        c3.number_input("Band (bp each side; 0 = the receptive field)", 0, 5000, key="context_band")
        dep_go = c3.form_submit_button("Compute dependency map", key="context_dep_go")
        has_attention = supports_attention(model)
        why = None if has_attention else ("Only Hugging Face transformer models have attention; this model is not one "
                                          "(use the dependency map).")
        a1, a2, a3 = st.columns(3)
        a1.number_input("Attention layer (-1 = last)", -1, 1000, key="context_layer", disabled=not has_attention)
        a2.number_input("Attention head (1-based)", 1, 1000, key="context_head", disabled=not has_attention)
        a3.number_input("Position whose partners to list (1-based; 0 = the middle)", 0, 10**9, key="context_position",
                        disabled=not has_attention)
        att_go = st.form_submit_button("Show attention (region ≤ 1 kb)", key="context_att_go", disabled=not has_attention,
                                       help=why)
    if n_note:
        st.caption(n_note)
    p = params.from_widgets(ContextParams)
    urls.link_box(p)
    if curve_go:
        params.record_run(p)
    if dep_go:
        params.record_run(p, name="dep")
    if att_go:
        params.record_run(p, name="att")
    run, dep_run = params.last_run(ContextParams), params.last_run(ContextParams, name="dep")
    att_run = params.last_run(ContextParams, name="att")
    if run is None and dep_run is None and att_run is None:
        st.info("Press **Compute curves** (about a minute for the default model with 20 windows per class).")

if run is not None:
    with user_errors():
        views.show_curve(views.curve(run, model, data))
if dep_run is not None:
    with user_errors():
        views.show_dependency(views.dependency(dep_run, model, data))
if att_run is not None:
    with user_errors():
        q = att_run.params
        views.show_attention(views.attention(att_run, model, data), q.layer, q.head, q.position)
