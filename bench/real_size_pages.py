"""Benchmark: every page's main action on the real-size random-weight models (issue 23).

    .venv/bin/python bench/real_size_pages.py [--tiny] [--only NAME ...] [--pages PAGE ...] [--timeout S]

For each model shape of :mod:`bench.real_size` (built there, cached under ``.cache/real_size/``) and each page of
the app, in one child process per shape: open the page through Streamlit's AppTest with that model picked in the
sidebar, press the page's main button with the page's own default inputs, and record what a presenter sees —
**finished** (no estimate asked for), **estimate first** (the page's cost gate: "This will take ≈ …" and a *Run
anyway* button, with the estimate's text), or an **error** — its wall time up to that point, and the child's peak
RSS (``getrusage`` of the child, so a page that would be killed for memory shows here first). The cost threshold is
the app's own (``GLM_EXPLORE_LONG_SECONDS``, 20 s by default). ``--tiny`` runs the same on the tiny versions: a
check of the bench, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# page → the key of its main (primary) button, pressed with the page's defaults
MAIN_BUTTON = {
    "logits": "logits_go", "variants": "variants_single_go", "embeddings": "embeddings_go",
    "attribution": "attribution_go", "motifs": "motifs_go", "context": "context_go", "design": "design_go",
    "generate": "generate_go", "annotate": "annotate_go", "compare": "compare_go", "report": "report_go",
    "features": "features_go", "browser": None,
}


def one_page(model_key: str, page: str, timeout: float) -> dict:
    """Open ``page`` with ``model_key`` and press its main button; what the user sees and how long it took."""
    from streamlit.testing.v1 import AppTest

    t = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["model_key"] = model_key
    try:
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        key = MAIN_BUTTON[page]
        if key is not None and not at.exception:
            at.button(key=key).click().run()
    except Exception as exc:  # AppTest's timeout, or a button the page did not draw (disabled for this model)
        if "disabled" in str(exc):  # the page greys out what the model cannot serve (e.g. gradients of k-mers)
            return {"page": page, "outcome": "disabled for this model", "detail": "",
                    "seconds": time.perf_counter() - t}
        return {"page": page, "outcome": "error", "detail": f"{type(exc).__name__}: {exc}"[:160],
                "seconds": time.perf_counter() - t}
    seconds = time.perf_counter() - t
    if at.exception:
        return {"page": page, "outcome": "error", "detail": str(at.exception[0].value)[:160], "seconds": seconds}
    said = [w.value for w in at.warning if "This will take" in str(w.value)]
    if said:
        return {"page": page, "outcome": "estimate first", "detail": said[0].split("**")[1][:160], "seconds": seconds}
    errors = [str(e.value) for e in at.error]
    if errors:
        return {"page": page, "outcome": "message", "detail": errors[0][:160], "seconds": seconds}
    return {"page": page, "outcome": "finished", "detail": "", "seconds": seconds}


def run_shape(spec: str, pages: list[str], timeout: float) -> list[dict]:
    from dashboard.model_keys import ModelKey

    key = ModelKey.of_hf(spec).text
    rows = []
    for page in pages:
        row = one_page(key, page, timeout)
        row["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="the tiny versions: checks the bench fast")
    ap.add_argument("--only", nargs="+", help="these shapes only (names from bench/real_size.py)")
    ap.add_argument("--pages", nargs="+", choices=list(MAIN_BUTTON), help="these pages only")
    ap.add_argument("--timeout", type=float, default=600, help="most seconds one page may take (default 600)")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "real_size", help="where models are kept")
    ap.add_argument("--one", metavar="SPEC", help=argparse.SUPPRESS)  # the child: one shape
    args = ap.parse_args(argv)
    pages = args.pages or list(MAIN_BUTTON)
    if args.one:
        run_shape(args.one, pages, args.timeout)
        return []
    import importlib.util

    loader = importlib.util.spec_from_file_location("real_size", ROOT / "bench" / "real_size.py")
    real_size = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(real_size)
    root = args.cache / ("tiny" if args.tiny else "full")
    names = args.only or list(real_size.SHAPES)
    rows = []
    for name in names:
        spec, env = real_size.build(name, root, tiny=args.tiny)
        proc = subprocess.run([sys.executable, __file__, "--one", spec, "--timeout", str(args.timeout),
                               "--pages", *pages], cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                              text=True)
        got = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
        if proc.returncode:
            got.append({"page": "(child)", "outcome": "error", "seconds": 0.0, "peak_rss_gib": 0.0,
                        "detail": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"})
        rows += [{"model": name, **r} for r in got]
        print(f"  {name}: {len(got)} pages", flush=True)
    print(f"\n{'tiny models: a check of the bench, not a measurement' if args.tiny else 'real-size models'}; each "
          "page's main button with its defaults (AppTest); wall s to the result or to the estimate; peak RSS so far")
    print("| model | page | outcome | s | peak RSS | what it said |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['page']} | {r['outcome']} | {r['seconds']:.0f} | {r['peak_rss_gib']:.2f} GiB | "
              f"{r['detail']} |")
    (root / "pages_table.json").write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
