"""Embedding explorer: region-class windows → model embeddings → PCA / UMAP, with separation numbers vs k-mers."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import embeddings as views
from dashboard.views.embeddings import COLORS, METRICS
from glm_explore import embed


@dataclass(frozen=True)
class EmbeddingsParams(params.PageParams):
    PREFIX = "embeddings"
    chroms: tuple[str, ...] = ()
    cap: int = params.param(150, lo=2, hi=5000)
    center: int = params.param(100, lo=1, hi=512)
    layers: tuple[int, ...] = ()
    pooling: str = params.param(embed.POOLINGS[0], choices=embed.POOLINGS)
    rc: bool = True
    k: int = params.param(4, lo=1, hi=6)
    length: int = params.param(512, lo=64, hi=4096)
    stride: int = params.param(100, lo=1, hi=4096)
    dedup: bool = False
    seed: int = params.param(0, lo=0, hi=10_000)
    projection: str = params.param("PCA", choices=("PCA", "UMAP"))  # the view of a result: no Run needed
    color: str = params.param("class", choices=COLORS)
    nn: int = params.param(15, lo=5, hi=100)
    md: float = params.param(0.1, lo=0.0, hi=0.99)
    metric: str = params.param("euclidean", choices=METRICS)


navigation.require_app()
st.title("Embedding explorer")
st.markdown("Does the model's representation separate CDS, introns, promoters, repeats and intergenic DNA? "
            "GPN recipe (Fig. 2d): 512-bp windows every 100 bp, kept when their centre lies in one region class; "
            "embedding = mean over the centre of a layer's per-base vectors (averaged with the reverse strand for "
            "MLMs). The numbers beside the plot compare the model with **canonical k-mer frequencies** of the same "
            "windows: probes are fit on training windows and scored on held-out ones (never random splits).")

run = None  # stays None if loading the model or genome fails below
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    n = model.info.n_layers
    cap, cap_note = views.default_cap(caches.current_model_text(), caches.genome_key(), model, data)
    params.seed(EmbeddingsParams(layers=(n,), rc=model.info.is_mlm, cap=cap),
                {"chroms": data.genome.chroms, "layers": range(n + 1)})
    with st.form("embeddings_form"):
        c1, c2, c3 = st.columns(3)
        c1.multiselect("Chromosomes", data.genome.chroms, key="embeddings_chroms", placeholder="all chromosomes")
        c1.number_input("Windows per class and split (cap)", 2, 5000, key="embeddings_cap")
        c2.number_input("Centre length that must lie in one class (bp)", 1, 512, key="embeddings_center")
        c2.multiselect(f"Layers (0 = input, {n} = last; several are concatenated)", list(range(n + 1)),
                       key="embeddings_layers")
        c3.selectbox("Pooling", embed.POOLINGS, key="embeddings_pooling")
        c3.checkbox("Average with the reverse complement", key="embeddings_rc")
        c3.slider("k-mer baseline k", 1, 6, key="embeddings_k")
        with st.expander("Window options"):
            st.number_input("Window length (bp)", 64, 4096, key="embeddings_length")
            st.number_input("Stride (bp)", 1, 4096, key="embeddings_stride")
            st.checkbox("De-duplicate: no two windows overlap", key="embeddings_dedup")
            st.number_input("Seed", 0, 10_000, key="embeddings_seed")
        go = st.form_submit_button("Embed windows", type="primary", key="embeddings_go")
    if cap_note:
        st.caption(cap_note)
    view = params.from_widgets(EmbeddingsParams)
    urls.link_box(view)
    if go:
        params.record_run(view)
    run = params.last_run(EmbeddingsParams)

if run:
    with user_errors():
        views.show_result(run, view, model, data)
