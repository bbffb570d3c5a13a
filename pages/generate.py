"""Generate: sample DNA from the loaded model and measure how genome-like it is."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import generate as views
from glm_explore import generate
from glm_explore.generate import METHODS, SCHEDULES
from glm_explore.io.annotation import CLASSES


@dataclass(frozen=True)
class GenerateParams(params.PageParams):
    PREFIX = "generate"
    source: str = params.param(views.SOURCES[0], choices=views.SOURCES)
    prefix: str = "ATG"
    region: str = ""
    span: str = "101-150"
    length: int = params.param(200, lo=10, hi=2000)
    n: int = params.param(8, lo=1, hi=50)
    temperature: float = params.param(1.0, lo=0.0, hi=3.0)
    top_k: int = params.param(0, lo=0, hi=4)
    top_p: float = params.param(1.0, lo=0.05, hi=1.0)
    seed: int = params.param(0, lo=0, hi=100_000)
    method: str = params.param(METHODS[0], choices=METHODS)
    rounds: int = params.param(10, lo=1, hi=200)
    schedule: str = params.param(SCHEDULES[0], choices=SCHEDULES)
    judge: bool = True
    real_class: str = params.param("CDS", name="class", choices=CLASSES)
    n_real: int = params.param(30, lo=5, hi=200)


navigation.require_app()
st.title("Generate sequences")
st.markdown(
    "Sampling turns a genomic LM into a sequence generator (the review's *design* use). A **CLM** continues a "
    "prefix left to right; an **MLM** fills masked positions over several rounds (mask-predict or Gibbs) or "
    "in-fills a span of a real region: *what would the model put in this promoter's 50 bp?* Every sample keeps "
    "the log-probability of each generated base, and is judged against **held-out real windows** of a class you "
    "choose: k-mer spectra, GC, the codon periodicity, the other model's likelihood, nearest real window and motifs.")

run = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    clm = model.info.objective == "clm"
    first = data.genome.chroms[0]
    params.seed(GenerateParams(region=f"{first}:1001-1300"), {"region": params.region_problem(data.genome)})
    with st.form("generate_form"):
        c1, c2, c3 = st.columns(3)
        c1.radio("Start from", views.SOURCES, key="generate_source",
                 help="CLM: de novo starts from the model's start context; in-filling needs an MLM.")
        c1.text_input("Prefix (A/C/G/T)", key="generate_prefix")
        c1.text_input("Region (1-based, inclusive)", key="generate_region")
        c1.text_input("Span to in-fill, inside the region (a-b, 1-based)", key="generate_span")
        c2.number_input("Bases to generate", 10, 2000, key="generate_length", help="Not used when in-filling.")
        c2.number_input("Samples", 1, 50, key="generate_n")
        c2.slider("Temperature (0 = greedy)", 0.0, 3.0, step=0.05, key="generate_temperature")
        c2.slider("Top-k (0 = off)", 0, 4, key="generate_top_k")
        c2.slider("Top-p (1 = off)", 0.05, 1.0, step=0.05, key="generate_top_p")
        c2.number_input("Seed", 0, 100_000, key="generate_seed")
        c3.selectbox("MLM method", METHODS, key="generate_method", disabled=clm)
        c3.number_input("MLM rounds", 1, 200, key="generate_rounds", disabled=clm)
        c3.selectbox("Mask-predict schedule", SCHEDULES, key="generate_schedule", disabled=clm)
        c3.checkbox("Judge against real DNA", key="generate_judge")
        c3.selectbox("Real windows of class", CLASSES, key="generate_class")
        c3.number_input("Real windows", 5, 200, key="generate_n_real")
        go = st.form_submit_button("Generate", type="primary", key="generate_go")
    if not clm:
        st.caption("With the default MLM, mask-predict (fast) drifts into A/T runs: it commits the most confident "
                   "bases first, and those are A/T beside A/T. Gibbs (one base at a time, ~40 s for 8 × 200 bp × 10 "
                   "rounds) gives samples as genome-like as real coding windows — compare them below.")
    p = params.from_widgets(GenerateParams)
    urls.link_box(p)
    if go:
        params.record_run(p)
    run = params.last_run(GenerateParams)
    if run is None:
        st.info("Press **Generate**: 8 samples of 200 bp take seconds on a laptop with the default models.")

if run is not None:
    with user_errors():
        got = views.samples(run, model, data)
        if got is not None:
            found, what = got
            views.show_samples(found, what, model.info.name)
        if got is not None and run.params.judge:
            q = run.params
            views.show_likeness(views.likeness(run, generate.generated_parts(found), model, data,
                                               real_class=q.real_class, n_real=q.n_real, seed=q.seed))

