"""Benchmark: the CLI on random-weight models of the public shapes people bring (issue 23).

    .venv/bin/python bench/real_size.py [--tiny] [--build-only] [--only NAME ...] [--cache DIR]

Builds once (cached under ``--cache``, default ``.cache/real_size/``, ignored by git) random-weight models
with the public configurations and tokenizers — random weights cost exactly what trained ones cost:

* ``nt-v2-100m``: ESM / Nucleotide-Transformer-v2-100M-like (rotary, 22 layers × 512, 6-mer ``EsmTokenizer``
  vocabulary of 4,107), saved in Hugging Face cache layout (``hub/models--bench--nt-v2-100m-like/snapshots/
  <hash>/``) with sharded safetensors and their index;
* ``gpn``: ``gpn``'s default ``GPNConfig()`` with GPN's lower-case character tokenizer (plain folder);
* ``dnabert2``: a DNABERT-2-shaped BERT (12 × 768) with a 4,096-token BPE ``tokenizer.json`` trained here on
  yeast (``tokenizers``; plain folder);
* ``gpt2-char``: a character GPT-2-small CLM (12 × 768), weights as ``pytorch_model.bin`` (plain folder).

Then times, through the CLI in a subprocess, ``logits`` over 500 bp of yeast, ``score-vcf`` on 200 SNVs
(yeast chrIV) and ``embed --cap 20`` (``--commands`` picks; ``--fast`` runs them with int8 Linear layers), and
prints one table with each command's wall time, its job's own time next to the estimate the command computed
before starting it (the line each command logs to ``GLM_EXPLORE_COST_LOG``: the check that estimates fall
within 2× of what happens), and peak RSS (the child's ``ru_maxrss`` from ``os.wait4``, i.e. ``getrusage`` of
that one child). ``--int8`` adds a second table: the fast switch
(``--fast``, int8 dynamic quantization of Linear layers) against full precision on held-out windows (yeast
chrIV, away from the timed region and SNVs) — its speed-up and the max |Δ log P| and Spearman ρ of
log P(reference base): MLMs at 32 single-mask sites per 512-bp window (``masked_sites``), CLMs the next-base
log-probs of each window (one pass), in a child process per model. ``--tiny`` builds tiny versions of the same classes
and tokenizers (same layouts) and runs the table end to end in a minute or two: a check of the bench itself,
not a measurement. The real-size build needs ~2 GB of disk and a few minutes; the timings several CPU-hours
on 2 cores — run it on an idle machine.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASES = "ACGT"
TRAIN_CHROM, TEST_CHROM = "chrII", "chrIV"  # BPE trained on one chromosome, benchmarks read another


# ------------------------------------------------------------------------------------------- builders

def _yeast(chrom: str, start: int, end: int) -> str:
    from glm_explore.io.datasets import load_dataset

    return load_dataset("yeast").genome.fetch(chrom, start, end).upper()


def build_nt(folder: Path, tiny: bool):
    """ESM, rotary, 6-mer vocabulary of 4,107 (NT-v2-100M: 22 × 512, FFN 2,048, 16 heads)."""
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"] + \
        ["".join(p) for p in itertools.product(BASES, repeat=6)] + list(BASES) + ["N"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = EsmTokenizer(str(folder / "vocab.txt"))
    size = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32) if tiny else \
        dict(hidden_size=512, num_hidden_layers=22, num_attention_heads=16, intermediate_size=2048)
    model = EsmForMaskedLM(EsmConfig(vocab_size=len(vocab), max_position_embeddings=2050, pad_token_id=1,
                                     mask_token_id=2, position_embedding_type="rotary", **size)).eval()
    return model, tok


def build_gpn(folder: Path, tiny: bool):
    """``GPNConfig()`` defaults (25 dilated conv blocks × 512) with GPN's a/c/g/t tokenizer."""
    import gpn

    gpn.register_auto_classes()
    from gpn.model import GPNConfig, GPNForMaskedLM

    from glm_explore.models.hf.char_tokenizer import char_tokenizer

    tok, vocab = char_tokenizer(["[PAD]", "[MASK]", "[UNK]"], lower=True, template=False, pad_token="[PAD]",
                                 mask_token="[MASK]")
    size = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2) if tiny else {}
    return GPNForMaskedLM(GPNConfig(vocab_size=len(vocab), **size)).eval(), tok


