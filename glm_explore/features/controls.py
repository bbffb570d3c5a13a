"""Controls for learned features: the same pipeline on a randomly initialised model of the same
architecture, and on dinucleotide-shuffled sequences; which features beat both.

Random filters "match" JASPAR often (issue 24's quick try: 25 of 96 random block-1 channels at q < 0.05),
and a feature that tracks GC or a dinucleotide bias is enriched in CDS without reading any motif. So each
feature gets two scores — **motif** = −log10 of its best TOMTOM q (0 unless q < q_cut), **class** = log of
the lower 95 % CI bound of its best class odds ratio (0 unless class q < q_cut and the bound > 1) — and
**beats a control** when, on at least one axis, its score is non-zero and above the 95th percentile of
that control's scores on the same axis. ``rank_*`` is the empirical p of its better axis,
(1 + #control scores ≥ it) / (1 + n_control). The headline counts features that beat both controls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.stats import binomtest

from ..attribution import dinucleotide_shuffles
from ..models.builtin import ConvLMAdapter
from ..models.convnet import ConvLM
from ..results.features import FeatureRun
from .activations import convnet_of

PERCENTILE = 95.0


def random_like(model, seed: int = 0):
    """The model's architecture with fresh random weights (``seed``): a built-in CNN with PyTorch's default
    initialisation, a Hugging Face model from its own config with its class's ``_init_weights`` (same
    tokenizer, same adapter). :class:`UnsupportedByModelError` for any other model."""
    from ..models.hf.adapter import HFAdapter

    if isinstance(model, HFAdapter):
        torch.manual_seed(seed)
        fresh = type(model.model)(model.model.config).eval()
        return HFAdapter(fresh, model.tokenizer, objective=model.info.objective,
                         name=f"{model.info.name} (random weights)", source="random initialisation",
                         remote_code=model.remote_code)
    net = convnet_of(model)
    torch.manual_seed(seed)
    fresh = ConvLM(net.config)
    return ConvLMAdapter(fresh, f"{model.info.name} (random weights)", source="random initialisation")


def shuffled_sequences(seqs: list[str], *, seed: int = 0) -> list[str]:
    """Each sequence dinucleotide-shuffled (tangermeme, via the project's :func:`dinucleotide_shuffles`; seed
    ``seed + i``): same length, composition and dinucleotide counts, motif instances destroyed."""
    out = []
    for i, s in enumerate(seqs):
        sh = dinucleotide_shuffles(s, 1, seed=seed + i)[0]
        out.append("".join(np.where(sh.sum(axis=0) > 0, np.array(list("ACGT"))[sh.argmax(axis=0)], "N")))
    return out


def scores(table: pd.DataFrame, q: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(motif, class) scores per feature of a run's table (module docstring)."""
    d = table["described"].to_numpy(bool)
    bq = table["best_q"].to_numpy(float)
    motif = np.where(d & (bq < q), -np.log10(np.clip(bq, 1e-12, 1)), 0.0)
    lo = table["ci_low"].to_numpy(float)
    cls = np.where(d & (table["class_q"].to_numpy(float) < q) & (lo > 1), np.log(np.where(lo > 0, lo, 1)), 0.0)
    return motif, np.nan_to_num(cls)


def empirical_p(values: np.ndarray, control: np.ndarray) -> np.ndarray:
    """(1 + #control ≥ v) / (1 + n) for each v."""
    c = np.sort(np.asarray(control, dtype=float))
    ge = len(c) - np.searchsorted(c, values, side="left")
    return (1 + ge) / (1 + len(c))


def beats(run: FeatureRun, control: FeatureRun | None, q: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(beats, rank) per feature of ``run`` against ``control`` (module docstring); a missing control is beaten
    by no one (rank NaN)."""
    m, c = scores(run.table, q)
    if control is None:
        return np.zeros(len(m), bool), np.full(len(m), np.nan)
    cm, cc = scores(control.table, q)
    b = ((m > 0) & (m > np.percentile(cm, PERCENTILE))) | ((c > 0) & (c > np.percentile(cc, PERCENTILE)))
    rank = np.minimum(np.where(m > 0, empirical_p(m, cm), 1.0), np.where(c > 0, empirical_p(c, cc), 1.0))
    return b, rank


def count_ci(k: int, n: int) -> dict:
    """``{"k", "n", "fraction", "ci_low", "ci_high"}`` with the 95 % Clopper–Pearson interval (scipy)."""
    if n == 0:
        return {"k": k, "n": n, "fraction": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return {"k": int(k), "n": int(n), "fraction": k / n, "ci_low": float(ci.low), "ci_high": float(ci.high)}


def compare(trained: FeatureRun, random: FeatureRun | None, shuffled: FeatureRun, q: float = 0.05
            ) -> tuple[pd.DataFrame, dict]:
    """The trained table with control columns, and the headline counts (each with its CI)."""
    t = trained.table.copy()
    t["beats_random"], t["rank_random"] = beats(trained, random, q)
    t["beats_shuffled"], t["rank_shuffled"] = beats(trained, shuffled, q)
    t["beats_both"] = t["beats_random"] & t["beats_shuffled"]
    n = int(t["described"].sum())
    runs = {"trained": trained, "random weights": random, "shuffled sequences": shuffled}
    headline = {
        "beats_both": count_ci(int((t["beats_both"] & t["described"]).sum()), n),
        "beats_random": count_ci(int((t["beats_random"] & t["described"]).sum()), n),
        "beats_shuffled": count_ci(int((t["beats_shuffled"] & t["described"]).sum()), n),
        "named": {k: count_ci(r.named(q), int(r.table["described"].sum())) for k, r in runs.items() if r is not None},
        "enriched": {k: count_ci(r.enriched(q), int(r.table["described"].sum())) for k, r in runs.items()
                     if r is not None},
        "q": q,
    }
    return t, headline
