"""``python -m glm_explore design``: evolve a sequence by single-base edits toward a goal → FASTA or a table.

Objectives (higher = better): ``likelihood`` (the model's mean log-likelihood per base; an MLM's
is the pseudo-log-likelihood), ``class`` (log P(--class) under a region-class probe: --probe FILE
from ``embed --probe-out``, or one fit here on --genome), ``motif`` (the best FIMO score of the
JASPAR --motif on either strand; no model needed). Positions in --fixed are 1-based, inclusive.
A .fa/.fasta/.fna --out holds the designed sequence(s) (the last beam, best first); a .tsv, .csv
or .parquet --out holds the trajectory, one row per round.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path

from ..design import DESIGN_METHODS, OBJECTIVES, DesignSettings, design, design_fasta, make_objective
from ..errors import GlmExploreError
from ..io.annotation import CLASSES
from ..io.genome import parse_region
from ..motifs import JASPAR_TAX_GROUPS, jaspar_motifs
from ..sequence import parse_positions
from .common import (
    add_genome_model_args,
    existing_file,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_path,
    stderr_progress,
    write_table,
)

FASTA_SUFFIXES = (".fa", ".fasta", ".fna")
DEFAULT_BEAM_WIDTH = 4


def positions_arg(text: str) -> tuple[int, ...]:
    """argparse type: 1-based positions and inclusive ranges '1-10,50' → sorted 0-based positions."""
    try:
        return parse_positions(text)
    except GlmExploreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def gc_range_arg(text: str) -> tuple[float, float]:
    """argparse type: 'lo-hi' GC fractions, e.g. 0.3-0.6 (checked against 0..1 by design)."""
    m = re.fullmatch(r"\s*(\d*\.?\d+)\s*-\s*(\d*\.?\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"write it as lo-hi fractions such as 0.3-0.6; got {text!r}")
    return float(m.group(1)), float(m.group(2))


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("design", help="evolve a sequence by single-base edits toward a goal (greedy / beam)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sequence", help="the start sequence (A/C/G/T)")
    src.add_argument("--region", help="1-based inclusive chrom:start-end of --genome: the start sequence")
    p.add_argument("--objective", choices=OBJECTIVES, default="likelihood", help="what to maximise")
    p.add_argument("--class", dest="region_class", default=None, help="class to aim for (--objective class)")
    p.add_argument("--probe", default=None, type=existing_file,
                   help="probe JSON from `embed --probe-out` (--objective class; default: fit one on --genome)")
    p.add_argument("--motif", default=None, help="JASPAR id (MA0265.3) or TF name (--objective motif)")
    p.add_argument("--jaspar", choices=JASPAR_TAX_GROUPS, default="fungi", help="JASPAR CORE group (default fungi)")
    p.add_argument("--rounds", type=int_range(1, 10_000), default=10, help="rounds of edits (default 10)")
    p.add_argument("--budget", type=int_range(0), default=10,
                   help="most positions that may differ from the start (default 10)")
    p.add_argument("--method", choices=DESIGN_METHODS, default="greedy")
    p.add_argument("--beam-width", type=int_range(1, 256), default=None,
                   help=f"sequences kept per round with --method beam (default {DEFAULT_BEAM_WIDTH})")
    p.add_argument("--candidates", type=int_range(1), default=None,
                   help="edits evaluated exactly per round, ranked by a cheap ISM estimate (default: all; "
                        "16 for an MLM's likelihood)")
    p.add_argument("--fixed", type=positions_arg, default=(), help="1-based positions never edited, e.g. 1-10,50")
    p.add_argument("--gc-range", type=gc_range_arg, default=None, help="keep GC within lo-hi, e.g. 0.3-0.6")
    p.add_argument("--seed", type=int_range(0), default=0, help="breaks ties (and fits the probe's windows)")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=128)
    p.add_argument("--out", required=True, type=output_path((*FASTA_SUFFIXES, ".tsv", ".csv", ".parquet")),
                   help="designed sequence(s) as FASTA (.fa, .fasta, .fna) or the trajectory (.tsv, .csv, .parquet)")
    p.set_defaults(func=run)


def _check_combination(args: argparse.Namespace) -> None:
    """Mistakes visible from the arguments alone (before any model or genome is loaded)."""
    if args.beam_width is not None and args.method != "beam":
        raise GlmExploreError("--beam-width applies to --method beam; add --method beam or drop --beam-width.")
    needs = {"region_class": ("--class", "class"), "probe": ("--probe", "class"), "motif": ("--motif", "motif")}
    for attr, (flag, objective) in needs.items():
        if getattr(args, attr) is not None and args.objective != objective:
            raise GlmExploreError(f"{flag} applies to --objective {objective}; drop it or use --objective {objective}.")
    if args.objective == "class" and args.region_class is None:
        raise GlmExploreError("--objective class needs --class NAME, the region class to aim for (e.g. promoter).")
    if args.objective == "class" and args.probe is None and args.region_class not in CLASSES:
        raise GlmExploreError(f"--class {args.region_class!r} is not a region class; choose one of {', '.join(CLASSES)}.")
    if args.objective == "motif" and args.motif is None:
        raise GlmExploreError("--objective motif needs --motif, a JASPAR id (e.g. MA0265.3) or TF name (e.g. ABF1).")


def run(args: argparse.Namespace) -> int:
    from ..results import LinearProbe

    _check_combination(args)
    settings = DesignSettings(args.objective, rounds=args.rounds, edit_budget=args.budget, method=args.method,
                              beam_width=args.beam_width or DEFAULT_BEAM_WIDTH, candidates=args.candidates,
                              fixed=args.fixed, gc_range=args.gc_range, seed=args.seed, batch_size=args.batch_size)
    probe = LinearProbe.load(args.probe) if args.probe else None
    data = None
    if args.region is not None or (args.objective == "class" and probe is None):
        data = load_genome_arg(args.genome)
    if args.region is not None:
        region = data.genome.check_region(parse_region(args.region))
        seq, what = data.genome.fetch(region.chrom, region.start, region.end), str(region)
    else:
        seq, what = args.sequence, "--sequence"
    model = None if args.objective == "motif" else load_model_arg(args.model, fast=args.fast)
    if args.objective == "class" and probe is None:
        from ..embed import fit_region_probe

        probe, _ = fit_region_probe(model, data, seed=args.seed)
        note(f"# fit a probe on {probe.n_train} training windows (held-out macro-F1 {probe.heldout_macro_f1:.3f})")
    objective = make_objective(args.objective, model, probe=probe, cls=args.region_class, motif=args.motif,
                               motifs=jaspar_motifs(args.jaspar) if args.objective == "motif" else None,
                               batch_size=args.batch_size)
    res = design(model, seq, replace(settings, objective=objective), progress=stderr_progress())
    note("")  # end the progress line
    out = Path(args.out)
    if out.suffix.lower() in FASTA_SUFFIXES:
        out.write_text(design_fasta(res, name="design"))
    else:
        write_table(res.trajectory, out)
    last = res.trajectory.iloc[-1]
    print(f"{res.objective} ({res.units}) of {what}: {res.start_value:.4f} → {res.value:.4f} after "
          f"{int(last['round'])} rounds, {int(last['edits'])} edits ({res.stopped}); wrote {out}")
    return 0
