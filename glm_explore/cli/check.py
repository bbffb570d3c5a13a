"""``python -m glm_explore check``: validate a genome, annotation, region and model before use."""

from __future__ import annotations

import argparse

from ..check import check_inputs
from ..io.genome import MAX_REGION_BP
from .common import add_genome_model_args, int_range


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("check", help="validate a genome (+ annotation), region and model",
                              description="The same validation the dashboard runs on an upload: prints what was "
                              "read (contigs, features, warnings) or one line saying what is wrong.")
    add_genome_model_args(p)
    p.set_defaults(model=None)  # check a model only when --model is given
    p.add_argument("--region", help="1-based inclusive chrom:start-end to check against the genome")
    p.add_argument("--max-len", type=int_range(1, 10_000_000), default=MAX_REGION_BP,
                   help="longest region allowed (bp)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for line in check_inputs(args.genome, args.model, args.region, max_len=args.max_len):
        print(line)
    return 0
