"""How much genome context a model sees: the one home of the flank and window rules.

Every tool that fetches sequence around a region or a variant asks here:

* :func:`context_flank` — bases of context on each side of a region (per-position predictions,
  attribution): the model's receptive field R, capped.
* :func:`variant_window` — the length of the window centred on a variant (variant scores,
  embedding shift): ``2·R + 1`` capped at GPN's 512 bp, else :data:`DEFAULT_WINDOW` capped at the
  model's input length.
* :func:`centered_window_bounds` — where such a window starts on a contig (GPN's centring rule,
  shifted to stay on the contig).

R is ``model.info.receptive_field``: bases each side (MLM) / to the left (CLM) a prediction can
see; ``None`` means unbounded (transformers).
"""

from __future__ import annotations

from .models.base import GenomicLM

DEFAULT_WINDOW = 512  # GPN's variant window when a model has no finite receptive field
MAX_FLANK = 512  # most context bases fetched on each side of a region


def context_flank(model: GenomicLM, *, cap: int = MAX_FLANK, region_length: int | None = None) -> int:
    """Bases of context to fetch on each side of a region for ``model``.

    The receptive field R capped at ``cap`` (every base an edge prediction can see). For an
    unbounded model: ``cap``, and with ``region_length`` (bp) given no more than fits the
    model's ``max_len`` around the region: ``min(cap, (max_len − region_length) // 2)`` (≥ 0).
    """
    rf = model.info.receptive_field
    if rf is not None:
        return min(int(rf), cap)
    if region_length is None:
        return cap
    return min(cap, max(0, (model.info.max_len - region_length) // 2))


def variant_window(model: GenomicLM, *, cap: int | None = DEFAULT_WINDOW) -> int:
    """Length (bp) of the window centred on a variant for ``model``.

    For a finite receptive field R: ``2·R + 1`` (every base the variant position can see and every
    position that can see it — the masked LLR equals any longer centred window's), at most ``cap``:
    by default :data:`DEFAULT_WINDOW`, GPN's own 512-bp variant window (Benegas et al. 2023), so a
    model that sees farther than 255 bases each side (a GPN ConvNet, R = 1,534) is scored the way its
    authors score it, at a third of the cost of its exact 3,069-bp window; ``cap=None`` gives the
    exact ``2·R + 1``. The built-in MLM (R = 142) is exact under the cap; the CLM Δ log-likelihood
    scores every position of both windows, so the built-in CLM's R = 285 gets 512 bp, not 571. For an
    unbounded model: :data:`DEFAULT_WINDOW` capped at the model's ``max_len``.
    """
    rf = model.info.receptive_field
    if rf is None:
        return min(DEFAULT_WINDOW, model.info.max_len)
    return 2 * rf + 1 if cap is None else min(cap, 2 * rf + 1)


def centered_window_bounds(pos0: int, window: int, contig_len: int) -> tuple[int, int]:
    """``(start, offset)`` of a length-``window`` window around 0-based ``pos0`` on a contig.

    GPN's rule: ``start = pos0 − window // 2`` (so the position sits at index ``window // 2``).
    Near a contig edge the window is shifted to stay on the contig (the position is then off
    centre, at ``offset = pos0 − start``); contigs shorter than the window are used whole.
    """
    length = min(window, contig_len)
    start = min(max(0, pos0 - window // 2), contig_len - length)
    return start, pos0 - start
