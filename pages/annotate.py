"""Annotate by transfer learning: a per-base region-class head on the model's frozen states vs a k-mer head."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import annotate as views
from glm_explore.annotate import HEADS, PRIORS


@dataclass(frozen=True)
class AnnotateParams(params.PageParams):
    PREFIX = "annotate"
    head: str = params.param("logistic", choices=tuple(HEADS))
    prior: str = params.param(PRIORS[0], choices=PRIORS)
    windows_per_class: int = params.param(16, lo=1, hi=200)
    bases_per_class: int = params.param(2000, lo=50, hi=50_000)
    heldout_per_class: int = params.param(20, lo=0, hi=1000)
    kmer_k: int = params.param(3, lo=1, hi=5)
    seed: int = params.param(0, lo=0, hi=100_000)
    region: str = ""
    smooth: int = params.param(0, lo=0, hi=1000)


navigation.require_app()
st.title("Annotate by transfer learning")
st.markdown(
    "Can the model's representation **annotate a genome**? (SegmentNT's question, the review's *task heads by "
    "transfer learning*.) A small head — logistic regression or a 1-D convolution — is trained on the model's "
    "**frozen** per-base hidden states on training chromosomes and scored on every base of held-out tiles. The same "
    "head on **k-mer counts in a window around each base** is the baseline: the model earns credit only where it "
    "beats it.")

run = None
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    held = data.heldout_chrom or data.genome.chroms[-1]
    n = data.genome.lengths[held]
    start = max(1, n // 2)
    params.seed(AnnotateParams(region=f"{held}:{start}-{min(n, start + 9999)}"),
                {"region": params.region_problem(data.genome)})
    with st.form("annotate_form"):
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Head", list(HEADS), key="annotate_head")
        c1.selectbox("Class prior", PRIORS, key="annotate_prior",
                     help="balanced: equal priors (rare classes' recall); genome: reweighted by the training class "
                          "frequencies (accuracy on the genome's mix).")
        c2.number_input("Training tiles per class (1 kb)", 1, 200, key="annotate_windows_per_class")
        c2.number_input("Training bases per class", 50, 50_000, key="annotate_bases_per_class")
        c2.number_input("Held-out tiles per class (0 = all)", 0, 1000, key="annotate_heldout_per_class")
        c3.slider("k-mer baseline: k up to", 1, 5, key="annotate_kmer_k")
        c3.number_input("Seed", 0, 100_000, key="annotate_seed")
        c3.text_input("Region to annotate (1-based, ≤ 1 Mb)", key="annotate_region")
        c3.number_input("Smooth the region's probabilities over (bp; 0 = per base)", 0, 1000, key="annotate_smooth",
                        help="Display only: the held-out scores above are per base.")
        go = st.form_submit_button("Train and annotate", type="primary", key="annotate_go")
    p = params.from_widgets(AnnotateParams)
    urls.link_box(p)
    if go:
        params.record_run(p)
    run = params.last_run(AnnotateParams)
    if run is None:
        st.info("Press **Train and annotate**: a few seconds for the default model on yeast with these sizes (held-out "
                "tiles per class = 0 scores every held-out tile: minutes).")

if run is not None:
    with user_errors():
        fit = views.fitted(run, model, data)
        if fit is not None:
            views.show_scores(fit)
            views.show_region(*views.predicted(run, fit, model, data), data)