def build_dnabert2(folder: Path, tiny: bool):
    """BERT 12 × 768 with a BPE tokenizer (4,096 tokens) trained here on yeast."""
    from tokenizers import Tokenizer, models, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tk = Tokenizer(models.BPE(unk_token="[UNK]"))
    trainer = trainers.BpeTrainer(vocab_size=80 if tiny else 4096, special_tokens=specials,
                                  initial_alphabet=list(BASES), show_progress=False)
    train = _yeast(TRAIN_CHROM, 0, 20_000 if tiny else 800_000).replace("N", "")
    tk.train_from_iterator([train[i:i + 1000] for i in range(0, len(train), 1000)], trainer)
    v = tk.get_vocab()
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", v["[CLS]"]), ("[SEP]", v["[SEP]"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]")
    size = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32) if tiny else \
        dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    model = BertForMaskedLM(BertConfig(vocab_size=len(v), max_position_embeddings=512, pad_token_id=v["[PAD]"],
                                       **size)).eval()
    return model, tok


def build_gpt2(folder: Path, tiny: bool):
    """Character GPT-2-small (12 × 768, 1,024 positions)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from glm_explore.models.hf.char_tokenizer import char_tokenizer

    tok, vocab = char_tokenizer(["[PAD]", "[UNK]", "[BOS]"], lower=False, template=False, pad_token="[PAD]",
                                 bos_token="[BOS]", eos_token="[BOS]")
    size = dict(n_embd=16, n_layer=2, n_head=2) if tiny else dict(n_embd=768, n_layer=12, n_head=12)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=1024, bos_token_id=vocab["[BOS]"],
                                       eos_token_id=vocab["[BOS]"], **size)).eval()
    return model, tok


# name → (builder, layout, Hugging Face id for the cache layout)
SHAPES = {
    "nt-v2-100m": (build_nt, "hf-cache-sharded", "bench/nt-v2-100m-like"),
    "gpn": (build_gpn, "plain", None),
    "dnabert2": (build_dnabert2, "plain", None),
    "gpt2-char": (build_gpt2, "pytorch_model.bin", None),
}


def _save(model, tok, folder: Path, layout: str, tiny: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if layout == "pytorch_model.bin":
        import torch

        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    elif layout == "hf-cache-sharded":
        model.save_pretrained(folder, max_shard_size="40KB" if tiny else "100MB")
    else:
        model.save_pretrained(folder)
    tok.save_pretrained(folder)


def build(name: str, root: Path, *, tiny: bool) -> tuple[str, dict]:
    """Build ``name`` once under ``root`` (kept); returns (the ``--model`` spec, extra environment)."""
    import torch

    fn, layout, hf_id = SHAPES[name]
    env: dict = {}
    if hf_id:
        hub = root / "hub"
        repo = hub / ("models--" + hf_id.replace("/", "--"))
        env["HF_HUB_CACHE"] = str(hub)
        spec = hf_id
        ref = repo / "refs" / "main"
        if ref.exists() and (repo / "snapshots" / ref.read_text().strip() / "config.json").exists():
            return spec, env
        commit = hashlib.sha1(f"{name}-{tiny}".encode()).hexdigest()
        folder = repo / "snapshots" / commit
    else:
        folder = root / "plain" / name
        spec = str(folder)
        if (folder / "config.json").exists():
            return spec, env
    torch.manual_seed(0)
    t = time.perf_counter()
    model, tok = fn(folder, tiny)
    _save(model, tok, folder, layout, tiny)
    if hf_id:
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(folder.name)
    n = sum(p.numel() for p in model.parameters())
    print(f"built {name} ({n / 1e6:.1f} M parameters, {layout}) in {time.perf_counter() - t:.0f} s → {folder}",
          flush=True)
    return spec, env


# ------------------------------------------------------------------------------------------- inputs

def write_inputs(folder: Path, *, n_snvs: int, bp: int) -> tuple[str, Path]:
    """The ``logits`` region (1-based) and a VCF of ``n_snvs`` SNVs on yeast chrIV (fixed seed)."""
    import numpy as np

    start = 300_001
    region = f"{TEST_CHROM}:{start}-{start + bp - 1}"
    rng = np.random.default_rng(0)
    positions = np.sort(rng.choice(np.arange(400_000, 900_000), size=3 * n_snvs, replace=False))
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for p in positions:
        ref = _yeast(TEST_CHROM, int(p) - 1, int(p))
        if ref not in BASES:
            continue
        alt = [b for b in BASES if b != ref][int(rng.integers(3))]
        lines.append(f"{TEST_CHROM}\t{p}\t.\t{ref}\t{alt}\t.\tPASS\t.")
        if len(lines) - 2 == n_snvs:
            break
    vcf = folder / f"snvs_{n_snvs}.vcf.gz"
    with gzip.open(vcf, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return region, vcf


# ------------------------------------------------------------------------------------------- timing

def run_cli(args: list[str], env: dict) -> tuple[float, float, int, dict]:
    """(wall seconds, peak RSS in GiB, exit code, cost record) of ``python -m glm_explore ARGS`` in a child
    process. The cost record is the command's own estimate and the measured time of its job (the JSON line it
    appends to ``GLM_EXPLORE_COST_LOG``; empty when it logged none)."""
    with tempfile.TemporaryDirectory(prefix="real_size_cost_") as tmp:
        log = Path(tmp) / "cost.jsonl"
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "glm_explore", *args], cwd=ROOT,
                                env={**os.environ, **env, "GLM_EXPLORE_COST_LOG": str(log)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = os.waitstatus_to_exitcode(status)
        record = json.loads(log.read_text().splitlines()[-1]) if log.exists() and log.read_text().strip() else {}
    if code:
        print(f"  failed ({code}): {' '.join(args[:1])}: {err.strip().splitlines()[-1:] or ''}", flush=True)
    return wall, usage.ru_maxrss / 2**20, code, record  # ru_maxrss is in KiB on Linux


def _rows(parquet: str) -> int:
    """Alleles with an LLR in a ``score-vcf`` output."""
    import pandas as pd

    return int(pd.read_parquet(parquet, columns=["llr"])["llr"].notna().sum())


INT8_WINDOWS, INT8_BP, INT8_SITES = 4, 512, 32


def int8_one(spec: str) -> dict:
    """Full precision vs ``--fast`` (int8) on held-out windows, in this process: seconds of each, max |Δ log P|
    and Spearman ρ of log P(reference base) (see the module docstring)."""
    import numpy as np
    from scipy.stats import spearmanr

    from glm_explore.models import load_model

    seqs = [_yeast(TEST_CHROM, s, s + INT8_BP) for s in range(100_000, 100_000 + 60_000 * INT8_WINDOWS, 60_000)]
    seqs = [s.replace("N", "A") for s in seqs]
    sites = np.linspace(0, INT8_BP - 1, INT8_SITES).astype(np.int64)

    def ref_logp(model) -> tuple[np.ndarray, float]:
        t = time.perf_counter()
        if model.info.is_mlm:
            row_of = np.repeat(np.arange(len(seqs)), len(sites))
            lp = model.masked_sites(seqs, row_of, np.tile(sites, len(seqs)))  # (M, 4)
            ref = np.array(["ACGT".index(seqs[r][o]) for r, o in zip(row_of, np.tile(sites, len(seqs)))])
            vals = lp[np.arange(len(ref)), ref]
        else:
            lp = np.concatenate([model.log_probs([s]) for s in seqs])  # (n, 4, L)
            ref = np.array([["ACGT".index(c) for c in s] for s in seqs])
            vals = np.take_along_axis(lp, ref[:, None, :], axis=1)[:, 0].ravel()
        return vals, time.perf_counter() - t

    full = load_model(spec)
    ref_logp(full)  # warm-up (first-call allocations, tokenizer caches)
    a, ta = ref_logp(full)
    fast = load_model(spec, fast=True)
    ref_logp(fast)
    b, tb = ref_logp(fast)
    return {"full_s": ta, "int8_s": tb, "speedup": ta / tb, "max_abs_dlogp": float(np.abs(a - b).max()),
            "spearman": float(spearmanr(a, b)[0]), "values": int(len(a)), "name": fast.info.name}


def run_int8(spec: str, env: dict) -> dict | None:
    """:func:`int8_one` in a child process (its own environment, e.g. the HF cache of a cache-layout model)."""
    proc = subprocess.run([sys.executable, __file__, "--int8-one", spec], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    if proc.returncode:
        print(f"  int8 comparison failed: {proc.stderr.strip().splitlines()[-1:]}", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny models of the same classes: checks the bench fast")
    ap.add_argument("--build-only", action="store_true", help="build (or find) the models and stop")
    ap.add_argument("--only", nargs="+", choices=list(SHAPES), help="these shapes only")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "real_size", help="where models are kept")
    ap.add_argument("--snvs", type=int, help="SNVs for score-vcf (default 200; 20 with --tiny)")
    ap.add_argument("--bp", type=int, help="bases for logits (default 500; 100 with --tiny)")
    ap.add_argument("--int8", action="store_true", help="also compare the --fast (int8) switch to full precision")
    ap.add_argument("--int8-only", action="store_true", help="only the int8 comparison (no CLI timings)")
    ap.add_argument("--int8-one", metavar="SPEC", help=argparse.SUPPRESS)  # the child of --int8
    ap.add_argument("--commands", nargs="+", choices=["logits", "score-vcf", "embed"],
                    default=["logits", "score-vcf", "embed"], help="which CLI commands to time (default all)")
    ap.add_argument("--embed-cap", type=int, default=20, help="windows per class and split for embed (default 20)")
    ap.add_argument("--fast", action="store_true", help="run the commands with --fast (int8 Linear layers)")
    args = ap.parse_args(argv)
    if args.int8_one:
        print(json.dumps(int8_one(args.int8_one)))
        return []
    root = args.cache / ("tiny" if args.tiny else "full")
    root.mkdir(parents=True, exist_ok=True)
    names = args.only or list(SHAPES)
    built = {name: build(name, root, tiny=args.tiny) for name in names}
    if args.build_only:
        return []
    n_snvs = args.snvs or (20 if args.tiny else 200)
    bp = args.bp or (100 if args.tiny else 500)
    region, vcf = write_inputs(root, n_snvs=n_snvs, bp=bp)
    if args.int8 or args.int8_only:
        int8_table(names, built, tiny=args.tiny, root=root)
    if args.int8_only:
        return []
    rows = []
    fast = ["--fast"] if args.fast else []
    with tempfile.TemporaryDirectory(prefix="real_size_") as tmp:
        for name in names:
            spec, env = built[name]
            commands = {
                "logits": ["logits", "--genome", "yeast", "--model", spec, *fast, "--region", region,
                           "--out", f"{tmp}/{name}.parquet"],
                "score-vcf": ["score-vcf", "--genome", "yeast", "--model", spec, *fast, "--quiet",
                              "--max-sv-size", "0", "--background", "none", "--out", f"{tmp}/{name}.vcf.parquet",
                              str(vcf)],
                "embed": ["embed", "--genome", "yeast", "--model", spec, *fast, "--cap", str(args.embed_cap),
                          "--no-umap", "--no-metrics", "--out", f"{tmp}/{name}.embed.parquet"]}
            for command in args.commands:
                wall, rss, code, rec = run_cli(commands[command], env)
                row = {"model": name + (" --fast" if args.fast else ""), "layout": SHAPES[name][1],
                       "command": command, "wall_s": wall, "ok": code == 0, "peak_rss_gib": rss, **rec}
                if command == "score-vcf":
                    row["scored"] = _rows(f"{tmp}/{name}.vcf.parquet") if code == 0 else 0
                    row["snvs_per_s"] = n_snvs / wall
                rows.append(row)
                print(f"  {row['model']} {command}: {wall:.1f} s", flush=True)
    what = {"logits": f"`logits` {bp} bp", "score-vcf": f"`score-vcf` {n_snvs} SNVs",
            "embed": f"`embed --cap {args.embed_cap}`"}
    print(f"\n{'tiny models: a check of the bench, not a measurement' if args.tiny else 'real-size models'} "
          "(wall s of the whole command, its job's own time, the estimate it gave before the job, peak RSS of the child)")
    print("| model | command | wall | job | estimate | estimate / job | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        wall = f"{r['wall_s']:.1f} s" + ("" if r["ok"] else " (failed)")
        if "snvs_per_s" in r:
            wall += f" ({r['snvs_per_s']:.2f} SNVs/s, {r['scored']} scored)"
        job = f"{r['actual_s']:.1f} s" if "actual_s" in r else "–"
        est = f"{r['estimate_s']:.1f} s" if "estimate_s" in r else "–"
        ratio = f"×{r['estimate_s'] / r['actual_s']:.2f}" if r.get("actual_s") else "–"
        print(f"| {r['model']} | {what[r['command']]} | {wall} | {job} | {est} | {ratio} | {r['peak_rss_gib']:.2f} GiB |")
    (root / "last_table.json").write_text(json.dumps(rows, indent=1))
    return rows


def int8_table(names: list[str], built: dict, *, tiny: bool, root: Path) -> list[dict]:
    """The int8 comparison of every shape, printed as one table (and kept in ``int8_table.json``)."""
    rows = []
    for name in names:
        r = run_int8(*built[name])
        if r is not None:
            rows.append({"model": name, **r})
            print(f"  {name} int8: ×{r['speedup']:.2f}, max |Δ log P| {r['max_abs_dlogp']:.3f}, "
                  f"ρ {r['spearman']:.4f}", flush=True)
    print(f"\n{'tiny models: a check of the bench, not a measurement' if tiny else 'real-size models'}; --fast "
          f"(int8 Linear layers) vs full precision, {INT8_WINDOWS} held-out {INT8_BP}-bp windows (yeast {TEST_CHROM}); "
          f"MLM: {INT8_SITES} single-mask sites per window, CLM: every base")
    print("| model | full s | int8 s | speed-up | max abs Δ log P(ref) | Spearman ρ |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['full_s']:.2f} | {r['int8_s']:.2f} | ×{r['speedup']:.2f} | "
              f"{r['max_abs_dlogp']:.3f} | {r['spearman']:.4f} |")
    (root / "int8_table.json").write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
