"""Design toward a goal: evolve a sequence by single-base edits to raise the model's likelihood, a region-class
probe's log P(class) or a JASPAR motif's score."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, probe, urls
from dashboard.errors import user_errors
from dashboard.views import design as views
from dashboard.views import generate as likeness_views
from glm_explore.design import DESIGN_METHODS, OBJECTIVES
from glm_explore.io.annotation import CLASSES


@dataclass(frozen=True)
class DesignParams(params.PageParams):
    PREFIX = "design"
    start: str = params.param("region", choices=("region", "sequence"))
    region: str = ""
    sequence: str = ""
    objective: str = params.param(OBJECTIVES[0], choices=OBJECTIVES)
    real_class: str = params.param("promoter", name="class", choices=CLASSES)
    motif: str = "ABF1"
    rounds: int = params.param(10, lo=1, hi=100)
    budget: int = params.param(5, lo=0, hi=500)
    method: str = params.param(DESIGN_METHODS[0], choices=DESIGN_METHODS)
    beam_width: int = params.param(4, lo=1, hi=16)
    candidates: int = params.param(0, lo=0, hi=4000)
    gc_lo: float = params.param(0.0, lo=0.0, hi=1.0)
    gc_hi: float = params.param(1.0, lo=0.0, hi=1.0)
    fixed: str = ""
    seed: int = params.param(0, lo=0, hi=100_000)
    judge: bool = True
    n_real: int = params.param(30, lo=5, hi=200)


navigation.require_app()
st.title("Design toward a goal")
st.markdown(
    "In-silico evolution as in gReLU / tangermeme: each round tries single-base edits (ranked by an ISM estimate when "
    "exact scoring is costly), keeps the best (greedy) or the best few (beam), within an edit budget, fixed "
    "positions and a GC range. Goals: the model's **likelihood**, a region-class probe's **log P(class)** (make a "
    "window look like a promoter), or the best **FIMO score of a JASPAR motif**.")
design_run = held = model = data = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    first = data.genome.chroms[0]
    held = probe.current_probe()
    params.seed(DesignParams(region=f"{first}:1001-1200"), {"region": params.region_problem(data.genome)})
    with st.form("design_form"):
        c1, c2, c3 = st.columns(3)
        c1.radio("Start from", ("region", "sequence"), key="design_start", horizontal=True)
        c1.text_input("Start region (1-based, inclusive; ≤ 2 kb)", key="design_region")
        c1.text_area("Start sequence (A/C/G/T)", key="design_sequence", height=90)
        c2.selectbox("Goal", OBJECTIVES, key="design_objective",
                     help="likelihood: the model's (pseudo-)log-likelihood per base; class: log P(class) under the "
                          "region-class probe; motif: the best FIMO score of one JASPAR motif (no model needed).")
        c2.selectbox("Class (the goal's class; the real windows designs are judged against)", CLASSES,
                     key="design_class")
        c2.text_input("JASPAR motif id or TF name (goal = motif)", key="design_motif")
        c2.number_input("Rounds", 1, 100, key="design_rounds")
        c2.number_input("Edit budget (positions that may differ from the start)", 0, 500, key="design_budget")
        c3.selectbox("Search", DESIGN_METHODS, key="design_method")
        c3.number_input("Beam width (search = beam)", 1, 16, key="design_beam_width")
        c3.number_input("Exact evaluations per round (0 = the goal's default)", 0, 4000, key="design_candidates")
        c3.slider("Lowest GC fraction", 0.0, 1.0, step=0.05, key="design_gc_lo")
        c3.slider("Highest GC fraction", 0.0, 1.0, step=0.05, key="design_gc_hi")
        c1.text_input("Fixed positions (1-based, e.g. 1-10,50)", key="design_fixed")
        c1.number_input("Seed (breaks ties)", 0, 100_000, key="design_seed")
        c3.checkbox("Judge the designs against real DNA of the class", key="design_judge")
        c3.number_input("Real windows", 5, 200, key="design_n_real")
        design_go = st.form_submit_button("Design", type="primary", key="design_go")
    dp = params.from_widgets(DesignParams)
    urls.link_box(dp)
    if dp.objective == "class" and held is None:
        probe.probe_fit_button("design_fit_probe")
    if design_go:
        params.record_run(dp, extra=probe.probe_digest(held))
    design_run = params.last_run(DesignParams)

if design_run is not None:
    with user_errors():
        res = views.designed(design_run, model, data, held)
        if res is not None:
            views.show_design(res)
        q = design_run.params
        if res is not None and q.judge:
            likeness_views.show_likeness(
                likeness_views.likeness(design_run, list(res.beam), model, data, label="designed",
                                        real_class=q.real_class, n_real=q.n_real, seed=q.seed),
                label="designed", key="design")
