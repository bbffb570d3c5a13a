"""Benchmark: computing a model's SNV score background (glm_explore.calibration.compute_background).

    .venv/bin/python bench/bench_background.py [--sites 100] [--threads 1] [--big]

For each default model on the bundled yeast: ``compute_background`` with ``--sites`` sites per region class of
held-out chrXVI (all three SNVs each, both strands), wall and CPU time, SNVs/s, and from that rate the time of
the shipped size (scripts/precompute_backgrounds.py) and of every possible SNV of chrXVI (~2.8 M).

``--big``: a real-size (~100 M parameter) random-weight character-level ESM masked LM built in a temp folder
and loaded through the Hugging Face adapter; only its cost is measured (``estimate_seconds``: a 12-SNV probe,
extrapolated) and printed first — the full background is not run.

One timed run each (no warm-up beyond model loading); ``cpu`` is the process CPU time, a check on a busy
machine. Run it with ``../shared/tools/bench-twice`` for figures that count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SHIPPED = {"default-mlm": 1_000, "default-clm": 150}


def big_model(folder: Path):
    """A ~100 M parameter character-level ESM MLM with random weights (hidden 768, 14 layers)."""
    import torch
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    vocab = ["<cls>", "<pad>", "<eos>", "<unk>", "A", "C", "G", "T", "N", "<mask>"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    torch.manual_seed(0)
    cfg = EsmConfig(vocab_size=len(vocab), hidden_size=768, num_hidden_layers=14, num_attention_heads=12,
                    intermediate_size=3072, max_position_embeddings=1026, pad_token_id=1, mask_token_id=9)
    model = EsmForMaskedLM(cfg)
    model.save_pretrained(folder)
    EsmTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sites", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--big", action="store_true")
    a = p.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from glm_explore.calibration import background_sites, compute_background, estimate_seconds, heldout_span
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    data = load_dataset("yeast")
    span = heldout_span(data)
    every, _ = background_sites(data, *span)
    print(f"held-out {span[0]}: {len(every):,} possible SNVs; threads {a.threads}")
    if a.big:
        from glm_explore.models import load_model

        folder = Path(tempfile.mkdtemp(prefix="bench_bg_"))
        n_params = big_model(folder)
        model = load_model(str(folder))
        sites, _ = background_sites(data, *span, sites_per_class=SHIPPED["default-mlm"])
        t0 = time.perf_counter()
        secs = estimate_seconds(model, data, sites, probe=12)
        print(f"random-weight ESM, {n_params / 1e6:.0f} M parameters: probe of 12 SNVs {time.perf_counter() - t0:.1f} s"
              f" → shipped size ({len(sites):,} SNVs) ≈ {secs / 3600:.1f} h, every SNV ≈ "
              f"{secs * len(every) / len(sites) / 86400:.1f} days on this machine")
    for key in SHIPPED:
        model = load_builtin(key)
        sites = a.sites if key == "default-mlm" else max(1, a.sites // 10)
        t0, c0 = time.perf_counter(), time.process_time()
        bg = compute_background(model, data, sites_per_class=sites, span=span)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rate = bg.n / wall
        print(f"{key}: {sites} sites/class, {bg.n:,} SNVs in {wall:.1f} s (cpu {cpu:.1f} s), {rate:.1f} SNVs/s → "
              f"shipped size ({SHIPPED[key]} sites/class) ≈ {3 * SHIPPED[key] * len(bg.classes) / rate / 60:.1f} min, "
              f"every SNV ≈ {len(every) / rate / 3600:.1f} h")


if __name__ == "__main__":
    main()
