"""Variant scoring speed and memory on the default MLM (yeast): packed masked passes vs a naive loop.

    .venv/bin/python bench/bench_variants.py [--dense-bp 20000] [--n-sparse 1000] [--n-naive 150]
        [--n-reference 1500] [--vcf-records 2000,20000] [--reader-sizes 10000,100000] [--repeats 1]

Every rate is variants/s (one variant = one REF→ALT allele) of the same RC-averaged masked LLR (the
packed results are checked equal to the naive ones):

1. **dense** — every SNV of a ``--dense-bp`` region of chrIV (3 alternatives per site);
   **sparse** — ``--n-sparse`` random SNVs over the genome (one alternative per site, far apart).
   * packed — :func:`glm_explore.variants.score_variants` (default): sites packed many per row
     (contexts shared, masks R+1 apart), one masked position per site and strand for all alternatives;
   * per-site — the same with ``packed=False`` (one 2·R+1 window per site, batched): the scorer before
     packing, on the first ``--n-reference`` variants;
   * naive — two full forwards per variant (masked forward strand + reverse complement), batch of one,
     the same 2·R+1 window fetched from the FASTA, one variant at a time (``--n-naive`` variants).
   The issue's targets (idle machine): packed ≥ 10× naive dense, ≥ 3× sparse. The machine load
   (``os.getloadavg``) is printed with the figures: a loaded machine distorts every ratio.
2. ``python -m glm_explore score-vcf`` on dense sorted VCFs of growing length (every SNV of a region,
   one record per allele), each in a fresh subprocess: variants/s and max RSS (flat = memory does not
   grow with the file; the issue's figure is ``--vcf-records 10000,100000``: minutes, not seconds);
   and max RSS of the streaming reader alone on ``--reader-sizes`` records.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from glm_explore import variants as va
from glm_explore.context import variant_window
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.sequence import reverse_complement

ROOT = Path(__file__).resolve().parents[1]

DENSE_CHROM, DENSE_START = "chrIV", 500_000  # 0-based start of the dense region


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


def dense_snvs(data, length: int, start: int = DENSE_START, chrom: str = DENSE_CHROM) -> pd.DataFrame:
    """Every SNV (3 alternatives per A/C/G/T base) of ``chrom:start+1-start+length``, in order."""
    seq = data.genome.fetch(chrom, start, start + length)
    return pd.DataFrame([(chrom, start + 1 + i, b, a) for i, b in enumerate(seq) if b in "ACGT"
                         for a in "ACGT" if a != b], columns=["chrom", "pos", "ref", "alt"])


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
    df = df.assign(o=df["chrom"].map(order)).sort_values(["o", "pos"], kind="stable")
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
    rc = main(["score-vcf", vcf, "--genome", "yeast", "--model", "default-mlm", "--out", out, "--quiet"])
    print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t,
                      "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def rate(fn, n: int) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return n / (time.perf_counter() - t), out


def speed(model, data, label: str, df: pd.DataFrame, n_naive: int, n_reference: int, window: int) -> None:
    """Packed, per-site (packed=False) and naive rates on ``df``; prints them and the ratios."""
    r_packed, packed = rate(lambda: va.score_variants(model, data, df), len(df))
    ref_df = df.iloc[:n_reference]
    r_ref, ref = rate(lambda: va.score_variants(model, data, ref_df, packed=False), len(ref_df))
    pick = np.linspace(0, len(df) - 1, min(n_naive, len(df))).astype(int)
    r_naive, naive = rate(lambda: [naive_llr(model, data.genome, r, window) for r in df.iloc[pick].itertuples()],
                          len(pick))
    err = max(np.abs(np.array(naive) - packed["llr"].to_numpy()[pick]).max(),
              np.abs(ref["llr"].to_numpy() - packed["llr"].to_numpy()[:len(ref_df)]).max())
    print(f"{label}: {len(df):,} variants at {df[['chrom', 'pos']].drop_duplicates().shape[0]:,} sites "
          f"(max |ΔLLR| packed vs per-site/naive {err:.1e}); {load()}")
    print(f"  packed   {r_packed:8.1f} variants/s  ({len(df):,} variants)")
    print(f"  per-site {r_ref:8.1f} variants/s  ({len(ref_df):,} variants)  → packed {r_packed / r_ref:5.1f}×")
    print(f"  naive    {r_naive:8.1f} variants/s  ({len(pick):,} variants)  → packed {r_packed / r_naive:5.1f}×")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dense-bp", type=int, default=20_000, help="length of the dense region (every SNV)")
    ap.add_argument("--n-sparse", type=int, default=1000, help="random SNVs over the genome")
    ap.add_argument("--n-naive", type=int, default=150, help="variants through the naive loop (each case)")
    ap.add_argument("--n-reference", type=int, default=1500, help="variants through the per-site scorer")
    ap.add_argument("--repeats", type=int, default=1, help="run the speed figures this many times")
    ap.add_argument("--vcf-records", default="2000,20000", help="dense VCF lengths through score-vcf")
    ap.add_argument("--mem-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--reader-sizes", default="10000,100000", help="VCF lengths streamed by the reader alone")
    args = ap.parse_args()
    if args.mem_child:
        return mem_child(*args.mem_child)

    import torch

    data = load_dataset("yeast")
    model = load_model("default-mlm")
    R, window = model.info.receptive_field, variant_window(model)
    print(f"default-mlm: receptive field {R} bp each side → window {window}; torch threads "
          f"{torch.get_num_threads()}; {load()}")
    va.score_variants(model, data, random_snvs(data, 8, seed=99))  # warm-up
    dense, sparse = dense_snvs(data, args.dense_bp), random_snvs(data, args.n_sparse)
    for k in range(args.repeats):
        print(f"\n-- run {k + 1} of {args.repeats}")
        if len(dense):
            speed(model, data, f"dense ({DENSE_CHROM}:{DENSE_START + 1:,}-{DENSE_START + args.dense_bp:,}, every "
                  "SNV)", dense, args.n_naive, args.n_reference, window)
        if len(sparse):
            speed(model, data, "sparse (random SNVs over the genome, one per site)", sparse, args.n_naive,
                  args.n_reference, window)

    sizes = [int(x) for x in args.vcf_records.split(",") if x]
    if sizes:
        print(f"\nscore-vcf on dense sorted VCFs (fresh process each, max RSS; {load()}):")
        for n, info, out in memory_children(data, sizes, lambda tmp, n: str(Path(tmp) / f"{n}.parquet"),
                                            dense=True):
            rows = pd.read_parquet(out).shape[0]
            print(f"  {n:>7,} records: {info['max_rss_mib']:7.0f} MiB max RSS, {info['seconds']:6.1f} s "
                  f"({rows:,} rows written, {rows / info['seconds']:.1f} variants/s incl. start-up)")
    reader_sizes = [int(x) for x in args.reader_sizes.split(",") if x]
    if reader_sizes:
        print("\npeak memory of the streaming VCF reader alone (fresh process each, max RSS):")
        for n, info, _ in memory_children(data, reader_sizes, lambda tmp, n: "reader-only"):
            print(f"  {n:>7,} records: {info['max_rss_mib']:7.0f} MiB max RSS, {info['seconds']:6.1f} s "
                  f"({info['rows']:,} SNVs passed)")


def memory_children(data, sizes, out_arg, dense: bool = False):
    """For each n in ``sizes``: write n SNVs (random, or with ``dense`` every SNV of a region from
    chrIV:500,001) to a VCF, run ``--mem-child VCF out_arg(tmp, n)`` in a fresh process and yield ``(n, its
    JSON report, out_arg)`` while the temporary folder still exists."""
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            vcf = Path(tmp) / f"{n}.vcf"
            df = dense_snvs(data, n // 3 + 1).iloc[:n] if dense else random_snvs(data, n, seed=n)
            write_vcf(vcf, df, data)
            out = out_arg(tmp, n)
            res = subprocess.run([sys.executable, __file__, "--mem-child", str(vcf), out],
                                 capture_output=True, text=True, check=True)
            report = json.loads(res.stdout.strip().splitlines()[-1])
            if report["rc"] != 0:
                raise SystemExit(f"score-vcf failed in the child (exit {report['rc']}): {res.stderr.strip()}")
            yield n, report, out


if __name__ == "__main__":
    main()
