"""How long the model report takes for a built-in model on this machine, section by section.

    python bench/bench_report.py [--model default-mlm] [--genome yeast] [--threads 1]

Prints seconds per section (fair baseline selection, per-class bits, motif profiles, variant sanity,
embedding probe) and the total, for the shipped report's settings. Measure on an idle machine
(``../shared/tools/bench-twice``); the shipped report means users of the default never wait for this.
"""

from __future__ import annotations

import argparse
import time

import torch

from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.report import ReportSettings, build_report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default-mlm")
    ap.add_argument("--genome", default="yeast")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, data = load_model(args.model), load_dataset(args.genome)
    t0 = time.time()
    rep = build_report(model, data, settings=ReportSettings(), other_genomes={})
    total = time.time() - t0
    for name, seconds in rep.timings.items():
        print(f"{name:>10}: {seconds:7.1f} s")
    print(f"{'total':>10}: {total:7.1f} s  ({args.model} on {args.genome}, {args.threads} thread(s))")


if __name__ == "__main__":
    main()
