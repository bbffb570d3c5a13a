"""What a page shows once it has a Run: one module per page (``pages/x.py`` → ``dashboard.views.x``).

Each holds the page's cached calls into ``glm_explore`` (``st.cache_data`` / :func:`~dashboard.results_cache.
session_cached` wrappers) and small functions that draw its results (metrics, charts, tables, downloads, hand-off
buttons). The page keeps its ``PageParams``, its form and its link; no science here either.
"""
