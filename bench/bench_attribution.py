"""Attribution speed, measured in one run (not a test; prints numbers and ratios).

1. ISM over a 512 bp window with the default MLM target (log P(ref) at the centre, masked) —
   ours (:func:`glm_explore.attribution.saturation_mutagenesis`, which skips positions outside
   the receptive field: exact) and ours mutating every position, vs tangermeme's
   ``saturation_mutagenesis`` (``raw_outputs=True``; its fastISM path is tried and falls back on
   its own) on the same target module: wall time, the ratio, and max |Δ difference|.
2. Integrated Gradients (50 steps, zeros baseline) per window: the position target and the
   CLM span target (whole window, one pass per step).
3. The region-class probe target over many windows (the Motifs page's work): probe fit time and
   seconds per 512 bp promoter window for IG (20 / 50 steps) and Input × Gradient.

tangermeme is in requirements.txt (its ``dinucleotide_shuffle`` makes the shuffled baselines); it
installs without changing the torch==2.13.0 pin (checked with ``pip install --dry-run``).

    .venv/bin/python bench/bench_attribution.py [--region chrI:100001-100512] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from glm_explore import attribution as A
from glm_explore.io.datasets import load_dataset
from glm_explore.io.genome import parse_region
from glm_explore.models import load_model
from glm_explore.sequence import one_hot

ROOT = Path(__file__).resolve().parents[1]


class Column(torch.nn.Module):
    """tangermeme wants (N, k) outputs: the target as one column."""

    def __init__(self, target: torch.nn.Module) -> None:
        super().__init__()
        self.target = target

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.target(x.float()).unsqueeze(1)


class Everywhere(torch.nn.Module):
    """The same target, but claiming every position can matter (no receptive-field skip)."""

    def __init__(self, target: A.Target) -> None:
        super().__init__()
        self.target, self.description, self.copies, self.undefined = target, target.description, 1, target.undefined

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.target(x)

    def influence(self, length: int) -> np.ndarray:
        return np.ones(length, dtype=bool)


class Seconds(float):
    """Wall seconds, with the process CPU seconds (all threads) of the same call in ``.cpu``: on a shared,
    busy machine the CPU-time ratio is the steadier one."""

    cpu: float = 0.0

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} s wall ({self.cpu:.1f} s CPU)"


def timed(fn, *a, **kw):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*a, **kw)
    sec = Seconds(time.perf_counter() - t)
    sec.cpu = time.process_time() - c
    return out, sec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="chrI:100001-100512")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", default="default-mlm")
    args = ap.parse_args()
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis as tm_ism

    data = load_dataset("yeast")
    region = parse_region(args.region)
    seq = data.genome.fetch(region.chrom, region.start, region.end)
    model = load_model(args.model)
    target = A.default_target(model, seq)
    print(f"## ISM, {len(seq)} bp window {region}, {model.info.name} (receptive field {model.info.receptive_field}),"
          f" target: {target.description}; batch {args.batch_size}; {os.cpu_count()} CPUs, "
          f"torch threads {torch.get_num_threads()}")

    ours, t_ours = timed(A.saturation_mutagenesis, target, seq, batch_size=args.batch_size)
    print(f"ours (receptive-field skip, {ours.n_forward} mutants):  {t_ours:8.2f}", flush=True)
    full, t_full = timed(A.saturation_mutagenesis, Everywhere(target), seq, batch_size=args.batch_size)
    print(f"ours (every position, {full.n_forward} mutants):       {t_full:8.2f}", flush=True)
    X = torch.from_numpy(one_hot(seq))[None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (y0, y_hat), t_tm = timed(tm_ism, Column(target), X, raw_outputs=True, batch_size=args.batch_size,
                                  device="cpu")
    tm_delta = (y_hat[0, :, :, 0] - y0[0, 0]).double().numpy()  # (4, L)
    ok = ~np.isnan(ours.delta)
    diff_ours = float(np.abs(ours.delta[ok] - tm_delta[ok]).max())
    diff_full = float(np.nanmax(np.abs(full.delta - tm_delta)))
    print(f"tangermeme saturation_mutagenesis ({3 * len(seq)} mutants): {t_tm:8.2f}", flush=True)
    for w in caught:
        if "tangermeme" in type(w.message).__name__.lower() or "fast" in str(w.message).lower():
            print(f"  tangermeme warning: {str(w.message)[:160]}")
    print(f"ratio tangermeme / ours (skip):        {t_tm / t_ours:6.2f}× wall, {t_tm.cpu / t_ours.cpu:6.2f}× CPU",
          flush=True)
    print(f"ratio tangermeme / ours (every pos.):  {t_tm / t_full:6.2f}× wall, {t_tm.cpu / t_full.cpu:6.2f}× CPU",
          flush=True)
    print(f"max |Δ ours − Δ tangermeme| = {diff_ours:.2e} (skip), {diff_full:.2e} (every position); "
          f"|Δ| range up to {np.nanmax(np.abs(ours.delta)):.3f}")

    print("\n## Integrated Gradients, 50 steps, zeros baseline, one window", flush=True)
    _, t_ig = timed(A.attribute, target, seq, method="integrated_gradients", n_steps=50,
                    batch_size=args.batch_size)
    print(f"{model.info.name}, {target.description}: {t_ig:8.2f} per {len(seq)} bp window", flush=True)
    clm = load_model("default-clm")
    ct = A.default_target(clm, seq)
    res, t_clm = timed(A.attribute, ct, seq, method="integrated_gradients", n_steps=50, batch_size=args.batch_size)
    print(f"{clm.info.name}, {ct.description}: {t_clm:8.2f} per window (relative delta {res.relative_delta:.1e})", flush=True)
    _, t_sal = timed(A.attribute, target, seq, method="saliency")
    print(f"Saliency, {model.info.name}: {t_sal:8.2f} per window", flush=True)

    print("\n## Region-class probe target (last layer, both strands), 20 promoter windows of 512 bp", flush=True)
    from glm_explore.embed import fit_region_probe

    (probe, ws), t_fit = timed(fit_region_probe, model, data, cap_per_class=60, seed=0)
    print(f"fit the probe on {probe.n_train} training windows ({len(ws)} embedded): {t_fit:8.2f}", flush=True)
    table = ws.table[ws.table["label"] == "promoter"].head(20)
    for method, steps in [("integrated_gradients", 20), ("integrated_gradients", 50), ("input_x_gradient", 1)]:
        settings = A.AttributionSettings(target="probe", probe_class="promoter", method=method, n_steps=steps,
                                         n_baselines=2, batch_size=args.batch_size)
        res, t_many = timed(A.attribute_windows, model, table, settings, probe=probe)
        worst = max(abs(r.relative_delta or 0.0) for r in res)
        print(f"{method} ({steps} steps): {t_many / len(table):6.2f} s wall per window "
              f"(worst relative delta {worst:.1e})", flush=True)


if __name__ == "__main__":
    main()
