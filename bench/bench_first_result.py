"""First result of each page's main action on a "fresh machine": a new server, an empty numba cache.

For each page: start ``streamlit run app.py`` with ``NUMBA_CACHE_DIR`` pointing at a new empty folder
(numba compiles memelite's TOMTOM / FIMO and UMAP as on a first install), open the page in headless
Chromium as a user would, wait until it is drawn, press its main button with the page's defaults and
time until the result is on screen. Prints seconds from the press and from the server start.

    python bench/bench_first_result.py [page ...]     # default: every page with a main action

Needs Debian's chromium (``apt-get install -y chromium``). Measure on an idle machine
(``../shared/tools/bench-twice``); the goal is a first result within 60 s of pressing Run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
# page → (button to press, text or selector that shows the result)
ACTIONS = {
    "logits": ("Compute predictions", ".js-plotly-plot"),
    "variants": ("Score variant", ".js-plotly-plot"),
    "embeddings": ("Embed windows", ".js-plotly-plot"),
    "attribution": ("Compute attributions", "text=Seqlets:"),
    "motifs": ("Find motifs", "text=/windows · /"),
    "compare": ("Compare", ".js-plotly-plot"),
}
TIMEOUT_MS = 600_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(numba_dir: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "NUMBA_CACHE_DIR": numba_dir, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.fileWatcherType", "none"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    while True:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, base
        time.sleep(0.3)


def first_result(page_name: str) -> tuple[float, float]:
    """(seconds from pressing the button to the result, seconds from server start to the result)."""
    button, result = ACTIONS[page_name]
    with tempfile.TemporaryDirectory(prefix="numba_cold_") as numba_dir:
        t_start = time.monotonic()
        proc, base = _start_server(numba_dir)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{base}/{page_name}")
                page.get_by_role("button", name=button).wait_for(timeout=TIMEOUT_MS)
                page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                                       "?.getAttribute('data-test-script-state') === 'notRunning'", timeout=TIMEOUT_MS)
                t_press = time.monotonic()
                page.get_by_role("button", name=button).click()
                page.locator(result).first.wait_for(timeout=TIMEOUT_MS)
                t_done = time.monotonic()
                browser.close()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    return t_done - t_press, t_done - t_start


def main(pages: list[str]) -> None:
    print(f"{'page':<12} {'from Run (s)':>13} {'from server start (s)':>22}")
    for name in pages or list(ACTIONS):
        after_press, after_start = first_result(name)
        print(f"{name:<12} {after_press:>13.1f} {after_start:>22.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
