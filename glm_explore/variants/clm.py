"""Evo-style Δ log-likelihood for causal language models.

``llr = score(alt window) − score(ref window)`` with ``score = Σ_t log P(x_t | x_<t)``
(``reduce="sum"``, the DNALLM choice; ``"mean"`` divides by the window length), optionally
averaged with the reverse-complement strand. Natural log.

With a bounded receptive field R (bases to the left an output sees) the alt allele at window index
i changes only the terms t = i … i+R: the reference window is scored once (shared by every
alternative at the site) and each alt only over bases ``i − R … i + R``, so
``score(alt) = score(ref) − Σ_{t=i}^{i+R} ref_t + Σ_{t=i}^{i+R} alt_t`` (``packed=True``, the default;
``packed=False`` scores both whole windows, the reference). With an unbounded receptive field, a
CLM that declares ``capabilities.caches_prefix`` (Hugging Face GPT-2, Llama, … whose cache works) runs the
window left of the variant once and reuses its ``past_key_values`` for the ref and alt suffixes (:func:`_prefix_delta`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..context import DEFAULT_WINDOW, variant_window
from ..io.datasets import as_genome
from ..models.adapter import batches_by_length
from ..models.base import GenomicLM
from ..sequence import encode, reverse_complement
from .validate import OK, ChromCache, check_table
from .windows import site_windows, tokenizer_reasons


def token_log_likelihoods(model: GenomicLM, seqs: Sequence[str], *, batch_size: int = 64) -> list[np.ndarray]:
    """Per-position log P(x_t | x_<t), one (L_n,) float64 array per sequence (0 at N bases); CLM only."""
    if model.info.objective != "clm":
        raise ValueError(f"{model.info.name} is a masked LM: sequence log-likelihood needs a CLM (use mlm_llr).")
    out: list[np.ndarray] = [np.empty(0)] * len(seqs)
    for chunk in batches_by_length([len(s) for s in seqs], batch_size):
        lp = model.log_probs([seqs[k] for k in chunk], batch_size=batch_size)  # (n, 4, L)
        for row, k in enumerate(chunk):
            out[k] = _per_base(seqs[k], lp[row])
    return out


def _per_base(seq: str, lp: np.ndarray) -> np.ndarray:
    """(L,) float64 log P(x_t | x_<t) of ``seq`` read from its (4, L) log-probs; 0 at N bases."""
    codes = encode(seq)
    ok = codes < 4
    tok = np.zeros(len(codes))
    tok[ok] = lp[codes[ok], np.nonzero(ok)[0]]
    return tok


def _reduced(tok: np.ndarray, reduce: str) -> float:
    """Σ of per-base log-likelihoods (``"sum"``) or their mean over positions (``"mean"``)."""
    return float(tok.sum() / (len(tok) if reduce == "mean" else 1))


def sequence_log_likelihood(model: GenomicLM, seqs: Sequence[str], *, reduce: str = "sum",
                            batch_size: int = 64) -> np.ndarray:
    """(N,) Σ_t log P(x_t | x_<t) (``reduce="sum"``) or its mean over positions (``"mean"``); CLM only.

    N bases contribute nothing (they have no A/C/G/T row). Sequences may differ in length. Sums in float64.
    """
    if reduce not in {"sum", "mean"}:
        raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
    tok = token_log_likelihoods(model, seqs, batch_size=batch_size)
    return np.array([_reduced(t, reduce) for t in tok], dtype=np.float64)


def local_alt_totals(model: GenomicLM, refs: Sequence[str], which: np.ndarray, offsets: np.ndarray,
                     alts: Sequence[str], *, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(ref_totals (n_ref,), alt_totals (n_alt,))``: Σ_t log P(x_t | x_<t) of each reference window
    ``refs[w]`` and of each alt window (``refs[which[k]]`` with base ``offsets[k]`` set to ``alts[k]``).

    Each alt is scored only over bases ``i − R … i + R`` (R = the model's bounded receptive field): the
    terms ``t = i … i + R`` are the only ones the substitution changes, and each of them sees the same
    R bases (or the same window start) there as in the whole window.
    """
    R = int(model.info.receptive_field)
    tok = token_log_likelihoods(model, refs, batch_size=batch_size)
    ref_tot = np.array([t.sum() for t in tok], dtype=np.float64)
    spans = [(max(0, int(o) - R), min(len(refs[w]), int(o) + R + 1)) for w, o in zip(which, offsets)]
    local = [refs[w][lo:o] + a + refs[w][o + 1:hi] for w, o, a, (lo, hi) in zip(which, offsets, alts, spans)]
    tok_alt = token_log_likelihoods(model, local, batch_size=batch_size)
    alt_tot = np.array([ref_tot[w] - tok[w][o:hi].sum() + tok_alt[k][o - lo:].sum()
                        for k, (w, o, (lo, hi)) in enumerate(zip(which, offsets, spans))], dtype=np.float64)
    return ref_tot, alt_tot


# what clm_delta adds to a variants table (dtype per column; variants/parquet.py builds the file schema from these)
COLUMNS = {"status": "string", "ll_ref": "float64", "ll_alt": "float64", "llr": "float64"}


