"""``python -m glm_explore features``: a dictionary of a model's learned features with its controls."""

from __future__ import annotations

import argparse

from ..cost import features_cost
from ..features import SOURCES, FeatureSettings, build_dictionary
from ..motifs import JASPAR_TAX_GROUPS
from .common import (
    add_genome_model_args,
    costed,
    float_range,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_dir,
    stderr_progress,
    write_table,
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "features", help="learned features: sites, PFMs, JASPAR names, class enrichment, against two controls",
        description="Features of one layer — a built-in CNN block's convolution channels, or the latents of a TopK "
                    "sparse autoencoder fit to a layer's hidden states — described by their top sites (PFM, TOMTOM "
                    "names against JASPAR), class enrichment on held-out windows and landmark profiles, beside the "
                    "same pipeline on a random-weights model and on dinucleotide-shuffled windows. Writes "
                    "dictionary.json (what the features page reads), features.tsv, enrichment.tsv and sites.tsv.")
    add_genome_model_args(p)
    p.add_argument("--layer", type=int, default=1,
                   help="block (1-based) for --source channels; layer (0 = embedding, -1 = last) for --source sae "
                        "(default 1)")
    p.add_argument("--source", choices=SOURCES, default="channels",
                   help="channels: a built-in CNN block's convolution channels (no training); sae: a TopK SAE on "
                        "the layer's hidden states (any model)")
    p.add_argument("--per-class", type=int_range(1, 2000), default=60, help="windows per class and split (default 60)")
    p.add_argument("--length", type=int_range(20, 5000), default=300, help="window length in bp (default 300)")
    p.add_argument("--n-features", type=int_range(1, 65536), default=256, help="SAE latents (default 256)")
    p.add_argument("--k", type=int_range(1, 1024), default=8, help="SAE active latents per position (default 8)")
    p.add_argument("--steps", type=int_range(1, 1_000_000), default=1500, help="SAE training steps (default 1500)")
    p.add_argument("--q", type=float_range(0, 1, open_lo=True), default=0.05, help="q-value cut (default 0.05)")
    p.add_argument("--jaspar", choices=JASPAR_TAX_GROUPS, default="fungi", help="JASPAR taxonomic group (fungi)")
    p.add_argument("--seed", type=int, default=0, help="window sample, shuffle and SAE seed")
    p.add_argument("--out", required=True, type=output_dir, help="output folder (created if missing)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = FeatureSettings(source=args.source, layer=args.layer, length=args.length, center=min(100, args.length),
                               per_class=args.per_class, n_features=args.n_features, k=args.k, steps=args.steps,
                               q=args.q, tax=args.jaspar, seed=args.seed)
    if args.source == "sae" and args.k > args.n_features:
        from ..errors import GlmExploreError

        raise GlmExploreError(f"--k ({args.k}) must not exceed --n-features ({args.n_features}).")
    settings.check()  # before anything is loaded
    model = load_model_arg(args.model, fast=args.fast)
    if args.source == "channels":
        from ..features.activations import check_block

        check_block(model, args.layer)
    else:
        model.layer_index(args.layer)
    data = load_genome_arg(args.genome)
    with costed(features_cost(model, data, settings), "features"):
        fd = build_dictionary(model, data, settings, model_key=args.model, genome_key=args.genome,
                              cache=args.out / "cache", progress=stderr_progress())
    note("")
    args.out.mkdir(exist_ok=True)
    fd.save(args.out / "dictionary.json")
    write_table(fd.table, args.out / "features.tsv")
    write_table(fd.enrichment, args.out / "enrichment.tsv")
    write_table(fd.sites, args.out / "sites.tsv")
    h = fd.headline["beats_both"]
    note(f"{h['k']} of {h['n']} described features beat both controls (95% CI {h['ci_low']:.1%}–{h['ci_high']:.1%});"
         f" motifs recovered: {', '.join(fd.recovered()) or 'none'} → {args.out}")
    return 0
