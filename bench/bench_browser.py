"""Genome browser: time to first draw of the default view, and an on-demand 20 kb model view.

1. First draw: start ``streamlit run app.py``, open ``/browser`` in headless Chromium twice (the first visit
   loads the genome; the second is what a user sees on a warm server) and time from ``goto`` until igv.js
   has drawn (the component sets ``data-glm-drawn``). Goal: ≤ 3 s after the page opens.
2. On demand: P(ref) / entropy / min LLR / logo lanes of the default MLM over a 20 kb view (ten 2-kb blocks of
   exact masked marginals, in-process, as the page computes them), and the size of its handout.

    python bench/bench_browser.py

Needs Debian's chromium. Measure on an idle machine (``../shared/tools/bench-twice``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-dev-shm-usage"]



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_draw() -> list[float]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.fileWatcherType", "none"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            time.sleep(0.3)
        times = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("GLM_EXPLORE_CHROMIUM", "/usr/bin/chromium"),
                                         args=CHROMIUM_ARGS)
            for _ in range(2):
                page = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
                t0 = time.perf_counter()
                page.goto(f"{base}/browser")
                page.frame_locator("iframe").locator("body[data-glm-drawn]").wait_for(state="attached",
                                                                                     timeout=300_000)
                times.append(time.perf_counter() - t0)
                page.context.close()
            browser.close()
        return times
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def on_demand_20kb() -> tuple[float, int]:
    from glm_explore import browser as gb
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    data, model = load_dataset("yeast"), load_builtin("default-mlm")
    t0 = time.perf_counter()
    view = gb.compute_view(data, "chrII:100,001-120,000", ["genes", "p_ref", "entropy", "min_llr", "logo"], model=model)
    seconds = time.perf_counter() - t0
    return seconds, len(gb.handout_html(view).encode())


if __name__ == "__main__":
    cold, warm = first_draw()
    print(f"first draw of the default view: {cold:.2f} s (first visit, genome loading), {warm:.2f} s (warm server)",
          flush=True)
    seconds, size = on_demand_20kb()
    print(f"on-demand 20 kb model lanes (default-mlm, exact masked marginals, forward strand): {seconds:.1f} s; "
          f"handout {size / 1e6:.1f} MB")
