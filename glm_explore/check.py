"""``python -m glm_explore check``: validate a genome, annotation, region and model before use.

The same validation the dashboard runs on an upload, from the command line: it prints what was
read (contigs, features, warnings) or one line saying what is wrong, and exits non-zero.
"""

from __future__ import annotations

import argparse

from .genome import MAX_REGION_BP, fetch_window


def check_inputs(genome_spec: str, model_spec: str | None = None, region: str | None = None, *,
                 max_len: int = MAX_REGION_BP) -> list[str]:
    """Load ``genome_spec`` (see ``--genome``), optionally a model and a 1-based region.

    Returns human-readable summary lines; raises a :class:`~glm_explore.errors.GlmExploreError`
    naming the first problem.
    """
    from .cli import load_genome_arg, load_model_arg

    data = load_genome_arg(genome_spec)
    g = data.genome
    lines = [f"genome {data.name}: {len(g.chroms)} contig(s), {g.total_length:,} bp"]
    if data.annotation is not None:
        lines.append(f"annotation {data.annotation.source}: {len(data.annotation.features):,} feature(s)")
        lines += [f"warning: {w}" for w in data.annotation.warnings]
    if region:
        w = fetch_window(g, region, max_len=max_len)
        lines.append(f"region {w.region}: {w.region.length:,} bp")
    if model_spec:
        info = load_model_arg(model_spec).info
        lines.append(f"model {info.name}: {info.objective}, {info.tokenization}-level, {info.n_layers} layers")
    return lines


def _run(args: argparse.Namespace) -> int:
    for line in check_inputs(args.genome, args.model, args.region, max_len=args.max_len):
        print(line)
    return 0


def add_cli(subparsers) -> None:
    from .cli import add_genome_model_args

    p = subparsers.add_parser("check", help="validate a genome (+ annotation), region and model",
                              description=__doc__)
    add_genome_model_args(p)
    p.set_defaults(model=None)  # check a model only when --model is given
    p.add_argument("--region", help="1-based inclusive chrom:start-end to check against the genome")
    p.add_argument("--max-len", type=int, default=MAX_REGION_BP, help="longest region allowed (bp)")
    p.set_defaults(func=_run)
