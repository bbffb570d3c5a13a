"""numba compiles started in the background, once per process, so no page waits for them cold.

memelite's TOMTOM and FIMO kernels take about a minute to compile on a fresh machine; numba then
keeps them in its disk cache. ``app.py`` starts :func:`motif_tools_warmup` with the first session:
TOMTOM and FIMO compile at once in two child processes (other cores; the server's own threads are
not slowed), and the server then loads them from the cache. Pages call :func:`wait_for_motif_tools`
before using them, so nothing is compiled twice. UMAP's kernels (a few seconds) compile in a thread
after the explorer's first picture.

``python -m dashboard.warmup tomtom|fimo`` runs one warm-up (what the child processes do).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT_S = 600


def warm_tomtom() -> None:
    """TOMTOM once on a tiny query, through the function the pages call."""
    from glm_explore import motifs as mf

    mf.tomtom_matches([mf.seqlet_query("ACGTGACGTCAG", np.linspace(0.2, 1.0, 12))], mf.jaspar_motifs("fungi"))


def warm_fimo() -> None:
    """FIMO once on a short sequence, through the function the pages call."""
    from glm_explore import motifs as mf

    mf.scan_motif("ACGTGACGTCAGTTGACGTCAATGC" * 4, mf.jaspar_motifs("fungi")[0])


WARMUPS = {"tomtom": warm_tomtom, "fimo": warm_fimo}


def warm_motif_tools() -> None:
    """Compile TOMTOM and FIMO in two child processes at once (numba writes its disk cache), then load
    them here (from the cache; compiled here if the children could not cache them)."""
    children = [subprocess.Popen([sys.executable, "-m", "dashboard.warmup", name], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in WARMUPS]
    for child in children:
        try:
            child.wait(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for warm in WARMUPS.values():
        warm()


def warm_umap() -> None:
    from glm_explore.reduce import warm_umap as run

    run()


def _quietly(target) -> None:
    with contextlib.suppress(Exception):  # best effort: a page that needs the tool reports its own errors
        target()


def _start(target) -> threading.Thread:
    thread = threading.Thread(target=_quietly, args=(target,), daemon=True, name=f"warm-{target.__name__}")
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def motif_tools_warmup() -> threading.Thread:
    """Compile TOMTOM / FIMO in the background (``app.py`` starts it with the first session)."""
    return _start(warm_motif_tools)


def wait_for_motif_tools() -> None:
    """Before a page's first TOMTOM / FIMO call: wait for the warm-up (started here if it was not)."""
    thread = motif_tools_warmup()
    if thread.is_alive():
        with st.spinner("Compiling TOMTOM and FIMO (once per machine, about a minute)…"):
            thread.join()


@st.cache_resource(show_spinner=False)
def umap_warmup() -> threading.Thread:
    """Compile UMAP's kernels in the background (the explorer starts it after its first picture)."""
    return _start(warm_umap)


if __name__ == "__main__":
    WARMUPS[sys.argv[1]]()
