"""The embedding explorer's results: cached windows / embeddings / probes, the scatter and its numbers."""

import streamlit as st

from dashboard import caches, costs, navigation, probe, warmup
from dashboard import params as pp
from glm_explore import cost as gc
from glm_explore import cost_defaults as cd
from glm_explore import embed as em
from glm_explore import reduce as rd
from glm_explore import region_windows as wn
from glm_explore.plots import confusion_heatmap, embedding_scatter, layer_sweep_plot

COLORS, METRICS = ("class", "gc", "chrom", "strand", "split"), ("euclidean", "cosine", "correlation")


@st.cache_data(persist="disk", max_entries=16, show_spinner="Finding windows…")
def windows(data_key, wp, _data):
    return wn.make_windows(_data, **wp)


@st.cache_data(persist="disk", max_entries=8, show_spinner=False)
def embeddings(model_key, data_key, wp, ep, _model, _ws):
    bar = st.progress(0.0, "Embedding windows…")  # inside: replayed (then emptied) on a cache hit
    out = em.embed_windows(_model, _ws.sequences, em.EmbedSettings(**ep, center=wp["center"]),
                           progress=gc.eta_progress(lambda f, m: bar.progress(f, m)))
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


SCALE_ABOVE = cd.SCALE_ABOVE  # parameters: bigger models get a cap measured to finish in about a minute
DEFAULT_CAP = cd.EMBED_CAP
BUDGET_SECONDS = cd.BUDGET_SECONDS  # what a scaled default aims to take


@st.cache_resource(show_spinner="Timing this model on a few windows to pick a default that fits…", max_entries=8)
def default_cap(model_key: str, data_key: str, _model, _data, length: int = 512) -> tuple[int, str]:
    """``(cap, note)``: the page's default windows per class and split (:func:`glm_explore.cost_defaults.embed_cap`
    with this module's :data:`SCALE_ABOVE` and :data:`BUDGET_SECONDS`), once per model and genome."""
    s = cd.embed_cap(_model, _data, length=length, default=DEFAULT_CAP, budget=BUDGET_SECONDS, scale_above=SCALE_ABOVE)
    return s.value, s.note


def window_params(p) -> dict:
    """make_windows' keyword arguments for a run's params."""
    return dict(length=p.length, stride=p.stride, center=p.center, chroms=list(p.chroms) or None,
                cap_per_class=p.cap, seed=p.seed, non_overlapping=p.dedup)


def projection(left, view, seed, keys, layers, emb, pca):
    """The projection and colour pickers (a view: no Run needed) and the projection they pick."""
    left.radio("Projection", ["PCA", "UMAP"], horizontal=True, key="embeddings_projection",
               help="PCA is instant; UMAP (umap-learn, fixed seed) takes a few seconds more.")
    left.radio("Colour by", COLORS, horizontal=True, key="embeddings_color")
    if view.projection != "UMAP":
        return pca
    with left.popover("UMAP parameters"):
        st.slider("n_neighbors", 5, 100, key="embeddings_nn")
        st.slider("min_dist", 0.0, 0.99, key="embeddings_md")
        st.selectbox("metric", METRICS, key="embeddings_metric")
    up = dict(n_neighbors=view.nn, min_dist=view.md, metric=view.metric, seed=int(seed))
    return umap(*keys, layers, up, emb.features(layers))


def scatter(left, view, frame, proj_res, emb, layers):
    """The scatter plot (figure, selection event)."""
    ex = proj_res.explained
    axes = (f"PC1 ({ex[0]:.0%})", f"PC2 ({ex[1]:.0%})") if ex else ("UMAP1", "UMAP2")
    fig = embedding_scatter(frame, color=view.color, axis_titles=axes,
                            title=f"{emb.model} · layer(s) {', '.join(map(str, layers))} · {len(frame):,} windows")
    return fig, left.plotly_chart(fig, key="embeddings_scatter", on_select="rerun", selection_mode=("points", "box"))


def separation_columns() -> dict:
    """The separation table beside the plot, headline first: probe macro-F1 and its CI right after the feature set's
    name (fixed widths, so they stay in view in the narrow column), then kNN accuracy, silhouette and dims."""
    num = st.column_config.NumberColumn
    return {"features": st.column_config.TextColumn("features", width=150),
            "probe macro-F1": num("probe macro-F1", format="%.3f", width=105,
                                  help="Logistic-regression probe, macro-F1 over the held-out windows"),
            "macro-F1 95% CI": st.column_config.TextColumn("macro-F1 95% CI", width=115),
            "kNN accuracy": num("kNN accuracy", format="%.3f", width="small"),
            "silhouette": num("silhouette", format="%.3f", width="small"),
            "dims": num("dims", width="small")}


