"""Indel / small-SV scoring speed on the default models (yeast): events/s.

    .venv/bin/python bench/bench_indels.py [--n-clm 100] [--n-mlm 8] [--max-length 100] [--threads 2]

One event = one REF→ALT allele: random intergenic deletions and insertions of 1 … ``--max-length`` bp
(:func:`glm_explore.variants.length_bias.sample_bias_events`), scored by
:func:`glm_explore.variants.event_scores` with the reverse-complement strand averaged (the ``score_events``
default): CLM, 4 length-matched windows of 2·R + length bp per event (R = 285); MLM, the span
pseudo-log-likelihood, R + 1 = 143 masked copies of a 4·R + length bp window per allele and strand
(R = 142). The machine load (``os.getloadavg``) is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-clm", type=int, default=100)
    ap.add_argument("--n-mlm", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    from glm_explore.io.datasets import load_dataset
    from glm_explore.models import load_model
    from glm_explore.variants import ChromCache, event_scores
    from glm_explore.variants.indel_scores import event_flank
    from glm_explore.variants.length_bias import sample_bias_events

    torch.set_num_threads(args.threads)
    data = load_dataset("yeast")
    cache = ChromCache(data.genome)
    print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs), torch threads {args.threads}")
    for spec, n in (("default-clm", args.n_clm), ("default-mlm", args.n_mlm)):
        model = load_model(spec)
        events = sample_bias_events(data, n, max_length=args.max_length, seed=1, margin=2 * event_flank(model) + 1)
        event_scores(model, cache, events[:2], rc=True)  # warm-up: first forward, shapes
        t = time.perf_counter()
        event_scores(model, cache, events, rc=True)
        dt = time.perf_counter() - t
        print(f"{spec}: {n} events (1–{args.max_length} bp, RC-averaged) in {dt:.1f} s = {n / dt:.2f} events/s "
              f"(load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
