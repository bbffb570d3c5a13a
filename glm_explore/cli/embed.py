"""``python -m glm_explore embed``: region-class windows → embeddings → PCA/UMAP (parquet) + separation table."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import reduce
from ..cost import embed_cost
from ..embed import DEFAULT_POOLING, POOLINGS, EmbedSettings, embed_windows, normalize_layers, window_frame
from ..errors import RegionError
from ..region_windows import make_windows
from .common import (
    add_genome_model_args,
    costed,
    int_range,
    load_genome_arg,
    load_model_arg,
    note,
    output_path,
    stderr_progress,
)
from .engine_args import add_engine_args, engine_options, shard_progress

MAX_K = 6  # k-mer baseline: 4**6 = 4,096 features


def layers_arg(text: str) -> list[int] | str:
    """argparse type of ``--layers``: ``all`` or comma-separated integers (checked against the model later)."""
    if text.strip() == "all":
        return "all"
    try:
        layers = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'all' or comma-separated integers like -1 or 7,8,9; "
                                         f"got {text!r}") from None
    if not layers:
        raise argparse.ArgumentTypeError("is empty; give 'all' or integers like -1 or 7,8,9")
    return layers


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("embed", help="region-class windows → embeddings → PCA/UMAP (parquet)",
                              description="Windows labelled by region class, embedded by the model, reduced "
                                          "to 2-D; prints how well classes separate vs a k-mer baseline.")
    add_genome_model_args(p)
    p.add_argument("--out", required=True, type=output_path((".parquet", ".csv")),
                   help="output .parquet (or .csv) file")
    p.add_argument("--length", type=int_range(2, 100_000), default=512, help="window length (bp)")
    p.add_argument("--stride", type=int_range(1, None), default=100, help="window stride (bp)")
    p.add_argument("--center", type=int_range(1, 100_000), default=100,
                   help="centre length that must lie in one class (bp, ≤ --length)")
    p.add_argument("--cap", type=int_range(0, None), default=200,
                   help="max windows per class and split (0 = no cap)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chroms", default="", help="comma-separated chromosomes (default all)")
    p.add_argument("--non-overlapping", action="store_true", help="de-duplicate: no two windows overlap")
    p.add_argument("--layers", type=layers_arg, default="-1",
                   help="'all', or layers to concatenate, e.g. -1 or 7,8,9")
    p.add_argument("--pooling", default=DEFAULT_POOLING, choices=POOLINGS)
    p.add_argument("--rc", choices=["auto", "on", "off"], default="auto",
                   help="reverse-complement averaging (auto: on for MLMs)")
    p.add_argument("--no-umap", action="store_true", help="skip UMAP (PCA only)")
    p.add_argument("--k", type=int_range(1, MAX_K), default=4, help=f"k-mer baseline k (1-{MAX_K})")
    p.add_argument("--no-metrics", action="store_true", help="skip the separation table")
    p.add_argument("--batch-size", type=int_range(1, 4096), default=128)
    p.add_argument("--probe-out", default=None, type=output_path((".json",)),
                   help="also write the region-class probe (fit on training windows) as JSON, for "
                        "`attribute --target probe` and `motifs`")
    p.add_argument("--shard-size", type=int_range(1, None), default=None,
                   help="--engine ray: windows per shard (default 512)")
    add_engine_args(p, shard_help="--shard-size windows")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.center > args.length:
        raise RegionError(f"--center {args.center} is longer than --length {args.length}; "
                                     "the centre must fit in the window.")
    opts = engine_options(args, also=("shard_size",))
    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model, fast=args.fast)
    layers = normalize_layers(model, args.layers)  # a bad layer fails before any window is embedded
    chroms = [c for c in args.chroms.split(",") if c.strip()] or None
    ws = make_windows(data, length=args.length, stride=args.stride, center=args.center, chroms=chroms,
                      cap_per_class=args.cap or None, seed=args.seed, non_overlapping=args.non_overlapping)
    note(ws.split_note)
    for line in ws.notes:
        note(line)
    note(ws.counts.to_string(index=False))
    settings = EmbedSettings(layers=tuple(layers), pooling=args.pooling, center=args.center,
                             rc=None if args.rc == "auto" else args.rc == "on", batch_size=args.batch_size
                             ).resolved(model)
    if opts is None:
        with costed(embed_cost(model, ws.sequences, settings), "embed"):
            emb = embed_windows(model, ws.sequences, settings, progress=stderr_progress())
    else:
        emb = _embed_ray(args, opts, model, ws.sequences, settings)
    note("")
    X = emb.features(emb.layers)
    projections = [reduce.pca_coords(X, seed=args.seed)]
    if not args.no_umap:
        projections.append(reduce.umap_coords(X, seed=args.seed))
    frame = window_frame(ws, emb, projections, layers=emb.layers)
    out = Path(args.out)
    if out.suffix == ".csv":
        frame.assign(embedding=[" ".join(f"{v:.5g}" for v in row) for row in frame["embedding"]]).to_csv(
            out, index=False)
    else:
        frame.to_parquet(out, index=False)
    note(f"wrote {len(frame):,} windows × {X.shape[1]} dims to {out}")
    if args.probe_out:
        probe = reduce.fit_probe(emb, ws.labels, ws.train_mask, layers=emb.layers)
        Path(args.probe_out).write_text(probe.to_json())
        note(f"wrote the {len(probe.classes)}-class probe (held-out macro-F1 {probe.heldout_macro_f1:.3f}) to "
             f"{args.probe_out}")
    if not args.no_metrics:
        seps = reduce.compare_separation(X, ws.sequences, ws.labels, ws.train_mask, k=args.k,
                                         model_name=model.info.name)
        print(reduce.separation_table(seps).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _embed_ray(args: argparse.Namespace, opts, model, seqs, settings: EmbedSettings):
    """``--engine ray``: actors that each load ``--model`` embed the window slices into a shard store (resumable);
    the one driver, :func:`embed_windows`, then builds the same Embeddings from it."""
    from ..distributed import embed_store, embed_windows_ray

    shard_size = args.shard_size or 512
    store = embed_store(args.out, seqs, settings, model=args.model, shard_size=shard_size)
    ray_run = embed_windows_ray(args.model, seqs, settings, store, shard_size=shard_size, opts=opts,
                                progress=shard_progress())
    emb = embed_windows(model, seqs, settings, shards=store, shard_size=shard_size)
    store.remove()
    note(ray_run.line())
    return emb
