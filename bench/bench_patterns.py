"""TF-MoDISco patterns time for the default MLM at the motifs page's default settings (not a test; prints numbers).

:func:`glm_explore.patterns.find_patterns` on the page's window sample (explorer recipe, seed 0; the
held-out promoter windows first), ``--n`` windows (default: the page's), with the page's default target
when no probe is held (``default``: MLM log P(ref) at the centre) or ``--target probe`` (fits the
explorer's probe first, not timed). Prints attribution time (the windows + their shuffled control) and
TF-MoDISco time (both runs, numba kernels warm from a first tiny run unless ``--cold``) separately,
and the pattern counts. Wall times on whatever else the machine runs at the moment: not idle figures.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python bench/bench_patterns.py [--n 100] [--target default]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from glm_explore import patterns as pt
from glm_explore.embed import PROBE_CAP, fit_region_probe
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.region_windows import make_windows

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=pt.PatternSettings.n_windows)
    ap.add_argument("--target", choices=["default", "probe"], default="default")
    ap.add_argument("--cls", default="promoter")
    ap.add_argument("--cold", action="store_true", help="do not warm TF-MoDISco's numba kernels first")
    args = ap.parse_args()
    model, data = load_model("default-mlm"), load_dataset("yeast")
    probe = None
    if args.target == "probe":
        probe, ws = fit_region_probe(model, data, seed=0)
    else:
        ws = make_windows(data, cap_per_class=PROBE_CAP, seed=0)
    windows = ws.of_class(args.cls)
    settings = pt.PatternSettings(n_windows=args.n, target=args.target)
    if not args.cold:  # numba compiles on the first call (cached on disk afterwards); keep it out of the figure
        t = time.perf_counter()
        pt.find_patterns(model, windows, settings=pt.PatternSettings(n_windows=pt.MIN_WINDOWS, n_steps=2,
                                                                      n_baselines=1, target=args.target),
                         probe=probe, region_class=args.cls)
        print(f"warm-up (compiles, {pt.MIN_WINDOWS} windows): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    rep = pt.find_patterns(model, windows, settings=settings, probe=probe, region_class=args.cls)
    total = time.perf_counter() - t
    print(f"default-mlm · {args.n} {args.cls} windows (+{args.n} shuffled) · target {args.target} · "
          f"IG {settings.n_steps} steps × {settings.n_baselines} shuffled references (under load)")
    print(f"attribution: {rep.attribution_s:.1f} s ({rep.attribution_s / (2 * args.n):.2f} s per window)")
    print(f"TF-MoDISco (real + control): {rep.modisco_s:.1f} s")
    print(f"total with TOMTOM: {total:.1f} s")
    print(f"patterns: {len(rep.patterns)} ({rep.named()} named) vs shuffled control {len(rep.control)} "
          f"({rep.named(rep.control)} named)")


if __name__ == "__main__":
    main()
