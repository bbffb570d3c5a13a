"""``python -m glm_explore score-vcf``: stream a VCF, write per-allele variant scores to Parquet."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from pathlib import Path

from ..cost import vcf_cost
from ..io.vcf import check_vcf_path, count_records
from ..variants import SIGN_CONVENTION, VariantScoreSettings, write_vcf_scores
from .common import (
    COST_LOG,
    add_genome_model_args,
    costed,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_path,
)
from .engine_args import add_engine_args, engine_options, shard_progress


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("score-vcf", help="score the SNVs of a VCF (LLR; negative = alt less likely)",
                              description="Stream a VCF and write per-allele variant scores to Parquet. "
                              + SIGN_CONVENTION)
    p.add_argument("vcf", help="input VCF (.vcf or bgzipped .vcf.gz)")
    add_genome_model_args(p)
    p.add_argument("--out", required=True, type=output_path((".parquet",)), help="output .parquet (written in chunks)")
    p.add_argument("--skipped", default=None, type=output_path((".tsv",)),
                   help="TSV of alleles not scored with a reason (default: OUT with .skipped.tsv)")
    p.add_argument("--window", type=int_range(1, 100_000), default=None,
                   help="window length (default: 2×receptive field+1, else 512)")
    p.add_argument("--no-rc", action="store_true",
                   help="forward strand only (default: average with the reverse complement)")
    p.add_argument("--clm-reduce", choices=["sum", "mean"], default="sum", help="CLM window score (default sum)")
    p.add_argument("--batch-size", type=int_range(1, 1_000_000), default=2000,
                   help="alleles per chunk (memory bound)")
    p.add_argument("--limit", type=int_range(1, None), default=None,
                   help="stop after this many scored alleles")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--max-sv-size", type=int_range(0, 100_000), nargs="?", const=1000, default=50, metavar="BP",
                   help="also score indels, MNVs and symbolic <DEL>/<INS>/<DUP>/<INV> up to BP bases (alone: 1000); "
                        "CLM: Δ log-likelihood over length-matched windows, MLM: pseudo-log-likelihood of the affected "
                        "span (an approximation); adds kind, length, llr_mean (per-base) columns (default 50; 0 = SNVs only)")
    p.add_argument("--background", default="auto", metavar="auto|none|FILE.npz",
                   help="SNV score background for the llr_pct_class / llr_pct_genome columns (fraction of possible "
                        "SNVs of the same region class / of the genome with LLR <= this one): auto = the shipped or "
                        "cached one for this model and genome (python -m glm_explore background makes one)")
    add_engine_args(p, shard_help="one --batch-size chunk of alleles")
    p.set_defaults(func=run)


def settings_of(args: argparse.Namespace) -> VariantScoreSettings:
    """The command's options as the one settings object both engines get."""
    return VariantScoreSettings(window=args.window, rc=not args.no_rc, clm_reduce=args.clm_reduce,
                                max_sv_size=args.max_sv_size or None, chunk_size=args.batch_size, limit=args.limit)


def background_of(spec: str, model_spec: str, model, data):
    """The background ``--background`` names (None = empty percentile columns, with a note saying why)."""
    from ..calibration import Background, background_for, shipped_background

    if spec == "none":
        return None
    if spec != "auto":
        return Background.load(spec)
    bg = background_for(model, data) if model is not None else shipped_background(model_spec, data.name)
    if bg is None:
        note(f"No score background for {model_spec} on {data.name}: llr_pct_class / llr_pct_genome stay empty "
             "(`python -m glm_explore background --model … --genome … --out bg.npz` makes one; pass it with "
             "--background).")
    return bg


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    out = Path(args.out)
    skipped = Path(args.skipped) if args.skipped else out.with_suffix(".skipped.tsv")
    vcf = check_vcf_path(args.vcf)
    settings = settings_of(args)
    opts = engine_options(args)
    data = load_genome_arg(args.genome)
    shards, model, ray_note = None, None, ""
    if opts is not None:  # Ray actors score the chunks into a shard store; the driver below only writes the files
        from ..distributed import score_vcf_ray, vcf_store

        shards = vcf_store(out, vcf, settings, model=args.model, genome=args.genome)
        ray_run = score_vcf_ray(vcf, data, settings, shards, model=args.model, genome=args.genome, opts=opts,
                                progress=shard_progress(not args.quiet))
        ray_note = f"; {ray_run.line()}"
    else:
        model = load_model_arg(args.model, fast=args.fast)
    background = background_of(args.background, args.model, model, data)
    total = None if args.quiet or opts is not None else count_records(vcf)
    cost = None
    if model is not None and (not args.quiet or os.environ.get(COST_LOG)):
        records = count_records(vcf) if total is None else total
        records = records if not settings.limit else min(records, settings.limit)
        cost = vcf_cost(model, data, vcf, settings, records=records)
    with costed(cost, "score-vcf") if cost is not None else nullcontext(), \
            tqdm(total=total, unit="rec", disable=args.quiet or opts is not None, file=sys.stderr) as bar:
        summary = write_vcf_scores(model, data, vcf, out, skipped, settings, shards=shards, background=background,
                                   on_records=lambda n: bar.update(n - bar.n))
    if shards is not None:
        shards.remove()
    note(f"{summary.line()}{ray_note}. Wrote {out} (skipped alleles: {skipped}).")
    return 0
