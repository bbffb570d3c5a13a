"""``python -m glm_explore attention``: a transformer's attention over a sequence, mapped to nucleotides.

``--out maps.npz`` writes the arrays: ``attention`` (layers, heads, L, L) float32 (row = query base,
column = key base), ``special_mass`` (layers, heads, L), ``layers`` and ``heads`` (1-based numbers),
``positions`` (1-based) and ``sequence``. ``--out partners.tsv`` (or .csv / .parquet) writes the top
``--top`` partners of ``--position`` for each chosen layer and head. For k-mer / BPE tokens, a token's
weight is copied to each of its query bases and split evenly over its key bases; weight on special
tokens is dropped and reported (see :mod:`glm_explore.attention`). Only transformer models have
attention: the built-in CNNs and GPN are refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ..attention import MAX_ATTENTION_BP, attention_maps, require_attention, top_partners
from ..errors import GlmExploreError, InputTooLargeError, RegionError
from ..io.genome import fetch_window, parse_region
from ..sequence import clean_sequence
from .common import (
    TABLE_SUFFIXES,
    add_genome_model_args,
    int_range,
    load_genome_arg,
    load_model_arg,
    output_path,
    write_table,
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("attention", help="attention maps of a transformer model, per nucleotide",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sequence", help=f"a DNA sequence (≤ {MAX_ATTENTION_BP:,} bp)")
    src.add_argument("--region", help=f"1-based inclusive chrom:start-end of --genome (≤ {MAX_ATTENTION_BP:,} bp)")
    p.add_argument("--layer", type=int_range(1), default=None, help="one block, 1..layers (default: all)")
    p.add_argument("--head", type=int_range(1), default=None, help="one head, 1..heads (default: all)")
    p.add_argument("--position", type=int_range(1), default=None,
                   help="query position for a table: 1..L of --sequence, or the genome coordinate in --region")
    p.add_argument("--top", type=int_range(1, MAX_ATTENTION_BP), default=10, help="partners listed per layer/head")
    p.add_argument("--out", required=True, type=output_path((".npz", *TABLE_SUFFIXES)),
                   help=".npz: the (layers, heads, L, L) maps; .tsv/.csv/.parquet: top partners of --position")
    p.set_defaults(func=run)


def _check_input(args: argparse.Namespace) -> tuple[int, int]:
    """(first, last) 1-based positions of the input, checked before any model or genome is loaded."""
    table = Path(args.out).suffix.lower() != ".npz"
    if table and args.position is None:
        raise GlmExploreError("A table lists the top partners of one query: give --position (or write .npz maps).")
    if args.sequence is not None:
        args.sequence = clean_sequence(args.sequence, name="--sequence")
        first, last = 1, len(args.sequence)
    else:
        region = parse_region(args.region)
        first, last = region.start + 1, region.end
    if last - first + 1 > MAX_ATTENTION_BP:
        raise InputTooLargeError(f"The input is {last - first + 1:,} bp; attention maps are limited to "
                                 f"{MAX_ATTENTION_BP:,} bp (they grow with L²). Choose a shorter --sequence/--region.")
    if args.position is not None and not first <= args.position <= last:
        raise RegionError(f"--position {args.position} is outside the input ({first}-{last}, 1-based); choose a "
                          "position inside it.")
    return first, last


def run(args: argparse.Namespace) -> int:
    _check_input(args)
    model = load_model_arg(args.model, fast=args.fast)
    require_attention(model)  # before the genome is loaded
    chrom, start, seq = None, 0, args.sequence
    if args.region is not None:
        data = load_genome_arg(args.genome)
        win = fetch_window(data.genome, args.region, max_len=MAX_ATTENTION_BP)
        chrom, start, seq = win.region.chrom, win.region.start, win.seq
    maps = attention_maps(model, seq, layers=None if args.layer is None else [args.layer],
                          heads=None if args.head is None else [args.head], chrom=chrom, start=start)
    out = Path(args.out)
    if out.suffix.lower() == ".npz":
        with open(out, "wb") as fh:
            np.savez(fh, attention=maps.weights, special_mass=maps.special_mass, layers=np.array(maps.layers),
                     heads=np.array(maps.heads), positions=maps.positions, sequence=np.array(maps.seq))
        what = f"{len(maps.layers)}×{len(maps.heads)} maps of {maps.length}×{maps.length}"
    else:
        df = pd.concat([top_partners(maps, args.position, layer=la, head=h, k=args.top).assign(layer=la, head=h)
                        for la in maps.layers for h in maps.heads], ignore_index=True)
        df = df[["layer", "head", *[c for c in df.columns if c not in ("layer", "head")]]]
        write_table(df, out)
        what = f"top {args.top} partners of position {args.position} in {len(maps.layers) * len(maps.heads)} heads"
    print(f"wrote {what} ({maps.label}, {model.info.name}) to {out}")
    return 0
