"""Describing features: top-activating sites → PFM → TOMTOM names; enrichment by region class.

* **Sites** (:func:`top_sites`): per window and feature, the position of the feature's largest activation
  (one site per window, inside the windows' centre span so the whole receptive field is in the window).
  A site counts when its activation is at least half the feature's maximum over all windows (Basset's
  rule); the ``n_sites`` strongest are kept. A feature with fewer than ``min_sites`` sites is not described.
* **PFM** (:func:`site_pfms`): the base frequencies of the sites' receptive fields (read on the + strand),
  with a pseudocount of 0.01 per base; **names**: TOMTOM (memelite) of each PFM against JASPAR CORE,
  through :func:`glm_explore.motifs.tomtom_matches` (q = Benjamini–Hochberg over the database per query).
* **Enrichment** (:func:`class_enrichment`): a window's score for a feature is its mean activation over the
  centre span (the bases that define the window's class; a density, so composition detectors count too);
  on held-out windows a feature is *active* when that score reaches the top ``active_fraction`` (10 %) of
  the training windows' scores (:func:`active_cut`). For each class c
  the 2×2 table (active / not) × (class c / not) gives the sample odds ratio OR = ad / bc with Woolf's 95 %
  CI exp(log OR ± 1.96·√(1/a + 1/b + 1/c + 1/d)) (0.5 added to every cell when one is zero,
  Haldane–Anscombe), Fisher's exact two-sided p, and q = Benjamini–Hochberg over all features × classes.
* **FIMO overlap** (:func:`fimo_mask`, :func:`fimo_fraction`): the fraction of a feature's sites whose position
  (the centre of its receptive field) lies inside a FIMO hit (memelite, p ≤ 10⁻⁴, both strands) of any JASPAR
  motif of the collection; the chance level is the fraction of all centre-span positions so covered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact, norm

from ..motifs import JasparMotif, tomtom_matches
from ..sequence import one_hot

PSEUDOCOUNT = 0.01


def peak_positions(acts: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window and feature the largest activation in columns ``lo:hi`` and its column: two (N, F) arrays."""
    seg = acts[:, lo:hi]
    arg = seg.argmax(axis=1)
    return np.take_along_axis(seg, arg[:, None], axis=1)[:, 0], arg + lo


def thresholds(peaks: np.ndarray, fraction: float = 0.5) -> np.ndarray:
    """(F,) site threshold: ``fraction`` of each feature's maximum activation (∞ when the max is ≤ 0)."""
    mx = peaks.max(axis=0)
    return np.where(mx > 0, fraction * mx, np.inf)


