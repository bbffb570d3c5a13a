"""Genome annotation by transfer learning, speed measured in one run (not a test; prints numbers and ratios).

1. fit time of :func:`glm_explore.annotate.fit_annotator` (both heads: model states and k-mer windows,
   training features, head fitting, held-out scoring) for the default MLM on yeast with small settings;
2. annotation speed: bases/s of :func:`annotate_region` over a held-out region, for the model head and the
   k-mer head, against the raw model forward (``hidden_layers``) over the same bases.

The numbers are wall times on whatever else the machine is running at the same moment: they are not idle
measurements, and only ratios inside one run compare.

    .venv/bin/python bench/bench_annotate.py [--model default-mlm] [--dataset yeast] [--region-bp 200000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from glm_explore.annotate import AnnotateSettings, annotate_region, fit_annotator
from glm_explore.io.datasets import load_dataset
from glm_explore.io.genome import Region
from glm_explore.models import load_model

ROOT = Path(__file__).resolve().parents[1]

SMALL = dict(window=1024, windows_per_class=8, bases_per_class=1000, heldout_windows_per_class=10, n_boot=200)


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default-mlm")
    ap.add_argument("--dataset", default="yeast")
    ap.add_argument("--region-bp", type=int, default=200_000)
    args = ap.parse_args()
    model = load_model(args.model)
    data = load_dataset(args.dataset)
    print(f"## {model.info.name} on {data.name}: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()} "
          "(wall times while other work runs: not idle measurements)")
    print(f"settings: {SMALL}")
    fits = {}
    for head in ("logistic", "conv"):
        fit, dt = timed(fit_annotator, model, data, AnnotateSettings(head=head, **SMALL))
        fits[head] = fit
        s = fit.seconds
        print(f"fit_annotator, {head:8s} head: {dt:6.1f} s  (training features {s['training_features']:.1f} s, heads "
              f"{s['fit_heads']:.1f} s, held-out {s['heldout']:.1f} s on {len(fit.heldout):,} bases); macro-F1 model "
              f"{fit.macro_f1('model'):.3f} vs k-mer {fit.macro_f1('k-mer'):.3f}")
    chrom, s, e = fits["logistic"].split.heldout
    region = Region(chrom, s, min(e, s + args.region_bp))
    seq = data.genome.fetch(chrom, region.start, region.end)
    chunk = 4096
    pieces = [seq[i:i + chunk] for i in range(0, len(seq) - chunk + 1, chunk)]
    model.hidden_layers(pieces[:2], [model.info.n_layers], batch_size=32)  # warm-up (allocator, threads)
    _, t_raw = timed(model.hidden_layers, pieces, [model.info.n_layers], batch_size=32)
    raw_rate = len(pieces) * chunk / t_raw
    print(f"\nraw model forward (hidden_layers, last layer, {chunk}-bp pieces): {raw_rate:12,.0f} bases/s")
    for head in ("logistic", "conv"):
        for name, hd, m in (("model", fits[head].head, model), ("k-mer", fits[head].baseline, None)):
            _, dt = timed(annotate_region, hd, m, data, region)
            rate = region.length / dt
            extra = f"  (rate / raw forward rate = {rate / raw_rate:.2f}; 1 = no overhead)" if name == "model" else ""
            print(f"annotate_region, {head:8s} head on {name:5s}: {rate:12,.0f} bases/s over {region}{extra}")


if __name__ == "__main__":
    main()
