"""Streamlit helpers for ``app.py`` and ``pages/`` (the library, ``glm_explore``, never imports Streamlit).

One module per job:

* :mod:`~dashboard.caches` — models and genomes loaded once per process; the ones the sidebar picked
* :mod:`~dashboard.model_keys` — :class:`~dashboard.model_keys.ModelKey`, what a model picker holds
* :mod:`~dashboard.sidebar` — the model and genome pickers every page shares, the upload form
* :mod:`~dashboard.uploads` — uploaded genomes and VCFs in temp folders (removed when replaced and at exit)
* :mod:`~dashboard.params` — a page's run parameters: one frozen dataclass ↔ its widgets ↔ the URL
* :mod:`~dashboard.urls` — the link of a view (shared model / genome keys, "Copy link to this view")
* :mod:`~dashboard.navigation` — moving between pages: deep links on a fresh server, the region hand-off
* :mod:`~dashboard.errors` — user errors as ``st.error``, never a traceback
* :mod:`~dashboard.results_cache` — per-session results under a progress bar
* :mod:`~dashboard.probe` — the region-class probe shared by the explorer, attribution and motif pages
* :mod:`~dashboard.warmup` — numba compiles (UMAP, TOMTOM / FIMO) in background threads
* :mod:`~dashboard.views` — one module per page (``pages/x.py`` → ``dashboard/views/x.py``): its cached calls
  into ``glm_explore`` and the small functions that draw a Run's results (metrics, charts, tables, downloads)
"""
