"""A genome browser over the loaded genome, its annotation and the model's per-base tracks (igv.js).

Typical use::

    view = compute_view(data, "chrI:1,001-3,000", ["genes", "p_ref", "logo"], model=model)  # BrowserView
    cfg = igv_config(view)                       # igv.js config: only the view window's data, inlined
    Path("view.html").write_text(handout_html(view))   # one self-contained file, opens offline

* :mod:`.locus` — typed locus / gene name → region, the data window, the model-block grid
* :mod:`.lanes` — annotation, model (on demand), stored bigWig and other pages' lanes
* :mod:`.view` — :func:`build_view` / :func:`compute_view` → :class:`~glm_explore.results.browser.BrowserView`
* :mod:`.igv` — igv.js configs and the one-file handout; ``frontend/`` holds the vendored igv.js
"""

from .igv import handout_html, igv_config, igv_version
from .lanes import block_log_probs, model_lanes, model_log_probs, stored_lanes
from .locus import BLOCK_BP, MAX_MODEL_BP, blocks, data_window, gene_index, resolve_locus
from .view import DEFAULT_LANES, LANES, build_view, check_lanes, compute_view, wants_model

__all__ = ["BLOCK_BP", "DEFAULT_LANES", "LANES", "MAX_MODEL_BP", "block_log_probs", "blocks", "build_view",
           "check_lanes", "compute_view", "data_window", "gene_index", "handout_html", "igv_config", "igv_version",
           "model_lanes", "model_log_probs", "resolve_locus", "stored_lanes", "wants_model"]
