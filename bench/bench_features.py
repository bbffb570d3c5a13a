"""Learned-features time for the default MLM (not a test; prints numbers).

Times, separately: (1) reading last-layer hidden states of the training windows, (2) the TopK SAE fit on their
centre positions (``--steps``, 256 latents, k = 8), (3) feature annotation — :func:`build_dictionary` for block-1
convolution channels, i.e. sites → PFMs → TOMTOM, class enrichment, landmark profiles, and both controls (random
weights, dinucleotide-shuffled windows). With ``--query``, instead: the page's on-request parts on the shipped
dictionaries (block-1 channels, last-layer SAE) — concept search for one class / motif / landmark, a 2-kb activation
track, "features most changed by this allele", and the FIMO mask behind the overlap column. Wall times on whatever
else the machine runs at the moment: not idle figures (print the load average beside them).

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_features.py [--per-class 60] [--steps 1500] [--query | --big]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from glm_explore.features import FeatureSettings, SAESettings, build_dictionary, fit_sae
from glm_explore.features.activations import layer_activations, sample_windows
from glm_explore.features.dictionary import _sae_rows
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--query", action="store_true", help="time concept search, tracks and allele effects instead")
    ap.add_argument("--big", action="store_true", help="only the measured cost of a last-layer SAE dictionary for "
                    "a ~100 M parameter random-weight ESM (what the CLI and the page show before they start)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.big:
        return big_bench(args)
    model, data = load_model("default-mlm"), load_dataset("yeast")
    if args.query:
        return query_bench(model, data)
    settings = FeatureSettings(per_class=args.per_class)
    ws = sample_windows(data, length=settings.length, center=settings.center, per_class=args.per_class)
    train = ws.table[ws.table["split"] == "train"]["sequence"].tolist()
    t0 = time.perf_counter()
    h = layer_activations(model, train, -1)
    t1 = time.perf_counter()
    rows = _sae_rows(h, settings)
    fit = fit_sae(rows, SAESettings(steps=args.steps))
    t2 = time.perf_counter()
    fd = build_dictionary(model, data, settings)
    t3 = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, torch threads {args.threads}")
    print(f"last-layer states of {len(train)} windows × {settings.length} bp: {t1 - t0:.1f} s")
    print(f"SAE fit ({len(rows):,} rows × {h.shape[2]}, 256 latents, k=8, {args.steps} steps): {t2 - t1:.1f} s "
          f"(FVE {fit.fve:.3f}, L0 {fit.l0:.1f}, dead {fit.dead})")
    print(f"block-1 channel annotation with both controls and landmarks: {t3 - t2:.1f} s "
          f"({fd.headline['beats_both']['k']}/{fd.headline['beats_both']['n']} beat both controls)")


def big_bench(args) -> None:
    """The cost a user is shown before a 100 M-parameter model's SAE dictionary (glm_explore.cost.features_cost),
    and the default's for comparison; the dictionary itself is not built (hours on 2 cores)."""
    import tempfile
    from pathlib import Path

    from bench_background import big_model  # this folder is on sys.path when run as a script

    from glm_explore.cost import features_cost

    data = load_dataset("yeast")
    settings = FeatureSettings(source="sae", layer=-1, per_class=args.per_class, steps=args.steps)
    folder = Path(tempfile.mkdtemp(prefix="bench_features_big_"))
    n_params = big_model(folder)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, torch threads {args.threads}")
    for name, model in (("default-mlm", load_model("default-mlm")), (f"random ESM {n_params / 1e6:.0f} M", load_model(str(folder)))):
        t0 = time.perf_counter()
        c = features_cost(model, data, settings)
        print(f"{name}: estimate took {time.perf_counter() - t0:.1f} s → {c.text()}")


def query_bench(model, data) -> None:
    from glm_explore.features.describe import fimo_mask
    from glm_explore.features.dictionary import shipped_dictionary
    from glm_explore.features.query import concept_search, features_changed_by_allele, region_track
    from glm_explore.models.fingerprint import tensors_fingerprint
    from glm_explore.motifs import jaspar_motifs
    from glm_explore.results import Variant

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    fp = tensors_fingerprint(model)
    for settings in (FeatureSettings(source="channels", layer=1), FeatureSettings(source="sae", layer=-1)):
        fd = shipped_dictionary("default-mlm", "yeast", settings, fp)
        for kind, concept in (("region class", "CDS"), ("motif", "MA0265.3"), ("landmark", "start codon")):
            t = time.perf_counter()
            hits = concept_search(model, data, fd, kind, concept)
            print(f"{fd.source}: concept search {kind} {concept}: {time.perf_counter() - t:.1f} s "
                  f"(best AUROC {hits['auroc'].iloc[0]:.3f} vs k-mer {hits.attrs['kmer_auroc']:.3f})")
        t = time.perf_counter()
        region_track(model, data.genome, fd, "chrI:1001-3000", 0, flank=100)
        print(f"{fd.source}: 2-kb activation track {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        features_changed_by_allele(model, fd, data.genome, Variant("chrI", 5001, "A", "G"))
        print(f"{fd.source}: features changed by one allele {time.perf_counter() - t:.2f} s")
    ws = sample_windows(data, per_class=60)
    seqs = ws.table[ws.table["split"] == "train"]["sequence"].tolist()
    t = time.perf_counter()
    fimo_mask(seqs, jaspar_motifs("fungi"))
    print(f"FIMO mask (all JASPAR fungi motifs) over {len(seqs)} windows × 300 bp: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
