"""Scores of indels, MNVs and small SVs (:class:`~.indels.Event`), one per event, natural log.

* **CLM — length-matched Δ log-likelihood** (:func:`clm_windows`, :func:`clm_event_scores`): the
  reference and alternate windows share the same flanks, ``F`` bases before the event (F = the model's
  receptive field, :func:`event_flank`) and ``F`` after it; the window of the *shorter* allele is
  extended on the right by the length difference, so both windows score the same number of bases
  ``W = F + max(deleted, inserted) + F``. ``llr = Σ_t log P(alt_t | alt_<t) − Σ_t log P(ref_t | ref_<t)``
  over the two windows; ``llr_mean = llr / W`` (the per-base mean of each window, alt − ref). With
  ``rc`` the same is done on the reverse strand (windows extended on the genome's left, which is the
  right in the reverse strand's reading order) and the two strands are averaged.
* **MLM — pseudo-log-likelihood** (PLL; Salazar et al. 2020) (:func:`mlm_windows`,
  :func:`mlm_event_scores`): on each allele, ``Σ_p log P(x_p | x_-p)`` with each position masked one at
  a time, over the affected span plus the receptive field on both sides (reference ``[s − F, e + F)``,
  alternate ``[s − F, s + inserted + F)``), in windows with ``F`` more bases of context each side.
  The masked marginals are the exact packed ones of :func:`glm_explore.logits.position_log_probs`
  (R + 1 masked copies per window). ``llr = PLL_alt − PLL_ref``; ``llr_mean = PLL_alt / n_alt −
  PLL_ref / n_ref`` (per-base means; the allele spans differ in length). **An approximation**: a PLL
  is not log P(sequence) (:data:`MLM_APPROX`). For a model with a bounded receptive field no position
  outside the span changes its masked marginal, so the span Δ equals the Δ of whole-window PLLs;
  ``exact=True`` computes that whole-window PLL by brute force (one mask per copy, every position),
  for events up to :data:`EXACT_MAX_BP`.

Negative ``llr`` = the alternate allele is less likely under the model. Raw scores grow with event
length; see :mod:`.length_bias` for the measured bias and the length-corrected z-score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..context import MAX_FLANK, context_flank
from ..errors import InputTooLargeError
from ..logits import position_log_probs
from ..models.base import GenomicLM, Progress
from ..sequence import encode, reverse_complement
from .clm import sequence_log_likelihood
from .indels import Event

PAD_TO = 128  # windows are padded with N to a multiple of this (few tensor shapes: one-off costs per shape add up)
EXACT_MAX_BP = 50  # largest event for the brute-force whole-window PLL (L masked copies per window)
CLM_METHOD = ("Δ log-likelihood over length-matched windows (same flanks of F bases; the shorter allele's window "
              "extended on the right so both score the same number of bases); per-base mean = Δ / W")
MLM_APPROX = ("approximation: pseudo-log-likelihood (each position masked one at a time, log P of its own base) "
              "summed over the affected span ± the receptive field on each allele; a PLL is not log P(sequence)")
MLM_EXACT = "exact whole-window pseudo-log-likelihood (brute force: every position of both windows masked in turn)"


def event_flank(model: GenomicLM, length: int = 0) -> int:
    """F: bases of context each side of an event, the model's receptive field (capped at
    :data:`~glm_explore.context.MAX_FLANK`; unbounded models: what fits ``max_len`` around the windows)."""
    rf = model.info.receptive_field
    if rf is not None:
        return min(int(rf), MAX_FLANK)
    return max(1, context_flank(model, region_length=length) // 2)


def method_label(model: GenomicLM, exact: bool = False) -> str:
    """The score's method in words (CLI help, page, Parquet attrs)."""
    if model.info.objective == "clm":
        return CLM_METHOD
    return MLM_EXACT if exact else MLM_APPROX


def padded(seq: str, to: int = PAD_TO) -> str:
    """``seq`` with N appended up to the next multiple of ``to`` bases. Exact wherever no prediction that is
    summed can see the pad: every position of a causal LM (it only looks left), and an MLM's span positions
    when the window reaches F bases past them (:func:`mlm_windows`, unless clipped at a contig end)."""
    return seq + "N" * (-len(seq) % to)


