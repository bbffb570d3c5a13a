"""Ray engine throughput, measured in one run (not a test; prints numbers): score-vcf with 1 vs 2 actors.

A synthetic VCF of random SNVs on one yeast chromosome is scored (default MLM, both strands) by

1. the local engine (in-process ``write_vcf_scores``): variants/s;
2. ``score_vcf_ray`` with 1 actor, then 2 actors, on one local Ray (``num_cpus`` = the actor count asked for,
   started once): wall time, time to the first finished shard (actor start + model load + first shard), and the
   steady rate between the first and the last finished shard (startup excluded), total and per actor.

The per-actor steady rate is the figure a capacity plan multiplies (README: N nodes × actors per node).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_ray.py [--n 2400] [--shard 100] [--model default-mlm]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from glm_explore.distributed import EngineOptions, score_vcf_ray, vcf_store
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.variants import VariantScoreSettings, write_vcf_scores

ROOT = Path(__file__).resolve().parents[1]


def synthetic_vcf(path: Path, data, chrom: str, n: int, seed: int = 0) -> None:
    """``n`` random SNVs (distinct positions, sorted) on ``chrom``, all scorable."""
    rng = np.random.default_rng(seed)
    seq = data.genome.fetch(chrom)
    pos = np.sort(rng.choice(np.arange(1, len(seq) + 1), n, replace=False))
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={chrom},length={len(seq)}>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, p in enumerate(pos):
        ref = seq[p - 1]
        if ref not in "ACGT":
            continue
        lines.append(f"{chrom}\t{p}\tv{i}\t{ref}\t{[b for b in 'ACGT' if b != ref][i % 3]}\t.\t.\t.")
    path.write_text("\n".join(lines) + "\n")


def bench_local(model_spec: str, data, vcf: Path, out: Path, shard: int) -> float:
    model = load_model(model_spec)
    t = time.perf_counter()
    summary = write_vcf_scores(model, data, vcf, out, out.with_suffix(".skipped.tsv"),
                               VariantScoreSettings(chunk_size=shard))
    dt = time.perf_counter() - t
    rate = summary.scored / dt
    print(f"local engine (1 process, {os.environ.get('OMP_NUM_THREADS', '?')} torch thread(s)): "
          f"{summary.scored:,} variants in {dt:.1f} s = {rate:.1f} variants/s")
    return rate


def bench_ray(model_spec: str, data, vcf: Path, out: Path, shard: int, actors: int, n_scored: int) -> float:
    stamps: list[float] = []
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done:
            stamps.append(time.perf_counter())

    settings = VariantScoreSettings(chunk_size=shard)
    store = vcf_store(out, vcf, settings, model=model_spec, genome="yeast")
    run = score_vcf_ray(vcf, data, settings, store, model=model_spec, genome="yeast",
                        opts=EngineOptions(actors=actors), progress=progress)
    write_vcf_scores(None, data, vcf, out, out.with_suffix(".skipped.tsv"), settings, shards=store)
    store.remove()
    wall = time.perf_counter() - t0
    first, last = stamps[actors - 1] - t0, stamps[-1] - t0  # steady state: after each actor's first shard
    steady_shards = run.shards - actors
    rate = steady_shards * shard / (last - first) if steady_shards > 0 and last > first else float("nan")
    print(f"ray, {actors} actor(s): {n_scored:,} variants in {wall:.1f} s wall ({n_scored / wall:.1f} variants/s "
          f"incl. startup); first shard after {stamps[0] - t0:.1f} s; steady {rate:.1f} variants/s = "
          f"{rate / actors:.1f} per actor ({run.shards} shards of {shard})")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2400, help="SNVs in the synthetic VCF")
    ap.add_argument("--shard", type=int, default=100, help="alleles per shard (= --batch-size)")
    ap.add_argument("--model", default="default-mlm")
    ap.add_argument("--chrom", default="chrIII")
    args = ap.parse_args()

    import ray

    data = load_dataset("yeast")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        vcf = tmp / "bench.vcf"
        synthetic_vcf(vcf, data, args.chrom, args.n)
        local = bench_local(args.model, data, vcf, tmp / "local.parquet", args.shard)
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}})
        print(f"ray.init (local, 2 CPUs): {time.perf_counter() - t:.1f} s")
        n_scored = sum(1 for line in vcf.read_text().splitlines() if not line.startswith("#"))
        rates = {k: bench_ray(args.model, data, vcf, tmp / f"ray{k}.parquet", args.shard, k, n_scored)
                 for k in (1, 2)}
        ray.shutdown()
    print(f"2 actors / 1 actor (steady): {rates[2] / rates[1]:.2f}×; 1 actor / local engine: "
          f"{rates[1] / local:.2f}× (machine: {os.cpu_count()} cores, shared — figures under load)")


if __name__ == "__main__":
    main()
