"""Embedding explorer: region-class windows → model embeddings → PCA / UMAP, with separation numbers vs k-mers."""

from dataclasses import dataclass

import streamlit as st

from dashboard import caches, navigation, probe, urls, warmup
from dashboard import params as pp
from dashboard.errors import user_errors
from glm_explore import embed as em
from glm_explore import reduce as rd
from glm_explore import windows as wn
from glm_explore.plots import confusion_heatmap, embedding_scatter, layer_sweep_plot

COLORS, METRICS = ("class", "gc", "chrom", "strand", "split"), ("euclidean", "cosine", "correlation")


@dataclass(frozen=True)
class EmbeddingsParams(pp.PageParams):
    PREFIX = "embeddings"
    chroms: tuple[str, ...] = ()
    cap: int = pp.param(150, lo=2, hi=5000)
    center: int = pp.param(100, lo=1, hi=512)
    layers: tuple[int, ...] = ()
    pooling: str = pp.param(em.POOLINGS[0], choices=em.POOLINGS)
    rc: bool = True
    k: int = pp.param(4, lo=1, hi=6)
    length: int = pp.param(512, lo=64, hi=4096)
    stride: int = pp.param(100, lo=1, hi=4096)
    dedup: bool = False
    seed: int = pp.param(0, lo=0, hi=10_000)
    projection: str = pp.param("PCA", choices=("PCA", "UMAP"))  # the view of a result: no Run needed
    color: str = pp.param("class", choices=COLORS)
    nn: int = pp.param(15, lo=5, hi=100)
    md: float = pp.param(0.1, lo=0.0, hi=0.99)
    metric: str = pp.param("euclidean", choices=METRICS)


@st.cache_data(persist="disk", max_entries=16, show_spinner="Finding windows…")
def windows(data_key, wp, _data):
    return wn.make_windows(_data, **wp)


@st.cache_data(persist="disk", max_entries=8, show_spinner=False)
def embeddings(model_key, data_key, wp, ep, _model, _ws):
    bar = st.progress(0.0, "Embedding windows…")  # inside: replayed (then emptied) on a cache hit
    out = em.embed_windows(_model, _ws.sequences, **ep, center=wp["center"], progress=lambda f, m: bar.progress(f, m))
    bar.empty()
    return out


@st.cache_data(persist="disk", max_entries=16, show_spinner="Fitting probes…")
def numbers(model_key, data_key, wp, ep, layers, k, _emb, _ws):
    X = _emb.features(layers)
    return rd.compare_separation(X, _ws.sequences, _ws.labels, _ws.train_mask, k=k, model_name=_emb.model), \
        rd.pca_coords(X)


@st.cache_data(persist="disk", max_entries=16, show_spinner=False)
def fit_probe(model_key, data_key, wp, ep, layers, _emb, _ws):
    return rd.fit_probe(_emb, _ws.labels, _ws.train_mask, layers=layers)


@st.cache_data(persist="disk", max_entries=16, show_spinner="Probing every layer…")
def sweep(model_key, data_key, wp, ep, k, _emb, _ws):
    return rd.layer_sweep(_emb, _ws.labels, _ws.train_mask, kmer_X=rd.kmer_features(_ws.sequences, k),
                          kmer_name=f"{k}-mers")


@st.cache_data(persist="disk", max_entries=16, show_spinner="Running UMAP…")
def umap(model_key, data_key, wp, ep, layers, up, _X):
    return rd.umap_coords(_X, **up)


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
    model_key, data_key = caches.disk_cache_model_key(wn, em, rd), caches.genome_key()
    n = model.info.n_layers
    pp.seed(EmbeddingsParams(layers=(n,), rc=model.info.is_mlm),
            {"chroms": data.genome.chroms, "layers": range(n + 1)})
    with st.form("embeddings_form"):
        c1, c2, c3 = st.columns(3)
        c1.multiselect("Chromosomes", data.genome.chroms, key="embeddings_chroms", placeholder="all chromosomes")
        c1.number_input("Windows per class and split (cap)", 2, 5000, key="embeddings_cap")
        c2.number_input("Centre length that must lie in one class (bp)", 1, 512, key="embeddings_center")
        c2.multiselect(f"Layers (0 = input, {n} = last; several are concatenated)", list(range(n + 1)),
                       key="embeddings_layers")
        c3.selectbox("Pooling", em.POOLINGS, key="embeddings_pooling")
        c3.checkbox("Average with the reverse complement", key="embeddings_rc")
        c3.slider("k-mer baseline k", 1, 6, key="embeddings_k")
        with st.expander("Window options"):
            st.number_input("Window length (bp)", 64, 4096, key="embeddings_length")
            st.number_input("Stride (bp)", 1, 4096, key="embeddings_stride")
            st.checkbox("De-duplicate: no two windows overlap", key="embeddings_dedup")
            st.number_input("Seed", 0, 10_000, key="embeddings_seed")
        go = st.form_submit_button("Embed windows", type="primary", key="embeddings_go")
    view = pp.from_widgets(EmbeddingsParams)
    urls.link_box(view)
    if go:
        pp.record_run(view)
    run = pp.last_run(EmbeddingsParams)

