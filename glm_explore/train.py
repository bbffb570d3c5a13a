"""Train the built-in models on the bundled yeast genome (chrXVI held out).

Reproduce the shipped weights (fixed seed; CPU, 1 thread each, run side by side)::

    python -m glm_explore.train --objective mlm --steps 3000 --threads 1 --out glm_explore/models/weights/yeast-mlm
    python -m glm_explore.train --objective clm --steps 3000 --threads 1 --out glm_explore/models/weights/yeast-clm

The run records its exact settings in ``training.json`` next to the weights; ``--max-minutes``
stops early (the learning-rate schedule then follows elapsed time, so the run is reproducible only
when the step budget is reached first). A GPU is used when present (``--device cuda``) but never
needed. Checkpoints in ``runs/`` (not committed) let a stopped run resume with ``--resume``.

Then write the model card (held-out figures vs the count baseline)::

    python -m glm_explore.evaluate glm_explore/models/weights/yeast-mlm
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from .datasets import DATASETS
from .genome import Genome
from .models.convnet import ConvLM, ConvLMConfig, channels_from_codes

VAL_SLICE = ("chrXV", 100_000)  # last 100 kb of chrXV: validation, excluded from training


def training_arrays(dataset: str = "yeast") -> tuple[list[np.ndarray], np.ndarray]:
    """(training chromosome codes, validation codes). The held-out chromosome is excluded entirely."""
    ds = DATASETS[dataset]
    genome = Genome(ds.fasta)
    train, val = [], None
    for chrom in genome.chroms:
        if chrom == ds.heldout_chrom:
            continue
        codes = genome.codes(chrom)
        if chrom == VAL_SLICE[0]:
            val = codes[-VAL_SLICE[1]:]
            codes = codes[: -VAL_SLICE[1]]
        train.append(codes)
    assert val is not None
    return train, val


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """RC of integer codes (..., L): A<->T, C<->G, N stays N, positions reversed."""
    out = np.where(codes < 4, 3 - codes, codes)
    return out[..., ::-1].copy()


def sample_windows(chroms: list[np.ndarray], n: int, length: int, rng: np.random.Generator,
                   rc: bool = True) -> np.ndarray:
    """``n`` random windows (n, length) int64, chromosome chosen by length, half reverse-complemented."""
    sizes = np.array([len(c) - length for c in chroms], dtype=float)
    which = rng.choice(len(chroms), size=n, p=sizes / sizes.sum())
    starts = (rng.random(n) * sizes[which]).astype(np.int64)
    out = np.stack([chroms[w][s:s + length] for w, s in zip(which, starts)])
    if rc:
        flip = rng.random(n) < 0.5
        out[flip] = reverse_complement_codes(out[flip])
    return out


def mlm_corrupt(codes: torch.Tensor, rng: torch.Generator, rate: float = 0.15
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """BERT corruption: of the ``rate`` chosen positions, 80 % MASK, 10 % random base, 10 % kept.

    Returns (input codes, mask-channel boolean, loss positions boolean), all (N, L).
    """
    chosen = (torch.rand(codes.shape, generator=rng) < rate) & (codes < 4)
    r = torch.rand(codes.shape, generator=rng)
    masked = chosen & (r < 0.8)
    randomize = chosen & (r >= 0.8) & (r < 0.9)
    inp = codes.clone()
    inp[randomize] = torch.randint(0, 4, (int(randomize.sum()),), generator=rng)
    return inp, masked, chosen


def batch_loss(model: ConvLM, codes: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Mean cross-entropy (nats) on the objective's target positions."""
    if model.config.objective == "mlm":
        inp, masked, target_pos = mlm_corrupt(codes, rng)
        logits = model.forward_channels(channels_from_codes(inp, masked))
    else:
        logits = model.forward_channels(channels_from_codes(codes))
        target_pos = codes < 4
    logits = logits.transpose(1, 2)[target_pos]
    return F.cross_entropy(logits, codes[target_pos])


