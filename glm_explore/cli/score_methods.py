"""``python -m glm_explore score-methods``: which variant score separates effect classes best for a model.

On held-out SNVs of known effect (stop-gained / missense / synonymous from clean CDSs, intergenic from the region
labels, as the model report makes them; splice-region = intron donor +1..+6 / acceptor -3..-1 of annotated GT..AG
introns; promoter-motif = high-information columns of JASPAR FIMO hits in promoters; --per-class of each, seeded,
inside the held-out span) it scores every SNV with: the LLR (masked LLR for an MLM, Δ log-likelihood for a CLM), the
entropy-weighted LLR (LLR · IC / 2), the embedding shift (cosine, L2; --layer), with --clm a causal LM's
Δ log-likelihood, and the dependency row (max |Δ log-odds| of the predictions within --band bp of the site) — each
oriented so that lower = predicted more deleterious. Prints the AUROC of each method per class pair (a vs b: P(score of a > score
of b), ties ½, > 0.5 = b scored more deleterious) with a bootstrap CI, and the best method per pair. --out writes
the per-SNV scores (.tsv, .csv, .parquet); --aurocs the AUROC table; --save the whole comparison as JSON (what the
variants page and the model report read).
"""

from __future__ import annotations

import argparse

from .common import add_genome_model_args, int_range, load_genome_arg, load_model_arg, note, output_path, write_table


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("score-methods", help="variant-score methods compared on held-out SNVs (AUROC per "
                                                    "class pair, bootstrap CI, best method)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    p.add_argument("--clm", default=None, help="a causal LM whose Δ log-likelihood joins the comparison "
                                               "(e.g. default-clm)")
    p.add_argument("--per-class", type=int_range(2, 100_000), default=100, help="SNVs per effect class")
    p.add_argument("--layer", type=int, default=-1, help="layer of the embedding shift (0 = embedding, -1 = last)")
    p.add_argument("--reps", type=int_range(10, 100_000), default=1000, help="bootstrap resamples of each CI")
    p.add_argument("--band", type=int_range(1, 500), default=25,
                   help="bp each side of the site for the dependency-row score")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--rc", choices=("on", "off"), default="on", help="average scores over both strands")
    p.add_argument("--out", type=output_path(), default=None, help="per-SNV scores of every method")
    p.add_argument("--aurocs", type=output_path(), default=None, help="the AUROC table")
    p.add_argument("--save", type=output_path((".json",)), default=None, help="the whole comparison (.json)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..calibration.background import heldout_span
    from ..calibration.methods import compare_methods
    from ..report.variant_sanity import method_snvs

    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    clm = load_model_arg(args.clm, fast=args.fast) if args.clm else None
    chrom, start, end = heldout_span(data)
    snvs = method_snvs(data, chrom, start, end, per_class=args.per_class, seed=args.seed)
    note(f"{len(snvs):,} held-out SNVs on {chrom}:{start + 1:,}-{end:,}: "
         + ", ".join(f"{k} {v}" for k, v in snvs["effect"].value_counts().items()))
    res = compare_methods(model, data, snvs, clm=clm, layer=args.layer, rc=args.rc == "on", reps=args.reps,
                          seed=args.seed, band=args.band)
    note("every method is oriented so that lower = predicted more deleterious; AUROC > 0.5 = the second class of "
         "a pair is scored more deleterious")
    print(res.ranking.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for pair, method in res.best().items():
        print(f"best for {pair}: {method}")
    note(f"{res.notes['seconds']} s")
    if args.out:
        write_table(res.scores, args.out)
        note(f"wrote {args.out}")
    if args.save:
        res.save(args.save)
        note(f"wrote {args.save}")
    if args.aurocs:
        write_table(res.aurocs, args.aurocs)
        note(f"wrote {args.aurocs}")
    return 0
