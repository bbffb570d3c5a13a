"""Evo-style Δ log-likelihood for causal language models.

``llr = score(alt window) − score(ref window)`` with ``score = Σ_t log P(x_t | x_<t)``
(``reduce="sum"``, the DNALLM choice; ``"mean"`` divides by the window length), optionally
averaged with the reverse-complement strand. Natural log.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..context import DEFAULT_WINDOW, variant_window
from ..datasets import as_genome
from ..models.adapter import batches_by_length
from ..models.base import GenomicLM
from ..sequence import encode, reverse_complement
from .validate import OK, ChromCache, check_table
from .windows import site_windows, tokenizer_reasons


def sequence_log_likelihood(model: GenomicLM, seqs: Sequence[str], *, reduce: str = "sum",
                            batch_size: int = 64) -> np.ndarray:
    """(N,) Σ_t log P(x_t | x_<t) (``reduce="sum"``) or its mean over positions (``"mean"``); CLM only.

    N bases contribute nothing (they have no A/C/G/T row). Sequences may differ in length.
    """
    if model.info.objective != "clm":
        raise ValueError(f"{model.info.name} is a masked LM: sequence log-likelihood needs a CLM (use mlm_llr).")
    if reduce not in {"sum", "mean"}:
        raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
    out = np.zeros(len(seqs))
    for chunk in batches_by_length([len(s) for s in seqs], batch_size):
        lp = model.log_probs([seqs[k] for k in chunk], batch_size=batch_size)  # (n, 4, L)
        for row, k in enumerate(chunk):
            codes = encode(seqs[k])
            okc = codes < 4
            total = float(lp[row][codes[okc], np.nonzero(okc)[0]].sum())
            out[k] = total / len(codes) if reduce == "mean" else total
    return out


def clm_delta(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None,
              reduce: str = "sum", both_strands: bool = False, batch_size: int = 64,
              _cache: ChromCache | None = None) -> pd.DataFrame:
    """CLM score: ``llr = score(alt window) − score(ref window)``, score = sum (default) or mean of
    log P(x_t | x_<t) over the window. ``both_strands`` averages with the reverse-complement windows.

    ``window`` defaults to :func:`glm_explore.context.variant_window` capped at
    :data:`~glm_explore.context.DEFAULT_WINDOW` (both whole windows are scored). Adds ``status``, ``ll_ref``,
    ``ll_alt``, ``llr``. Negative = alt less likely = more likely deleterious.
    """
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
        alts = [s[:o] + str(variants["alt"].iat[r]).upper() + s[o + 1:] for s, o, r in zip(seqs, offs, rows)]
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
