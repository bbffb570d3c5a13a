"""``python -m glm_explore annotate``: a per-base region-class head on a model's frozen hidden states vs the
same head on k-mer window counts, fit on training chromosomes and scored on held-out bases (yeast: chrXVI).

Writes into ``--out`` (a folder, created if missing):

* ``metrics.tsv`` — per class and feature set (model / k-mer): support, precision, recall, F1, MCC;
* ``confusion.tsv`` — ``features, true, predicted, n`` (held-out bases);
* ``segments.bed`` / ``segments.gff3`` — runs of one predicted class (model head) over ``--region``
  (default: the held-out span, at most 1 Mb);
* ``summary.json`` — settings, split, macro-F1 of both heads with 95 % block-bootstrap CIs, notes.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pandas as pd

from ..annotate import (
    HEADS,
    MAX_REGION_BP,
    PRIORS,
    AnnotateSettings,
    annotate_region,
    fit_annotator,
    predicted_segments,
    segments_bed,
    segments_gff3,
)
from ..annotate.heads import DEFAULT_EPOCHS
from ..embed import normalize_layers
from ..errors import GlmExploreError, RegionError
from ..io.annotation import CLASSES
from ..io.genome import Region, parse_region
from .common import (
    OutputError,
    add_genome_model_args,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_dir,
    stderr_progress,
    write_table,
)
from .embed import layers_arg


def classes_arg(text: str) -> list[str]:
    """argparse type of ``--classes``: comma-separated region classes (at least 2)."""
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in names if v not in CLASSES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown class {', '.join(unknown)}; choose from {', '.join(CLASSES)}")
    if len(set(names)) < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 different classes, got {text!r}")
    return names


def odd_width(text: str) -> int:
    """argparse type of ``--kmer-width``: an odd number of bases, 3..10001."""
    value = int_range(3, 10_001)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be odd (a window centred on the base), got {value}")
    return value


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("annotate", help="per-base region-class head on frozen hidden states vs a k-mer head",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_genome_model_args(p)
    p.add_argument("--head", choices=HEADS, default="logistic",
                   help="logistic: per-base logistic regression; conv: a small 1-D CNN (kernel 9) over the features")
    p.add_argument("--layers", type=layers_arg, default="-1", help="layers to concatenate, e.g. -1 or 3,6,9, or 'all'")
    p.add_argument("--classes", type=classes_arg, default=None,
                   help=f"comma-separated classes to tell apart (default: all present; from {', '.join(CLASSES)})")
    p.add_argument("--window", type=int_range(100, 100_000), default=AnnotateSettings.window,
                   help="tile length (bp) of training and held-out windows")
    p.add_argument("--windows-per-class", type=int_range(1), default=AnnotateSettings.windows_per_class,
                   help="training tiles per class (rarest class first)")
    p.add_argument("--bases-per-class", type=int_range(1), default=AnnotateSettings.bases_per_class,
                   help="labelled training bases per class")
    p.add_argument("--heldout-windows-per-class", type=int_range(1), default=None,
                   help="score a class-balanced sample of held-out tiles (default: every held-out tile)")
    p.add_argument("--kmer-k", type=int_range(1, 5), default=AnnotateSettings.kmer_k, help="baseline k-mers of length 1..k")
    p.add_argument("--kmer-width", type=odd_width, default=AnnotateSettings.kmer_width,
                   help="baseline window (bp, odd) centred on each base")
    p.add_argument("--epochs", type=int_range(1, 10_000), default=None, help=f"conv head epochs (default {DEFAULT_EPOCHS})")
    p.add_argument("--prior", choices=PRIORS, default="balanced",
                   help="balanced: equal class priors (as trained; favours rare classes); genome: re-weight by the "
                        "training chromosomes' class frequencies (favours accuracy)")
    p.add_argument("--n-boot", type=int_range(10, 100_000), default=AnnotateSettings.n_boot, help="bootstrap replicates")
    p.add_argument("--seed", type=int_range(0), default=0)
    p.add_argument("--batch-size", type=int_range(1, 4096), default=32)
    p.add_argument("--smooth", type=int_range(0, 100_000), default=0,
                   help="average the region's class probabilities over this many bases before calling segments "
                        "(0 = per base; the held-out metrics stay per base)")
    p.add_argument("--region", help="1-based inclusive chrom:start-end to annotate into segments.bed / .gff3 "
                                    f"(default: the held-out span, at most {MAX_REGION_BP:,} bp)")
    p.add_argument("--out", required=True, type=output_dir, help="folder for the output files (created if missing)")
    p.set_defaults(func=run)


def _check_region(data, text: str) -> Region:
    region = data.genome.check_region(parse_region(text))
    if region.length > MAX_REGION_BP:
        raise RegionError(f"--region {region} is {region.length:,} bp; annotate at most {MAX_REGION_BP:,} bp at once.")
    return region


def run(args: argparse.Namespace) -> int:
    if args.epochs is not None and args.head != "conv":
        raise GlmExploreError("--epochs applies to the conv head only; drop it or add --head conv.")
    data = load_genome_arg(args.genome)
    region = _check_region(data, args.region) if args.region else None
    model = load_model_arg(args.model, fast=args.fast)
    layers = normalize_layers(model, args.layers)  # a bad layer fails before any work
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    if not os.access(out, os.W_OK):
        raise OutputError(f"Cannot write into {str(out)!r}; choose a folder you can write to.")
    settings = AnnotateSettings(head=args.head, layers=tuple(layers), classes=args.classes, window=args.window,
                                windows_per_class=args.windows_per_class, bases_per_class=args.bases_per_class,
                                heldout_windows_per_class=args.heldout_windows_per_class, kmer_k=args.kmer_k,
                                kmer_width=args.kmer_width, epochs=args.epochs or DEFAULT_EPOCHS, prior=args.prior,
                                n_boot=args.n_boot, seed=args.seed, batch_size=args.batch_size)
    fit = fit_annotator(model, data, settings, progress=stderr_progress())
    note("")
    if region is None:
        chrom, s, e = fit.split.heldout
        region = Region(chrom, s, min(e, s + MAX_REGION_BP))
    pred = annotate_region(fit.head, model, data, region, batch_size=args.batch_size, smooth=args.smooth)
    segs = predicted_segments(pred)
    write_table(fit.metrics, out / "metrics.tsv")
    conf = pd.concat([c.stack().rename("n").reset_index().assign(features=name)
                      for name, c in fit.confusion.items()], ignore_index=True)
    write_table(conf[["features", "true", "predicted", "n"]], out / "confusion.tsv")
    (out / "segments.bed").write_text(segments_bed(segs))
    (out / "segments.gff3").write_text(segments_gff3(segs, source=f"glm_explore:{fit.model}"))
    summary = {**fit.summary(), "region": pred.region, "n_segments": int(len(segs)),
               "train_overlap_bases": fit.train_overlap(region), "region_note": pred.note}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    for row in fit.scores.itertuples(index=False):
        print(f"{row.features:6s} {fit.head.kind} head: held-out macro-F1 {row.macro_f1:.3f} "
              f"(95% CI {row.ci_lo:.3f}-{row.ci_hi:.3f}) on {row.n_bases:,} bases of {fit.split.heldout_region}")
    print(f"wrote metrics.tsv, confusion.tsv, segments.bed, segments.gff3 ({len(segs):,} segments over {pred.region}) "
          f"and summary.json to {out}")
    return 0