def lr_at(progress: float, peak: float, warmup: float = 0.05) -> float:
    """Linear warm-up then cosine decay to 5 % of ``peak``; ``progress`` in [0, 1]."""
    if progress < warmup:
        return peak * progress / warmup
    p = (progress - warmup) / (1 - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))


def save_weights(model: ConvLM, out: Path, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(model.config.to_json())
    (out / "training.json").write_text(json.dumps(meta, indent=2))


@dataclass(frozen=True)
class TrainSettings:
    """One training run of a built-in ConvLM (the ``train`` command's options)."""

    objective: str
    out: Path
    steps: int = 3000
    max_minutes: float = float("inf")
    batch_size: int = 32
    window: int = 512
    width: int = 96
    lr: float = 2e-3
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    eval_every: int = 250
    resume: bool = False


def train_model(s: TrainSettings, *, log: Callable[[str], None] = lambda _: None) -> Path:
    """Train (or resume, from ``runs/<out name>/checkpoint.pt``) and save weights to ``s.out``.

    ``log`` receives one line per event (start, each evaluation as JSON, the save). Returns ``s.out``.
    """
    torch.set_num_threads(s.threads)
    torch.manual_seed(s.seed)
    rng = np.random.default_rng(s.seed)
    trng = torch.Generator().manual_seed(s.seed)
    train, val = training_arrays()
    val_codes = torch.from_numpy(sample_windows([val], 64, s.window, np.random.default_rng(123)))
    config = ConvLMConfig(objective=s.objective, width=s.width)
    model = ConvLM(config).to(s.device)
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=0.01, betas=(0.9, 0.98))
    ckpt_path = Path("runs") / s.out.name / "checkpoint.pt"
    step, elapsed0, history = 0, 0.0, []
    if s.resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed0 = int(ck["step"]), float(ck["elapsed"])
        rng = np.random.default_rng([s.seed, step])
        trng = torch.Generator().manual_seed(s.seed + step)
        history = json.loads((ckpt_path.parent / "log.json").read_text())
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{s.objective}: {n_params:,} parameters, receptive field {config.receptive_field} bp")
    t0 = time.time() - elapsed0
    budget = s.max_minutes * 60
    while step < s.steps and time.time() - t0 < budget:
        progress = max(step / s.steps, (time.time() - t0) / budget)
        for g in opt.param_groups:
            g["lr"] = lr_at(progress, s.lr)
        codes = torch.from_numpy(sample_windows(train, s.batch_size, s.window, rng)).to(s.device)
        model.train()
        loss = batch_loss(model, codes, trng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % s.eval_every == 0 or step == s.steps:
            model.eval()
            with torch.no_grad():
                vloss = batch_loss(model, val_codes.to(s.device), torch.Generator().manual_seed(7)).item()
            rec = dict(step=step, minutes=round((time.time() - t0) / 60, 2), train_loss_bits=loss.item() / math.log(2),
                       val_loss_bits=vloss / math.log(2), lr=opt.param_groups[0]["lr"])
            history.append(rec)
            log(json.dumps(rec))
            ckpt_path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step, elapsed=time.time() - t0),
                       ckpt_path)
            (ckpt_path.parent / "log.json").write_text(json.dumps(history))
    minutes = (time.time() - t0) / 60
    meta = dict(objective=s.objective, steps=step, planned_steps=s.steps, max_minutes=s.max_minutes,
                batch_size=s.batch_size, window=s.window, windows_seen=step * s.batch_size, lr=s.lr, seed=s.seed,
                threads=s.threads, device=s.device, train_minutes=round(minutes, 1),
                n_parameters=n_params, train_chroms="chrI-chrXV minus the last 100 kb of chrXV (validation)",
                heldout_chrom="chrXVI", rc_augmentation=True, mlm_mask_rate=0.15 if s.objective == "mlm" else None,
                log=history)
    save_weights(model.cpu(), s.out, meta)
    log(f"saved {s.out} after {step} steps, {minutes:.1f} min")
    return s.out


if __name__ == "__main__":  # ``python -m glm_explore.train …`` = ``python -m glm_explore train …``
    import sys

    from .cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
