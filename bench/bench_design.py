"""Benchmark: sequence design rounds per second (glm_explore.design) for the default MLM and CLM.

    .venv/bin/python bench/bench_design.py [--length 200] [--rounds 3] [--threads 1] [--candidates 16]

Start: a window of the bundled yeast genome (chrXVI, held out from training). Objectives: the
model's likelihood (CLM: every single edit evaluated exactly, 3L forwards per round; MLM: the
pseudo-log-likelihood, ``--candidates`` proxy-ranked edits evaluated exactly, R+1 masked copies
each, plus one masked-marginal pass for the proxy) and the FIMO score of one JASPAR motif (no
model: every edit exact). Each run forces ``--rounds`` rounds (``min_gain=-inf``, so no early stop)
and reports the best of ``--repeats`` after one warm-up; ``cpu`` is the process CPU time of that
run (all threads), a check on a busy machine.
"""

from __future__ import annotations

import argparse
import time


def run_one(model, seq: str, objective, args: argparse.Namespace, candidates: int | None) -> dict:
    from glm_explore.design import DesignSettings, design

    settings = DesignSettings(objective, rounds=args.rounds, edit_budget=args.rounds, candidates=candidates,
                              min_gain=float("-inf"), seed=0)

    def once():
        return design(model, seq, settings)

    once() if args.repeats > 1 else None  # warm-up only when timing more than once
    best = None
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = once()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best["wall"]:
            best = {"wall": wall, "cpu": cpu, "res": res}
    res = best["res"]
    rounds = len(res.trajectory) - 1
    return {"objective": res.objective, "candidates": "all" if res.candidates is None else res.candidates,
            "evaluated/round": float(res.trajectory["evaluated"].iloc[1:].mean()), "rounds": rounds,
            "s/round": best["wall"] / rounds, "rounds/s": rounds / best["wall"], "cpu s": best["cpu"],
            "gain": res.value - res.start_value}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--candidates", type=int, default=None, help="MLM likelihood cap (default: the library's, 16)")
    ap.add_argument("--motif", default="ABF1")
    args = ap.parse_args()

    import pandas as pd
    import torch

    torch.set_num_threads(args.threads)
    from glm_explore.design import make_objective
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    seq = load_dataset("yeast").genome.fetch("chrXVI", 300_000, 300_000 + args.length)
    rows = []
    for name in ("default-mlm", "default-clm"):
        model = load_builtin(name)
        cap = args.candidates if model.info.is_mlm else None
        rows.append({"model": name, **run_one(model, seq, make_objective("likelihood", model), args, cap)})
    rows.append({"model": "(none)", **run_one(None, seq, make_objective("motif", motif=args.motif), args, None)})
    print(f"# design, {args.length} bp start (yeast chrXVI:300001-{300_000 + args.length}), {args.rounds} rounds, "
          f"{args.threads} torch thread(s), best of {args.repeats}")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
