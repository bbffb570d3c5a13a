"""How far a model looks: curve time and banded dependency map time (not a test; prints numbers and ratios).

1. :func:`glm_explore.context_curve.context_curve` for the default MLM (mask truncation) and CLM (left
   truncation) on yeast held-out chrXVI with modest settings (``--per-class`` windows per class, one position
   each, ``--widths`` widths + the receptive field): wall time, positions × widths per second, and the w90 table;
2. the banded dependency map of a ``--map-bp`` region for the default MLM, against the whole-sequence map
   (:func:`glm_explore.dependency.dependency_map`) of a ``--full-bp`` region scaled by its cost (3·L rows of L bases).

The numbers are wall times on whatever else the machine is running at the same moment: they are not idle
measurements, and only ratios inside one run compare.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_context.py [--per-class 20] [--widths 0,1,4,8,16,32,64]
        [--map-bp 2000] [--full-bp 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from glm_explore.context_curve import context_curve
from glm_explore.dependency import MAX_BANDED_BP, banded_dependency_map, dependency_map
from glm_explore.io.datasets import load_dataset
from glm_explore.logits import region_window
from glm_explore.models.builtin import load_builtin

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--widths", default="0,1,4,8,16,32,64", help="plus the receptive field (8 widths by default)")
    ap.add_argument("--map-bp", type=int, default=2000)
    ap.add_argument("--full-bp", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--skip-map", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.widths.split(",")]
    data = load_dataset("yeast")
    print(f"not an idle measurement: wall times on a shared machine, torch threads = {args.threads}")
    for key in ("default-mlm", "default-clm"):
        model = load_builtin(key)
        ws = [w for w in widths if w <= model.info.receptive_field]
        res, t = timed(context_curve, model, data, widths=ws, per_class=args.per_class, reps=args.reps)
        n = len(res.points)
        print(f"\n{key}: {res.truncation_label}; R = {model.info.receptive_field}; {res.note}")
        print(f"  curve: {t:.1f} s for {n // len(res.widths)} positions × {len(res.widths)} widths "
              f"({n / t:.0f} predictions/s, incl. sampling held-out windows)")
        print(res.w90.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.skip_map:
        return
    model = load_builtin("default-mlm")
    start = 300_000
    region = f"chrXVI:{start + 1}-{start + args.map_bp}"
    w = region_window(data.genome, region, model, max_len=MAX_BANDED_BP)
    dep, t_band = timed(banded_dependency_map, model, w)
    small = region_window(data.genome, f"chrXVI:{start + 1}-{start + args.full_bp}", model)
    _, t_full = timed(dependency_map, model, small)
    # whole-sequence cost grows as L·(L + 2·flank): scale the measured small map to the long region
    L_small, L = len(small.seq), len(w.seq)
    scaled = t_full * (args.map_bp * L) / (args.full_bp * L_small)
    print(f"\nbanded dependency map, default-mlm, {region} (band ±{dep.band}): {t_band:.1f} s")
    print(f"  whole-sequence map of {args.full_bp} bp: {t_full:.1f} s → scaled to {args.map_bp} bp ≈ {scaled:.0f} s "
          f"(banded is {scaled / t_band:.1f}× faster)")


if __name__ == "__main__":
    main()
