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
* ``clm_delta_ll`` — with ``clm=`` a causal LM: its Δ log-likelihood (a CLM model's own ``llr`` is its Δ
  log-likelihood, so it gets no second column);
* ``dependency_row`` — minus the largest effect of the substitution on the model's predictions at the nearby
  positions: ``−max_{0 < |j − i| ≤ band} max_b |log-odds p_j(b | alt context) − log-odds p_j(b | ref context)|``
  with p_j the unmasked forward's distribution at j (reconstruction for an MLM, next-token for a CLM, so only
  j > i moves) and probabilities clipped to [1e-6, 1 − 1e-6] — the nucleotide dependency map's entry d(i, j)
  (:mod:`glm_explore.dependency`, SCIENCE.md) for *this* ALT (the map's row takes the max over the three; a
  variant score must depend on its ALT), maximised over the row's band. ``band`` = :data:`DEPENDENCY_BAND`
  (±25 bp, where almost all of a short-range model's dependencies lie) keeps it affordable: two forwards per SNV
  of a window of ``2·(band + R) + 1`` bases (R the receptive field), exactly the whole-chromosome forwards'
  values; an unbounded model uses the LLR's window (:func:`~glm_explore.context.variant_window`), an
  approximation. Forward strand.

SNV classes (:func:`~glm_explore.report.variant_sanity.method_snvs`): the report's four plus ``splice_region``
(intron donor +1…+6 / acceptor −3…−1 of annotated GT…AG introns) and ``promoter_motif`` (high-information
columns of JASPAR FIMO hits in promoters); the pairs :data:`~glm_explore.report.variant_sanity.METHOD_PAIRS`.

AUROC per class pair ``(a, b)`` (a the milder class) = P(score of an ``a`` SNV > score of a ``b`` SNV), ties ½,
with a stratified bootstrap CI (:func:`glm_explore.report.variant_sanity.effect_aurocs`, scikit-learn's
``roc_auc_score``); > 0.5 = the method ranks the harsher class as more deleterious. The ranking orders the
methods per pair by AUROC (rank 1 = best).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..context import variant_window
from ..embed import hidden_layers, normalize_layers
from ..io.datasets import GenomeData, as_genome
from ..models.base import GenomicLM, Progress
from ..models.fingerprint import tensors_fingerprint
from ..report.variant_sanity import METHOD_PAIRS, effect_aurocs, method_snvs
from ..results.calibration import MethodComparison
from ..results.logits import log_odds
from ..results.variants import Variant
from ..sequence import reverse_complement
from ..variants.mlm import masked_site_log_probs
from ..variants.score import score_variants
from ..variants.views import embedding_shift_from_states
from ..variants.windows import variant_windows

METHODS = ("llr", "entropy_weighted_llr", "embedding_cosine", "embedding_l2", "clm_delta_ll", "dependency_row")
METHOD_LABELS = {"llr": "LLR", "entropy_weighted_llr": "entropy-weighted LLR",
                 "embedding_cosine": "embedding shift (cosine)", "embedding_l2": "embedding shift (L2)",
                 "clm_delta_ll": "CLM Δ log-likelihood", "dependency_row": "dependency row (max |Δ| ±25 bp)"}
DEPENDENCY_BAND = 25  # bp each side of the variant for the dependency-row score
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "data" / "score_methods"
DEFAULT_PER_CLASS = 150


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


def dependency_window(model: GenomicLM, band: int = DEPENDENCY_BAND) -> int:
    """Bases around a variant for :func:`dependency_row_scores`: ``2·(band + R) + 1`` for a finite receptive field R
    (every target within ``band`` then sees all it sees in the whole chromosome), else the LLR's window."""
    rf = model.info.receptive_field
    return 2 * (band + rf) + 1 if rf is not None else variant_window(model)


def dependency_row_scores(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, band: int = DEPENDENCY_BAND,
                          batch_size: int = 64) -> np.ndarray:
    """(N,) the ``dependency_row`` score of each SNV of ``snvs`` (``chrom, pos`` 1-based, ``ref, alt``): minus
    ``max_{0 < |j − i| ≤ band, j on the contig} max_b |log-odds p_j(b | alt) − log-odds p_j(b | ref)|`` (module
    docstring), natural-log odds; NaN where the REF does not match the genome or nothing is in the band.

    Cost: two unmasked forwards per SNV of :func:`dependency_window` bases, batched by window length.
    """
    g = as_genome(data)
    window = dependency_window(model, band)
    out = np.full(len(snvs), np.nan)
    jobs: dict[int, list[tuple[int, str, str, int]]] = {}
    for k, row in enumerate(snvs[["chrom", "pos", "ref", "alt"]].itertuples(index=False)):
        try:
            ref_seq, alt_seq, _, off = variant_windows(g, Variant(str(row.chrom), int(row.pos), str(row.ref),
                                                                  str(row.alt)), window)
        except Exception:  # noqa: BLE001 — a REF mismatch or a position off the contig leaves NaN, as score_variants
            continue
        jobs.setdefault(len(ref_seq), []).append((k, ref_seq, alt_seq, off))
    step = max(1, batch_size)
    for L, items in jobs.items():
        for lo in range(0, len(items), step):
            chunk = items[lo:lo + step]
            lo_ref = log_odds(model.log_probs([c[1] for c in chunk], None, batch_size=batch_size))
            lo_alt = log_odds(model.log_probs([c[2] for c in chunk], None, batch_size=batch_size))
            for r, (k, _, _, off) in enumerate(chunk):
                j = off + np.r_[np.arange(-band, 0), np.arange(1, band + 1)]
                j = j[(j >= 0) & (j < L)]
                if len(j):
                    out[k] = -float(np.abs(lo_alt[r][:, j] - lo_ref[r][:, j]).max())
    return out


def method_scores(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, clm: GenomicLM | None = None,
                  layer: int = -1, rc: bool = True, batch_size: int = 64, band: int = DEPENDENCY_BAND,
                  progress: Progress | None = None) -> pd.DataFrame:
    """``snvs`` (``chrom, pos, ref, alt, effect``) with one column per method of :data:`METHODS` (module
    docstring; ``clm_delta_ll`` only with ``clm``) and
    ``information_bits``. Rows whose score failed (status not ``ok``) keep NaN."""
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
        progress(0.7, "embedding shifts done")
    out["dependency_row"] = np.where(ok, dependency_row_scores(model, data, out, band=band, batch_size=batch_size),
                                     np.nan)
    if progress:
        progress(0.9, "dependency rows done")
    if clm is not None:
        c = score_variants(clm, data, out[["chrom", "pos", "ref", "alt"]], rc=rc)
        out["clm_delta_ll"] = np.where(c["status"].to_numpy() == "ok", c["llr"].to_numpy(float), np.nan)
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


def method_aurocs(scores: pd.DataFrame, methods: tuple[str, ...], *, pairs=METHOD_PAIRS, reps: int = 1000,
                  seed: int = 0) -> pd.DataFrame:
    """AUROC with bootstrap CI of each method column for each class pair (one row per method × pair)."""
    parts = [effect_aurocs(scores, pairs=pairs, reps=reps, seed=seed, score=m).assign(method=m) for m in methods]
    return pd.concat(parts, ignore_index=True)


def compare_methods(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, clm: GenomicLM | None = None,
                    layer: int = -1, rc: bool = True, pairs=METHOD_PAIRS, reps: int = 1000, seed: int = 0,
                    band: int = DEPENDENCY_BAND, progress: Progress | None = None) -> MethodComparison:
    """:func:`method_scores`, :func:`method_aurocs` and :func:`rank_methods` in one result (``notes`` record the
    settings, the weights' fingerprint, the SNVs per class and the wall time in ``seconds``)."""
    t0 = time.perf_counter()
    scores = method_scores(model, data, snvs, clm=clm, layer=layer, rc=rc, band=band, progress=progress)
    methods = tuple(m for m in METHODS if m in scores)
    aurocs = method_aurocs(scores, methods, pairs=pairs, reps=reps, seed=seed)
    counts = snvs["effect"].value_counts()
    notes = {"orientation": "every method is oriented so that lower = predicted more deleterious",
             "clm": clm.info.name if clm is not None else ("the LLR is this CLM's Δ log-likelihood"
                                                           if model.info.objective == "clm" else ""),
             "weights": tensors_fingerprint(model),
             "genome": data.name, "layer": str(layer), "rc": str(rc), "band": str(band), "reps": str(reps),
             "seed": str(seed), "snvs": ", ".join(f"{k} {int(v)}" for k, v in counts.items()),
             "seconds": f"{time.perf_counter() - t0:.1f}"}
    return MethodComparison(model.info.name, model.info.objective, methods, scores, aurocs, rank_methods(aurocs),
                            notes)


def heldout_method_snvs(data: GenomeData, *, per_class: int = DEFAULT_PER_CLASS, seed: int = 0) -> pd.DataFrame:
    """:func:`~glm_explore.report.variant_sanity.method_snvs` on the held-out span
    (:func:`glm_explore.calibration.background.heldout_span`)."""
    from .background import heldout_span

    return method_snvs(data, *heldout_span(data), per_class=per_class, seed=seed)


def shipped_comparison_path(model_name: str, genome_name: str) -> Path:
    """Where the shipped method comparison of a built-in model on a bundled genome lives (it may not exist)."""
    from .background import shipped_background_path

    return SHIPPED_DIR / shipped_background_path(model_name, genome_name).with_suffix(".json").name


def comparison_for(model: GenomicLM, data: GenomeData, *, cache_dir: str | Path | None = None, compute: bool = False,
                   per_class: int = DEFAULT_PER_CLASS, progress: Progress | None = None, **kwargs
                   ) -> MethodComparison | None:
    """The method comparison of ``model`` on ``data``: the shipped one when it was made from these weights, else
    one cached on disk (keyed by the weights' fingerprint), else (``compute=True``; ``kwargs`` to
    :func:`compare_methods`) computed on the held-out SNVs now and cached; None when there is none and
    ``compute`` is False."""
    weights = tensors_fingerprint(model)
    ship = shipped_comparison_path(model.info.name, data.name)
    if ship.exists():
        res = MethodComparison.load(ship)
        if res.notes.get("weights") == weights:
            return res
    folder = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "glm_explore" / "score_methods"
    path = folder / shipped_comparison_path(f"{model.info.name}-{weights}-{per_class}", data.name).name
    if path.exists():
        return MethodComparison.load(path)
    if not compute:
        return None
    res = compare_methods(model, data, heldout_method_snvs(data, per_class=per_class), progress=progress, **kwargs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        res.save(path)
    except OSError:
        pass  # a read-only home still returns the result
    return res


def estimate_seconds(model: GenomicLM, data: GenomeData, snvs: pd.DataFrame, *, probe: int = 12, reps: int = 1000,
                     seed: int = 0, **kwargs) -> float:
    """Seconds :func:`compare_methods` would spend on ``snvs``: :func:`method_scores` of ``probe`` of them drawn at
    random (seeded) times ``len(snvs) / probe``, plus the bootstrap timed on one method and pair (20 resamples)
    scaled to ``reps`` × methods × pairs. The cost to show before a run."""
    if not len(snvs):
        return 0.0
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(snvs), size=min(probe, len(snvs)), replace=False))
    t0 = time.perf_counter()
    method_scores(model, data, snvs.iloc[pick], **kwargs)
    scoring = (time.perf_counter() - t0) * len(snvs) / len(pick)
    fake = pd.DataFrame({"effect": snvs["effect"].to_numpy(), "x": rng.normal(size=len(snvs))})
    t0 = time.perf_counter()
    effect_aurocs(fake, pairs=METHOD_PAIRS[:1], reps=20, seed=seed, score="x")
    boot = (time.perf_counter() - t0) * reps / 20 * len(METHODS) * len(METHOD_PAIRS)
    return scoring + boot
