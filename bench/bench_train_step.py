"""One training step of the shipped MLM (32 × 512 bp, forward + backward, 1 thread), subnormals kept vs flushed.

    python bench/bench_train_step.py [--steps 3] [--model default-mlm]

Trained weights can push the backward pass into subnormal floats, which x86 handles in microcode
(``aten::convolution_backward`` then dominates). ``torch.set_flush_denormal(True)`` — what ``train``
sets — flushes them to zero. Prints the median seconds per step both ways, the ratio, and the largest
relative difference of the gradients (flushing must not change the result beyond float noise).
Measure on an idle machine (``../shared/tools/bench-twice``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from glm_explore.models import load_model
from glm_explore.train import batch_loss, sample_windows, training_arrays


def step_seconds(net, codes: torch.Tensor, flush: bool, steps: int) -> tuple[float, list[torch.Tensor]]:
    torch.set_flush_denormal(flush)
    times, grads = [], []
    try:
        for _ in range(steps):
            net.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            loss = batch_loss(net, codes, torch.Generator().manual_seed(0))
            loss.backward()
            times.append(time.perf_counter() - t0)
        grads = [p.grad.detach().clone() for p in net.parameters()]
    finally:
        torch.set_flush_denormal(False)
    return statistics.median(times), grads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--model", default="default-mlm")
    args = ap.parse_args()
    torch.set_num_threads(1)
    net = load_model(args.model).network
    net.train()
    train, _ = training_arrays()
    codes = torch.from_numpy(sample_windows(train, 32, 512, np.random.default_rng(0)))
    kept, g_kept = step_seconds(net, codes, False, args.steps)
    flushed, g_flushed = step_seconds(net, codes, True, args.steps)
    rel = max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-30)) for a, b in zip(g_kept, g_flushed))
    print(f"{args.model}: step {kept:.2f} s with subnormals, {flushed:.2f} s flushed → {kept / flushed:.1f}× "
          f"(median of {args.steps}); max relative gradient difference {rel:.2e}")


if __name__ == "__main__":
    main()
