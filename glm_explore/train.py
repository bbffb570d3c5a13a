"""Train the built-in models on the bundled yeast genome (chrXVI held out).

Reproduce the shipped weights (fixed seed; CPU, 1 thread each, run side by side)::

    python -m glm_explore.train --objective mlm --steps 3000 --threads 1 --out glm_explore/models/weights/yeast-mlm
    python -m glm_explore.train --objective clm --steps 3000 --threads 1 --out glm_explore/models/weights/yeast-clm

The run records its exact settings in ``training.json`` next to the weights; ``--max-minutes``
stops early (the learning-rate schedule then follows elapsed time, so the run is reproducible only
when the step budget is reached first). A GPU is used when present (``--device cuda``) but never
needed. Checkpoints in ``runs/`` (not committed) let a stopped run resume with ``--resume``.

Continue trained weights with a new recipe (fresh optimizer and schedule; the ledger keeps every run), and
resume that run later from its checkpoint (weights, optimizer, step, sampling RNG state)::

    python -m glm_explore.train --objective mlm --init-from glm_explore/models/weights/yeast-mlm \
        --class-balance 0.3 --repeat-weight 0.1 --lr 1e-3 --steps 6500 --out runs/v2/yeast-mlm \
        --checkpoint-dir checkpoints/yeast-mlm [--resume]

On a lent GPU: ``--device cuda --bf16 --preset large --batch-size 256`` (the large preset is 18 blocks of
width 256; tested at tiny size on CPU).

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

from .io.datasets import DATASETS
from .io.genome import Genome
from .models.convnet import ConvLM, ConvLMConfig, channels_from_codes

VAL_SLICE = ("chrXV", 100_000)  # last 100 kb of chrXV: validation, excluded from training
# Architectures by name (``--preset``): the shipped default, and a larger one for a lent GPU (18 blocks of width 256,
# 7.1 M parameters, receptive field 380 bp each side for the MLM).
PRESETS: dict[str, dict] = {
    "default": dict(width=96, kernel_sizes=[9] + [5] * 8, dilations=[1, 2, 4, 8, 16, 32, 1, 2, 4]),
    "large": dict(width=256, kernel_sizes=[9] + [5] * 17, dilations=[1, 2, 4, 8, 16, 32] * 3),
}


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


def training_labels(dataset: str = "yeast") -> list[np.ndarray]:
    """Region-class codes (:data:`~glm_explore.io.annotation.CLASSES`) aligned with ``training_arrays(dataset)[0]``."""
    from .io.datasets import load_dataset

    data = load_dataset(dataset)
    out = []
    for chrom in data.genome.chroms:
        if chrom == data.heldout_chrom:
            continue
        lab = data.labels[chrom]
        out.append(lab[: -VAL_SLICE[1]] if chrom == VAL_SLICE[0] else lab)
    return out


@dataclass(frozen=True)
class ClassIndex:
    """Where each region class lies in the training chromosomes, for class-balanced window sampling."""

    offsets: np.ndarray  # (n_chroms + 1,) start of each chromosome in the concatenated coordinates
    positions: dict[int, np.ndarray]  # class code → int32/int64 concatenated positions of that class

    @classmethod
    def build(cls, labels: list[np.ndarray]) -> ClassIndex:
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in labels])]).astype(np.int64)
        flat = np.concatenate(labels)
        dtype = np.int32 if len(flat) < 2**31 else np.int64
        pos = {int(c): np.flatnonzero(flat == c).astype(dtype) for c in np.unique(flat)}
        return cls(offsets, pos)

    def centres(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` (chromosome index, position) pairs: a class chosen uniformly, then a base of that class."""
        classes = sorted(self.positions)
        which = rng.choice(classes, size=n)
        flat = np.array([self.positions[c][rng.integers(len(self.positions[c]))] for c in which], dtype=np.int64)
        chrom = np.searchsorted(self.offsets, flat, side="right") - 1
        return chrom, flat - self.offsets[chrom]


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """RC of integer codes (..., L): A<->T, C<->G, N stays N, positions reversed."""
    out = np.where(codes < 4, 3 - codes, codes)
    return out[..., ::-1].copy()


