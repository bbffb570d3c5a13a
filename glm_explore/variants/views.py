"""One variant seen closely: embedding shift, per-position delta tracks, and the LLR of a substitution
in a pasted sequence.

* **Embedding shift**: cosine distance and Euclidean distance between the pooled hidden states of
  the ref and alt windows, plus the per-position Euclidean delta (pooled embeddings barely move for
  one base; the local delta shows where the representation changes).
* **Delta track**: the model's per-position predictions (:mod:`glm_explore.logits`) on the ref and
  the alt window, and their difference at every position.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..context import variant_window
from ..io.datasets import as_genome
from ..io.genome import Region
from ..logits import nucleotide_logits, region_window
from ..models.base import GenomicLM, Progress
from ..results import EmbeddingShift, Variant, VariantTracks
from ..sequence import reverse_complement
from .clm import sequence_log_likelihood
from .mlm import masked_site_log_probs
from .validate import BASE_INDEX, VariantError, checked_variant
from .windows import variant_windows


def embedding_shift(model: GenomicLM, genome, variant: Variant, *, window: int | None = None,
                    layer: int = -1, pooling: str = "window-mean", center: int = 100) -> EmbeddingShift:
    """Embedding distance between the ref and alt windows (pooled) and the per-position delta.

    ``window`` defaults to :func:`glm_explore.context.variant_window`. ``pooling`` is one of
    :data:`glm_explore.embed.POOLINGS` (default the whole window's mean; GPN's region-class recipe
    uses ``center-mean`` over 100 bp). Forward strand only.
    """
    from ..embed import hidden_layers, normalize_layers

    ref_seq, alt_seq, region, off = variant_windows(as_genome(genome), variant, window or variant_window(model))
    k = normalize_layers(model, layer)[0]
    (h,) = hidden_layers(model, [ref_seq, alt_seq], [k])
    return embedding_shift_from_states(h[0], h[1], region=region, offset=off, layer=k, pooling=pooling,
                                       center=center)


def embedding_shift_from_states(h_ref: np.ndarray, h_alt: np.ndarray, *, region: Region, offset: int,
                                layer: int = -1, pooling: str = "window-mean", center: int = 100) -> EmbeddingShift:
    """:class:`EmbeddingShift` from per-position states ``(L, D)`` of the ref and alt windows."""
    from ..embed import pool

    h_ref, h_alt = np.asarray(h_ref, np.float64), np.asarray(h_alt, np.float64)
    a, b = pool(h_ref, pooling, min(center, len(h_ref))), pool(h_alt, pooling, min(center, len(h_alt)))
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
    return EmbeddingShift(cosine_distance=1.0 - cos, euclidean=float(np.linalg.norm(b - a)),
                          local=np.linalg.norm(h_alt - h_ref, axis=1), region=region, offset=offset, layer=layer,
                          pooling=pooling)


def delta_track(model: GenomicLM, genome, variant: Variant, *, half_width: int = 50, mode: str = "auto",
                rc: bool = False, batch_size: int = 128, progress: Progress | None = None) -> VariantTracks:
    """How the alt allele changes the model's predictions at every position around it.

    Shows ``variant ± half_width`` bases; each side gets the model's context
    (:func:`glm_explore.logits.region_window`). Runs :func:`glm_explore.logits.nucleotide_logits` on
    the reference and on the same window with the alt base (``mode`` 'auto' = exact masked marginals
    for an MLM, next-token for a CLM). For masked modes the variant column is masked in both, so
    its delta is 0 there and ``llr = ref[alt] − ref[ref]`` at the variant (forward strand unless ``rc``).
    """
    g = as_genome(genome)
    chrom, pos0 = checked_variant(g, variant)
    n = g.lengths[chrom]
    region = Region(chrom, max(0, pos0 - half_width), min(n, pos0 + half_width + 1))
    win = region_window(g, region, model)
    k = win.offset + pos0 - region.start
    alt_win = replace(win, seq=win.seq[:k] + variant.alt.upper() + win.seq[k + 1:])

    def part(base: float):
        return (lambda f, m: progress(base + f / 2, m)) if progress else None
    name = str(variant)
    ref_pl = nucleotide_logits(model, win, mode=mode, rc=rc, batch_size=batch_size, name=name, progress=part(0.0))
    alt_pl = nucleotide_logits(model, alt_win, mode=mode, rc=rc, batch_size=batch_size, name=name,
                               progress=part(0.5))
    off = pos0 - region.start
    llr = float("nan")
    if ref_pl.mode in {"exact", "brute"}:
        alt_i, ref_i = BASE_INDEX[variant.alt.upper()], BASE_INDEX[variant.ref.upper()]
        llr = float(ref_pl.log_probs[alt_i, off] - ref_pl.log_probs[ref_i, off])
    return VariantTracks(variant, ref_pl, alt_pl, off, llr)


def sequence_llr(model: GenomicLM, seq: str, pos: int, alt: str, *, rc: bool = True, reduce: str = "sum") -> float:
    """Score substituting base ``pos`` (1-based) of a pasted ``seq`` by ``alt``; the sequence is the window.

    MLM: masked LLR at that position (RC-averaged with complemented alleles at ``L − pos`` when ``rc``);
    CLM: Δ log-likelihood of the whole sequence (``reduce`` sum/mean; both strands when ``rc``).
    Negative = alt less likely = more likely deleterious.
    """
    from ..sequence import clean_sequence

    seq = clean_sequence(seq, name="sequence")
    alt = str(alt).upper()
    if not 1 <= int(pos) <= len(seq):
        raise VariantError(f"Position {pos} is outside the sequence (1-{len(seq)}).")
    ref = seq[int(pos) - 1]
    if ref not in BASE_INDEX or alt not in BASE_INDEX or ref == alt:
        raise VariantError(f"Need an A/C/G/T base at position {pos} (found {ref}) and a different A/C/G/T ALT "
                           f"(got {alt!r}).")
    i = int(pos) - 1
    if model.info.objective == "mlm":
        lp = masked_site_log_probs(model, [seq], [i], rc=rc)[0]
        return float(lp[BASE_INDEX[alt]] - lp[BASE_INDEX[ref]])
    alt_seq = seq[:i] + alt + seq[i + 1:]
    seqs = [seq, alt_seq] + ([reverse_complement(seq), reverse_complement(alt_seq)] if rc else [])
    ll = sequence_log_likelihood(model, seqs, reduce=reduce)
    return float(np.mean(ll[1::2] - ll[0::2]))
