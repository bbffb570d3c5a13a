"""Real-browser fixtures: a `streamlit run app.py` server and Debian's headless Chromium via Playwright.

Chromium is the system one (``apt-get install -y chromium``); ``playwright install`` is never
run (it downloads browsers; CI has no network). Missing Chromium is a test *failure* with a
message saying what to install, never a skip. Screenshots and the server log go to
``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("GLM_EXPLORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
SERVER_START_S = 180


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path, n: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    return ""


def _start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free localhost port (its own process group), once healthy: (process, base URL)."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
           "--server.runOnSave", "false"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: we stop exactly that group
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode} before it was healthy:\n"
                            f"{_log_tail(log_path)}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return proc, base
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit was not healthy after {SERVER_START_S} s:\n{_log_tail(log_path)}")
            time.sleep(0.5)
    except BaseException:
        _stop_server(proc)
        raise


def _stop_server(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def _assert_no_traceback(log_path: Path) -> None:
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, f"the server logged a traceback:\n{_log_tail(log_path, 80)}"


def _served(log_path: Path):
    """Yield the base URL of a server logging to ``log_path``; stop it after and fail on a logged traceback."""
    proc, base = _start_server(log_path)
    try:
        yield base
    finally:
        _stop_server(proc)
    _assert_no_traceback(log_path)


@pytest.fixture(scope="session")
def streamlit_server():
    """Base URL of ``streamlit run app.py`` shared by the session's tests (stopped after)."""
    yield from _served(ARTIFACTS / "streamlit-server.log")


@pytest.fixture()
def fresh_server(request):
    """Base URL of a server started for this test alone: its first visitor may open any page URL."""
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    yield from _served(ARTIFACTS / f"streamlit-server-{name}.log")


@pytest.fixture()
def long_jobs_server(monkeypatch):
    """A server for this test alone where every job counts as long (``GLM_EXPLORE_LONG_SECONDS=0``): pages show
    their cost estimate before any Run."""
    monkeypatch.setenv("GLM_EXPLORE_LONG_SECONDS", "0")
    yield from _served(ARTIFACTS / "streamlit-server-long-jobs.log")


@pytest.fixture(scope="session")
def playwright_session():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium "
                    "(`apt-get install -y chromium`; never `playwright install`). Set GLM_EXPLORE_CHROMIUM "
                    "to use another path.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser_context(playwright_session, tmp_path_factory):
    """Headless system Chromium with a fresh user-data dir (persistent context)."""
    ctx = playwright_session.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS, viewport={"width": 1500, "height": 1100}, accept_downloads=True,
    )
    ctx.set_default_timeout(60_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def browser(playwright_session):
    """A headless system Chromium for tests that need separate browser contexts (no shared storage)."""
    b = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture()
def new_tab(browser, request):
    """``new_tab(base)``: an App in a tab of a new browser context (nothing shared with other tabs);
    contexts are closed when the test ends."""
    from browser_helpers import App

    contexts = []

    def make(base: str) -> App:
        ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
        ctx.set_default_timeout(60_000)
        contexts.append(ctx)
        page = ctx.new_page()
        a = App(page, base, f"{request.node.name}-{len(contexts)}")
        page.on("pageerror", lambda exc: a.js_errors.append(str(exc)))
        return a

    try:
        yield make
    finally:
        for ctx in contexts:
            with contextlib.suppress(Exception):
                ctx.pages[0].screenshot(path=str(ARTIFACTS / f"{request.node.name}-ctx-end.png"), full_page=True)
            ctx.close()


@pytest.fixture(scope="session")
def warm_server(browser_context, streamlit_server):
    """The shared server after one visit to the root page, so the default model and genome are loaded
    before the first test. (A first visit straight to a page URL also works: see test_browser_links.py.)"""
    from browser_helpers import App

    page = browser_context.new_page()
    try:
        App(page, streamlit_server, "warmup").open()
    finally:
        page.close()
    return streamlit_server


@pytest.fixture()
def app(browser_context, warm_server, request):
    """A fresh tab (= a fresh Streamlit session) with helpers; checked for errors when the test ends."""
    from browser_helpers import App

    page = browser_context.new_page()
    a = App(page, warm_server, request.node.name)
    page.on("pageerror", lambda exc: a.js_errors.append(str(exc)))
    try:
        yield a
    finally:
        with contextlib.suppress(Exception):
            a.screenshot("end")
        page.close()


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A tiny character-level BERT saved locally (tests/hf_builders.py), for the Hugging Face model tests."""
    from hf_builders import build_char_bert

    folder = tmp_path_factory.mktemp("hf") / "tiny-char-bert"
    build_char_bert(folder)
    return folder
