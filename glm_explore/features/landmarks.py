"""Activation profiles around annotation landmarks, read 5′→3′ on the gene's strand.

Landmarks (0-based position of the landmark's first base on its strand), from the annotation's CDS parts
grouped by gene: **start codon** (the A of the first ATG), **stop codon** (its first base), **5′ splice site**
(the first intron base, the G of GT, between consecutive CDS parts), and **promoter** (150 bp upstream of
the annotated transcript start, the middle of the 300-bp promoter class; SGD's mRNA starts are ORF starts,
so this is ORF-start-proximal rather than a mapped TSS). Only training chromosomes are used.

For each landmark a window of ``length`` bp is centred on it (reverse-complemented on the − strand);
a feature's profile is its mean activation at offsets −``span``..+``span``, as a z-score against the
feature's mean and SD over all positions of the training windows (:func:`z_profiles`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import reverse_complement

LANDMARKS = ("start codon", "stop codon", "5′ splice site", "promoter")
PROMOTER_OFFSET = 150


def landmark_table(annotation, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """``landmark, chrom, pos, strand`` (one row per landmark, 0-based ``pos``) — see the module docstring."""
    f = annotation.features
    cds = f[(f["Feature"] == "CDS") & f["gene"].notna() & ~f["Chromosome"].isin(exclude)]
    rows = []
    for (chrom, strand, _g), parts in cds.groupby(["Chromosome", "Strand", "gene"], sort=False):
        s, e = np.sort(parts["Start"].to_numpy()), np.sort(parts["End"].to_numpy())
        plus = strand != "-"
        rows.append(("start codon", chrom, int(s[0]) if plus else int(e[-1]) - 1, strand))
        rows.append(("stop codon", chrom, int(e[-1]) - 3 if plus else int(s[0]) + 2, strand))
        rows.append(("promoter", chrom, int(s[0]) - PROMOTER_OFFSET if plus else int(e[-1]) - 1 + PROMOTER_OFFSET,
                     strand))
        for k in range(len(s) - 1):
            if s[k + 1] - e[k] > 0:
                rows.append(("5′ splice site", chrom, int(e[k]) if plus else int(s[k + 1]) - 1, strand))
    return pd.DataFrame(rows, columns=["landmark", "chrom", "pos", "strand"])


def landmark_windows(genome, table: pd.DataFrame, length: int) -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``table`` whose window fits the chromosome and has no N, and their oriented sequences."""
    half = length // 2
    keep, seqs = [], []
    for i, r in enumerate(table.itertuples()):
        plus = r.strand != "-"  # the landmark sits at index `half` of the (oriented) window
        lo = r.pos - half if plus else r.pos + half + 1 - length
        if lo < 0 or lo + length > genome.lengths[r.chrom]:
            continue
        s = genome.fetch(r.chrom, lo, lo + length).upper()
        s = s if plus else reverse_complement(s)
        if "N" in s or len(s) != length:
            continue
        keep.append(i)
        seqs.append(s)
    return table.iloc[keep].reset_index(drop=True), seqs


def z_profiles(acts: np.ndarray, which: np.ndarray, names: tuple[str, ...], mean: np.ndarray, sd: np.ndarray,
               span: int) -> dict[str, np.ndarray]:
    """{landmark: (F, 2·span + 1) z-scored mean profile}; ``acts`` (N, L, F) of landmark windows centred at
    index L // 2, ``which`` (N,) landmark names."""
    c = acts.shape[1] // 2
    out = {}
    for name in names:
        sel = acts[which == name, c - span:c + span + 1]
        if len(sel):
            out[name] = ((sel.mean(axis=0) - mean) / np.where(sd > 0, sd, 1)).T
    return out


def best_landmark(profiles: dict[str, np.ndarray], n_features: int) -> pd.DataFrame:
    """Per feature the landmark with the largest |z| anywhere in its profile: ``best_landmark, landmark_z``."""
    if not profiles:
        return pd.DataFrame({"best_landmark": [None] * n_features, "landmark_z": np.nan})
    names = list(profiles)
    peak = np.stack([np.abs(profiles[n]).max(axis=1) for n in names])  # (n_landmarks, F)
    signed = np.stack([profiles[n][np.arange(n_features), np.abs(profiles[n]).argmax(axis=1)] for n in names])
    k = peak.argmax(axis=0)
    return pd.DataFrame({"best_landmark": [names[j] for j in k], "landmark_z": signed[k, np.arange(n_features)]})
