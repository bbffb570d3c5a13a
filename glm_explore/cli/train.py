"""``python -m glm_explore train``: train a built-in ConvLM on the bundled yeast genome (chrXVI held out)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..train import TrainSettings, train_model
from .common import float_range, int_range, note, weights_dir


def add_parser(subparsers) -> None:
    from .. import train

    p = subparsers.add_parser("train", help="train a built-in model (reproduces the shipped weights)",
                              description=train.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objective", choices=["mlm", "clm"], required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for model.safetensors + config.json")
    p.add_argument("--steps", type=int_range(1, None), default=3000)
    p.add_argument("--max-minutes", type=float_range(0, float("inf"), open_lo=True),
                   default=float("inf"))
    p.add_argument("--max-cpu-minutes", type=float_range(0, float("inf"), open_lo=True), default=float("inf"),
                   help="stop after this much CPU time of the process (a fair budget on a loaded machine)")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=32)
    p.add_argument("--window", type=int_range(16, 100_000), default=512)
    p.add_argument("--width", type=int_range(1, 4096), default=None, help="channels (default: the preset's)")
    p.add_argument("--preset", choices=list(train.PRESETS), default="default",
                   help="architecture: default (the shipped one) or large (18 blocks × 256, for a GPU)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (on a GPU; slow on CPU)")
    p.add_argument("--lr", type=float_range(0, 1, open_lo=True), default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int_range(1, 256), default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--eval-every", type=int_range(1, None), default=250)
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint (weights, optimizer, step; the ledger adds this run)")
    p.add_argument("--checkpoint-dir", type=Path, default=None, help="checkpoint folder (default runs/<out name>)")
    p.add_argument("--class-balance", type=float_range(0, 1), default=0.0,
                   help="fraction of windows centred on a uniformly chosen region class (default 0: uniform)")
    p.add_argument("--repeat-weight", type=float_range(0, 1), default=1.0,
                   help="loss weight of repeat bases (default 1; GPN down-weights repeats, e.g. 0.1)")
    p.add_argument("--init-from", type=weights_dir, default=None,
                   help="folder of trained weights to continue from (fresh optimizer and schedule; its ledger is kept)")
    p.add_argument("--no-flush-denormal", dest="flush_denormal", action="store_false",
                   help="keep subnormal floats (slower backward passes on trained weights)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = TrainSettings(**{k: v for k, v in vars(args).items() if k in TrainSettings.__dataclass_fields__})
    train_model(settings, log=note)
    return 0