if run:
    with user_errors():
        p, layers = run.params, tuple(sorted(run.params.layers or (n,)))
        wp = dict(length=p.length, stride=p.stride, center=p.center, chroms=list(p.chroms) or None,
                  cap_per_class=p.cap, seed=p.seed, non_overlapping=p.dedup)
        ws = windows(data_key, wp, data)
        st.info(ws.split_note + " " + " ".join(ws.notes))
        ep = dict(pooling=p.pooling, rc=p.rc, layers="all" if em.one_pass_layers(model) else list(layers))
        emb = embeddings(model_key, data_key, wp, ep, model, ws)
        seps, proj_res = numbers(model_key, data_key, wp, ep, layers, p.k, emb, ws)
        left, right = st.columns([3, 2])
        left.radio("Projection", ["PCA", "UMAP"], horizontal=True, key="embeddings_projection",
                   help="PCA is instant; UMAP (umap-learn, fixed seed) takes a few seconds more.")
        left.radio("Colour by", COLORS, horizontal=True, key="embeddings_color")
        if view.projection == "UMAP":
            with left.popover("UMAP parameters"):
                st.slider("n_neighbors", 5, 100, key="embeddings_nn")
                st.slider("min_dist", 0.0, 0.99, key="embeddings_md")
                st.selectbox("metric", METRICS, key="embeddings_metric")
            up = dict(n_neighbors=view.nn, min_dist=view.md, metric=view.metric, seed=int(p.seed))
            proj_res = umap(model_key, data_key, wp, ep, layers, up, emb.features(layers))
        frame = em.window_frame(ws, emb, [proj_res], layers=layers)
        frame = frame.assign(x=proj_res.coords[:, 0], y=proj_res.coords[:, 1])
        ex = proj_res.explained
        axes = (f"PC1 ({ex[0]:.0%})", f"PC2 ({ex[1]:.0%})") if ex else ("UMAP1", "UMAP2")
        fig = embedding_scatter(frame, color=view.color, axis_titles=axes,
                                title=f"{emb.model} · layer(s) {', '.join(map(str, layers))} · {len(frame):,} windows")
        event = left.plotly_chart(fig, key="embeddings_scatter", on_select="rerun", selection_mode=("points", "box"))
        warmup.umap_warmup()  # after the first picture, so numba's compile does not slow the embedding down
        table = rd.separation_table(seps)
        right.dataframe(table.iloc[:, :6].round(3), hide_index=True)  # per-class F1 below the plot
        right.caption(f"Held-out windows: {seps[0].n_test:,} (training {seps[0].n_train:,}). kNN k={rd.KNN_K}; "
                      "probe = logistic regression; CI = bootstrap 95 % over held-out windows. This probe is the "
                      "**probe target** on the Attribution and Motifs pages.")
        probe.remember_probe(fit_probe(model_key, data_key, wp, ep, layers, emb, ws), ws,
                             f"Embedding explorer: layer(s) {', '.join(map(str, layers))}, {len(ws):,} windows")
        pick = right.selectbox("Confusion matrix of", [s.name for s in seps], key="embeddings_cm")
        right.plotly_chart(confusion_heatmap(next(s.confusion for s in seps if s.name == pick)))
        points = event["selection"]["points"] if event else []  # dict access: also works for a set state
        if points:
            row = frame.iloc[int(points[0]["customdata"][0])]
            st.subheader(f"Selected window {row['region']}")
            st.write(f"**{row['class']}** · {row['split']} · strand {row['strand']} · GC {row['gc']:.1%}")
            st.code(ws.table["sequence"].iloc[int(points[0]["customdata"][0])], wrap_lines=True)
            for name, label in [("logits", "Open on the logits page →"), ("attribution", "Open on the attribution page →"),
                                ("variants", "Open on the variant page →")]:
                if st.button(label, key=f"embeddings_to_{name}"):
                    navigation.handoff_region(row["region"], f"pages/{name}.py")
        else:
            st.caption("Click a point (or box-select) to see its window and open it on other pages.")
        if len(emb.layers) > 1 and st.toggle("Layer sweep: probe macro-F1 for every layer", key="embeddings_sweep_on"):
            st.plotly_chart(layer_sweep_plot(sweep(model_key, data_key, wp, ep, p.k, emb, ws)), key="embeddings_sweep")
        with st.expander("Per-class F1 (held-out windows) and windows per class before / after sampling"):
            st.dataframe(table.drop(columns=["dims", "kNN accuracy", "silhouette"]).round(3), hide_index=True)
            st.dataframe(ws.counts, hide_index=True)
        d1, d2, d3 = st.columns(3)
        d1.download_button("Windows + embeddings (Parquet)", frame.drop(columns=["x", "y"]).to_parquet(index=False),
                           "windows.parquet", key="embeddings_dl_parquet")
        d2.download_button("Separation table (CSV)", table.to_csv(index=False), "separation.csv", "text/csv",
                           key="embeddings_dl_csv")
        d3.download_button("Figure (HTML)", fig.to_html(include_plotlyjs="cdn"), "embeddings.html", "text/html",
                           key="embeddings_dl_html")