def separation(right, seps):
    """Held-out separation numbers beside the plot, and a confusion matrix; returns the table."""
    table = rd.separation_table(seps)
    cols = separation_columns()  # per-class F1 below the plot
    right.container(key="embeddings_separation").dataframe(table[list(cols)], hide_index=True,
                                                         column_order=list(cols), column_config=cols)
    right.caption(f"Held-out windows: {seps[0].n_test:,} (training {seps[0].n_train:,}). kNN k={rd.KNN_K}; "
                  "probe = logistic regression; CI = bootstrap 95 % over held-out windows. This probe is the "
                  "**probe target** on the Attribution and Motifs pages.")
    return table


def confusion(right, seps):
    pick = right.selectbox("Confusion matrix of", [s.name for s in seps], key="embeddings_cm")
    right.plotly_chart(confusion_heatmap(next(s.confusion for s in seps if s.name == pick)))


def selected_window(event, frame, ws):
    """The clicked window, with buttons that open it on other pages."""
    points = event["selection"]["points"] if event else []  # dict access: also works for a set state
    if not points:
        st.caption("Click a point (or box-select) to see its window and open it on other pages.")
        return
    row = frame.iloc[int(points[0]["customdata"][0])]
    st.subheader(f"Selected window {row['region']}")
    st.write(f"**{row['class']}** · {row['split']} · strand {row['strand']} · GC {row['gc']:.1%}")
    st.code(ws.table["sequence"].iloc[int(points[0]["customdata"][0])], wrap_lines=True)
    for name, label in [("logits", "Open on the logits page →"), ("attribution", "Open on the attribution page →"),
                        ("variants", "Open on the variant page →")]:
        if st.button(label, key=f"embeddings_to_{name}"):
            navigation.handoff_region(row["region"], f"pages/{name}.py")


def downloads(frame, table, fig):
    d1, d2, d3 = st.columns(3)
    d1.download_button("Windows + embeddings (Parquet)", frame.drop(columns=["x", "y"]).to_parquet(index=False),
                       "windows.parquet", key="embeddings_dl_parquet")
    d2.download_button("Separation table (CSV)", table.to_csv(index=False), "separation.csv", "text/csv",
                       key="embeddings_dl_csv")
    d3.download_button("Figure (HTML)", fig.to_html(include_plotlyjs="cdn"), "embeddings.html", "text/html",
                       key="embeddings_dl_html")


def show_result(run: pp.Run, view: pp.PageParams, model, data):
    """Everything under the form for a Run: ``view`` is the widgets' params (projection, colour, UMAP)."""
    model_key, data_key = caches.disk_cache_model_key(wn, em, rd), caches.genome_key()
    p, layers = run.params, tuple(sorted(run.params.layers or (model.info.n_layers,)))
    wp = window_params(p)
    ws = windows(data_key, wp, data)
    st.info(ws.split_note + " " + " ".join(ws.notes))
    ep = dict(pooling=p.pooling, rc=p.rc, layers="all" if em.one_pass_layers(model) else list(layers))
    cost = gc.embed_cost(model, ws.sequences, em.EmbedSettings(**ep, center=wp["center"]))
    if not costs.confirm_cost(cost, (model_key, data_key, wp, ep), key="embeddings_cost_go"):
        return
    emb = embeddings(model_key, data_key, wp, ep, model, ws)
    keys = (model_key, data_key, wp, ep)
    seps, pca = numbers(*keys, layers, p.k, emb, ws)
    left, right = st.columns([3, 2])
    proj_res = projection(left, view, p.seed, keys, layers, emb, pca)
    frame = em.window_frame(ws, emb, [proj_res], layers=layers)
    frame = frame.assign(x=proj_res.coords[:, 0], y=proj_res.coords[:, 1])
    fig, event = scatter(left, view, frame, proj_res, emb, layers)
    warmup.umap_warmup()  # after the first picture, so numba's compile does not slow the embedding down
    table = separation(right, seps)
    probe.remember_probe(fit_probe(*keys, layers, emb, ws), ws,
                         f"Embedding explorer: layer(s) {', '.join(map(str, layers))}, {len(ws):,} windows")
    confusion(right, seps)
    selected_window(event, frame, ws)
    if len(emb.layers) > 1 and st.toggle("Layer sweep: probe macro-F1 for every layer", key="embeddings_sweep_on"):
        st.plotly_chart(layer_sweep_plot(sweep(*keys, p.k, emb, ws)), key="embeddings_sweep")
    with st.expander("Per-class F1 (held-out windows) and windows per class before / after sampling"):
        st.dataframe(table.drop(columns=["dims", "kNN accuracy", "silhouette"]).round(3), hide_index=True)
        st.dataframe(ws.counts, hide_index=True)
    downloads(frame, table, fig)
