"""``python -m glm_explore motifs``: seqlets across many windows of one region class, named by JASPAR;
``--patterns``: TF-MoDISco patterns of those windows beside a dinucleotide-shuffled control."""

from __future__ import annotations

import argparse

import numpy as np

from .. import motifs
from .. import patterns as pt
from ..attribution import METHODS, AttributionSettings, attribute_windows
from ..embed import PROBE_CAP, fit_region_probe
from ..errors import GlmExploreError
from ..io.annotation import CLASSES
from ..region_windows import make_windows
from ..results import LinearProbe
from .attribute import add_method_args, add_probe_args
from .common import (
    add_genome_model_args,
    float_range,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_path,
    stderr_progress,
    write_table,
)


def add_parser(subparsers) -> None:
    m = subparsers.add_parser("motifs", help="seqlets across many windows of one region class, named by JASPAR",
                              description="Attribute many windows of one region class (the embedding explorer's "
                              "sample), call seqlets with one pooled threshold and match them to JASPAR CORE.")
    add_genome_model_args(m)
    m.add_argument("--class", dest="region_class", default="promoter", choices=CLASSES,
                   help="region class (default promoter)")
    m.add_argument("--n", type=int_range(1, 10_000), default=None,
                   help="windows to attribute (held-out ones first; default 20, with --patterns "
                        f"{pt.PatternSettings.n_windows})")
    m.add_argument("--target", choices=["default", "probe"], default="default",
                   help="default: MLM log P(ref) at the centre / CLM window log-likelihood; probe: the class score")
    add_probe_args(m, fit_note=" (default for --target probe: fit one here, the explorer's recipe with "
                               f"{PROBE_CAP} windows per class and split)")
    add_method_args(m, methods=list(METHODS), baseline="shuffle", steps=25, n_baselines=2)
    m.add_argument("--q", type=float_range(0, 1, open_lo=True), default=0.05,
                   help="TOMTOM q-value cut for the summary (default 0.05)")
    m.add_argument("--seed", type=int, default=0, help="window sample seed")
    m.add_argument("--patterns", action="store_true",
                   help="TF-MoDISco patterns (CWMs, seqlet counts and positions, TOMTOM names) of the windows and "
                        "of their dinucleotide-shuffled copies (the chance level); needs --method "
                        "integrated_gradients or deeplift")
    m.add_argument("--out", default=None, type=output_path((".tsv", ".csv", ".parquet", ".json")),
                   help="all seqlets with their matches (.tsv, .csv or .parquet); with --patterns one row per "
                        "pattern, or .json for the whole report (what the motifs page reads)")
    m.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> pt.PatternSettings:
    return pt.PatternSettings(n_windows=args.n, target=args.target, method=args.method, baseline=args.baseline,
                              n_steps=args.steps, n_baselines=args.n_baselines, seed=args.seed, tax=args.jaspar,
                              q=args.q)


def run(args: argparse.Namespace) -> int:
    if args.probe and args.target != "probe":
        raise GlmExploreError("--probe is used only with --target probe; add --target probe or drop --probe.")
    if args.out and args.out.lower().endswith(".json") and not args.patterns:
        raise GlmExploreError("--out .json is the --patterns report; add --patterns or write .tsv, .csv or .parquet.")
    args.n = args.n or (pt.PatternSettings.n_windows if args.patterns else 20)
    if args.patterns:
        pt.check_settings(_settings(args))  # before anything is loaded
    probe = LinearProbe.load(args.probe) if args.probe else None
    lib = motifs.jaspar_motifs(args.jaspar)
    data, model = load_genome_arg(args.genome), load_model_arg(args.model, fast=args.fast)
    if args.target == "probe":
        if probe is not None:
            ws = make_windows(data, length=probe.window_length, center=probe.center, seed=args.seed)
        else:
            probe, ws = fit_region_probe(model, data, seed=args.seed)
            note(f"# fit a probe on {probe.n_train} training windows (held-out macro-F1 "
                 f"{probe.heldout_macro_f1:.3f})")
    else:
        ws = make_windows(data, seed=args.seed)
    if args.patterns:
        return run_patterns(args, model, ws.of_class(args.region_class), probe)
    settings = AttributionSettings(target=args.target, probe_class=args.probe_class or args.region_class,
                                   method=args.method, baseline=args.baseline, n_steps=args.steps,
                                   n_baselines=args.n_baselines)
    results = attribute_windows(model, ws.of_class(args.region_class, args.n), settings, probe=probe)
    rep = motifs.seqlet_report(results, lib, q=args.q, seed=args.seed)
    print(f"# {len(results)} {args.region_class} windows · {model.info.name} · target: {results[0].target}")
    if not np.isnan(rep.delta_worst):
        print(f"# convergence: |delta| / |f(x) - f(x')| median {rep.delta_median:.2%}, worst {rep.delta_worst:.2%}")
    print(f"# {len(rep.seqlets)} seqlets (|s| ≥ {rep.threshold:.3g}); {rep.match_rate:.1%} match a JASPAR "
          f"{args.jaspar} motif at q ≤ {args.q} (random segments of the same windows: {rep.chance_rate:.1%})")
    if args.out:
        write_table(rep.seqlets.drop(columns=["weight"]), args.out)
    print(rep.summary.to_csv(sep="\t", index=False), end="")
    return 0


def run_patterns(args: argparse.Namespace, model, windows, probe) -> int:
    """``--patterns``: TF-MoDISco on the windows and on their shuffled control; one row per pattern."""
    from ..models.fingerprint import tensors_fingerprint

    rep = pt.find_patterns(model, windows, settings=_settings(args), region_class=args.region_class, probe=probe,
                           probe_class=args.probe_class or args.region_class, genome=args.genome,
                           fingerprint=tensors_fingerprint(model), progress=stderr_progress())
    note("")
    print(f"# {rep.n_windows} {args.region_class} windows · {rep.model} · target: {rep.target}")
    print(f"# TF-MoDISco: {len(rep.patterns)} patterns ({rep.named()} named by JASPAR {args.jaspar} at q ≤ {args.q}); "
          f"shuffled control: {len(rep.control)} patterns ({rep.named(rep.control)} named)")
    print(f"# time: attribution {rep.attribution_s:.1f} s, TF-MoDISco {rep.modisco_s:.1f} s")
    table = rep.table()
    if args.out and args.out.lower().endswith(".json"):
        rep.save(args.out)
    elif args.out:
        write_table(table, args.out)
    print(table.to_csv(sep="\t", index=False), end="")
    return 0
