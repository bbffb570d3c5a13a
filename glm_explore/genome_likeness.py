"""How genome-like are generated or designed sequences? Each check compares a set of sequences with real
windows of the same class and length, and with a second, independent set of real windows — the *control*,
whose distance to the reference is what finite sampling alone gives (a generated set is genome-like when
its numbers sit near the control's, not near zero).

Per sequence (:func:`sequence_checks`):

* ``gc`` — G+C fraction.
* ``period3`` — 3-base periodicity (the codon signal): the spectral power at frequency 1/3 summed over the
  four base-indicator sequences, divided by its average over all frequencies (Tiwari et al. 1997). By
  Parseval the average is L for a sequence of L A/C/G/T bases, so ``period3 = Σ_b |Σ_n u_b(n) e^{-2πin/3}|² / L``.
  A random sequence with base frequencies p_b expects 1 − Σ_b p_b² (≈ 0.7 for yeast); coding windows score
  higher (≈ 1.8 for 200-bp yeast CDS windows).
* ``other_bits`` — cross-entropy in bits/base under another model (a CLM's next-base probabilities; an MLM's
  exact masked marginals at 25 evenly spaced positions), the review's cross-model check: samples from one model
  judged by the other.
* ``nearest_edit`` — Levenshtein distance to the nearest reference window divided by the length
  (rapidfuzz); near 0 flags memorised output.
* ``motif_hits_per_kb`` — FIMO hits (memelite; p ≤ 1e-4, both strands) of a JASPAR motif set per kb.

Per set (:func:`spectrum_divergence`): Jensen–Shannon divergence (bits, 0–1) between the pooled canonical
k-mer spectra (:func:`glm_explore.reduce.kmer_counts`, strand-symmetric) of the set and of the reference, for
k = 1…6. The same numbers for the control set give the sampling floor.

Embeddings (:func:`embedding_projection`): every set embedded with the generating model's pooled
embeddings, projected on the principal components of the reference windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import (
    LikenessError,
    RegionError,
)
from .models.base import GenomicLM
from .results.generate import CONTROL, REFERENCE, Likeness

KS = (1, 2, 3, 4, 5, 6)


# -- single measures ----------------------------------------------------------------------------------
def period3_snr(seq: str) -> float:
    """3-base periodicity of one sequence (see the module docstring); N bases count in no indicator."""
    from .sequence import encode

    codes = encode(seq)
    L = len(codes)
    if L < 3:
        return float("nan")
    phase = np.exp(-2j * np.pi * np.arange(L) / 3)
    power = sum(abs(phase[codes == b].sum()) ** 2 for b in range(4))
    return float(power / L)


def spectrum_divergence(seqs: Sequence[str], reference: Sequence[str], ks: Sequence[int] = KS) -> dict[int, float]:
    """{k: Jensen–Shannon divergence in bits} between the pooled canonical k-mer spectra of two sets.

    Each spectrum is the set's summed :func:`~glm_explore.reduce.kmer_counts` plus a pseudocount of 0.5 per
    k-mer, normalised; JS = H(M) − (H(P) + H(Q))/2 with M = (P + Q)/2, log base 2.
    """
    from .reduce import kmer_counts

    out = {}
    for k in ks:
        p = kmer_counts(list(seqs), k).sum(axis=0) + 0.5
        q = kmer_counts(list(reference), k).sum(axis=0) + 0.5
        p, q = p / p.sum(), q / q.sum()
        m = (p + q) / 2
        out[int(k)] = float(_entropy_bits(m) - (_entropy_bits(p) + _entropy_bits(q)) / 2)
    return out


def _entropy_bits(p: np.ndarray) -> float:
    return float(-(p * np.log2(p)).sum())


def nearest_edit_fraction(seqs: Sequence[str], reference: Sequence[str], *, exclude_self: bool = False) -> np.ndarray:
    """(N,) Levenshtein distance from each sequence to its nearest reference sequence, divided by its length.

    ``exclude_self``: ``seqs`` *is* ``reference`` (the control) and each sequence's own row is skipped.
    """
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    d = cdist(list(seqs), list(reference), scorer=Levenshtein.distance, workers=1).astype(np.float64)
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    lengths = np.array([max(len(s), 1) for s in seqs], dtype=np.float64)
    return d.min(axis=1) / lengths


def motif_hits_per_kb(seqs: Sequence[str], motifs=None, *, threshold: float = 1e-4) -> np.ndarray:
    """(N,) FIMO hits (both strands, p ≤ ``threshold``) of ``motifs`` (default JASPAR CORE fungi) per kb."""
    from memelite import fimo

    from .motifs import jaspar_motifs
    from .sequence import one_hot

    motifs = jaspar_motifs() if motifs is None else tuple(motifs)
    length = max(len(s) for s in seqs)
    x = np.zeros((len(seqs), 4, length), dtype=np.float32)
    for i, s in enumerate(seqs):
        x[i, :, :len(s)] = one_hot(s)
    counts = np.zeros(len(seqs))
    usable = [m for m in motifs if m.length <= length]
    if usable:
        tables = fimo({m.matrix_id: np.ascontiguousarray(m.pwm, dtype=np.float64) for m in usable}, x,
                      threshold=threshold, reverse_complement=True)
        for t in tables:
            if len(t):
                counts += np.bincount(t["sequence_name"].astype(int).to_numpy(), minlength=len(seqs))[:len(seqs)]
    return counts / (np.array([len(s) for s in seqs]) / 1000)


def other_model_bits(model: GenomicLM, seqs: Sequence[str], *, mlm_positions: int = 25) -> np.ndarray:
    """(N,) cross-entropy of each sequence under ``model`` in bits/base (−mean log2 P(base); lower = more likely).

    CLM: next-base probabilities at every position. MLM: exact masked marginals at ``mlm_positions`` evenly
    spaced positions per sequence (an unbiased estimate of the mean over all positions; every position costs
    one masked forward, so all of them would cost L forwards per sequence).
    """
    from .logits import position_log_probs, resolve_mode
    from .sequence import encode

    mode = resolve_mode(model, "auto")
    out = np.full(len(seqs), np.nan)
    for i, s in enumerate(seqs):
        codes = encode(s)
        pos = np.flatnonzero(codes < 4)
        if mode == "exact" and len(pos) > mlm_positions:
            pos = pos[np.linspace(0, len(pos) - 1, mlm_positions).round().astype(int)]
        if not len(pos):
            continue
        lp = position_log_probs(model, s, mode=mode, positions=pos if mode == "exact" else None)
        out[i] = float(-lp[codes[pos], pos].mean() / np.log(2))
    return out


def embedding_projection(model: GenomicLM, sets: Mapping[str, Sequence[str]], *, reference: str = REFERENCE
                         ) -> pd.DataFrame:
    """Last-layer embeddings (mean over each whole sequence) of every set projected on the first two principal components of the
    ``reference`` set's (standardised) embeddings → ``set, index, pc1, pc2``."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from .embed import embed_windows

    vecs = {name: embed_windows(model, list(s), layers=-1, pooling="window-mean").vectors[:, -1]
            for name, s in sets.items()}
    scaler = StandardScaler().fit(vecs[reference])
    pca = PCA(n_components=2, random_state=0).fit(scaler.transform(vecs[reference]))
    rows = []
    for name, v in vecs.items():
        xy = pca.transform(scaler.transform(v))
        rows.append(pd.DataFrame({"set": name, "index": np.arange(len(v)), "pc1": xy[:, 0], "pc2": xy[:, 1]}))
    return pd.concat(rows, ignore_index=True)


