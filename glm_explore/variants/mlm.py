"""GPN's masked LLR (Benegas et al. 2023) for masked language models.

A window centred on the variant, the variant position masked, one forward:
``llr = log P(alt) − log P(ref)`` at that position (natural log). By default it is averaged with
the reverse-complement strand, where both alleles are complemented and the position mirrors to
``L − 1 − offset`` (for an even window the centre therefore shifts by one: GPN's
``pos_rev = W // 2 − 1``). One masked pass gives the log-probs of all four bases, so all three
alternatives at a site cost one masked position per strand.

With a bounded receptive field R and a window of at least ``2R + 1`` bases (the default when
``2R + 1`` ≤ 512 bp, GPN's variant window: :func:`~glm_explore.context.variant_window`), sites are
packed many per row (:mod:`.packing`: contexts shared, masks R + 1 apart); otherwise, and with
``packed=False`` (the reference), each site gets its own centred window, batched many per forward.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..context import variant_window
from ..io.datasets import as_genome
from ..models.adapter import batches_by_length
from ..models.base import GenomicLM
from ..sequence import reverse_complement
from .packing import packed_site_log_probs
from .validate import BASE_INDEX, OK, ChromCache, check_table
from .windows import site_windows, tokenizer_reasons


def masked_site_log_probs(model: GenomicLM, seqs: Sequence[str], offsets: Sequence[int], *, rc: bool = True,
                          batch_size: int = 64) -> np.ndarray:
    """(N, 4) log P(b | window with ``offsets[n]`` masked) over A,C,G,T, forward strand orientation.

    One masked forward per window (and per strand with ``rc=True``). With ``rc=True`` the
    reverse-complement window is scored at the mirrored position ``L − 1 − offset`` and its
    A,C,G,T row is complemented (reversed) before averaging the two strands' log-probs, so
    ``out[n, alt] − out[n, ref]`` is the RC-averaged LLR. Windows may differ in length (they are
    grouped by length).
    """
    if model.info.objective != "mlm":
        raise ValueError(f"{model.info.name} is a causal LM: the masked LLR needs an MLM (use clm_delta).")
    offsets = np.asarray(offsets, dtype=np.int64)
    out = np.zeros((len(seqs), 4), dtype=np.float64)
    strands = [False, True] if rc else [False]
    for chunk in batches_by_length([len(s) for s in seqs], batch_size):
        L = len(seqs[chunk[0]])
        for rev in strands:
            ss = [reverse_complement(seqs[k]) if rev else seqs[k] for k in chunk]
            pos = np.array([L - 1 - offsets[k] if rev else offsets[k] for k in chunk])
            masked = np.zeros((len(chunk), L), dtype=bool)
            masked[np.arange(len(chunk)), pos] = True
            lp = model.log_probs(ss, masked, batch_size=batch_size)[np.arange(len(chunk)), :, pos]  # (n, 4)
            out[chunk] += lp[:, ::-1] if rev else lp
    return out / len(strands)


# what mlm_llr adds to a variants table (dtype per column; variants/parquet.py builds the file schema from these)
COLUMNS = {"status": "string", "logp_ref": "float64", "logp_alt": "float64", "llr": "float64"}


def mlm_llr(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None, rc: bool = True,
            batch_size: int = 64, packed: bool = True, _cache: ChromCache | None = None) -> pd.DataFrame:
    """GPN masked LLR for each SNV row of ``variants`` (``chrom, pos`` 1-based, ``ref, alt``).

    ``genome`` is a :class:`~glm_explore.io.genome.Genome` or a ``GenomeData``; ``window`` defaults to
    :func:`glm_explore.context.variant_window`. Returns a copy with columns ``status`` (``"ok"`` or
    the reason it was not scored), ``logp_ref``, ``logp_alt`` (log-probs at the masked position,
    RC-averaged when ``rc``) and ``llr = logp_alt − logp_ref`` (NaN when not scored). Rows sharing a
    site share one masked position per strand. ``packed`` (default) packs many sites per forward when
    :func:`uses_packing` says it is exact; ``packed=False`` keeps one window per site (the reference).
    Negative LLR = alt less likely = more likely deleterious.
    """
    g = as_genome(genome)
    cache = _cache or ChromCache(g)
    window = window or variant_window(model)
    reasons, chroms, pos0 = check_table(g, variants, cache)
    reasons = tokenizer_reasons(model, g, cache, variants, reasons, chroms, pos0, window)
    out = variants.copy()
    out["status"] = reasons
    ok = np.array([r == OK for r in reasons], dtype=bool)
    llr = np.full(len(out), np.nan)
    lref = np.full(len(out), np.nan)
    lalt = np.full(len(out), np.nan)
    if ok.any():
        rows = np.nonzero(ok)[0]
        sites = {}
        for r in rows:
            sites.setdefault((chroms[r], int(pos0[r])), len(sites))
        keys = list(sites)
        if packed and uses_packing(model, window):
            lp = packed_site_log_probs(model, cache, [k[0] for k in keys], [k[1] for k in keys], rc=rc,
                                       batch_size=batch_size)
        else:
            seqs, _, offs = site_windows(g, cache, [k[0] for k in keys], [k[1] for k in keys], window)
            lp = masked_site_log_probs(model, seqs, offs, rc=rc, batch_size=batch_size)
        site = np.array([sites[(chroms[r], int(pos0[r]))] for r in rows])
        ref_i = np.array([BASE_INDEX[str(variants["ref"].iat[r]).upper()] for r in rows])
        alt_i = np.array([BASE_INDEX[str(variants["alt"].iat[r]).upper()] for r in rows])
        lref[rows] = lp[site, ref_i]
        lalt[rows] = lp[site, alt_i]
        llr[rows] = lalt[rows] - lref[rows]
    out["logp_ref"], out["logp_alt"], out["llr"] = lref, lalt, llr
    return out


def uses_packing(model: GenomicLM, window: int) -> bool:
    """Whether packed rows give exactly the one-window-per-site LLR: a bounded receptive field R and a
    window of at least ``2R + 1`` bases (a shorter window cuts context the packed rows would keep)."""
    rf = model.info.receptive_field
    return rf is not None and int(window) >= 2 * int(rf) + 1
