"""A small scaling curve for the built-in MLM: held-out bits vs CPU-hours for a few architectures.

Each configuration trains from scratch with the same seed, data, recipe and CPU-time budget on one thread
(``--max-cpu-minutes``: the process's CPU time, so a run on a machine shared with other work gets the same compute;
the learning-rate schedule follows it, so every run gets a full warm-up and decay within its budget). The curve is the validation loss logged during training (64 fixed windows from the last
100 kb of chrXV, one fixed mask draw), and each finished run is scored on held-out chrXVI with exact masked
marginals (``evaluate.model_positions_and_log_probs``, ``--heldout-windows`` evenly spaced 4,096-bp windows).

    PYTHONPATH=. OMP_NUM_THREADS=1 python scripts/scaling_curve.py --minutes 18 --out docs/scaling

writes ``scaling.json`` (the curves and held-out numbers), ``scaling.md`` (a table) and ``scaling.html`` (a plotly
figure). Runs live in ``runs/scaling/`` (not committed); an existing finished run is not retrained.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

CONFIGS: dict[str, dict] = {
    "default (width 96, 9 blocks, RF 142)": dict(preset="default", width=None),
    "wide (width 192, 9 blocks, RF 142)": dict(preset="default", width=192),
    "deep (width 96, 18 blocks, RF 380)": dict(preset="large", width=96),
}


def heldout_bits(model_dir: Path, max_windows: int) -> dict:
    """Mean bits/base and top-1 accuracy on held-out chrXVI (exact masked marginals, 20 mask phases)."""
    from glm_explore.count_baselines import cross_entropy_bits
    from glm_explore.evaluate import model_positions_and_log_probs
    from glm_explore.io.datasets import DATASETS
    from glm_explore.io.genome import Genome
    from glm_explore.models.builtin import load_convlm_dir

    adapter = load_convlm_dir(model_dir)
    test = Genome(DATASETS["yeast"].fasta).codes(DATASETS["yeast"].heldout_chrom)
    t0 = time.time()
    pos, lp, _ = model_positions_and_log_probs(adapter, test, offsets=20, max_windows=max_windows)
    keep = test[pos] < 4
    bits = cross_entropy_bits(lp[keep], test[pos[keep]])
    return {"bits": round(float(bits.mean()), 4), "accuracy": round(float((lp[keep].argmax(1) == test[pos[keep]]).mean()), 4),
            "n_positions": int(keep.sum()), "receptive_field": adapter.info.receptive_field,
            "n_parameters": adapter.info.n_parameters, "scoring_seconds": round(time.time() - t0, 1)}


def run_config(name: str, arch: dict, minutes: float, root: Path, log) -> dict:
    from glm_explore.train import TrainSettings, train_model

    slug = name.split(" ")[0]
    out = root / slug
    if not (out / "training.json").exists():
        s = TrainSettings(objective="mlm", out=out, steps=1_000_000, max_cpu_minutes=minutes, threads=1, eval_every=50,
                          checkpoint_dir=root / f"{slug}-ckpt", **arch)
        train_model(s, log=lambda line: log(f"[{slug}] {line}"))
    training = json.loads((out / "training.json").read_text())
    return {"name": name, "steps": training["steps"], "cpu_hours": round(training["cpu_minutes"] / 60, 4),
            "wall_hours": training["cpu_hours"],
            "curve": [{"cpu_hours": round(r["cpu_minutes"] / 60, 4), "val_bits": round(r["val_loss_bits"], 4)}
                      for r in training["log"]],
            "dir": out.as_posix()}


def markdown(results: list[dict], minutes: float) -> str:
    lines = [f"# Scaling curve of the built-in MLM ({minutes:g} CPU-minutes each, 1 thread, from scratch)", "",
             "CPU-hours are the training process's CPU time (not wall time), so runs that shared the machine with "
             "other work got the same compute.", "",
             "| configuration | parameters | steps | CPU-hours | val bits (last) | held-out chrXVI bits | top-1 |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        h = r["heldout"]
        last = f"{r['curve'][-1]['val_bits']:.4f}" if r["curve"] else "—"
        lines.append(f"| {r['name']} | {h['n_parameters']:,} | {r['steps']} | {r['cpu_hours']:.3f} | "
                     f"{last} | {h['bits']:.4f} | {h['accuracy']:.4f} |")
    lines += ["", "Val bits: 64 fixed windows of the last 100 kb of chrXV (not trained on), one fixed mask draw. "
              "Held-out: exact masked marginals on evenly spaced 4,096-bp windows of chrXVI "
              f"({results[0]['heldout']['n_positions']:,} positions for the first configuration).", ""]
    return "\n".join(lines)


def figure_html(results: list[dict]) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for r in results:
        fig.add_trace(go.Scatter(x=[p["cpu_hours"] for p in r["curve"]], y=[p["val_bits"] for p in r["curve"]],
                                 mode="lines+markers", name=r["name"]))
    fig.update_layout(xaxis_title="CPU-hours (1 thread)", yaxis_title="validation loss (bits/base, masked)",
                      title="Built-in MLM: loss vs compute")
    return fig.to_html(include_plotlyjs="cdn")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=18, help="CPU-minutes per configuration")
    p.add_argument("--out", type=Path, default=Path("docs/scaling"))
    p.add_argument("--runs", type=Path, default=Path("runs/scaling"))
    p.add_argument("--heldout-windows", type=int, default=40)
    p.add_argument("--only", nargs="*", help="configuration slugs to run (default: all)")
    a = p.parse_args()
    torch.set_num_threads(1)
    a.out.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(time.strftime("%H:%M:%S"), line, flush=True)

    results = []
    for name, arch in CONFIGS.items():
        if a.only and name.split(" ")[0] not in a.only:
            continue
        r = run_config(name, arch, a.minutes, a.runs, log)
        r["heldout"] = heldout_bits(Path(r["dir"]), a.heldout_windows)
        log(f"{name}: {json.dumps(r['heldout'])}")
        results.append(r)
        (a.out / "scaling.json").write_text(json.dumps({"minutes": a.minutes, "results": results}, indent=1))
    (a.out / "scaling.md").write_text(markdown(results, a.minutes))
    (a.out / "scaling.html").write_text(figure_html(results))
    best = min(results, key=lambda r: r["heldout"]["bits"])
    log(f"best at {a.minutes:g} min: {best['name']} ({best['heldout']['bits']:.4f} bits); "
        f"spread {np.ptp([r['heldout']['bits'] for r in results]):.4f}")


if __name__ == "__main__":
    main()
