"""``python -m glm_explore logits``: per-position predictions of a region / sequence → a table."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..cost import logits_cost
from ..dependency import MAX_DEPENDENCY_BP, dependency_map
from ..errors import GlmExploreError, InputTooLargeError
from ..io.fasta import fasta_records
from ..io.genome import Window
from ..logits import (
    MAX_FLANK,
    MODES,
    nucleotide_logits,
    position_table,
    region_window,
    resolve_mode,
    sequence_input,
)
from .common import (
    add_genome_model_args,
    costed,
    existing_file,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_path,
    stderr_progress,
    write_table,
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("logits", help="per-position nucleotide predictions (logos, P(ref), entropy)",
                              description="Per-position predictions over A,C,G,T → one row per position.")
    add_genome_model_args(p)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--region", help="1-based inclusive chrom:start-end of the --genome (≤ 2 kb)")
    src.add_argument("--sequence", help="a pasted DNA sequence instead of a region")
    src.add_argument("--fasta", type=existing_file, help="a FASTA file; the first record (or --record) is used")
    p.add_argument("--record", help="record name in --fasta")
    p.add_argument("--mode", default="auto", choices=["auto", *MODES],
                   help="auto = exact masked marginals for an MLM, next-token for a CLM")
    p.add_argument("--rc", action="store_true", help="average with the reverse-complement strand")
    p.add_argument("--flank", type=int_range(0, MAX_FLANK), default=None,
                   help=f"context bases each side of --region, 0..{MAX_FLANK} (default: the model's receptive field)")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=128)
    p.add_argument("--out", required=True, type=output_path(), help="output table (.parquet, .csv or .tsv)")
    p.add_argument("--dependency", type=output_path(),
                   help=f"also write the L×L dependency map (≤ {MAX_DEPENDENCY_BP} bp) here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.record and not args.fasta:
        raise GlmExploreError("--record names a record of --fasta; give --fasta FILE too (or drop --record).")
    model = load_model_arg(args.model, fast=args.fast)
    mode = resolve_mode(model, args.mode)
    data = None
    if args.region is not None:
        data = load_genome_arg(args.genome)
        source: str | Window = region_window(data.genome, args.region, model, flank=args.flank)
        name = ""
    elif args.sequence is not None:
        source, name = sequence_input(args.sequence), "sequence"
    else:
        records = fasta_records(Path(args.fasta))
        name = args.record or next(iter(records))
        if name not in records:
            raise GlmExploreError(f"{args.fasta} has no record {name!r}; it has {', '.join(list(records)[:5])}.")
        source = sequence_input(records[name], name=f"record {name!r}")
    n = source.region.length if isinstance(source, Window) else len(source)
    if args.dependency and n > MAX_DEPENDENCY_BP:
        raise InputTooLargeError(f"--dependency is limited to {MAX_DEPENDENCY_BP} bp; this input is {n:,} bp. "
                                 "Drop --dependency or choose a shorter region.")
    seq, offset = (source.seq, source.offset) if isinstance(source, Window) else (source, 0)
    cost = logits_cost(model, seq, offset, n, mode=mode, rc=args.rc, batch_size=args.batch_size)
    with costed(cost, "logits"):
        result = nucleotide_logits(model, source, mode=mode, rc=args.rc, batch_size=args.batch_size, name=name,
                                   progress=stderr_progress() if cost.long else None)
    if cost.long:
        note("")
    df = position_table(result, data)
    write_table(df, args.out)
    msg = f"wrote {len(df)} positions of {result.label} ({result.mode_label}, {model.info.name}) to {args.out}"
    if isinstance(source, Window) and source.note:
        msg += f"; {source.note}"
    print(msg)
    if args.dependency:
        dep = dependency_map(model, source, batch_size=args.batch_size, name=name)
        cols = [str(p) for p in dep.positions]
        write_table(pd.DataFrame(dep.matrix, columns=cols).assign(query_pos=dep.positions)[["query_pos", *cols]],
                    args.dependency)
        note(f"wrote the {dep.length}×{dep.length} dependency map to {args.dependency}")
    return 0
