"""One indel or small SV seen closely: its scores, the length-corrected z-score, and the model's predictions
on the reference and the alternate allele aligned at the breakpoint (:class:`~glm_explore.results.IndelView`).
"""

from __future__ import annotations

import numpy as np

from ..io.datasets import as_genome
from ..logits import position_log_probs, resolve_mode
from ..models.base import GenomicLM, Progress
from ..results import IndelView
from .indel_scores import event_flank, event_scores, method_label
from .indels import DEFAULT_MAX_SV_SIZE, Event, check_event
from .length_bias import NullScores
from .validate import OK, REASON_REF, ChromCache, VariantError


def checked_event(genome, chrom: str, pos: int, ref: str, alt: str, *, end=None, svlen=None,
                  ins_seq: str | None = None, max_sv_size: int = DEFAULT_MAX_SV_SIZE,
                  cache: ChromCache | None = None) -> Event:
    """The normalised :class:`~.indels.Event` of one allele, or a :class:`VariantError` that says what to fix."""
    g = as_genome(genome)
    cache = cache or ChromCache(g)
    reason, ev = check_event(g, chrom, pos, ref, alt, end=end, svlen=svlen, ins_seq=ins_seq, max_size=max_sv_size,
                             cache=cache)
    what = f"{chrom}:{pos} {ref}>{alt}"
    if reason != OK:
        hint = {REASON_REF: " Give REF as the genome has it from POS on (for symbolic ALTs: the base at POS)."}
        raise VariantError(f"Cannot score {what}: {reason}.{hint.get(reason, '')} Indels: REF and ALT in A/C/G/T "
                           f"(VCF style, with the padding base); symbolic <DEL>/<DUP>/<INV> need END; events up to "
                           f"{max_sv_size:,} bp.")
    if ev.kind == "SNV":
        raise VariantError(f"{what} is one base substitution after trimming the shared bases "
                           f"({ev.chrom}:{ev.start + 1} → {ev.ins}); score it as a single variant.")
    return ev


def aligned_tracks(model: GenomicLM, cache: ChromCache, ev: Event, half_width: int, rc: bool
                   ) -> tuple[str, str, np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """``(ref_seq, alt_seq, ref_lp, alt_lp, ref_pos, event_cols)`` of :class:`IndelView`: each allele's window
    (the shown bases plus the model's context) predicted in full (MLM exact masked marginals, RC-averaged
    with ``rc``; CLM next-base), cut to ``half_width`` bases each side and aligned with gaps."""
    contig, n = cache[ev.chrom], cache.genome.lengths[ev.chrom]
    s, e, i, m = ev.start, ev.end, ev.inserted, ev.length
    flank = event_flank(model)
    a, b = max(0, s - half_width - flank), min(n, e + half_width + flank)
    lo, hi = max(a, s - half_width), min(b, e + half_width)
    ref_win, alt_win = contig[a:b], contig[a:s] + ev.ins + contig[e:b]
    mode = resolve_mode(model, "auto")
    use_rc = rc and mode != "next"
    lp_r = position_log_probs(model, ref_win, mode=mode, rc=use_rc, positions=np.arange(lo - a, hi - a))
    lp_a = position_log_probs(model, alt_win, mode=mode, rc=use_rc,
                              positions=np.arange(lo - a, hi - a + ev.len_change))
    gap_r, gap_a = np.full((4, m - ev.deleted), np.nan), np.full((4, m - i), np.nan)
    k = s - a  # the event's first index in both windows
    ref_lp = np.concatenate([lp_r[:, lo - a:e - a], gap_r, lp_r[:, e - a:hi - a]], axis=1)
    alt_lp = np.concatenate([lp_a[:, lo - a:k + i], gap_a, lp_a[:, k + i:k + i + hi - e]], axis=1)
    ref_seq = contig[lo:e] + "-" * (m - ev.deleted) + contig[e:hi]
    alt_seq = contig[lo:s] + ev.ins + "-" * (m - i) + contig[e:hi]
    ref_pos = np.concatenate([np.arange(lo + 1, e + 1), np.full(m - ev.deleted, -1), np.arange(e + 1, hi + 1)])
    return ref_seq, alt_seq, ref_lp, alt_lp, ref_pos.astype(np.int64), (s - lo, s - lo + m)


def indel_view(model: GenomicLM, genome, chrom: str, pos: int, ref: str, alt: str, *, end=None, svlen=None,
               ins_seq: str | None = None, half_width: int = 30, rc: bool = True, exact: bool = False,
               null_events: int = 0, max_sv_size: int = DEFAULT_MAX_SV_SIZE, seed: int = 0,
               progress: Progress | None = None) -> IndelView:
    """Score one indel / MNV / symbolic SV (VCF-style ``pos``, ``ref``, ``alt``; ``end`` for symbolic ALTs)
    and draw its aligned tracks (``half_width`` bases each side of the event).

    Scores as :func:`~.score.score_events` (``exact``: the whole-window brute-force PLL of an MLM);
    ``null_events`` ≥ 2 adds the z-score against that many random length-matched events of the same kind
    on the same contig (:class:`~.length_bias.NullScores`, the costly part). Raises :class:`VariantError`
    for an allele that cannot be scored.
    """
    g = as_genome(genome)
    cache = ChromCache(g)
    ev = checked_event(g, chrom, pos, ref, alt, end=end, svlen=svlen, ins_seq=ins_seq, max_sv_size=max_sv_size,
                       cache=cache)

    def step(lo: float, hi: float):
        return (lambda f, msg: progress(lo + (hi - lo) * f, msg)) if progress else None
    sc = event_scores(model, cache, [ev], rc=rc, exact=exact, progress=step(0.0, 0.3))
    llr = float(sc["llr"][0])
    z = float("nan")
    if null_events >= 2:
        null = NullScores(model, genome, n=null_events, rc=rc, seed=seed, cache=cache)
        z = null.z(ev, llr, progress=step(0.3, 0.8))
    if progress:
        progress(0.85, "aligned tracks")
    ref_seq, alt_seq, ref_lp, alt_lp, ref_pos, cols = aligned_tracks(model, cache, ev, int(half_width), rc)
    return IndelView(label=ev.label(), kind=ev.kind, length=ev.length, len_change=ev.len_change, ref_seq=ref_seq,
                     alt_seq=alt_seq, ref_lp=ref_lp.astype(np.float32), alt_lp=alt_lp.astype(np.float32),
                     ref_pos=ref_pos, event_cols=cols, llr=llr, llr_mean=float(sc["llr_mean"][0]), z=z,
                     n_null=int(null_events) if null_events >= 2 else 0, method=method_label(model, exact),
                     model=model.info.name, objective=model.info.objective)
