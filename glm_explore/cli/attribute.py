"""``python -m glm_explore attribute``: an attribution map (+ ISM, seqlets matched to JASPAR) of a region."""

from __future__ import annotations

import argparse

from .. import motifs
from ..attribution import BASELINES, METHODS, TARGETS, AttributionSettings, attribute_region, attribution_table
from ..errors import GlmExploreError
from ..results import LinearProbe
from .common import (
    add_genome_model_args,
    existing_file,
    int_range,
    load_genome_arg,
    load_model_arg,
    output_path,
    write_table,
)

MAX_STEPS = 10_000
MAX_BASELINES = 100


def add_method_args(p: argparse.ArgumentParser, *, methods: list[str], baseline: str, steps: int,
                    n_baselines: int) -> None:
    """``--method``, ``--baseline``, ``--steps``, ``--n-baselines``, ``--jaspar`` (shared with ``motifs``)."""
    p.add_argument("--method", choices=methods, default="integrated_gradients")
    p.add_argument("--baseline", choices=list(BASELINES), default=baseline,
                   help=f"IG / DeepLift reference (default {baseline})")
    p.add_argument("--steps", type=int_range(1, MAX_STEPS), default=steps,
                   help=f"IG steps (default {steps})")
    p.add_argument("--n-baselines", type=int_range(1, MAX_BASELINES), default=n_baselines,
                   help=f"shuffled baselines to average (default {n_baselines})")
    p.add_argument("--jaspar", choices=motifs.JASPAR_TAX_GROUPS, default="fungi",
                   help="JASPAR CORE taxonomic group for seqlet matching (default fungi)")


def add_probe_args(p: argparse.ArgumentParser, fit_note: str = "") -> None:
    p.add_argument("--probe", default=None, type=existing_file,
                   help="probe JSON from `embed --probe-out` (for --target probe)" + fit_note)
    p.add_argument("--probe-class", default=None, help="region class whose probe score is attributed "
                   "(default: the --class of `motifs`)")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("attribute", help="attribution map / ISM of a region, seqlets matched to JASPAR",
                              description="Attribute a target (MLM: log P(ref) at a masked position or a span's "
                              "pseudo-log-likelihood; CLM: a span's log-likelihood) over a region.")
    p.add_argument("region", help="1-based chrom:start-end (≤ 1 kb)")
    add_genome_model_args(p)
    p.add_argument("--target", choices=list(TARGETS), default=None, help="default: mlm_position / clm_span")
    p.add_argument("--at", default="", help="target position or span, 1-based (default: centre / whole region)")
    add_method_args(p, methods=[*METHODS, "ism"], baseline="zeros", steps=50, n_baselines=10)
    p.add_argument("--correct", action="store_true", help="one-hot gradient correction")
    p.add_argument("--ism", action="store_true", help="also run in-silico mutagenesis")
    add_probe_args(p)
    p.add_argument("--out", default=None, type=output_path((".tsv", ".csv", ".parquet")),
                   help="per-position table (.tsv, .csv or .parquet); seqlets go to stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.target == "probe" and not args.probe:
        raise GlmExploreError("--target probe needs a fitted probe: give --probe FILE (write one with `embed --probe-out probe.json`).")
    if args.probe and args.target != "probe":
        raise GlmExploreError("--probe is used only with --target probe; add --target probe or drop --probe.")
    settings = AttributionSettings(target=args.target, target_spec=args.at, method=args.method,
                                   baseline=args.baseline, n_steps=args.steps, n_baselines=args.n_baselines,
                                   correct=args.correct, ism=args.ism, probe_class=args.probe_class)
    probe = LinearProbe.load(args.probe) if args.probe else None
    lib = motifs.jaspar_motifs(args.jaspar)
    data, model = load_genome_arg(args.genome), load_model_arg(args.model, fast=args.fast)
    attr, ism = attribute_region(model, data.genome, args.region, settings, probe=probe)
    main = attr if attr is not None else ism
    print(f"# {main.label} {model.info.name} target: {main.target}")
    if attr is not None and attr.delta is not None:
        print(f"# convergence delta {attr.delta:+.3e} ({attr.relative_delta:.2%} of f(x) - f(x'))")
    for line in main.notes:
        print(f"# note: {line}")
    if args.out:
        write_table(attribution_table(attr, ism), args.out)
    seqlets = motifs.match_seqlets(motifs.call_seqlets(main), lib)
    cols = ["chrom", "pos_start", "pos_end", "sequence", "score", "match_1_id", "match_1_name", "match_1_p",
            "match_1_q"]
    print(seqlets[cols].to_csv(sep="\t", index=False), end="")
    return 0