def clm_delta(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None,
              reduce: str = "sum", both_strands: bool = False, batch_size: int = 64, packed: bool = True,
              _cache: ChromCache | None = None) -> pd.DataFrame:
    """CLM score: ``llr = score(alt window) − score(ref window)``, score = sum (default) or mean of
    log P(x_t | x_<t) over the window. ``both_strands`` averages with the reverse-complement windows.

    ``window`` defaults to :func:`glm_explore.context.variant_window` capped at
    :data:`~glm_explore.context.DEFAULT_WINDOW` (both whole windows are scored). Adds ``status``, ``ll_ref``,
    ``ll_alt``, ``llr``. ``packed`` (default; bounded receptive field only) scores each alt over the
    bases it can change (:func:`local_alt_totals`); ``packed=False`` scores whole alt windows.
    Negative = alt less likely = more likely deleterious.
    """
    if reduce not in {"sum", "mean"}:
        raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
    g = as_genome(genome)
    cache = _cache or ChromCache(g)
    window = window or variant_window(model, cap=DEFAULT_WINDOW)
    reasons, chroms, pos0 = check_table(g, variants, cache)
    reasons = tokenizer_reasons(model, g, cache, variants, reasons, chroms, pos0, window)
    out = variants.copy()
    out["status"] = reasons
    ll_ref = np.full(len(out), np.nan)
    ll_alt = np.full(len(out), np.nan)
    rows = np.array([i for i, r in enumerate(reasons) if r == OK], dtype=np.int64)
    if len(rows):
        seqs, _, offs = site_windows(g, cache, [chroms[r] for r in rows], pos0[rows], window)
        alt_b = [str(variants["alt"].iat[r]).upper() for r in rows]
        if packed and model.info.receptive_field is not None:
            ll_ref[rows], ll_alt[rows] = _local_delta(model, seqs, offs, alt_b, reduce, both_strands, batch_size)
        elif packed and model.info.capabilities.caches_prefix:
            ll_ref[rows], ll_alt[rows] = _prefix_delta(model, seqs, offs, alt_b, reduce, both_strands, batch_size)
        else:
            alts = [s[:o] + a + s[o + 1:] for s, o, a in zip(seqs, offs, alt_b)]
            uniq_ref = {s: i for i, s in enumerate(dict.fromkeys(seqs))}
            all_seqs = list(uniq_ref) + alts
            if both_strands:
                all_seqs = all_seqs + [reverse_complement(s) for s in all_seqs]
            ll = sequence_log_likelihood(model, all_seqs, reduce=reduce, batch_size=batch_size)
            n = len(uniq_ref) + len(alts)
            if both_strands:
                ll = (ll[:n] + ll[n:]) / 2
            ll_ref[rows] = ll[[uniq_ref[s] for s in seqs]]
            ll_alt[rows] = ll[len(uniq_ref):n]
    out["ll_ref"], out["ll_alt"], out["llr"] = ll_ref, ll_alt, ll_alt - ll_ref
    return out


def _local_delta(model: GenomicLM, seqs: list[str], offs: np.ndarray, alts: list[str], reduce: str,
                 both_strands: bool, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) ref and alt window scores of :func:`clm_delta` through :func:`local_alt_totals` (each
    distinct reference window scored once per strand)."""
    uniq = {s: i for i, s in enumerate(dict.fromkeys(seqs))}
    refs, which = list(uniq), np.array([uniq[s] for s in seqs], dtype=np.int64)
    L = np.array([len(s) for s in seqs], dtype=np.float64) if reduce == "mean" else 1.0
    ref_t, alt_t = local_alt_totals(model, refs, which, offs, alts, batch_size=batch_size)
    ref, alt = ref_t[which] / L, alt_t / L
    if both_strands:
        rc_refs = [reverse_complement(s) for s in refs]
        rc_offs = np.array([len(seqs[k]) - 1 - o for k, o in enumerate(offs)], dtype=np.int64)
        ref_t, alt_t = local_alt_totals(model, rc_refs, which, rc_offs, [reverse_complement(a) for a in alts],
                                        batch_size=batch_size)
        ref, alt = (ref + ref_t[which] / L) / 2, (alt + alt_t / L) / 2
    return ref, alt


def _prefix_delta(model: GenomicLM, seqs: list[str], offs: np.ndarray, alts: list[str], reduce: str,
                  both_strands: bool, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) ref and alt window scores of :func:`clm_delta`, each reference window and its alt windows one group
    whose shared start (left of the variant) runs once (``model.log_probs_shared_prefix``); the reverse
    strand the same way with ``both_strands``."""
    groups: dict[str, dict[str, int]] = {}  # ref window → {window: member index}, the ref first
    for s, o, a in zip(seqs, offs, alts):
        members = groups.setdefault(s, {s: 0})
        members.setdefault(s[:o] + a + s[o + 1:], len(members))
    refs = list(groups)
    lists = [list(groups[r]) for r in refs]
    if both_strands:
        lists += [[reverse_complement(w) for w in g] for g in lists]
    lps = model.log_probs_shared_prefix(lists, batch_size=batch_size)
    scores = [np.array([_reduced(_per_base(w, lp[m]), reduce) for m, w in enumerate(g)]) for g, lp in zip(lists, lps)]
    if both_strands:
        scores = [(f + r) / 2 for f, r in zip(scores[:len(refs)], scores[len(refs):])]
    at = {r: i for i, r in enumerate(refs)}
    ref = np.array([scores[at[s]][0] for s in seqs], dtype=np.float64)
    alt = np.array([scores[at[s]][groups[s][s[:o] + a + s[o + 1:]]] for s, o, a in zip(seqs, offs, alts)],
                   dtype=np.float64)
    return ref, alt