def window_means(acts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """(N, F) mean activation over columns ``lo:hi`` of each window."""
    return acts[:, lo:hi].mean(axis=1)


def active_cut(train_scores: np.ndarray, active_fraction: float = 0.1) -> np.ndarray:
    """(F,) the (1 − ``active_fraction``) quantile of each feature's training-window scores."""
    return np.quantile(train_scores, 1 - active_fraction, axis=0)


def top_sites(acts: np.ndarray, *, lo: int, hi: int, threshold: np.ndarray, n_sites: int = 200) -> pd.DataFrame:
    """Sites (see module docstring) of every feature: columns ``feature, window, pos, activation`` (pos: the
    column in the window), strongest first within each feature."""
    peaks, where = peak_positions(acts, lo, hi)
    rows = []
    for f in range(acts.shape[2]):
        ok = np.flatnonzero(peaks[:, f] >= threshold[f])
        ok = ok[np.argsort(-peaks[ok, f], kind="stable")][:n_sites]
        rows.append(pd.DataFrame({"feature": f, "window": ok, "pos": where[ok, f], "activation": peaks[ok, f]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["feature", "window", "pos",
                                                                                  "activation"])


def site_pfms(sites: pd.DataFrame, seqs: list[str], n_features: int, before: int, after: int) -> np.ndarray:
    """(F, 4, before + 1 + after) PFMs over each feature's sites (uniform where a feature has no site)."""
    w = before + 1 + after
    counts = np.zeros((n_features, 4, w))
    onehots: dict[int, np.ndarray] = {}
    for f, win, pos in zip(sites["feature"].to_numpy(), sites["window"].to_numpy(), sites["pos"].to_numpy()):
        x = onehots.setdefault(int(win), one_hot(seqs[int(win)]))
        counts[f] += x[:, pos - before:pos + after + 1]
    counts += PSEUDOCOUNT
    return counts / counts.sum(axis=1, keepdims=True)


def name_pfms(pfms: np.ndarray, motifs: tuple[JasparMotif, ...], *, n_top: int = 3) -> pd.DataFrame:
    """Best TOMTOM matches of each PFM: one row per feature ``best_id, best_name, best_p, best_q, matches``
    (``matches``: the ``n_top`` best as 'id name q' strings)."""
    tables = tomtom_matches([np.asarray(p, dtype=np.float64) for p in pfms], motifs, n_top=n_top)
    return pd.DataFrame({
        "best_id": [t["matrix_id"].iloc[0] for t in tables], "best_name": [t["name"].iloc[0] for t in tables],
        "best_p": [float(t["p_value"].iloc[0]) for t in tables], "best_q": [float(t["q_value"].iloc[0]) for t in tables],
        "matches": ["; ".join(f"{i} {n} q={q:.2g}" for i, n, q in zip(t["matrix_id"], t["name"], t["q_value"]))
                    for t in tables]})


def odds_ratio_ci(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, *, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample odds ratio ad/bc with Woolf's log-OR CI (Haldane–Anscombe +0.5 where a cell is 0): (OR, lo, hi)."""
    t = np.stack([a, b, c, d]).astype(float)
    t = np.where((t == 0).any(axis=0), t + 0.5, t)
    log_or = np.log(t[0]) + np.log(t[3]) - np.log(t[1]) - np.log(t[2])
    se = np.sqrt((1.0 / t).sum(axis=0))
    z = norm.ppf(0.5 + level / 2)
    return np.exp(log_or), np.exp(log_or - z * se), np.exp(log_or + z * se)


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of a flat array of p-values (scipy's ``false_discovery_control``)."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p, dtype=float)
    return false_discovery_control(np.clip(np.nan_to_num(p, nan=1.0), 0, 1)) if p.size else p


def class_enrichment(active: np.ndarray, labels: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Enrichment of each feature's active windows in each class (module docstring).

    ``active`` (N, F) bool, ``labels`` (N,) class names. Columns ``feature, class, a, b, c, d, odds_ratio,
    ci_low, ci_high, p_value, q_value`` (a = active in class, b = active elsewhere, c = inactive in class,
    d = inactive elsewhere).
    """
    labels = np.asarray(labels)
    rows = []
    for cls in classes:
        inside = labels == cls
        a = (active & inside[:, None]).sum(0)
        b = (active & ~inside[:, None]).sum(0)
        c = (~active & inside[:, None]).sum(0)
        d = (~active & ~inside[:, None]).sum(0)
        rows.append(pd.DataFrame({"feature": np.arange(active.shape[1]), "class": cls, "a": a, "b": b, "c": c,
                                  "d": d}))
    df = pd.concat(rows, ignore_index=True)
    df["odds_ratio"], df["ci_low"], df["ci_high"] = odds_ratio_ci(*(df[k].to_numpy() for k in "abcd"))
    df["p_value"] = [fisher_exact([[a, b], [c, d]])[1] for a, b, c, d in df[list("abcd")].to_numpy()]
    df["q_value"] = bh(df["p_value"].to_numpy())
    return df.sort_values(["feature", "class"], ignore_index=True)


def best_class(enrichment: pd.DataFrame, n_features: int) -> pd.DataFrame:
    """Per feature the class with the largest lower CI bound of the OR: ``best_class, odds_ratio, ci_low,
    ci_high, class_q`` (one row per feature, indexed 0..F-1)."""
    e = enrichment.sort_values(["feature", "ci_low"], ascending=[True, False]).drop_duplicates("feature")
    e = e.set_index("feature").reindex(range(n_features))
    return pd.DataFrame({"best_class": e["class"].to_numpy(), "odds_ratio": e["odds_ratio"].to_numpy(float),
                         "ci_low": e["ci_low"].to_numpy(float), "ci_high": e["ci_high"].to_numpy(float),
                         "class_q": e["q_value"].to_numpy(float)})


FIMO_THRESHOLD = 1e-4


def fimo_hits(seqs: list[str], motifs: tuple[JasparMotif, ...], *, threshold: float = FIMO_THRESHOLD
              ) -> pd.DataFrame:
    """FIMO hits (memelite, p ≤ ``threshold``, both strands) of ``motifs`` in equal-length ``seqs``, one batched
    call: columns ``seq`` (index into ``seqs``), ``motif`` (matrix id), ``start``, ``end`` (0-based half-open)."""
    from memelite import fimo

    cols = ["seq", "motif", "start", "end"]
    usable = [m for m in motifs if seqs and m.length <= len(seqs[0])]
    if not usable:
        return pd.DataFrame(columns=cols)
    x = np.stack([one_hot(s) for s in seqs]).astype(np.float32)
    tables = fimo({m.matrix_id: np.ascontiguousarray(m.pwm, dtype=np.float64) for m in usable}, x,
                  threshold=threshold, reverse_complement=True)
    frames = [pd.DataFrame({"seq": t["sequence_name"].astype(int).to_numpy(), "motif": m.matrix_id,
                            "start": t["start"].astype(int).to_numpy(), "end": t["end"].astype(int).to_numpy()})
              for m, t in zip(usable, tables) if len(t)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def fimo_mask(seqs: list[str], motifs: tuple[JasparMotif, ...], *, threshold: float = FIMO_THRESHOLD) -> np.ndarray:
    """(N, L) bool: position j of sequence i lies inside a FIMO hit (:func:`fimo_hits`) of any of ``motifs``;
    ``seqs`` of equal length L."""
    if not seqs:
        return np.zeros((0, 0), dtype=bool)
    L = len(seqs[0])
    hits = fimo_hits(seqs, motifs, threshold=threshold)
    diff = np.zeros((len(seqs), L + 1), dtype=np.int32)
    if len(hits):
        i = hits["seq"].to_numpy(int)
        np.add.at(diff, (i, hits["start"].to_numpy(int)), 1)
        np.add.at(diff, (i, hits["end"].to_numpy(int)), -1)
    return np.cumsum(diff[:, :L], axis=1) > 0


def fimo_fraction(sites: pd.DataFrame, mask: np.ndarray, n_features: int) -> np.ndarray:
    """(F,) fraction of each feature's sites (``feature, window, pos``) at a position where ``mask`` (N, L) is
    True (NaN for a feature without sites)."""
    f = sites["feature"].to_numpy(int)
    inside = mask[sites["window"].to_numpy(int), sites["pos"].to_numpy(int)].astype(float)
    n = np.bincount(f, minlength=n_features).astype(float)
    k = np.bincount(f, weights=inside, minlength=n_features)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / n, np.nan)
