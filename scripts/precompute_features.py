"""Precompute the learned-features dictionaries the features page opens with (default MLM, yeast).

    OMP_NUM_THREADS=2 python scripts/precompute_features.py [--per-class 100] [--only block1,block2,sae]

Writes ``glm_explore/data/features/default-mlm--yeast--block1.json``, ``…--block2.json`` (the convolution
channels of blocks 1 and 2) and ``…--sae-layer-1.json`` (a TopK SAE on the last layer), each with both controls
(random weights, dinucleotide-shuffled windows) and landmark profiles. The page shows a shipped file at once when
the default MLM (these exact weights, by fingerprint) and the yeast genome are chosen.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from glm_explore.features import FeatureSettings, build_dictionary
from glm_explore.features.dictionary import shipped_path
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model

MODEL, GENOME = "default-mlm", "yeast"
JOBS = {"block1": FeatureSettings(source="channels", layer=1), "block2": FeatureSettings(source="channels", layer=2),
        "sae": FeatureSettings(source="sae", layer=-1, n_features=256, k=8, steps=1500)}


SHIPPED_SITES = 5  # the page lists 5 top sites per feature


def shrink(path: Path) -> None:
    """Keep the shipped file small (all three < 2 MB together): the top 5 sites per feature, landmark profiles to
    2 significant digits. Every other number is kept as saved."""
    d = json.loads(path.read_text())
    d["sites"] = [r for r in d["sites"] if r["rank"] <= SHIPPED_SITES]
    if d.get("landmarks"):
        d["landmarks"]["profiles"] = {k: [[float(f"{v:.2g}") for v in row] for row in p]
                                      for k, p in d["landmarks"]["profiles"].items()}
    path.write_text(json.dumps(d, separators=(",", ":")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=100, help="windows per class and split (default 100)")
    ap.add_argument("--only", default=",".join(JOBS), help=f"comma-separated subset of {', '.join(JOBS)}")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shrink-only", action="store_true", help="only shrink the already written files")
    args = ap.parse_args(argv)
    if args.shrink_only:
        for name in args.only.split(","):
            shrink(shipped_path(MODEL, GENOME, JOBS[name]))
        return 0
    torch.set_num_threads(args.threads)
    model, data = load_model(MODEL), load_dataset(GENOME)
    for name in args.only.split(","):
        settings = replace(JOBS[name], per_class=args.per_class)
        t0 = time.perf_counter()
        log = lambda f, msg, name=name, t0=t0: print(f"[{name} {time.perf_counter() - t0:7.1f} s] {f:4.0%} {msg}", flush=True)  # noqa: E731, E501
        fd = build_dictionary(model, data, settings, model_key=MODEL, genome_key=GENOME, progress=log)
        out = fd.save(shipped_path(MODEL, GENOME, settings))
        shrink(out)
        h = fd.headline
        print(f"{name}: {h['beats_both']['k']}/{h['beats_both']['n']} features beat both controls "
              f"(95% CI {h['beats_both']['ci_low']:.1%}–{h['beats_both']['ci_high']:.1%}); named at q<0.05: "
              + ", ".join(f"{k} {v['k']}/{v['n']}" for k, v in h["named"].items())
              + f"; recovered: {', '.join(fd.recovered()) or '—'}; sae: {fd.sae}; "
              f"{fd.seconds:.0f} s → {out} ({out.stat().st_size / 1e3:.0f} kB)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
