"""``python -m glm_explore indel-bias``: how a model's indel scores depend on length alone.

Scores random intergenic deletions and insertions of 1 … --max-length bp (lengths evenly spread, kinds
alternating; contigs drawn by their intergenic bases) and fits score = a + b·x by least squares: x = the
signed length change (inserted − deleted bp) pooled, the event length per kind; prints each slope with its
95 % t-interval and writes the per-event table with --out. Scores: CLM, Δ log-likelihood over length-matched
windows (same flanks; the shorter allele's window extended on the right); MLM, pseudo-log-likelihood of the
affected span ± the receptive field on both alleles (an approximation: a PLL is not log P(sequence)).

With --variant CHROM:POS:REF:ALT it scores that one event instead and prints its length-corrected score: the
z-score against --null-events random events of the same kind and length on the same contig (intergenic).
"""

from __future__ import annotations

import argparse

from .common import add_genome_model_args, int_range, load_genome_arg, load_model_arg, note, output_path, write_table


def _variant(text: str) -> tuple[str, int, str, str]:
    parts = text.split(":", 3)
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2] or not parts[3]:
        raise argparse.ArgumentTypeError(f"give CHROM:POS:REF:ALT (1-based POS, VCF-style alleles, e.g. "
                                         f"chrI:1001:ACG:A or chrI:1001:A:<DEL> with --end), got {text!r}")
    return parts[0], int(parts[1]), parts[2], parts[3]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("indel-bias", help="indel score vs length on random intergenic events (slope, CI); "
                                                 "length-corrected z-score of one event", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    p.add_argument("--events", type=int_range(3, 100_000), default=None,
                   help="random events (default 100 for a CLM, 10 for an MLM: ~30 s on 2 busy cores)")
    p.add_argument("--max-length", type=int_range(2, 10_000), default=100, help="longest random event (bp)")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--rc", choices=("auto", "on", "off"), default="auto",
                   help="average with the reverse-complement strand (auto: on for a CLM, off for an MLM)")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=64)
    p.add_argument("--out", type=output_path(), default=None, help="per-event table (.tsv, .csv or .parquet)")
    p.add_argument("--variant", type=_variant, default=None, metavar="CHROM:POS:REF:ALT",
                   help="score this event and its z-score instead of the bias run")
    p.add_argument("--end", type=int_range(1), default=None, help="INFO END (1-based) of a symbolic --variant ALT")
    p.add_argument("--null-events", type=int_range(2, 10_000), default=10,
                   help="random length-matched events behind the z-score of --variant")
    p.add_argument("--max-sv-size", type=int_range(1, 100_000), default=1000, help="size cap of --variant (bp)")
    p.add_argument("--exact", action="store_true",
                   help="MLM: whole-window brute-force pseudo-log-likelihood for --variant (events ≤ 50 bp)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..variants import indel_view, length_bias

    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    rc = None if args.rc == "auto" else args.rc == "on"
    if args.variant is not None:
        chrom, pos, ref, alt = args.variant
        v = indel_view(model, data, chrom, pos, ref, alt, end=args.end, half_width=1, rc=True if rc is None else rc,
                       exact=args.exact, null_events=args.null_events, max_sv_size=args.max_sv_size, seed=args.seed)
        note(v.method)
        print(f"{v.label}\tllr {v.llr:+.4f}\tper-base mean {v.llr_mean:+.6f}\tz {v.z:+.3f} "
              f"(against {v.n_null} random {v.kind} events of the same length on {chrom})")
        return 0
    bias = length_bias(model, data, n_events=args.events, max_length=args.max_length, seed=args.seed, rc=rc,
                       batch_size=args.batch_size)
    note(bias.method)
    for kind in ("all", "DEL", "INS"):
        if bias.fit(kind):
            print(bias.sentence(kind))
    print(bias.fits.to_string(index=False, float_format=lambda v: f"{v:+.5f}"))
    if args.out:
        write_table(bias.table, args.out)
        note(f"wrote {args.out}")
    else:
        print(bias.table.to_string(index=False, float_format=lambda v: f"{v:+.4f}"))
    return 0
