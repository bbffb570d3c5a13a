"""``python -m glm_explore context``: how far a model looks → DIR/context_curve.tsv, context_w90.tsv, …

Prediction quality (bits/base = −log2 P(ref), P(ref)) of held-out positions per region class as the visible
context is cut to w bases (MLM: ±w, the rest fed the mask token, or ``--truncation crop``; CLM: w to the
left), w from 0 to the receptive field; per class the width reaching 90 % of the gain (w90). With
``--dependency-region`` also the banded nucleotide dependency map of that region (DIR/dependency.npz).
"""

from __future__ import annotations

import argparse
import os

from ..context import MAX_FLANK
from ..context_curve import check_classes, check_widths, context_curve, full_width, resolve_truncation
from ..dependency import MAX_BANDED_BP, banded_dependency_map, save_banded
from ..errors import RegionError, UnsupportedByModelError
from ..io.annotation import CLASSES
from ..io.genome import fetch_window, parse_region
from .common import (
    add_genome_model_args,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_dir,
    stderr_progress,
    write_table,
)


def _classes(text: str) -> list[str]:
    try:
        return check_classes(text.split(","))
    except RegionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _widths(text: str) -> list[int]:
    out = []
    for x in text.split(","):
        x = x.strip()
        if not x:
            continue
        try:
            w = int(x)
        except ValueError:
            raise argparse.ArgumentTypeError(f"widths are whole numbers of bases, got {x!r}") from None
        if w < 0:
            raise argparse.ArgumentTypeError(f"widths must be ≥ 0 bases, got {w}")
        out.append(w)
    if not out:
        raise argparse.ArgumentTypeError("empty: give comma-separated widths such as 0,1,2,4,8")
    return out


def _region(text: str):
    try:
        region = parse_region(text)
    except RegionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if region.length > MAX_BANDED_BP:
        raise argparse.ArgumentTypeError(f"region {region} is {region.length:,} bp; the banded map is limited to "
                                         f"{MAX_BANDED_BP:,} bp")
    return region


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("context", help="how far a model looks: bits vs visible context per class, w90, "
                                              "banded dependency map", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    p.add_argument("--out", required=True, type=output_dir, help="output folder (created if missing)")
    p.add_argument("--classes", type=_classes, default=None, help=f"comma-separated region classes (default all: "
                                                                  f"{', '.join(CLASSES)})")
    p.add_argument("--per-class", type=int_range(1, 10_000), default=20, help="held-out windows per class")
    p.add_argument("--per-window", type=int_range(1, 100), default=1,
                   help="positions drawn from each window's centre 100 bp")
    p.add_argument("--widths", type=_widths, default=None,
                   help="comma-separated context widths in bases (default 0, powers of 2, receptive field; the "
                        "receptive field is always added)")
    p.add_argument("--truncation", choices=("auto", "mask", "crop", "left"), default="auto",
                   help="auto: mask (MLM; bases beyond ±w fed the mask token) or left (CLM); crop: MLM input cut "
                        "to ±w")
    p.add_argument("--cap", type=int_range(1, 100_000), default=MAX_FLANK,
                   help="largest width for a model without a finite receptive field")
    p.add_argument("--reps", type=int_range(10, 100_000), default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--batch-size", type=int_range(1, 4096), default=128)
    p.add_argument("--dependency-region", type=_region, default=None,
                   help=f"1-based chrom:start-end (≤ {MAX_BANDED_BP:,} bp): also write its banded dependency map")
    p.add_argument("--band", type=int_range(1, 100_000), default=None,
                   help="dependency band |i − j| (default the receptive field; required for unbounded models)")
    p.add_argument("--no-curve", action="store_true", help="only the dependency map (needs --dependency-region)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.no_curve and args.dependency_region is None:
        raise RegionError("--no-curve leaves nothing to compute; give --dependency-region chrom:start-end too.")
    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    truncation = resolve_truncation(model, args.truncation)
    widths = None if args.widths is None else check_widths(args.widths, model, cap=args.cap)
    window = None
    if args.dependency_region is not None:
        rf = model.info.receptive_field
        if rf is None and args.band is None:
            raise UnsupportedByModelError(f"{model.info.name} has no finite receptive field: give --band (bases) for "
                                          "the dependency map (it is then an approximation).")
        flank = (rf if rf is not None else 2 * (args.band or 0)) + (args.band or rf or 0)
        window = fetch_window(data.genome, args.dependency_region, flank=flank, max_len=MAX_BANDED_BP)
    out = args.out
    written = []
    if not args.no_curve:
        res = context_curve(model, data, widths=widths, classes=args.classes, per_class=args.per_class,
                            per_window=args.per_window, truncation=truncation, cap=args.cap, reps=args.reps,
                            seed=args.seed, batch_size=args.batch_size, progress=stderr_progress())
        note("")
        os.makedirs(out, exist_ok=True)
        for name, table in (("context_curve", res.curve), ("context_w90", res.w90), ("context_points", res.points)):
            write_table(table, out / f"{name}.tsv")
            written.append(f"{name}.tsv")
        note(f"{model.info.name}: {res.truncation_label}; full width F = {full_width(model, cap=args.cap)} "
             f"({res.note})")
        note(res.w90.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if window is not None:
        dep = banded_dependency_map(model, window, band=args.band, batch_size=args.batch_size,
                                    progress=stderr_progress())
        note("")
        os.makedirs(out, exist_ok=True)
        save_banded(dep, out / "dependency.npz")
        written.append("dependency.npz")
        if dep.note:
            note(dep.note)
    print(f"wrote {', '.join(written)} to {out}")
    return 0
