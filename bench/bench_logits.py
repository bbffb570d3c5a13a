"""Benchmark: exact masked marginals (receptive-field batching) vs the naive one-forward-per-position loop.

    .venv/bin/python bench/bench_logits.py [--length 512] [--threads 2] [--naive-positions 512]

Default MLM on a window of the bundled yeast genome (chrXVI, held out from training).
Each configuration runs in a fresh child process so its peak memory is its own:
``rss`` = growth of the process's peak resident set over the loaded model (torch allocations included),
``py`` = tracemalloc peak of Python/numpy allocations. Times are the best of ``--repeats`` runs after
one warm-up; ``cpu`` is the process CPU time of that run (all threads), a check on a busy machine.
``--naive-positions`` < length times that many single-mask forwards and scales to the
full window (printed as such). All ratios come from this one run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import tracemalloc


def _child(conn, kind: str, length: int, threads: int, batch_size: int, naive_positions: int, repeats: int) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from glm_explore.io.datasets import load_dataset
    from glm_explore.logits import masked_marginals, unmasked_log_probs
    from glm_explore.models.builtin import load_builtin

    model = load_builtin("default-mlm")
    genome = load_dataset("yeast").genome
    seq = genome.fetch("chrXVI", 200_000, 200_000 + length)

    def naive() -> np.ndarray:
        out = np.empty((4, naive_positions), dtype=np.float32)
        for k, i in enumerate(np.linspace(0, length - 1, naive_positions).astype(int)):
            masked = np.zeros((1, length), dtype=bool)
            masked[0, i] = True
            out[:, k] = model.log_probs([seq], masked)[0][:, i]
        return out

    fn = {"exact": lambda: masked_marginals(model, seq, batch_size=batch_size),
          "unmasked": lambda: unmasked_log_probs(model, seq),
          "naive": naive}[kind]
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    if kind == "naive":
        model.log_probs([seq])  # warm-up: one forward (the loop itself is long)
    else:
        fn()  # warm-up
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _, py_peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
    conn.send({"time": min(times), "cpu": min(cpu), "rss_mib": rss / 1024, "py_mib": py_peak / 2**20})


def measure(kind: str, args: argparse.Namespace, batch_size: int = 0, repeats: int | None = None) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_child, args=(child, kind, args.length, args.threads, batch_size, args.naive_positions,
                                         repeats or args.repeats))
    p.start()
    out = parent.recv()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (the target machine has 2 cores)")
    ap.add_argument("--batch-sizes", default="32,64,128,512")
    ap.add_argument("--naive-positions", type=int, default=None, help="default: every position")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    args.naive_positions = args.naive_positions or args.length

    from glm_explore.models.builtin import load_builtin

    rf = load_builtin("default-mlm").info.receptive_field
    print(f"default MLM, window {args.length} bp (yeast chrXVI:200,001-), receptive field ±{rf} bp → "
          f"{min(rf + 1, args.length)} masked copies (exact) vs {args.length} (naive); torch threads {args.threads}")
    print(f"{'method':48s} {'wall (s)':>9s} {'vs naive':>9s} {'cpu (s)':>8s} {'peak rss +MiB':>14s} {'py peak MiB':>12s}",
          flush=True)

    def show(name: str, r: dict) -> None:
        print(f"{name:48s} {r['time']:9.3f} {naive['time'] / r['time']:8.1f}× {r['cpu']:8.3f} {r['rss_mib']:14.1f} "
              f"{r['py_mib']:12.1f}", flush=True)

    naive = measure("naive", args, repeats=1)  # first: every other row is compared with it
    scale = args.length / args.naive_positions
    naive["time"] *= scale
    naive["cpu"] *= scale
    show("naive loop, 1 forward/position" + (f" ({args.naive_positions} timed, ×{scale:.1f})" if scale > 1 else ""),
         naive)
    rows = []
    for bs in [int(b) for b in args.batch_sizes.split(",")]:
        rows.append((f"exact batched, batch {bs}", measure("exact", args, bs)))
        show(*rows[-1])
    show("unmasked single pass (approximation)", measure("unmasked", args))
    best = min((r["time"], n) for n, r in rows if n.startswith("exact"))
    print(f"best exact: {best[1]} — {best[0]:.3f} s, {naive['time'] / best[0]:.1f}× faster than the naive loop")


if __name__ == "__main__":
    main()