def clm_windows(seq, n: int, ev: Event, flank: int, *, reverse: bool = False) -> tuple[str, str]:
    """``(ref_window, alt_window)`` of equal length around ``ev`` on a contig ``seq`` of ``n`` bases.

    Forward: both start ``flank`` bases before the event; the shorter allele's window reaches
    ``|len_change|`` bases further right. ``reverse=True``: the mirror image (shared right flank,
    the shorter allele extended on the left), for scoring the reverse complement. Windows are clipped
    at the contig ends by the same number of bases, so their lengths stay equal.
    """
    s, e, m = ev.start, ev.end, ev.length
    if not reverse:
        a = max(0, s - flank)
        r_end, a_end = e + flank + (m - ev.deleted), e + flank + (m - ev.inserted)
        cut = max(0, max(r_end, a_end) - n)
        r_end, a_end = r_end - cut, a_end - cut
        return seq[a:r_end], seq[a:s] + ev.ins + seq[e:a_end]
    b = min(n, e + flank)
    r_start, a_start = s - flank - (m - ev.deleted), s - flank - (m - ev.inserted)
    cut = max(0, -min(r_start, a_start))
    r_start, a_start = r_start + cut, a_start + cut
    return seq[r_start:b], seq[a_start:s] + ev.ins + seq[e:b]


def clm_event_scores(model: GenomicLM, cache, events: Sequence[Event], *, rc: bool = True, batch_size: int = 64
                     ) -> dict[str, np.ndarray]:
    """Length-matched CLM scores of ``events`` (``cache[chrom]`` → contig sequence).

    Returns (N,) arrays ``score_ref``, ``score_alt`` (Σ log P of each window, strand-averaged with
    ``rc``), ``llr`` = alt − ref, ``llr_mean`` = llr / W, ``n_ref`` = ``n_alt`` = W (bases per window).
    """
    flank = event_flank(model)
    strands = (False, True) if rc else (False,)
    seqs: list[str] = []
    for ev in events:
        contig, n = cache[ev.chrom], cache.genome.lengths[ev.chrom]
        for rev in strands:
            r, a = clm_windows(contig, n, ev, flank, reverse=rev)
            seqs += [reverse_complement(r), reverse_complement(a)] if rev else [r, a]
    width = np.array([len(w) for w in seqs[::2]], dtype=np.float64).reshape(len(events), len(strands))
    # N padding on the right: a causal prediction never sees it, and N bases add nothing to the sum
    ll = sequence_log_likelihood(model, [padded(w) for w in seqs], batch_size=batch_size)
    ll = ll.reshape(len(events), len(strands), 2)
    delta = ll[:, :, 1] - ll[:, :, 0]
    return {"score_ref": ll[:, :, 0].mean(axis=1), "score_alt": ll[:, :, 1].mean(axis=1),
            "llr": delta.mean(axis=1), "llr_mean": (delta / width).mean(axis=1),
            "n_ref": width.mean(axis=1), "n_alt": width.mean(axis=1)}


def mlm_windows(seq, n: int, ev: Event, flank: int) -> tuple[str, str, tuple[int, int], tuple[int, int]]:
    """``(ref_window, alt_window, ref_span, alt_span)`` for the MLM PLL of ``ev``.

    Windows reach ``2·flank`` bases past the event on both sides (clipped at the contig ends); spans
    are 0-based half-open window indices of the affected positions: the event ± ``flank``.
    """
    s, e = ev.start, ev.end
    a, b = max(0, s - 2 * flank), min(n, e + 2 * flank)
    ref = seq[a:b]
    alt = seq[a:s] + ev.ins + seq[e:b]
    lo, hi = max(a, s - flank) - a, min(b, e + flank) - a
    return ref, alt, (lo, hi), (lo, hi + ev.len_change)


