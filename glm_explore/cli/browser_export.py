"""``python -m glm_explore browser-export``: one self-contained HTML genome-browser view (igv.js inlined)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..browser import DEFAULT_LANES, LANES, MAX_MODEL_BP, compute_view, handout_html, wants_model
from ..browser.lanes import MODEL_LANES
from ..browser.view import ANALYSIS_LANES
from .common import add_genome_model_args, load_genome_arg, load_model_arg, note, output_path, stderr_progress

CLI_LANES = tuple(x for x in LANES if x not in ANALYSIS_LANES)  # the other pages' results live in a session
DEFAULT_CLI_LANES = (*DEFAULT_LANES, *MODEL_LANES)


def lanes_arg(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated lane ids of :data:`CLI_LANES`."""
    lanes = tuple(x.strip() for x in text.split(",") if x.strip())
    if not lanes:
        raise argparse.ArgumentTypeError(f"give at least one of {', '.join(CLI_LANES)}")
    for x in lanes:
        if x in ANALYSIS_LANES:
            raise argparse.ArgumentTypeError(f"{x!r} shows a result of a dashboard session (the page's lane); "
                                             f"choose from {', '.join(CLI_LANES)}")
        if x not in CLI_LANES:
            raise argparse.ArgumentTypeError(f"unknown track {x!r}: choose from {', '.join(CLI_LANES)}")
    return lanes


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("browser-export", help="one self-contained HTML genome-browser view (opens offline)",
                              description="A genome-browser view (igv.js) of a region as one HTML file: igv.js, the "
                                          "window's sequence, annotation and model lanes inlined; opens from disk "
                                          "with no network and no Python.")
    add_genome_model_args(p)
    p.add_argument("--model2", help="a second model whose lanes are paired with --model's")
    p.add_argument("--region", required=True,
                   help="1-based chrom:start-end (commas allowed), a contig name, or a gene name of the annotation")
    p.add_argument("--tracks", type=lanes_arg, default=DEFAULT_CLI_LANES,
                   help=f"comma-separated lanes (default {','.join(DEFAULT_CLI_LANES)}); choose from "
                        f"{', '.join(CLI_LANES)}; model lanes need a view ≤ {MAX_MODEL_BP:,} bp")
    p.add_argument("--rc", action="store_true", help="average model lanes with the reverse-complement strand")
    p.add_argument("--stored", help="for the 'stored' lane: a `track` output folder or a bigWig file")
    p.add_argument("--out", required=True, type=output_path((".html",)), help="the HTML file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data = load_genome_arg(args.genome)
    model = model2 = None
    if wants_model(args.tracks):
        model = load_model_arg(args.model, fast=args.fast)
        model2 = load_model_arg(args.model2, fast=args.fast) if args.model2 else None
    view = compute_view(data, args.region, args.tracks, model=model, model2=model2, rc=args.rc, stored=args.stored,
                        progress=stderr_progress() if model is not None else None)
    Path(args.out).write_text(handout_html(view), encoding="utf-8")
    for line in view.notes:
        note(line)
    note(f"\nwrote {args.out}: {view.locus} ({len(view.tracks)} lanes, window {view.window})")
    return 0
