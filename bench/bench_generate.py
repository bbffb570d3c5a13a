"""Benchmark: samples per second from the default models (glm_explore.generate), and a naive CLM loop.

    .venv/bin/python bench/bench_generate.py [--length 200] [--n 8] [--rounds 10] [--threads 1]

* CLM: ``sample_clm`` (all samples batched; each step feeds only the last receptive-field bases) vs a naive
  loop that samples one sequence at a time and re-runs the model over the whole sequence so far at every step
  (the textbook way). Both draw from the same distribution; the ratio is the speed-up.
* MLM: ``sample_mlm`` de novo with mask-predict and with Gibbs, ``--rounds`` rounds each.
* Judge: ``genome_likeness.judge`` of the CLM samples against 30 held-out CDS windows (the page's check).

Each figure is one timed run after a warm-up; ``cpu`` is the process CPU time (all threads) beside the wall
time, a check on a busy machine. Run it with ``../shared/tools/bench-twice`` for figures that count.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def timed(fn):
    fn()  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def naive_clm(model, length: int, n: int, seed: int) -> list[str]:
    """One sample at a time, the whole sequence so far through the model at every step (no cropping, no batch)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        seq = ""
        for _ in range(length):
            lp = model.log_probs([seq + "A"])[0][:, -1]
            p = np.exp(lp - np.logaddexp.reduce(lp))
            seq += "ACGT"[int(rng.choice(4, p=p / p.sum()))]
        out.append(seq)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--length", type=int, default=200)
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from glm_explore import genome_likeness as gl
    from glm_explore.generate import sample_clm, sample_mlm
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    clm, mlm = load_builtin("default-clm"), load_builtin("default-mlm")
    rows = []
    samples, wall, cpu = timed(lambda: sample_clm(clm, "", a.length, n=a.n, seed=0))
    rows.append(("default-clm sample_clm", wall, cpu))
    _, nwall, ncpu = timed(lambda: naive_clm(clm, a.length, a.n, 0))
    rows.append(("default-clm naive loop", nwall, ncpu))
    for method in ("mask-predict", "gibbs"):
        _, w, c = timed(lambda m=method: sample_mlm(mlm, a.length, n=a.n, rounds=a.rounds, method=m, seed=0))
        rows.append((f"default-mlm {method} ({a.rounds} rounds)", w, c))
    data = load_dataset("yeast")
    ref, ctl = gl.real_windows(data, "CDS", a.length, 30, n_control=a.n)
    _, jw, jc = timed(lambda: gl.judge({"generated": [s.sequence for s in samples]}, ref, ctl, real_class="CDS",
                                       other=mlm, embed_model=clm))
    print(f"{a.n} samples of {a.length} bp, {a.threads} thread(s)")
    print(f"{'what':<40} {'wall s':>8} {'cpu s':>8} {'samples/s':>10}")
    for name, w, c in rows:
        print(f"{name:<40} {w:8.2f} {c:8.2f} {a.n / w:10.2f}")
    print(f"{'judge vs 30 real CDS windows':<40} {jw:8.2f} {jc:8.2f}")
    print(f"sample_clm vs naive loop: {nwall / wall:.1f}x")


if __name__ == "__main__":
    main()