# -- real windows and the whole check --------------------------------------------------------------
def real_windows(data, label: str, length: int, n: int, *, n_control: int = 0, seed: int = 0
                 ) -> tuple[list[str], list[str]]:
    """(reference, control): ``n`` and ``n_control`` distinct non-overlapping windows of ``length`` bp whose
    central bases are class ``label``, drawn with ``seed`` from the held-out part of ``data``
    (:func:`glm_explore.report.heldout_split`, :func:`~glm_explore.report.heldout.class_windows`), + strand."""
    from .io.annotation import CLASSES
    from .report.heldout import class_windows, heldout_split

    if label not in CLASSES:
        raise LikenessError(f"Unknown region class {label!r}: choose one of {', '.join(CLASSES)}.")
    split = heldout_split(data)
    need = n + n_control
    table = class_windows(data, split, per_class=need, length=length, center=min(100, length), seed=seed)
    table = table[table["label"] == label]
    if len(table) < need:
        raise RegionError(f"Only {len(table)} held-out {label} windows of {length} bp in {data.name} "
                          f"(need {need}); choose fewer sequences, a shorter length or another class.")
    order = np.random.default_rng([seed, 2]).permutation(len(table))
    seqs = [data.genome.fetch(r.chrom, int(r.start), int(r.end)) for r in table.itertuples()]
    return [seqs[i] for i in order[:n]], [seqs[i] for i in order[n:need]]


