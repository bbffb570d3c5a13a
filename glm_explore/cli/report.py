"""``python -m glm_explore report``: what a model learned beyond k-mer counting → DIR/report.json + tables."""

from __future__ import annotations

import argparse
import os

from ..report import SECTIONS, ReportSettings, build_report, sections_arg
from .common import add_genome_model_args, int_range, load_genome_arg, load_model_arg, note, output_dir, stderr_progress
from .common import write_table as _write_table


def _sections(text: str) -> tuple[str, ...]:
    try:
        return sections_arg(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _genomes(text: str) -> list[str]:
    from ..io.datasets import DATASETS

    names = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "none"]
    bad = [x for x in names if x not in DATASETS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown bundled genome(s) {', '.join(bad)}; choose from "
                                         f"{', '.join(DATASETS)} or 'none'")
    return names


def add_parser(subparsers) -> None:
    d = ReportSettings()
    p = subparsers.add_parser("report", help="model report: per-class bits vs count baseline, motifs, variants, "
                                             "embeddings, showcase regions",
                              description="Measure what a model learned beyond k-mer counting on the genome's "
                                          "held-out span; writes DIR/report.json (the page reads it) and one "
                                          ".tsv per table.")
    add_genome_model_args(p)
    p.add_argument("--out", required=True, type=output_dir, help="output folder (created if missing)")
    p.add_argument("--sections", type=_sections, default=SECTIONS,
                   help=f"'all' or comma-separated: {', '.join(SECTIONS)} (default all)")
    p.add_argument("--windows-per-class", type=int_range(1, 10_000), default=d.windows_per_class)
    p.add_argument("--window", type=int_range(32, 100_000), default=d.window, help="held-out window length (bp)")
    p.add_argument("--snvs-per-class", type=int_range(1, 100_000), default=d.snvs_per_class)
    p.add_argument("--embed-cap", type=int_range(1, 100_000), default=d.embed_cap,
                   help="windows per class and split for the probe (the embed command's --cap)")
    p.add_argument("--other-genomes", type=_genomes, default=["chloroplast"],
                   help="bundled genomes whose held-out totals join the per-genome table ('none' for none)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.datasets import load_dataset
    from ..models.fingerprint import tensors_fingerprint

    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    settings = ReportSettings(windows_per_class=args.windows_per_class, window=args.window,
                              snvs_per_class=args.snvs_per_class, embed_cap=args.embed_cap, seed=args.seed,
                              sections=tuple(args.sections))
    others = {}
    for key in args.other_genomes:
        other = load_dataset(key)
        if other.name != data.name:
            others[other.name] = other
    report = build_report(model, data, settings=settings, other_genomes=others, progress=stderr_progress(),
                          fingerprint=tensors_fingerprint(model))
    out = args.out
    os.makedirs(out, exist_ok=True)
    report.save(out / "report.json")
    for name, table in report.tables.items():
        if not table.empty:
            _write_table(table, out / f"{name}.tsv")
    note("")
    classes = report.table("classes")
    if not classes.empty:
        note(f"held-out {report.split['chrom']}: bits/base per class, model vs {report.baseline} "
             "(margin < 0 = model better)")
        note(classes.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    note(f"wrote {out / 'report.json'} and {len([t for t in report.tables.values() if not t.empty])} tables")
    return 0
