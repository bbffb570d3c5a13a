"""``python -m glm_explore generate``: sample sequences from a model → FASTA or a table.

What is generated depends on the model's objective:

* CLM: ``--length`` bases continuing ``--prefix`` SEQ, or the sequence of ``--region`` (a real
  prefix), or nothing (the model's BOS context).
* MLM: ``--region`` with ``--span a-b`` in-fills positions a..b of the region (1-based inclusive,
  counted inside the region; the rest of the region stays the reference); ``--prefix`` SEQ fills
  ``--length`` bases after it; neither generates ``--length`` bases de novo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import GlmExploreError, ObjectiveError, RegionError
from ..generate import (
    METHODS,
    SCHEDULES,
    generate,
    samples_fasta,
    samples_table,
)
from ..io.genome import parse_region, parse_span
from .common import (
    add_genome_model_args,
    float_range,
    int_range,
    load_genome_arg,
    load_model_arg,
    output_path,
    write_table,
)

FASTA_SUFFIXES = (".fa", ".fasta", ".fna")
DEFAULT_LENGTH = 100
MLM_ONLY = ("rounds", "method", "schedule")


def span_arg(text: str) -> tuple[int, int]:
    """argparse type: '1-based inclusive a-b' inside the region → 0-based half-open (a-1, b)."""
    try:
        return parse_span(text)
    except RegionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("generate", help="sample sequences (CLM: continue a prefix; MLM: mask-and-fill)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--prefix", help="a DNA sequence to continue (CLM) or to fill --length bases after (MLM)")
    src.add_argument("--region", help="1-based inclusive chrom:start-end of --genome: the prefix (CLM) or the "
                                      "sequence to in-fill with --span (MLM)")
    p.add_argument("--span", type=span_arg, help="MLM in-filling: positions a-b inside --region (1-based, inclusive)")
    p.add_argument("--length", type=int_range(1, 100_000), default=None,
                   help=f"bases to generate (default {DEFAULT_LENGTH}; not with --span)")
    p.add_argument("--n", type=int_range(1, 10_000), default=1, help="number of samples")
    p.add_argument("--temperature", type=float_range(0, 100), default=1.0, help="0 = greedy (most likely base)")
    p.add_argument("--top-k", type=int_range(1, 4), default=None, help="draw among the k most likely bases")
    p.add_argument("--top-p", type=float_range(0, 1, open_lo=True), default=None,
                   help="draw from the nucleus holding probability p")
    p.add_argument("--rounds", type=int_range(1, 10_000), default=None, help="MLM mask-and-fill rounds (default 10)")
    p.add_argument("--method", choices=METHODS, default=None, help="MLM method (default mask-predict)")
    p.add_argument("--schedule", choices=SCHEDULES, default=None, help="mask-predict schedule (default cosine)")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="sample k (1-based) uses seed + k - 1; rerun with that seed and --n 1 to reproduce it")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=64)
    p.add_argument("--out", required=True, type=output_path((*FASTA_SUFFIXES, ".tsv", ".csv", ".parquet")),
                   help="output FASTA (.fa, .fasta, .fna; header: seed, method, mean log-prob) or table "
                        "(.tsv, .csv, .parquet; one row per sample)")
    p.set_defaults(func=run)


def _check_combination(args: argparse.Namespace) -> None:
    """Mistakes visible from the arguments alone (before any model or genome is loaded)."""
    if args.span is not None and args.region is None:
        raise GlmExploreError("--span picks positions inside --region; give --region chrom:start-end too.")
    if args.span is not None and args.length is not None:
        raise GlmExploreError("--length does not apply with --span: the span sets how many bases are generated.")


def _check_objective(args: argparse.Namespace, objective: str, name: str) -> None:
    if objective == "clm":
        if args.span is not None:
            raise ObjectiveError(f"--span in-fills with a masked LM, but {name} is a CLM (it only continues a "
                                 "prefix); drop --span or use an MLM such as default-mlm.")
        given = [f"--{k}" for k in MLM_ONLY if getattr(args, k) is not None]
        if given:
            raise ObjectiveError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to MLM mask-and-fill, "
                                 f"but {name} is a CLM; drop {'it' if len(given) == 1 else 'them'}.")
    elif args.region is not None and args.span is None:
        raise ObjectiveError(f"{name} is an MLM: with --region give --span a-b, the positions to in-fill.")


def run(args: argparse.Namespace) -> int:
    _check_combination(args)
    model = load_model_arg(args.model, fast=args.fast)
    name = model.info.name
    _check_objective(args, model.info.objective, name)
    common = dict(n=args.n, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, seed=args.seed,
                  batch_size=args.batch_size)
    region = None
    data = None
    if args.region is not None:
        data = load_genome_arg(args.genome)
        region = data.genome.check_region(parse_region(args.region))
    samples, what = generate(model, prefix=args.prefix, length=args.length or DEFAULT_LENGTH,
                             genome=None if data is None else data.genome, region=region, span=args.span,
                             rounds=args.rounds or 10, method=args.method or METHODS[0],
                             schedule=args.schedule or SCHEDULES[0], **common)
    out = Path(args.out)
    if out.suffix.lower() in FASTA_SUFFIXES:
        out.write_text(samples_fasta(samples, name=name))
    else:
        write_table(samples_table(samples), out)
    print(f"wrote {len(samples)} samples ({what}, {samples[0].method}, {name}) to {out}")
    return 0
