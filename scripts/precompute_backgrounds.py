"""Precompute the shipped SNV score backgrounds of the default models on the bundled yeast.

Writes ``glm_explore/data/backgrounds/<model>__yeast.npz`` (see :mod:`glm_explore.calibration.background`)
and prints per class the sites scored and the wall time. Usage::

    python scripts/precompute_backgrounds.py                       # both defaults, default sample sizes
    python scripts/precompute_backgrounds.py --models default-clm --sites 100

The CLM's Δ log-likelihood costs about 50× the MLM's masked LLR per SNV on CPU, so its default sample is
smaller (percentile resolution is recorded in the file: ``n`` scored SNVs per class).
"""

from __future__ import annotations

import argparse
import sys
import time

from glm_explore.calibration import compute_background, shipped_background_path
from glm_explore.io.datasets import load_dataset
from glm_explore.models.builtin import load_builtin

DEFAULT_SITES = {"default-mlm": 1_000, "default-clm": 150}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=list(DEFAULT_SITES), choices=list(DEFAULT_SITES))
    p.add_argument("--sites", type=int, default=None, help="sites per region class (default: per model, above)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    data = load_dataset("yeast")
    for key in args.models:
        model = load_builtin(key)
        sites = args.sites or DEFAULT_SITES[key]
        t0 = time.perf_counter()

        def progress(frac: float, msg: str, t0: float = t0, key: str = key) -> None:
            print(f"  {key}: {msg} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

        bg = compute_background(model, data, sites_per_class=sites, seed=args.seed, progress=progress)
        path = shipped_background_path(model.info.name, "yeast")
        path.parent.mkdir(parents=True, exist_ok=True)
        bg.save(path)
        print(f"{key}: {bg.n:,} SNVs on {bg.region} in {bg.seconds:.0f} s ({bg.n / bg.seconds:.1f} SNVs/s); "
              f"{path.stat().st_size / 1e3:.0f} kB → {path}", flush=True)
        print(bg.table().to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
