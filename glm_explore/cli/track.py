"""``python -m glm_explore track``: genome-wide bigWig tracks of P(ref), entropy and the minimum LLR.

Resumable: finished chunks are kept under ``OUT/chunks/`` and skipped by a rerun with the same settings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..errors import RegionError
from ..track import DEFAULT_CHUNK_BP, ChunkStore, plan_chunks, read_regions_bed, run_track
from .common import (
    OutputError,
    add_genome_model_args,
    existing_file,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_dir,
)
from .engine_args import add_engine_args, engine_options


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("track", help="genome-wide bigWig tracks (P(ref), entropy, min LLR), resumable",
                              description="Per-position P(ref), entropy (bits) and the minimum LLR over the three "
                              "alternatives (natural log; negative = alternatives less likely) as bigWigs, plus "
                              "skipped.bed and a README on loading them in IGV / UCSC. Exact masked marginals, "
                              "RC-averaged, for an MLM; next-token for a CLM.")
    add_genome_model_args(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--chrom", action="append", default=None,
                       help="contig(s) to cover, repeatable or comma-separated (default: the whole genome)")
    where.add_argument("--regions", type=existing_file, help="a BED (.bed / .bed.gz) of regions to cover instead")
    p.add_argument("--out", required=True, type=output_dir, help="output folder (created; reused to resume)")
    p.add_argument("--chunk-bp", type=int_range(1, 10_000_000), default=DEFAULT_CHUNK_BP,
                   help=f"bases per chunk, the unit of resume (default {DEFAULT_CHUNK_BP:,})")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=128, help="masked copies per forward pass")
    p.add_argument("--no-rc", action="store_true", help="MLM: forward strand only (default: average both strands)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_args(p, shard_help="one --chunk-bp chunk")
    p.set_defaults(func=run)


def chrom_list(values: list[str] | None) -> list[str] | None:
    """``--chrom`` values (repeated and/or comma-separated) → contig names, None when not given."""
    if values is None:
        return None
    names = [c.strip() for v in values for c in v.split(",") if c.strip()]
    if not names:
        raise RegionError("--chrom is empty: name a contig, e.g. --chrom chrXVI.")
    return names


def writable_dir(path: Path) -> Path:
    """Create ``path`` (its parent exists) and check a file can be written there; one-line error otherwise."""
    try:
        path.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write_check_"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to --out {str(path)!r}: {exc.strerror or exc}; choose another folder.") from exc
    return path


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    opts = engine_options(args)  # --engine ray: Ray actors compute the chunks (None: local engine)
    data = load_genome_arg(args.genome)
    regions = read_regions_bed(args.regions, data.genome) if args.regions else None
    chunks = plan_chunks(data.genome, chroms=chrom_list(args.chrom), regions=regions, chunk_bp=args.chunk_bp)
    store = ChunkStore(writable_dir(args.out))
    model = load_model_arg(args.model, fast=args.fast)
    total = sum(c.length for c in chunks)
    reused = sum(store.done(c) for c in chunks)
    with tqdm(total=total, unit="bp", unit_scale=True, disable=args.quiet, file=sys.stderr) as bar:
        def progress(frac: float, msg: str) -> None:
            bar.set_postfix_str(msg, refresh=False)
            bar.update(round(frac * total) - bar.n)

        if opts is not None:  # Ray actors compute and store the missing chunks; run_track below then only assembles
            from ..distributed import track_chunks_ray
            from ..track import track_settings

            store.claim(track_settings(model, data.genome, rc=not args.no_rc))
            note(track_chunks_ray(args.model, args.genome, chunks, store, batch_size=args.batch_size,
                                  rc=not args.no_rc, opts=opts, progress=progress).line())
        # local engine: compute the chunks not stored yet, store each, write the bigWigs
        paths = run_track(model, data.genome, chunks, store, batch_size=args.batch_size, rc=not args.no_rc, progress=progress)
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    note(f"{total:,} bp in {len(chunks)} chunk(s) ({reused} reused from an earlier run) with {model.info.name}; "
         f"skipped spans in {paths['skipped']}, how to view in {paths['readme']}.")
    return 0
