"""Precompute the TF-MoDISco pattern report the motifs page opens with (default MLM, yeast, promoters).

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python scripts/precompute_patterns.py [--n 100] [--target probe]

Writes ``glm_explore/data/reports/patterns-default-mlm--yeast--promoter.json`` (a few hundred kB at
most): the page shows it at once when the default MLM (these exact weights), the yeast genome and
class promoter are chosen. Same settings as the page's defaults (:class:`PatternSettings`); with
``--target probe`` the region-class probe is fit first with the explorer's recipe (seed 0), as the
page's *Fit a region-class probe* button does, and its windows are the sample.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from glm_explore import patterns as pt
from glm_explore.embed import PROBE_CAP, fit_region_probe
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.models.fingerprint import tensors_fingerprint
from glm_explore.region_windows import make_windows

MODEL, GENOME, CLASS = "default-mlm", "yeast", "promoter"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=pt.PatternSettings.n_windows, help="windows (default: the page's)")
    ap.add_argument("--target", choices=["default", "probe"], default=pt.PatternSettings.target)
    ap.add_argument("--out", type=Path, default=pt.shipped_path(MODEL, GENOME, CLASS))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    model, data = load_model(MODEL), load_dataset(GENOME)
    settings = replace(pt.PatternSettings(), n_windows=args.n, target=args.target)
    log = lambda f, msg: print(f"[{time.perf_counter() - t0:7.1f} s] {f:4.0%} {msg}", flush=True)  # noqa: E731
    probe = None
    if args.target == "probe":
        probe, ws = fit_region_probe(model, data, seed=0)
        log(0.0, f"probe fit on {probe.n_train} windows")
    else:
        ws = make_windows(data, cap_per_class=PROBE_CAP, seed=0)  # the motifs page's sample without a probe
    rep = pt.find_patterns(model, ws.of_class(CLASS, args.n), settings=settings, region_class=CLASS, probe=probe,
                           genome=GENOME, fingerprint=tensors_fingerprint(model), progress=log)
    rep.save(args.out)
    print(f"{len(rep.patterns)} patterns ({rep.named()} named) vs {len(rep.control)} in the shuffled control; "
          f"attribution {rep.attribution_s:.0f} s, TF-MoDISco {rep.modisco_s:.0f} s → {args.out} "
          f"({args.out.stat().st_size / 1e3:.0f} kB)")
    print(rep.table().to_string(index=False))
    print("control:\n" + rep.table(control=True).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