def pseudo_log_likelihood(model: GenomicLM, seq: str, lo: int = 0, hi: int | None = None, *, rc: bool = True,
                          exact: bool = False, batch_size: int = 128) -> tuple[float, int]:
    """``(Σ_p log P(x_p | x_-p), n)`` over window positions ``lo … hi − 1`` (N bases skipped), each masked
    in turn: :func:`~glm_explore.logits.position_log_probs` with ``mode='exact'`` (packed masks; exact
    for a bounded receptive field) or ``'brute'`` (``exact=True``: one mask per copy). ``rc``
    averages with the reverse-complement strand (GPN), as the SNV LLR does."""
    hi = len(seq) if hi is None else hi
    pos = np.arange(lo, hi)
    rf = model.info.receptive_field
    bs = max(batch_size, (rf or 0) + 1) if not exact else batch_size
    lp = position_log_probs(model, seq, mode="brute" if exact else "exact", rc=rc, positions=pos, batch_size=bs)
    codes = encode(seq[lo:hi])
    ok = codes < 4
    return float(lp[codes[ok], pos[ok]].astype(np.float64).sum()), int(ok.sum())


def mlm_event_scores(model: GenomicLM, cache, events: Sequence[Event], *, rc: bool = True, exact: bool = False,
                     batch_size: int = 128, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """PLL scores of ``events``: (N,) ``score_ref``, ``score_alt`` (PLLs), ``llr`` = alt − ref,
    ``llr_mean`` (per-base PLL means, alt − ref), ``n_ref``, ``n_alt`` (positions summed).

    ``exact=False``: the affected span ± F (the approximation of the module docstring); ``exact=True``:
    whole windows by brute force (events over :data:`EXACT_MAX_BP` raise :class:`InputTooLargeError`).
    """
    if model.info.objective != "mlm":
        raise ValueError(f"{model.info.name} is a causal LM: the PLL needs an MLM (use clm_event_scores).")
    flank = event_flank(model)
    out = {k: np.full(len(events), np.nan) for k in ("score_ref", "score_alt", "n_ref", "n_alt")}
    for k, ev in enumerate(events):
        if exact and ev.length > EXACT_MAX_BP:
            raise InputTooLargeError(f"The exact whole-window PLL is limited to events of {EXACT_MAX_BP} bp "
                                     f"(it masks every base of both windows); this one is {ev.length} bp. "
                                     "Use the span PLL (exact off).")
        n = cache.genome.lengths[ev.chrom]
        ref, alt, rs, as_ = mlm_windows(cache[ev.chrom], n, ev, flank)
        if exact:
            rs, as_ = (0, len(ref)), (0, len(alt))
        elif model.info.receptive_field is not None and ev.end + 2 * flank <= n:
            ref, alt = padded(ref), padded(alt)  # the spans end F bases before the pad: exact
        out["score_ref"][k], out["n_ref"][k] = pseudo_log_likelihood(model, ref, *rs, rc=rc, exact=exact,
                                                                     batch_size=batch_size)
        out["score_alt"][k], out["n_alt"][k] = pseudo_log_likelihood(model, alt, *as_, rc=rc, exact=exact,
                                                                     batch_size=batch_size)
        if progress:
            progress((k + 1) / len(events), f"events {k + 1}/{len(events)}")
    out["llr"] = out["score_alt"] - out["score_ref"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["llr_mean"] = out["score_alt"] / out["n_alt"] - out["score_ref"] / out["n_ref"]
    return out


def event_scores(model: GenomicLM, cache, events: Sequence[Event], *, rc: bool = True, exact: bool = False,
                 batch_size: int = 64, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """:func:`mlm_event_scores` (MLM) or :func:`clm_event_scores` (CLM; ``exact`` changes nothing there:
    the length-matched Δ is already computed over whole windows)."""
    if not len(events):
        return {k: np.empty(0) for k in ("score_ref", "score_alt", "llr", "llr_mean", "n_ref", "n_alt")}
    if model.info.objective == "mlm":
        return mlm_event_scores(model, cache, events, rc=rc, exact=exact, batch_size=max(batch_size, 128),
                                progress=progress)
    out = clm_event_scores(model, cache, events, rc=rc, batch_size=batch_size)
    if progress:
        progress(1.0, f"events {len(events)}/{len(events)}")
    return out