def sample_windows(chroms: list[np.ndarray], n: int, length: int, rng: np.random.Generator,
                   rc: bool = True, *, labels: list[np.ndarray] | None = None, index: ClassIndex | None = None,
                   balance: float = 0.0) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``n`` random windows (n, length) int64, chromosome chosen by length, half reverse-complemented.

    With ``index`` and ``balance`` > 0, that fraction of the windows is centred on a base of a region
    class chosen uniformly (CDS is 72 % of yeast; rare classes get seen). With ``labels`` (aligned with
    ``chroms``) also returns the windows' class codes (n, length), reversed with their reverse-complemented
    windows. Without ``index`` / ``balance`` the random draws are the same as before these options existed.
    """
    sizes = np.array([len(c) - length for c in chroms], dtype=float)
    which = rng.choice(len(chroms), size=n, p=sizes / sizes.sum())
    starts = (rng.random(n) * sizes[which]).astype(np.int64)
    if index is not None and balance > 0:
        pick = rng.random(n) < balance
        if pick.any():
            cw, cpos = index.centres(int(pick.sum()), rng)
            which[pick] = cw
            starts[pick] = np.clip(cpos - length // 2, 0, sizes[cw].astype(np.int64))
    out = np.stack([chroms[w][s:s + length] for w, s in zip(which, starts)])
    lab = np.stack([labels[w][s:s + length] for w, s in zip(which, starts)]) if labels is not None else None
    if rc:
        flip = rng.random(n) < 0.5
        out[flip] = reverse_complement_codes(out[flip])
        if lab is not None:
            lab[flip] = lab[flip][:, ::-1]
    return out if lab is None else (out, lab)


def mlm_corrupt(codes: torch.Tensor, rng: torch.Generator, rate: float = 0.15
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """BERT corruption: of the ``rate`` chosen positions, 80 % MASK, 10 % random base, 10 % kept.

    Returns (input codes, mask-channel boolean, loss positions boolean), all (N, L).
    """
    dev = codes.device  # random draws on the CPU generator, then moved (the same masks on any device)
    chosen = (torch.rand(codes.shape, generator=rng).to(dev) < rate) & (codes < 4)
    r = torch.rand(codes.shape, generator=rng).to(dev)
    masked = chosen & (r < 0.8)
    randomize = chosen & (r >= 0.8) & (r < 0.9)
    inp = codes.clone()
    inp[randomize] = torch.randint(0, 4, (int(randomize.sum()),), generator=rng).to(dev)
    return inp, masked, chosen


def batch_loss(model: ConvLM, codes: torch.Tensor, rng: torch.Generator, weights: torch.Tensor | None = None
               ) -> torch.Tensor:
    """Mean cross-entropy (nats) on the objective's target positions; with ``weights`` (N, L) the
    weighted mean (e.g. repeats down-weighted, as GPN does for soft-masked repeats)."""
    if model.config.objective == "mlm":
        inp, masked, target_pos = mlm_corrupt(codes, rng)
        logits = model.forward_channels(channels_from_codes(inp, masked))
    else:
        logits = model.forward_channels(channels_from_codes(codes))
        target_pos = codes < 4
    logits = logits.transpose(1, 2)[target_pos]
    if weights is None:
        return F.cross_entropy(logits, codes[target_pos])
    w = weights[target_pos]
    return (F.cross_entropy(logits, codes[target_pos], reduction="none") * w).sum() / w.sum().clamp_min(1e-12)


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
    max_cpu_minutes: float = float("inf")  # budget in this process's CPU time (fair under a loaded machine)
    batch_size: int = 32
    window: int = 512
    width: int | None = None  # None: the preset's width
    preset: str = "default"  # architecture, see PRESETS
    bf16: bool = False  # bfloat16 autocast of forward/backward (for a GPU; works on CPU at tiny size)
    lr: float = 2e-3
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    eval_every: int = 250
    resume: bool = False
    class_balance: float = 0.0  # fraction of windows centred on a uniformly chosen region class
    repeat_weight: float = 1.0  # loss weight of bases annotated as repeats (GPN down-weights repeats)
    flush_denormal: bool = True  # subnormal floats flushed to 0 (trained weights made backward passes crawl)
    checkpoint_dir: Path | None = None  # default runs/<out name>
    init_from: Path | None = None  # start from these weights (fresh optimizer and schedule) when no checkpoint exists

    @property
    def checkpoint(self) -> Path:
        return Path(self.checkpoint_dir or Path("runs") / Path(self.out).name) / "checkpoint.pt"


def train_model(s: TrainSettings, *, log: Callable[[str], None] = lambda _: None) -> Path:
    """Train (or resume from ``s.checkpoint``) and save weights to ``s.out``.

    ``log`` receives one line per event (start, each evaluation as JSON, the save). ``training.json``
    next to the weights keeps the settings, the loss log and a ledger with one entry per run (steps,
    windows, CPU-hours), so that resumed runs add up. Returns ``s.out``.
    """
    threads_before = torch.get_num_threads()
    torch.set_num_threads(s.threads)
    torch.set_flush_denormal(s.flush_denormal)
    try:
        return _train(s, log)
    finally:
        torch.set_num_threads(threads_before)
        torch.set_flush_denormal(False)


def _train(s: TrainSettings, log: Callable[[str], None]) -> Path:
    torch.manual_seed(s.seed)
    rng = np.random.default_rng(s.seed)
    trng = torch.Generator().manual_seed(s.seed)
    train, val = training_arrays()
    weighted = s.class_balance > 0 or s.repeat_weight != 1.0
    labels = training_labels() if weighted else None
    index = ClassIndex.build(labels) if s.class_balance > 0 else None
    val_codes = torch.from_numpy(sample_windows([val], 64, s.window, np.random.default_rng(123)))
    arch = {**PRESETS[s.preset], **({} if s.width is None else {"width": s.width})}
    config = ConvLMConfig(objective=s.objective, **arch)
    prior: list = []
    start_from_weights = s.init_from is not None and not (s.resume and s.checkpoint.exists())
    if start_from_weights:
        config, prior = _initial_config(s)
    model = ConvLM(config).to(s.device)
    if start_from_weights:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(Path(s.init_from) / "model.safetensors")))
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=0.01, betas=(0.9, 0.98))
    ckpt_path = s.checkpoint
    step, elapsed0, cpu0, history, ledger = 0, 0.0, 0.0, [], list(prior)
    if s.resume and ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed0, cpu0 = int(ck["step"]), float(ck["elapsed"]), float(ck.get("cpu_elapsed", 0.0))
        rng = np.random.default_rng([s.seed, step])
        trng = torch.Generator().manual_seed(s.seed + step)
        if "np_rng" in ck:  # exact continuation of the sampling stream
            rng.bit_generator.state = ck["np_rng"]
            trng.set_state(ck["torch_rng"])
        history = json.loads((ckpt_path.parent / "log.json").read_text())
        ledger_path = ckpt_path.parent / "ledger.json"
        ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else []
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{s.objective}: {n_params:,} parameters, receptive field {config.receptive_field} bp"
        + (f", resuming at step {step}" if step else ""))
    step0, run_t0, run_c0 = step, time.time(), time.process_time()
    t0 = time.time() - elapsed0
    c0 = time.process_time() - cpu0  # CPU seconds of this process (1 thread: the compute spent, whatever the load)
    budget, cpu_budget = s.max_minutes * 60, s.max_cpu_minutes * 60
    while step < s.steps and time.time() - t0 < budget and time.process_time() - c0 < cpu_budget:
        progress = max(step / s.steps, (time.time() - t0) / budget, (time.process_time() - c0) / cpu_budget)
        for g in opt.param_groups:
            g["lr"] = lr_at(progress, s.lr)
        batch = sample_windows(train, s.batch_size, s.window, rng, labels=labels, index=index,
                               balance=s.class_balance)
        codes, weights = (batch, None) if labels is None else (batch[0], _loss_weights(batch[1], s.repeat_weight))
        model.train()
        with torch.autocast(device_type=torch.device(s.device).type, dtype=torch.bfloat16, enabled=s.bf16):
            loss = batch_loss(model, torch.from_numpy(codes).to(s.device), trng,
                              None if weights is None else torch.from_numpy(weights).to(s.device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % s.eval_every == 0 or step == s.steps:
            model.eval()
            with torch.no_grad():
                vloss = batch_loss(model, val_codes.to(s.device), torch.Generator().manual_seed(7)).item()
            rec = dict(step=step, minutes=round((time.time() - t0) / 60, 2),
                       cpu_minutes=round((time.process_time() - c0) / 60, 2), train_loss_bits=loss.item() / math.log(2),
                       val_loss_bits=vloss / math.log(2), lr=opt.param_groups[0]["lr"])
            history.append(rec)
            log(json.dumps(rec))
            entry = _ledger_entry(s, step0, step, time.time() - run_t0, time.process_time() - run_c0)
            _save_checkpoint(ckpt_path, model, opt, step, time.time() - t0, history, [*ledger, entry], rng, trng,
                             cpu_elapsed=time.process_time() - c0)
    minutes = (time.time() - t0) / 60
    ledger = [*ledger, _ledger_entry(s, step0, step, time.time() - run_t0, time.process_time() - run_c0)]
    meta = dict(objective=s.objective, steps=step, planned_steps=s.steps, max_minutes=s.max_minutes,
                max_cpu_minutes=s.max_cpu_minutes, cpu_minutes=round((time.process_time() - c0) / 60, 1),
                batch_size=s.batch_size, window=s.window, windows_seen=sum(e["windows"] for e in ledger), lr=s.lr, seed=s.seed,
                threads=s.threads, device=s.device, preset=s.preset, bf16=s.bf16, train_minutes=round(minutes, 1),
                n_parameters=n_params, train_chroms="chrI-chrXV minus the last 100 kb of chrXV (validation)",
                heldout_chrom="chrXVI", rc_augmentation=True, mlm_mask_rate=0.15 if s.objective == "mlm" else None,
                class_balance=s.class_balance, repeat_weight=s.repeat_weight, flush_denormal=s.flush_denormal,
                init_from=None if s.init_from is None else str(s.init_from),
                cpu_hours=round(sum(e["cpu_hours"] for e in ledger), 3), ledger=ledger, log=history)
    save_weights(model.cpu(), s.out, meta)
    log(f"saved {s.out} after {step} steps, {minutes:.1f} min")
    return s.out


def _loss_weights(labels: np.ndarray, repeat_weight: float) -> np.ndarray:
    """(N, L) float32 loss weights: ``repeat_weight`` on repeat bases, 1 elsewhere."""
    from .io.annotation import CLASS_CODE

    return np.where(labels == CLASS_CODE["repeat"], np.float32(repeat_weight), np.float32(1.0)).astype(np.float32)


def _ledger_entry(s: TrainSettings, step_from: int, step_to: int, seconds: float, cpu_seconds: float) -> dict:
    """One run of the ledger: what it added (steps, windows, CPU-hours) and how. ``cpu_hours`` is the process's CPU
    time (all its threads), so a run that shared a busy machine is charged the compute it got, not its wall time."""
    return dict(finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), steps_from=step_from, steps_to=step_to,
                windows=(step_to - step_from) * s.batch_size, seconds=round(seconds, 1),
                cpu_hours=round(cpu_seconds / 3600, 4), threads=s.threads, device=s.device,
                class_balance=s.class_balance, repeat_weight=s.repeat_weight)


def _initial_config(s: TrainSettings) -> tuple[ConvLMConfig, list]:
    """Architecture and earlier ledger of the weights in ``s.init_from`` (a folder written by :func:`save_weights`)."""
    src = Path(s.init_from)
    config = ConvLMConfig.from_json((src / "config.json").read_text())
    if config.objective != s.objective:
        raise ValueError(f"--init-from {src} holds a {config.objective} model, not {s.objective}")
    meta_path = src / "training.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    prior = meta.get("ledger") or [dict(steps_from=0, steps_to=meta.get("steps", 0),
                                        windows=meta.get("windows_seen", 0),
                                        cpu_hours=round(meta.get("train_minutes", 0) * meta.get("threads", 1) / 60, 4),
                                        threads=meta.get("threads", 1), device=meta.get("device", "cpu"),
                                        class_balance=meta.get("class_balance", 0.0),
                                        repeat_weight=meta.get("repeat_weight", 1.0), run=str(src))]
    return config, [dict(e, run=e.get("run", "earlier")) for e in prior]


def _save_checkpoint(path: Path, model: ConvLM, opt, step: int, elapsed: float, history: list, ledger: list,
                     rng: np.random.Generator, trng: torch.Generator, cpu_elapsed: float = 0.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step, elapsed=elapsed, cpu_elapsed=cpu_elapsed,
                    np_rng=rng.bit_generator.state, torch_rng=trng.get_state()), path)
    (path.parent / "log.json").write_text(json.dumps(history))
    (path.parent / "ledger.json").write_text(json.dumps(ledger, indent=1))


if __name__ == "__main__":  # ``python -m glm_explore.train …`` = ``python -m glm_explore train …``
    import sys

    from .cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
