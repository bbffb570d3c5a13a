"""Variant scoring speed and memory on the default MLM (yeast).

    .venv/bin/python bench/bench_variants.py [--n-batched 256] [--n-naive 24] [--mem-sizes 500,4000]
                                             [--reader-sizes 10000,100000]

1. Speed, variants/s, all computing the same RC-averaged masked LLR (checked equal):
   * batched — :func:`glm_explore.variants.score_variants`: windows of 2·R+1 (R = receptive field;
     every base the masked position can see, so identical to any longer centred window), one masked
     pass per site and strand for all alternatives, many sites per forward;
   * naive — GPN's 512-bp window, two full forwards per variant (forward strand + reverse
     complement), one variant at a time, no sharing;
   * naive with the batched window — the same loop at 2·R+1, to separate the two gains.
   Variants are random SNVs over the genome (one alternative per site, so no site sharing helps).
2. Peak memory of ``python -m glm_explore score-vcf`` on synthetic VCFs of growing length, each in a
   fresh subprocess (max RSS): flat = memory does not grow with the file; and of the streaming
   reader alone on 10k vs 100k records (the only part whose work grows with the file).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from glm_explore import variants as va  # noqa: E402
from glm_explore.context import variant_window  # noqa: E402
from glm_explore.datasets import load_dataset  # noqa: E402
from glm_explore.models import load_model  # noqa: E402
from glm_explore.sequence import reverse_complement  # noqa: E402


def random_snvs(data, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = data.genome
    chroms = g.chroms
    lengths = np.array([g.lengths[c] for c in chroms], dtype=float)
    rows = []
    while len(rows) < n:
        c = chroms[rng.choice(len(chroms), p=lengths / lengths.sum())]
        p = int(rng.integers(600, g.lengths[c] - 600))
        ref = g.fetch(c, p - 1, p)
        if ref in "ACGT":
            rows.append((c, p, ref, "ACGT".replace(ref, "")[rng.integers(3)]))
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])


def naive_llr(model, genome, row, window: int) -> float:
    """Two full forwards, batch of one: masked forward strand and masked reverse complement."""
    pos0 = row.pos - 1
    start = pos0 - window // 2
    seq = genome.fetch(row.chrom, start, start + window)
    out = 0.0
    for s, i, ref, alt in ((seq, window // 2, row.ref, row.alt),
                           (reverse_complement(seq), window - 1 - window // 2, reverse_complement(row.ref),
                            reverse_complement(row.alt))):
        masked = np.zeros((1, window), dtype=bool)
        masked[0, i] = True
        lp = model.log_probs([s], masked, batch_size=1)[0][:, i]
        out += lp["ACGT".index(alt)] - lp["ACGT".index(ref)]
    return out / 2


def write_vcf(path: Path, df: pd.DataFrame, data) -> None:
    head = ["##fileformat=VCFv4.2", *[f"##contig=<ID={c},length={n}>" for c, n in data.genome.lengths.items()],
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    order = {c: i for i, c in enumerate(data.genome.chroms)}
    df = df.assign(o=df["chrom"].map(order)).sort_values(["o", "pos"])
    body = [f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t{r.alt}\t.\t.\t." for r in df.itertuples()]
    path.write_text("\n".join(head + body) + "\n")


def mem_child(vcf: str, out: str) -> None:
    from glm_explore.cli import main

    t = time.perf_counter()
    if out == "reader-only":  # stream the VCF through the reader (no model): the file-length-dependent part
        data = load_dataset("yeast")
        reader = va.VcfReader(vcf, data, batch_size=1000)
        n = sum(len(ok) for ok, _ in reader)
        print(json.dumps({"rc": 0, "seconds": time.perf_counter() - t, "rows": n,
                          "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return
    rc = main(["score-vcf", vcf, "--genome", "yeast", "--model", "default-mlm", "--out", out, "--quiet",
               "--batch-size", "1000"])
    print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t,
                      "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-batched", type=int, default=256)
    ap.add_argument("--n-naive", type=int, default=24)
    ap.add_argument("--mem-sizes", default="500,4000", help="comma-separated VCF lengths for the memory test")
    ap.add_argument("--mem-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--reader-sizes", default="10000,100000", help="VCF lengths streamed by the reader alone")
    args = ap.parse_args()
    if args.mem_child:
        return mem_child(*args.mem_child)

    import torch

    data = load_dataset("yeast")
    model = load_model("default-mlm")
    R, batched_window = model.info.receptive_field, variant_window(model)
    print(f"default-mlm: receptive field {R} bp each side → batched window {batched_window}; torch threads "
          f"{torch.get_num_threads()}")
    df = random_snvs(data, max(args.n_batched, args.n_naive))

    va.score_variants(model, data, df.iloc[:8])  # warm-up
    t = time.perf_counter()
    batched = va.score_variants(model, data, df.iloc[:args.n_batched], batch_size=64)
    t_b = time.perf_counter() - t
    rate_b = args.n_batched / t_b

    rates = {}
    for label, window in (("naive, 512-bp window (GPN)", 512), ("naive, same window", batched_window)):
        t = time.perf_counter()
        naive = [naive_llr(model, data.genome, r, window) for r in df.iloc[:args.n_naive].itertuples()]
        rates[label] = args.n_naive / (time.perf_counter() - t)
        err = np.abs(np.array(naive) - batched["llr"].to_numpy()[:args.n_naive]).max()
        print(f"  {label}: max |LLR − batched LLR| = {err:.2e}")
    print(f"\nbatched scorer: {rate_b:8.1f} variants/s  ({args.n_batched} variants)")
    for label, r in rates.items():
        print(f"{label:>27}: {r:8.1f} variants/s  ({args.n_naive} variants)  → batched is {rate_b / r:5.1f}× faster")

    sizes = [int(x) for x in args.mem_sizes.split(",") if x]
    if sizes:
        print("\npeak memory of score-vcf (fresh process each, max RSS):")
        for n, info, out in memory_children(data, sizes, lambda tmp, n: str(Path(tmp) / f"{n}.parquet")):
            rows = pd.read_parquet(out).shape[0]
            print(f"  {n:>7,} variants: {info['max_rss_mib']:7.0f} MiB max RSS, {info['seconds']:6.1f} s "
                  f"({rows:,} rows written, {n / info['seconds']:.1f} variants/s)")
    reader_sizes = [int(x) for x in args.reader_sizes.split(",") if x]
    if reader_sizes:
        print("\npeak memory of the streaming VCF reader alone (fresh process each, max RSS):")
        for n, info, _ in memory_children(data, reader_sizes, lambda tmp, n: "reader-only"):
            print(f"  {n:>7,} records: {info['max_rss_mib']:7.0f} MiB max RSS, {info['seconds']:6.1f} s "
                  f"({info['rows']:,} SNVs passed)")


def memory_children(data, sizes, out_arg):
    """For each n in ``sizes``: write n random SNVs to a VCF, run ``--mem-child VCF out_arg(tmp, n)`` in a
    fresh process and yield ``(n, its JSON report, out_arg)`` while the temporary folder still exists."""
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            vcf = Path(tmp) / f"{n}.vcf"
            write_vcf(vcf, random_snvs(data, n, seed=n), data)
            out = out_arg(tmp, n)
            res = subprocess.run([sys.executable, __file__, "--mem-child", str(vcf), out],
                                 capture_output=True, text=True, check=True)
            report = json.loads(res.stdout.strip().splitlines()[-1])
            if report["rc"] != 0:
                raise SystemExit(f"score-vcf failed in the child (exit {report['rc']}): {res.stderr.strip()}")
            yield n, report, out


if __name__ == "__main__":
    main()