def judge(sets: Mapping[str, Sequence[str]], reference: Sequence[str], control: Sequence[str], *,
          real_class: str, other: GenomicLM | None = None, embed_model: GenomicLM | None = None,
          motifs=None, ks: Sequence[int] = KS) -> Likeness:
    """Compare each named set of sequences (e.g. ``{"samples": [...], "designed": [...]}``) with
    ``reference`` real windows; ``control`` (other real windows, same class and length) gives the floor.

    All sequences must have one length. ``other``: the cross-model judge (None skips ``other_bits``);
    ``embed_model``: the model whose embeddings are projected (None skips the projection).
    """
    if not reference or not control:
        raise LikenessError("Need real windows for the reference and the control.")
    all_sets = {**{k: list(v) for k, v in sets.items()}, CONTROL: list(control)}
    if any(not v for v in all_sets.values()):
        empty = [k for k, v in all_sets.items() if not v]
        raise LikenessError(f"No sequences in {', '.join(empty)}: generate some first.")
    lengths = {len(s) for v in [*all_sets.values(), list(reference)] for s in v}
    if len(lengths) != 1:
        raise LikenessError(f"Every sequence must have one length to compare k-mer spectra fairly; got lengths "
                            f"{sorted(lengths)[:5]}.")
    rows, div = [], []
    for name, seqs in all_sets.items():
        frame = pd.DataFrame({"set": name, "index": np.arange(len(seqs)),
                              "gc": [_gc(s) for s in seqs], "period3": [period3_snr(s) for s in seqs],
                              "nearest_edit": nearest_edit_fraction(seqs, reference),
                              "motif_hits_per_kb": motif_hits_per_kb(seqs, motifs)})
        if other is not None:
            frame["other_bits"] = other_model_bits(other, seqs)
        rows.append(frame)
        div += [{"set": name, "k": k, "js_bits": v} for k, v in spectrum_divergence(seqs, reference, ks).items()]
    ref_frame = pd.DataFrame({"set": REFERENCE, "index": np.arange(len(reference)),
                              "gc": [_gc(s) for s in reference], "period3": [period3_snr(s) for s in reference],
                              "nearest_edit": nearest_edit_fraction(reference, reference, exclude_self=True)
                              if len(reference) > 1 else np.nan,
                              "motif_hits_per_kb": motif_hits_per_kb(list(reference), motifs)})
    if other is not None:
        ref_frame["other_bits"] = other_model_bits(other, list(reference))
    per_seq = pd.concat([ref_frame, *rows], ignore_index=True)
    divergence = pd.DataFrame(div)
    summary = per_seq.drop(columns="index").groupby("set", sort=False).mean()
    summary.insert(0, "n", per_seq.groupby("set", sort=False).size())
    for k in (3, 6):
        if k in ks:
            summary[f"js_bits_k{k}"] = divergence[divergence["k"] == k].set_index("set")["js_bits"]
    projection = None
    if embed_model is not None:
        projection = embedding_projection(embed_model, {REFERENCE: list(reference), **all_sets})
    return Likeness(per_seq, divergence, summary.reset_index(), projection, real_class,
                    next(iter(lengths)), None if other is None else other.info.name)


def _gc(seq: str) -> float:
    from .sequence import gc_content

    return gc_content(seq)
