"""``python -m glm_explore background``: the SNV score background that calibrates a model's LLRs.

Scores possible SNVs in each region class of the genome's held-out span (the dataset's held-out chromosome,
chrXVI on the bundled yeast; else the last chromosome, or the last 20 % of a single one) with the same scorer
as ``score-vcf`` (masked LLR for an MLM, Δ log-likelihood for a CLM): all three SNVs at --sites sites per class
drawn uniformly (seeded), or at every base with --all. Writes the sorted scores per class (at most --keep order
statistics each) to --out (.npz); ``score-vcf --background`` reads it for the llr_pct_class / llr_pct_genome
columns. The cost is measured on a probe first and printed before the run (--estimate: print it and stop).

Percentile = fraction of the background with LLR ≤ the score (ties count as at-or-below).
"""

from __future__ import annotations

import argparse

from .common import add_genome_model_args, int_range, load_genome_arg, load_model_arg, note, stderr_progress


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("background", help="SNV score background per region class (for score percentiles)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    p.add_argument("--out", type=_npz_path, required=True, help="background file to write (.npz)")
    p.add_argument("--sites", type=int_range(1, 10_000_000), default=None,
                   help="sites per region class, all three SNVs each (default 1000)")
    p.add_argument("--all", action="store_true", help="every possible SNV of the held-out span (slow)")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--keep", type=int_range(2, 1_000_000), default=None,
                   help="order statistics kept per class (default 2001: 0.05 %% steps)")
    p.add_argument("--rc", choices=("on", "off"), default="on",
                   help="average with the reverse-complement strand (as score-vcf does by default)")
    p.add_argument("--estimate", action="store_true", help="print the estimated cost and stop")
    p.set_defaults(func=run)


def _npz_path(text: str) -> str:
    from .common import output_path

    return output_path((".npz",))(text)


def run(args: argparse.Namespace) -> int:
    from ..calibration import DEFAULT_KEEP, DEFAULT_SITES, background_sites, compute_background, estimate_seconds
    from ..calibration.background import heldout_span
    from ..errors import UsageError

    if args.all and args.sites is not None:
        raise UsageError("give --sites or --all, not both (--all scores every possible SNV)")
    sites_per_class = None if args.all else (args.sites or DEFAULT_SITES)
    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    rc = args.rc == "on"
    span = heldout_span(data)
    sites, _ = background_sites(data, *span, sites_per_class=sites_per_class, seed=args.seed)
    secs = estimate_seconds(model, data, sites, rc=rc, seed=args.seed)
    note(f"{model.info.name} on {data.name}, held-out {span[0]}:{span[1] + 1:,}-{span[2]:,}: {len(sites):,} SNVs at "
         f"{len(sites) // 3:,} sites; estimated {secs / 60:.1f} min on this machine (from a probe).")
    if args.estimate:
        print(f"{len(sites)}\t{secs:.1f}")
        return 0
    bg = compute_background(model, data, sites_per_class=sites_per_class, seed=args.seed,
                            keep=args.keep or DEFAULT_KEEP, rc=rc, span=span, progress=stderr_progress())
    bg.save(args.out)
    note(f"\nwrote {args.out}: {bg.n:,} SNVs in {bg.seconds:.0f} s")
    print(bg.table().to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    return 0
