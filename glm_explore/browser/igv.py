"""igv.js configurations of a :class:`~glm_explore.results.browser.BrowserView`, and the one-file handout.

The reference is the view window's sequence inlined as a gzipped FASTA data URI whose header
``>chrom:start-end @len=N`` tells igv.js where it sits on a contig of N bases (igv.js's sub-sequence
FASTA form): only the window travels, never the genome. Lanes travel inline too (features, or compact
per-base values expanded by ``frontend/glm_browser.js``). The handout inlines igv.js (vendored, MIT; see
``frontend/VERSION`` and ``scripts/vendor_igv.sh``), that script and the config in one HTML file that
opens from disk with no network and no Python (the approach of igv-reports).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import math
import re
from pathlib import Path

import numpy as np

from ..results.browser import BrowserView, FeatureTrack, SignalTrack

FRONTEND = Path(__file__).resolve().parent / "frontend"
IGV_JS = FRONTEND / "igv.min.js"
SIGNAL_HEIGHT = 50


def igv_version() -> str:
    """The vendored igv.js version (``frontend/VERSION``)."""
    return (FRONTEND / "VERSION").read_text().strip()


def _rounded(values: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else round(v, 4) for v in np.asarray(values, dtype=np.float64).tolist()]


def _signal(t: SignalTrack) -> dict:
    cfg = {"id": t.id, "type": "wig", "name": t.name, "color": t.color, "height": SIGNAL_HEIGHT,
           "_values": {"chr": t.chrom, "start": int(t.start), "step": int(t.step), "values": _rounded(t.values)}}
    if t.min_value is not None or t.max_value is not None:
        finite = np.asarray(t.values, dtype=float)
        finite = finite[np.isfinite(finite)]
        lo = t.min_value if t.min_value is not None else (float(finite.min()) if finite.size else 0.0)
        hi = t.max_value if t.max_value is not None else (float(finite.max()) if finite.size else 1.0)
        cfg.update({"autoscale": False, "min": lo, "max": hi})
    return cfg


def _features(t: FeatureTrack) -> dict:
    return {"id": t.id, "type": "annotation", "name": t.name, "color": t.color, "displayMode": "EXPANDED",
            "searchable": t.searchable, "features": [dict(f) for f in t.features]}


def lane_configs(view: BrowserView) -> list[dict]:
    """igv.js track configs of the view's lanes, in order; signal lanes sharing a ``group`` become one
    ``merged`` track (the stacked logo), drawn opaque in order."""
    out: list[dict] = []
    groups: dict[str, dict] = {}
    for t in view.tracks:
        if isinstance(t, FeatureTrack):
            out.append(_features(t))
        elif t.group:
            if t.group not in groups:
                groups[t.group] = {"id": re.sub(r"_[ACGT](?=_|$)", "", t.id, count=1),
                                   "type": "merged", "name": t.group, "alpha": 1.0, "height": 60,
                                   "autoscale": False, "min": t.min_value or 0.0, "max": t.max_value or 2.0,
                                   "tracks": []}
                out.append(groups[t.group])
            groups[t.group]["tracks"].append(_signal(t))
        else:
            out.append(_signal(t))
    return out


def window_id(view: BrowserView) -> str:
    """Identifies the data of a view (everything but the locus): the component redraws only when it changes."""
    payload = json.dumps([str(view.window), view.track_ids, view.model, len(view.sequence)]).encode()
    digest = hashlib.sha1(payload)
    for t in view.tracks:
        digest.update(np.asarray(getattr(t, "values", []), dtype=np.float32).tobytes())
        digest.update(repr(getattr(t, "features", ())).encode())
    return digest.hexdigest()[:16]


def igv_config(view: BrowserView, *, links: dict | None = None) -> dict:
    """The igv.js browser config of ``view`` (+ ``genes`` for the search box, ``windowId``, and ``links``:
    ``{"base": URL prefix of the app's pages, "shared": {query params}}`` for feature pop-ups)."""
    w = view.window
    end = w.start + len(view.sequence)
    fasta = f">{w.chrom}:{w.start + 1}-{end} @len={view.contig_length}\n{view.sequence}\n"
    cfg = {
        "locus": str(view.locus),
        "reference": {"id": view.genome, "name": view.genome, "indexed": False,
                      "fastaURL": "data:application/gzip;base64,"
                                  + base64.b64encode(gzip.compress(fasta.encode(), mtime=0)).decode()},
        "loadDefaultGenomes": False,  # no request to igv.org: everything is inline
        "showSampleNames": False,
        "tracks": lane_configs(view),
        "genes": view.genes,
        "windowId": window_id(view),
    }
    if links:
        cfg["links"] = links
    return cfg


HANDOUT = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ font-family: sans-serif; margin: 12px; }} .note {{ color: #555; font-size: 13px; }}</style>
<script>{igv}</script>
<script>{glm}</script>
</head>
<body>
<h3>{title}</h3>
<p class="note">{caption}</p>
<div id="igv"></div>
<script>
const GLM_VIEW = {config};
window.glmConfig = GLM_VIEW;
glmBrowser.create(document.getElementById("igv"), GLM_VIEW, {{}}).then(function (b) {{
  window.glmIgv = b;
  document.body.setAttribute("data-glm-drawn", GLM_VIEW.windowId);
}}).catch(function (e) {{ document.body.setAttribute("data-glm-error", String(e)); console.error(e); }});
</script>
</body>
</html>
"""


def handout_html(view: BrowserView, *, caption: str = "") -> str:
    """One self-contained HTML file of ``view``: igv.js, the glm-explore script and the view's data inlined
    (no network, no Python needed to open it); the same locus and lanes as the page."""
    cfg = igv_config(view)
    config = json.dumps(cfg, separators=(",", ":")).replace("</", "<\\/")
    title = f"{view.genome} · {view.locus}" + (f" · {view.model}" if view.model else "")
    caption = caption or (f"glm-explore genome-browser handout: data window {view.window} (1-based), lanes: "
                          + ", ".join(t.name for t in view.tracks) + f". igv.js {igv_version()} (MIT) inlined.")
    return HANDOUT.format(title=html.escape(title), caption=html.escape(caption),
                          igv=IGV_JS.read_text().replace("</script", "<\\/script"),
                          glm=(FRONTEND / "glm_browser.js").read_text(), config=config)
