"""Which score separates variant classes best: scoring methods side by side on held-out SNVs of known effect.

SNVs come from :func:`glm_explore.report.variant_sanity.heldout_snvs` (stop-gained / missense / synonymous from
clean CDSs, intergenic from the region labels, all inside the held-out span). Each method gives one number per
SNV, **oriented so that lower = predicted more deleterious** (the LLR's own sign convention):

* ``llr`` — the model's variant score (:func:`~glm_explore.variants.score.score_variants`: masked LLR for an
  MLM, Δ log-likelihood for a CLM; natural log, both strands);
* ``entropy_weighted_llr`` — ``llr · IC / 2`` with ``IC = 2 − H`` bits of the model's prediction at the site
  in the reference context (MLM: the masked marginal; CLM: P(x_i | x_<i); both strands averaged in log space):
  a confident prediction keeps the whole LLR, a flat one (IC ≈ 0) shrinks it toward 0;
* ``embedding_cosine`` / ``embedding_l2`` — minus the cosine distance / Euclidean distance between the pooled
  (window mean) last-layer embeddings of the ref and alt windows (:mod:`glm_explore.variants.views`; forward
  strand; ``layer`` chooses another layer): a larger shift = lower = more deleterious;
* ``clm_delta_ll`` — with ``clm=`` a causal LM: its Δ log-likelihood (for a CLM model this equals ``llr``).

AUROC per class pair ``(a, b)`` (a the milder class) = P(score of an ``a`` SNV > score of a ``b`` SNV), ties ½,
with a stratified bootstrap CI (:func:`glm_explore.report.variant_sanity.effect_aurocs`, scikit-learn's
``roc_auc_score``); > 0.5 = the method ranks the harsher class as more deleterious. The ranking orders the
methods per pair by AUROC (rank 1 = best).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import variant_window
from ..embed import hidden_layers, normalize_layers
from ..io.datasets import GenomeData, as_genome
from ..models.base import GenomicLM, Progress
from ..report.variant_sanity import DEFAULT_PAIRS, effect_aurocs
from ..results.calibration import MethodComparison
from ..results.variants import Variant
from ..sequence import reverse_complement
from ..variants.mlm import masked_site_log_probs
from ..variants.score import score_variants
from ..variants.views import embedding_shift_from_states
from ..variants.windows import variant_windows

METHODS = ("llr", "entropy_weighted_llr", "embedding_cosine", "embedding_l2", "clm_delta_ll")
METHOD_LABELS = {"llr": "LLR", "entropy_weighted_llr": "entropy-weighted LLR",
                 "embedding_cosine": "embedding shift (cosine)", "embedding_l2": "embedding shift (L2)",
                 "clm_delta_ll": "CLM Δ log-likelihood"}


def site_log_probs(model: GenomicLM, seqs: list[str], offsets: np.ndarray, *, rc: bool = True,
                   batch_size: int = 64) -> np.ndarray:
    """(N, 4) natural-log prediction at ``offsets[n]`` of reference window ``seqs[n]``, forward-strand A,C,G,T.

    MLM: the masked marginal (:func:`~glm_explore.variants.mlm.masked_site_log_probs`). CLM: column
    ``offsets[n]`` of ``log_probs`` (P(x_i | x_<i)); with ``rc`` averaged with the reverse-complement window's
    column at the mirrored position, its A,C,G,T row complemented (P(x_i | the bases to its right)).
    """
    if model.info.objective == "mlm":
        return masked_site_log_probs(model, seqs, offsets, rc=rc, batch_size=batch_size)
    offsets = np.asarray(offsets, dtype=np.int64)
    out = np.zeros((len(seqs), 4))
    by_len: dict[int, list[int]] = {}
    for k, s in enumerate(seqs):
        by_len.setdefault(len(s), []).append(k)
    for L, idx in by_len.items():
        lp = model.log_probs([seqs[k] for k in idx], batch_size=batch_size)
        out[idx] = lp[np.arange(len(idx)), :, offsets[idx]]
        if rc:
            lr = model.log_probs([reverse_complement(seqs[k]) for k in idx], batch_size=batch_size)
            out[idx] = (out[idx] + lr[np.arange(len(idx)), :, L - 1 - offsets[idx]][:, ::-1]) / 2
    return out


def information_bits(log_probs: np.ndarray) -> np.ndarray:
    """(N,) information content ``2 − H`` in bits of (N, 4) natural-log predictions (renormalised first)."""
    lp = log_probs - np.logaddexp.reduce(log_probs, axis=1, keepdims=True)
    p = np.exp(lp)
    return 2.0 + (p * lp).sum(axis=1) / np.log(2.0)


def method_scores(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, clm: GenomicLM | None = None,
                  layer: int = -1, rc: bool = True, batch_size: int = 64, progress: Progress | None = None
                  ) -> pd.DataFrame:
    """``snvs`` (``chrom, pos, ref, alt, effect``) with one column per method of :data:`METHODS` (module
    docstring; ``clm_delta_ll`` only with ``clm``, or from ``llr`` when ``model`` is a CLM). Rows whose score
    failed (status not ``ok``) keep NaN."""
    g = as_genome(data)
    out = snvs.reset_index(drop=True).copy()
    scored = score_variants(model, data, out[["chrom", "pos", "ref", "alt"]], rc=rc)
    ok = scored["status"].to_numpy() == "ok"
    out["llr"] = np.where(ok, scored["llr"].to_numpy(float), np.nan)
    if progress:
        progress(0.3, "LLR done")
    window = variant_window(model)
    idx = np.flatnonzero(ok)
    wins = {k: variant_windows(g, Variant(str(out["chrom"].iat[k]), int(out["pos"].iat[k]), str(out["ref"].iat[k]),
                                          str(out["alt"].iat[k])), window) for k in idx}
    ic = np.full(len(out), np.nan)
    if len(idx):
        lp = site_log_probs(model, [wins[k][0] for k in idx], np.array([wins[k][3] for k in idx]), rc=rc,
                            batch_size=batch_size)
        ic[idx] = information_bits(lp)
    out["information_bits"] = ic
    out["entropy_weighted_llr"] = out["llr"] * ic / 2
    if progress:
        progress(0.6, "entropy weights done")
    cos, l2 = np.full(len(out), np.nan), np.full(len(out), np.nan)
    if len(idx):
        k_layer = normalize_layers(model, layer)[0]
        (h,) = hidden_layers(model, [s for k in idx for s in wins[k][:2]], [k_layer], batch_size=batch_size)
        for j, k in enumerate(idx):
            shift = embedding_shift_from_states(h[2 * j], h[2 * j + 1], region=wins[k][2], offset=wins[k][3],
                                                layer=k_layer)
            cos[k], l2[k] = shift.cosine_distance, shift.euclidean
    out["embedding_cosine"], out["embedding_l2"] = -cos, -l2
    if progress:
        progress(0.85, "embedding shifts done")
    if clm is not None:
        c = score_variants(clm, data, out[["chrom", "pos", "ref", "alt"]], rc=rc)
        out["clm_delta_ll"] = np.where(c["status"].to_numpy() == "ok", c["llr"].to_numpy(float), np.nan)
    elif model.info.objective == "clm":
        out["clm_delta_ll"] = out["llr"]
    return out


def rank_methods(aurocs: pd.DataFrame) -> pd.DataFrame:
    """Per class pair, the methods by AUROC, best first: ``pair, rank, method, label, auroc, ci_lo, ci_hi``."""
    rows = []
    for pair, g in aurocs.dropna(subset=["auroc"]).groupby("pair", sort=False):
        g = g.sort_values("auroc", ascending=False, kind="stable")
        for r, row in enumerate(g.itertuples(), start=1):
            rows.append({"pair": pair, "rank": r, "method": row.method, "label": METHOD_LABELS.get(row.method, row.method),
                         "auroc": row.auroc, "ci_lo": row.ci_lo, "ci_hi": row.ci_hi})
    return pd.DataFrame(rows, columns=["pair", "rank", "method", "label", "auroc", "ci_lo", "ci_hi"])


def method_aurocs(scores: pd.DataFrame, methods: tuple[str, ...], *, pairs=DEFAULT_PAIRS, reps: int = 1000,
                  seed: int = 0) -> pd.DataFrame:
    """AUROC with bootstrap CI of each method column for each class pair (one row per method × pair)."""
    parts = [effect_aurocs(scores, pairs=pairs, reps=reps, seed=seed, score=m).assign(method=m) for m in methods]
    return pd.concat(parts, ignore_index=True)


def compare_methods(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, clm: GenomicLM | None = None,
                    layer: int = -1, rc: bool = True, pairs=DEFAULT_PAIRS, reps: int = 1000, seed: int = 0,
                    progress: Progress | None = None) -> MethodComparison:
    """:func:`method_scores`, :func:`method_aurocs` and :func:`rank_methods` in one result."""
    scores = method_scores(model, data, snvs, clm=clm, layer=layer, rc=rc, progress=progress)
    methods = tuple(m for m in METHODS if m in scores)
    aurocs = method_aurocs(scores, methods, pairs=pairs, reps=reps, seed=seed)
    notes = {"orientation": "every method is oriented so that lower = predicted more deleterious",
             "clm": clm.info.name if clm is not None else ""}
    return MethodComparison(model.info.name, model.info.objective, methods, scores, aurocs, rank_methods(aurocs),
                            notes)
