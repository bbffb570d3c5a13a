"""Reference vs alternate alleles: variant scores from a genomic language model, and VCF streaming.

Scores (all natural log):

* **MLM masked LLR** (GPN, Benegas et al. 2023): a window centred on the variant, the variant
  position masked, one forward; ``llr = log P(alt) − log P(ref)`` at that position. By default it
  is averaged with the reverse-complement strand, where both alleles are complemented and the
  position mirrors to ``L − 1 − offset`` (for an even window the centre therefore shifts by one:
  GPN's ``pos_rev = W // 2 − 1``). One masked pass gives the log-probs of all four bases, so all
  three alternatives at a site cost one forward per strand; sites are batched many per forward.
* **CLM Δ log-likelihood** (Evo-style): ``score(alt window) − score(ref window)`` with
  ``score = Σ_t log P(x_t | x_<t)`` (``reduce="sum"``, the DNALLM choice; ``"mean"`` divides by
  the window length), optionally averaged with the reverse-complement strand.
* **Embedding shift**: cosine distance and Euclidean distance between the mean-pooled hidden
  states of the ref and alt windows, plus the per-position Euclidean delta (pooled embeddings
  barely move for one base; the local delta shows where the representation changes).
* **Delta track**: the model's per-position predictions (:mod:`glm_explore.logits`) on the ref
  and the alt window, and their difference at every position.

**Sign convention**: negative = the alternate allele is less likely under the model than the
reference = more constrained / more likely deleterious. There is no universal cutoff; compare
distributions.

Variants go in as a DataFrame ``chrom, pos, ref, alt`` (``pos`` 1-based, as in VCF) and come out
with score columns added. :class:`VcfReader` streams a (bgzipped) VCF with cyvcf2 in batches,
splits multi-allelic records and reports every record it cannot score with a reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .annotation import CLASSES
from .errors import GlmExploreError, RegionError
from .genome import Genome, Region
from .logits import log_odds, nucleotide_logits, reference_log_probs, region_window
from .models.base import GenomicLM, Progress
from .results import PositionLogits
from .sequence import ALPHABET, reverse_complement

SIGN_CONVENTION = ("LLR = log P(alt) − log P(ref) (natural log). Negative = the alternate allele is less likely "
                   "under the model = more constrained / more likely deleterious.")
DEFAULT_WINDOW = 512  # GPN's window when a model has no finite receptive field
DEMO_VCF = Path(__file__).resolve().parent / "data" / "yeast" / "demo_variants.vcf.gz"
DEMO_NOTE = ("SYNTHETIC demo variants: SNVs sampled at random from the yeast S288c reference across region classes "
             "and codon positions (scripts/make_demo_vcf.py); not real variant calls.")
_BASE = {b: i for i, b in enumerate(ALPHABET)}
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}

# reasons a record / row is not scored (summary keys)
REASON_INDEL = "indel or length-changing"
REASON_SYMBOLIC = "symbolic or missing ALT"
REASON_NON_ACGT = "non-ACGT allele"
REASON_CONTIG = "unknown contig"
REASON_RANGE = "position out of range"
REASON_REF = "REF mismatch"
REASON_SAME = "ALT equals REF"
OK = "ok"


class VariantError(GlmExploreError, ValueError):
    """A variant or VCF that cannot be read (bad file, bad typed variant)."""


@dataclass(frozen=True)
class Variant:
    """A single-nucleotide variant; ``pos`` is 1-based as in VCF."""

    chrom: str
    pos: int
    ref: str
    alt: str

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}{self.ref}>{self.alt}"


# --------------------------------------------------------------------------------------- genome access
def _genome(g) -> Genome:
    """Accept a :class:`Genome` or anything with a ``.genome`` (``GenomeData``)."""
    return g if isinstance(g, Genome) else g.genome


def _labels(g) -> dict[str, np.ndarray] | None:
    return getattr(g, "labels", None)


class _LazyChrom:
    """Slices of one chromosome read on demand through pyfaidx (for chromosomes too big to hold)."""

    def __init__(self, genome: Genome, chrom: str) -> None:
        self.genome, self.chrom = genome, chrom

    def __getitem__(self, k):
        if isinstance(k, slice):
            return self.genome.fetch(self.chrom, k.start or 0, k.stop)
        return self.genome.fetch(self.chrom, k, k + 1)


class _ChromCache:
    """The last two chromosomes as strings (those over ``max_bp`` are read window by window instead):
    memory is bounded by the chromosome sizes, never by the VCF's length."""

    def __init__(self, genome: Genome, size: int = 2, max_bp: int = 32_000_000) -> None:
        self.genome, self.size, self.max_bp, self._d = genome, size, max_bp, {}

    def __getitem__(self, chrom: str):
        if self.genome.lengths[chrom] > self.max_bp:
            return _LazyChrom(self.genome, chrom)
        if chrom not in self._d:
            if len(self._d) >= self.size:
                self._d.pop(next(iter(self._d)))
            self._d[chrom] = self.genome.fetch(chrom)
        return self._d[chrom]


def check_variant(genome: Genome, chrom: str, pos: int, ref: str, alt: str,
                  cache: _ChromCache | None = None) -> tuple[str, str | None, int]:
    """Validate one SNV. Returns ``(reason, resolved_chrom, pos0)``; reason is ``"ok"`` when scorable.

    Checks, in order: alleles are single A/C/G/T bases (else indel / symbolic / non-ACGT), the
    contig is known (chr-prefix and roman/arabic aliases via :meth:`Genome.resolve`), ``pos``
    (1-based) lies on the contig, and ``ref`` matches the genome.
    """
    ref, alt = str(ref).upper(), str(alt).upper()
    if not alt or alt in {".", "*"} or alt.startswith("<") or "[" in alt or "]" in alt:
        return REASON_SYMBOLIC, None, -1
    if len(ref) != 1 or len(alt) != 1:
        return REASON_INDEL, None, -1
    if ref not in _BASE or alt not in _BASE:
        return REASON_NON_ACGT, None, -1
    if ref == alt:
        return REASON_SAME, None, -1
    try:
        name = genome.resolve(str(chrom))
    except RegionError:
        return REASON_CONTIG, None, -1
    try:
        pos0 = int(pos) - 1
    except (TypeError, ValueError):
        return REASON_RANGE, name, -1
    if not 0 <= pos0 < genome.lengths[name]:
        return REASON_RANGE, name, pos0
    base = cache[name][pos0] if cache is not None else genome.fetch(name, pos0, pos0 + 1)
    if base != ref:
        return REASON_REF, name, pos0
    return OK, name, pos0


def default_window(model: GenomicLM) -> int:
    """Window length for ``model``: ``2·R + 1`` for a finite receptive field R (every base the
    masked position can see — the result equals any longer centred window), else
    :data:`DEFAULT_WINDOW` capped at the model's ``max_len``."""
    rf = model.info.receptive_field
    if rf is not None:
        return 2 * rf + 1
    return min(DEFAULT_WINDOW, model.info.max_len)


def window_bounds(pos0: int, window: int, contig_len: int) -> tuple[int, int]:
    """``(start, offset)`` of a length-``window`` window around 0-based ``pos0``.

    GPN's rule: ``start = pos0 − window // 2`` (so the variant sits at index ``window // 2``).
    Near a contig edge the window is shifted to stay on the contig (the variant is then off
    centre); contigs shorter than the window are used whole.
    """
    length = min(window, contig_len)
    start = min(max(0, pos0 - window // 2), contig_len - length)
    return start, pos0 - start


# --------------------------------------------------------------------------------------- MLM core
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
    by_len: dict[int, list[int]] = {}
    for i, s in enumerate(seqs):
        by_len.setdefault(len(s), []).append(i)
    strands = [False, True] if rc else [False]
    for L, idx in by_len.items():
        for j in range(0, len(idx), batch_size):
            chunk = idx[j:j + batch_size]
            for rev in strands:
                ss = [reverse_complement(seqs[k]) if rev else seqs[k] for k in chunk]
                pos = np.array([L - 1 - offsets[k] if rev else offsets[k] for k in chunk])
                masked = np.zeros((len(chunk), L), dtype=bool)
                masked[np.arange(len(chunk)), pos] = True
                lp = model.log_probs(ss, masked, batch_size=batch_size)[np.arange(len(chunk)), :, pos]  # (n, 4)
                out[chunk] += lp[:, ::-1] if rev else lp
    return out / len(strands)


def _windows(genome: Genome, cache: _ChromCache, chroms: Sequence[str], pos0: Sequence[int], window: int
             ) -> tuple[list[str], np.ndarray, np.ndarray]:
    seqs, starts, offs = [], [], []
    for c, p in zip(chroms, pos0):
        s, o = window_bounds(int(p), window, genome.lengths[c])
        seqs.append(cache[c][s:s + min(window, genome.lengths[c])])
        starts.append(s)
        offs.append(o)
    return seqs, np.array(starts, dtype=np.int64), np.array(offs, dtype=np.int64)


def _tokenizer_reasons(model: GenomicLM, genome: Genome, cache: _ChromCache, variants: pd.DataFrame,
                       reasons: list[str], chroms: list, pos0: np.ndarray, window: int) -> list[str]:
    """Apply the model's own SNV rule (BPE: same token count, exactly one token differs; DNALLM).

    Models without ``snv_skip_reason`` (character, k-mer, built-in) score every valid SNV.
    """
    rule = getattr(model, "snv_skip_reason", None)
    rows = [i for i, r in enumerate(reasons) if r == OK]
    if rule is None or not rows:
        return reasons
    seqs, _, offs = _windows(genome, cache, [chroms[i] for i in rows], pos0[rows], window)
    out = list(reasons)
    for i, seq, off in zip(rows, seqs, offs):
        why = rule(seq, int(off), str(variants["alt"].iat[i]).upper())
        if why:
            out[i] = why
    return out


def _validate(genome: Genome, df: pd.DataFrame, cache: _ChromCache) -> tuple[list[str], list, np.ndarray]:
    missing = {"chrom", "pos", "ref", "alt"} - set(df.columns)
    if missing:
        raise VariantError(f"variants table lacks column(s) {', '.join(sorted(missing))}: "
                           "give chrom, pos (1-based), ref, alt.")
    reasons, chroms, pos0 = [], [], []
    for c, p, r, a in zip(df["chrom"], df["pos"], df["ref"], df["alt"]):
        reason, name, q = check_variant(genome, c, p, r, a, cache)
        reasons.append(reason)
        chroms.append(name)
        pos0.append(q)
    return reasons, chroms, np.array(pos0, dtype=np.int64)


def mlm_llr(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None, rc: bool = True,
            batch_size: int = 64, _cache: _ChromCache | None = None) -> pd.DataFrame:
    """GPN masked LLR for each SNV row of ``variants`` (``chrom, pos`` 1-based, ``ref, alt``).

    Returns a copy with columns ``status`` (``"ok"`` or the reason it was not scored),
    ``logp_ref``, ``logp_alt`` (log-probs at the masked position, RC-averaged when ``rc``) and
    ``llr = logp_alt − logp_ref`` (NaN when not scored). Rows sharing a site share one masked
    forward per strand. Negative LLR = alt less likely = more likely deleterious.
    """
    g = _genome(genome)
    cache = _cache or _ChromCache(g)
    window = window or default_window(model)
    reasons, chroms, pos0 = _validate(g, variants, cache)
    reasons = _tokenizer_reasons(model, g, cache, variants, reasons, chroms, pos0, window)
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
        seqs, _, offs = _windows(g, cache, [k[0] for k in keys], [k[1] for k in keys], window)
        lp = masked_site_log_probs(model, seqs, offs, rc=rc, batch_size=batch_size)
        site = np.array([sites[(chroms[r], int(pos0[r]))] for r in rows])
        ref_i = np.array([_BASE[str(variants["ref"].iat[r]).upper()] for r in rows])
        alt_i = np.array([_BASE[str(variants["alt"].iat[r]).upper()] for r in rows])
        lref[rows] = lp[site, ref_i]
        lalt[rows] = lp[site, alt_i]
        llr[rows] = lalt[rows] - lref[rows]
    out["logp_ref"], out["logp_alt"], out["llr"] = lref, lalt, llr
    return out


# --------------------------------------------------------------------------------------- CLM
def sequence_log_likelihood(model: GenomicLM, seqs: Sequence[str], *, reduce: str = "sum",
                            batch_size: int = 64) -> np.ndarray:
    """(N,) Σ_t log P(x_t | x_<t) (``reduce="sum"``) or its mean over positions (``"mean"``); CLM only.

    N bases contribute nothing (they have no A/C/G/T row). Sequences may differ in length.
    """
    if model.info.objective != "clm":
        raise ValueError(f"{model.info.name} is a masked LM: sequence log-likelihood needs a CLM (use mlm_llr).")
    if reduce not in {"sum", "mean"}:
        raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
    from .sequence import encode

    out = np.zeros(len(seqs))
    by_len: dict[int, list[int]] = {}
    for i, s in enumerate(seqs):
        by_len.setdefault(len(s), []).append(i)
    for L, idx in by_len.items():
        for j in range(0, len(idx), batch_size):
            chunk = idx[j:j + batch_size]
            lp = model.log_probs([seqs[k] for k in chunk], batch_size=batch_size)  # (n, 4, L)
            for row, k in enumerate(chunk):
                codes = encode(seqs[k])
                okc = codes < 4
                total = float(lp[row][codes[okc], np.nonzero(okc)[0]].sum())
                out[k] = total / L if reduce == "mean" else total
    return out


def clm_delta(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None,
              reduce: str = "sum", both_strands: bool = False, batch_size: int = 64,
              _cache: _ChromCache | None = None) -> pd.DataFrame:
    """CLM score: ``llr = score(alt window) − score(ref window)``, score = sum (default) or mean of
    log P(x_t | x_<t) over the window. ``both_strands`` averages with the reverse-complement windows.

    Adds ``status``, ``ll_ref``, ``ll_alt``, ``llr``. Negative = alt less likely = more likely deleterious.
    """
    g = _genome(genome)
    cache = _cache or _ChromCache(g)
    window = window or (min(DEFAULT_WINDOW, model.info.max_len) if model.info.receptive_field is None
                        else min(DEFAULT_WINDOW, 2 * model.info.receptive_field + 1))
    reasons, chroms, pos0 = _validate(g, variants, cache)
    reasons = _tokenizer_reasons(model, g, cache, variants, reasons, chroms, pos0, window)
    out = variants.copy()
    out["status"] = reasons
    ll_ref = np.full(len(out), np.nan)
    ll_alt = np.full(len(out), np.nan)
    rows = np.array([i for i, r in enumerate(reasons) if r == OK], dtype=np.int64)
    if len(rows):
        seqs, _, offs = _windows(g, cache, [chroms[r] for r in rows], pos0[rows], window)
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


def score_variants(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None,
                   rc: bool = True, clm_reduce: str = "sum", batch_size: int = 64,
                   _cache: _ChromCache | None = None) -> pd.DataFrame:
    """Score SNVs with the method that fits the model: :func:`mlm_llr` (MLM) or :func:`clm_delta` (CLM).

    ``variants``: DataFrame with ``chrom, pos`` (1-based), ``ref, alt`` (other columns are kept).
    Returns it with ``status``, ``llr`` (+ per-allele columns) and, when ``genome`` carries region
    labels (a ``GenomeData``), ``region_class``. Negative ``llr`` = alt less likely = more likely
    deleterious.
    """
    if model.info.objective == "mlm":
        out = mlm_llr(model, genome, variants, window=window, rc=rc, batch_size=batch_size, _cache=_cache)
    else:
        out = clm_delta(model, genome, variants, window=window, reduce=clm_reduce, both_strands=rc,
                        batch_size=batch_size, _cache=_cache)
    labels = _labels(genome)
    if labels is not None:
        g = _genome(genome)
        cls = []
        for c, p in zip(out["chrom"], out["pos"]):
            try:
                lab = labels[g.resolve(str(c))]
                cls.append(CLASSES[lab[int(p) - 1]] if 0 < int(p) <= len(lab) else None)
            except RegionError:
                cls.append(None)
        out["region_class"] = cls
    return out


# --------------------------------------------------------------------------------------- single variant views
def _raise_bad_variant(g: Genome, variant: Variant, reason: str, chrom: str | None, pos0: int) -> None:
    note = ""
    if reason == REASON_REF:
        note = f" (the genome has {g.fetch(chrom, pos0, pos0 + 1)} at {chrom}:{variant.pos})"
    elif reason == REASON_RANGE:
        note = f" ({chrom} has {g.lengths[chrom]:,} bp)"
    elif reason == REASON_CONTIG:
        note = f" (this genome has {', '.join(g.chroms[:6])}{', …' if len(g.chroms) > 6 else ''})"
    raise VariantError(f"Cannot score {variant}: {reason}{note}. Give a single-base REF that matches the genome "
                       "and a different single-base ALT (A, C, G or T).")


def _variant_windows(genome, variant: Variant, window: int) -> tuple[str, str, Region, int]:
    g = _genome(genome)
    reason, chrom, pos0 = check_variant(g, variant.chrom, variant.pos, variant.ref, variant.alt)
    if reason != OK:
        _raise_bad_variant(g, variant, reason, chrom, pos0)
    start, off = window_bounds(pos0, window, g.lengths[chrom])
    ref_seq = g.fetch(chrom, start, start + min(window, g.lengths[chrom]))
    alt_seq = ref_seq[:off] + variant.alt.upper() + ref_seq[off + 1:]
    return ref_seq, alt_seq, Region(chrom, start, start + len(ref_seq)), off


@dataclass(frozen=True)
class EmbeddingShift:
    """Ref vs alt window representations at ``layer`` (pooled with :func:`glm_explore.embed.pool`)."""

    cosine_distance: float  # 1 − cos(pooled h_ref, pooled h_alt)
    euclidean: float  # ‖pooled h_alt − pooled h_ref‖₂
    local: np.ndarray  # (L,) ‖h_alt[i] − h_ref[i]‖₂ per window position
    region: Region  # the window, 0-based half-open
    offset: int  # index of the variant in the window
    layer: int
    pooling: str

    @property
    def positions(self) -> np.ndarray:
        """(L,) 1-based genome coordinates of :attr:`local`."""
        return np.arange(self.region.start + 1, self.region.end + 1)


def embedding_shift(model: GenomicLM, genome, variant: Variant, *, window: int | None = None,
                    layer: int = -1, pooling: str = "window-mean", center: int = 100) -> EmbeddingShift:
    """Embedding distance between the ref and alt windows (pooled) and the per-position delta.

    ``pooling`` is one of :data:`glm_explore.embed.POOLINGS` (default the whole window's mean; GPN's
    region-class recipe uses ``center-mean`` over 100 bp). Forward strand only.
    """
    from .embed import hidden_layers, normalize_layers

    ref_seq, alt_seq, region, off = _variant_windows(genome, variant, window or default_window(model))
    k = normalize_layers(model, layer)[0]
    (h,) = hidden_layers(model, [ref_seq, alt_seq], [k])
    return embedding_shift_from_states(h[0], h[1], region=region, offset=off, layer=k, pooling=pooling,
                                       center=center)


def embedding_shift_from_states(h_ref: np.ndarray, h_alt: np.ndarray, *, region: Region, offset: int,
                                layer: int = -1, pooling: str = "window-mean", center: int = 100) -> EmbeddingShift:
    """:class:`EmbeddingShift` from per-position states ``(L, D)`` of the ref and alt windows."""
    from .embed import pool

    h_ref, h_alt = np.asarray(h_ref, np.float64), np.asarray(h_alt, np.float64)
    a, b = pool(h_ref, pooling, min(center, len(h_ref))), pool(h_alt, pooling, min(center, len(h_alt)))
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
    return EmbeddingShift(cosine_distance=1.0 - cos, euclidean=float(np.linalg.norm(b - a)),
                          local=np.linalg.norm(h_alt - h_ref, axis=1), region=region, offset=offset, layer=layer,
                          pooling=pooling)


@dataclass(frozen=True)
class VariantTracks:
    """Per-position predictions around a variant on the ref and the alt sequence.

    ``ref`` and ``alt`` are :class:`~glm_explore.results.PositionLogits` over the same shown region
    (computed with the model's context around it by :func:`glm_explore.logits.nucleotide_logits`).
    """

    variant: Variant
    ref: PositionLogits
    alt: PositionLogits
    offset: int  # index of the variant in the shown region
    llr: float  # log P(alt) − log P(ref) at the variant from ``ref`` (masked modes; NaN for CLM / unmasked)

    @property
    def positions(self) -> np.ndarray:
        return self.ref.positions

    @property
    def delta(self) -> np.ndarray:
        """(4, L) alt − ref log-probabilities per base and position (natural log)."""
        return self.alt.log_probs.astype(np.float64) - self.ref.log_probs.astype(np.float64)

    @property
    def dependency(self) -> np.ndarray:
        """(L,) max over bases of |Δ log-odds| per position (the nucleotide dependency of Tomaz da
        Silva et al. 2024 for this one substitution, :func:`glm_explore.logits.log_odds`)."""
        return np.abs(log_odds(self.alt.log_probs) - log_odds(self.ref.log_probs)).max(axis=0)

    def table(self) -> pd.DataFrame:
        """One row per position: ``pos``, ``ref``/``alt`` base, P(ref base) under both, the delta."""
        ref_lp = reference_log_probs(self.ref.log_probs.astype(np.float64), self.ref.seq)
        alt_lp = reference_log_probs(self.alt.log_probs.astype(np.float64), self.ref.seq)
        return pd.DataFrame({"pos": self.positions, "ref_base": list(self.ref.seq), "alt_seq_base": list(self.alt.seq),
                             "log_p_ref_base_refseq": ref_lp, "log_p_ref_base_altseq": alt_lp,
                             "delta_log_p_ref_base": alt_lp - ref_lp, "max_abs_delta_log_odds": self.dependency})


def delta_track(model: GenomicLM, genome, variant: Variant, *, half_width: int = 50, mode: str = "auto",
                rc: bool = False, batch_size: int = 128, progress: Progress | None = None) -> VariantTracks:
    """How the alt allele changes the model's predictions at every position around it.

    Shows ``variant ± half_width`` bases; each side gets the model's receptive field of context
    (:func:`glm_explore.logits.region_window`). Runs :func:`glm_explore.logits.nucleotide_logits` on
    the reference and on the same window with the alt base (``mode`` 'auto' = exact masked marginals
    for an MLM, next-token for a CLM). For masked modes the variant column is masked in both, so
    its delta is 0 there and ``llr = ref[alt] − ref[ref]`` at the variant (forward strand unless ``rc``).
    """
    g = _genome(genome)
    reason, chrom, pos0 = check_variant(g, variant.chrom, variant.pos, variant.ref, variant.alt)
    if reason != OK:
        _raise_bad_variant(g, variant, reason, chrom, pos0)
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
        llr = float(ref_pl.log_probs[_BASE[variant.alt.upper()], off] - ref_pl.log_probs[_BASE[variant.ref.upper()], off])
    return VariantTracks(variant, ref_pl, alt_pl, off, llr)


def sequence_llr(model: GenomicLM, seq: str, pos: int, alt: str, *, rc: bool = True, reduce: str = "sum") -> float:
    """Score substituting base ``pos`` (1-based) of a pasted ``seq`` by ``alt``; the sequence is the window.

    MLM: masked LLR at that position (RC-averaged with complemented alleles at ``L − pos`` when ``rc``);
    CLM: Δ log-likelihood of the whole sequence (``reduce`` sum/mean; both strands when ``rc``).
    Negative = alt less likely = more likely deleterious.
    """
    from .sequence import clean_sequence

    seq = clean_sequence(seq, name="sequence")
    alt = str(alt).upper()
    if not 1 <= int(pos) <= len(seq):
        raise VariantError(f"Position {pos} is outside the sequence (1-{len(seq)}).")
    ref = seq[int(pos) - 1]
    if ref not in _BASE or alt not in _BASE or ref == alt:
        raise VariantError(f"Need an A/C/G/T base at position {pos} (found {ref}) and a different A/C/G/T ALT "
                           f"(got {alt!r}).")
    i = int(pos) - 1
    if model.info.objective == "mlm":
        lp = masked_site_log_probs(model, [seq], [i], rc=rc)[0]
        return float(lp[_BASE[alt]] - lp[_BASE[ref]])
    alt_seq = seq[:i] + alt + seq[i + 1:]
    seqs = [seq, alt_seq] + ([reverse_complement(seq), reverse_complement(alt_seq)] if rc else [])
    ll = sequence_log_likelihood(model, seqs, reduce=reduce)
    return float(np.mean(ll[1::2] - ll[0::2]))


def parse_variant(text: str) -> Variant:
    """``chrI:1000A>G`` / ``chrI:1000:A:G`` / ``chrI 1000 A G`` (1-based) → :class:`Variant`."""
    import re

    m = re.match(r"^\s*([^\s:]+)[\s:]+([\d,_]+)[\s:]*([A-Za-z]+)\s*(?:>|:|\s)\s*([A-Za-z]+)\s*$", text or "")
    if not m:
        raise VariantError(f"Cannot read variant {text!r}: write chrom:pos REF>ALT, 1-based, e.g. chrI:1000A>G.")
    return Variant(m.group(1), int(re.sub("[,_]", "", m.group(2))), m.group(3).upper(), m.group(4).upper())


# --------------------------------------------------------------------------------------- VCF streaming
@dataclass
class VcfSummary:
    """Counts after a pass over a VCF: records read, alleles scored, and skips per reason."""

    records: int = 0
    alleles: int = 0
    scored: int = 0
    skipped: Counter = field(default_factory=Counter)
    stopped_at_limit: bool = False

    def table(self) -> pd.DataFrame:
        rows = [{"outcome": "scored", "count": self.scored}]
        rows += [{"outcome": f"skipped: {k}", "count": v} for k, v in self.skipped.most_common()]
        return pd.DataFrame(rows)

    def line(self) -> str:
        skips = ", ".join(f"{k}: {v}" for k, v in self.skipped.most_common()) or "none"
        return (f"{self.records:,} records, {self.alleles:,} alleles: {self.scored:,} scored; "
                f"skipped — {skips}" + (" (stopped at the requested limit)" if self.stopped_at_limit else ""))


def check_vcf_path(path: str | Path) -> Path:
    """Cheap checks before opening: the file exists, is not empty, and is a VCF (plain or gzipped)."""
    path = Path(path)
    if not path.exists():
        raise VariantError(f"VCF file not found: {path}. Check the path.")
    if path.is_dir():
        raise VariantError(f"{path} is a folder; give a .vcf or .vcf.gz file.")
    with path.open("rb") as fh:
        head = fh.read(64)
    if not head:
        raise VariantError(f"{path.name} is empty: a VCF needs a '##fileformat=VCF' header and records.")
    gz = head[:2] == b"\x1f\x8b"
    if gz:
        import gzip

        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(64)
        except (OSError, EOFError) as exc:
            raise VariantError(f"{path.name} is a damaged gzip file ({exc}).") from exc
    if not head.startswith(b"##fileformat=VCF"):
        raise VariantError(f"{path.name} is not a VCF: it must start with '##fileformat=VCFv4.x' "
                           "(plain or bgzipped).")
    _check_vcf_lines(path, gz=gz)
    return path


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _check_vcf_lines(path: Path, *, gz: bool) -> None:
    """One streaming pass of line checks before htslib sees the file.

    cyvcf2 (htslib) crashes the whole process (segfault) on some malformed records: a POS that is
    not a number in a record with a FORMAT column, a blank line, a NUL byte in CHROM. These checks
    turn such lines into a :class:`VariantError` naming the line.
    """
    import gzip

    opener = gzip.open if gz else open
    columns = None
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
            for i, line in enumerate(fh, start=1):
                line = line.rstrip("\r\n")
                if line.startswith("##"):
                    continue
                if not line.strip():
                    raise VariantError(f"{path.name} line {i} is blank: remove blank lines (htslib cannot read them).")
                bad = _CONTROL_CHARS.search(line)
                if bad:
                    raise VariantError(f"{path.name} line {i} holds a control character ({bad.group()!r}); "
                                       "is it really a text VCF?")
                cols = line.split("\t")
                if line.startswith("#"):
                    if not line.startswith("#CHROM") or len(cols) < 8:
                        raise VariantError(f"{path.name} line {i}: the header line must be '#CHROM POS ID REF "
                                           "ALT QUAL FILTER INFO' (tab-separated).")
                    columns = len(cols)
                    continue
                if columns is None:
                    raise VariantError(f"{path.name} line {i}: a record comes before the '#CHROM …' header line; "
                                       "add the header.")
                if len(cols) < 8 or len(cols) > columns:
                    want = "8" if columns == 8 else f"8 to {columns}"
                    raise VariantError(f"{path.name} line {i}: a record needs {want} tab-separated columns "
                                       f"(as many as the '#CHROM' line), found {len(cols)}.")
                if not cols[1].isdigit():
                    raise VariantError(f"{path.name} line {i}: POS must be a whole number, got {cols[1]!r}.")
                if not cols[0] or not cols[3] or not cols[4]:
                    raise VariantError(f"{path.name} line {i}: CHROM, REF and ALT must not be empty "
                                       "(use '.' for a missing ALT).")
    except (OSError, EOFError) as exc:
        raise VariantError(f"{path.name} cannot be read to the end ({exc}); re-compress it with bgzip.") from exc
    if columns is None:
        raise VariantError(f"{path.name} has no '#CHROM POS ID REF ALT QUAL FILTER INFO' header line.")


def _quiet_htslib() -> None:
    """Silence htslib's own stderr lines ("[E::vcf_parse] ..."): errors reach the user as one
    VariantError message instead (cyvcf2 links htslib statically and exposes no verbosity switch)."""
    try:
        import ctypes

        import cyvcf2.cyvcf2 as _c

        ctypes.CDLL(_c.__file__).hts_set_log_level(0)  # HTS_LOG_OFF
    except (OSError, AttributeError, ImportError):
        pass


class VcfReader:
    """Stream a VCF (plain or bgzipped) with cyvcf2 in batches of SNV alleles.

    Each iteration yields ``(batch, skipped)``: ``batch`` a DataFrame ``chrom, pos, ref, alt, id``
    (+ the INFO fields in ``info``) of SNVs that passed :func:`check_variant`; ``skipped`` a
    DataFrame of the alleles that did not, with a ``reason`` per allele (multi-allelic records are
    split first, so one record can give one scored and one skipped row). ``summary`` counts
    everything seen so far. Memory is one batch plus the last two chromosomes' sequences.
    """

    def __init__(self, path: str | Path, genome, *, batch_size: int = 2000, info: Sequence[str] | None = None
                 ) -> None:
        import cyvcf2

        _quiet_htslib()
        self.path = check_vcf_path(path)
        try:
            self._vcf = cyvcf2.VCF(str(self.path), lazy=True, threads=1)
        except Exception as exc:  # cyvcf2 raises OSError/Exception for unreadable files
            raise VariantError(f"Cannot read {self.path.name} as VCF ({exc}). Is it a (bgzipped) VCF?") from exc
        declared = [h.info()["ID"] for h in self._vcf.header_iter() if h.type == "INFO"]
        self.info = list(declared[:12] if info is None else info)
        self.genome = _genome(genome)
        self.cache = _ChromCache(self.genome)
        self.batch_size = batch_size
        self.summary = VcfSummary()

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        cols = ["chrom", "pos", "ref", "alt", "id", *self.info]
        ok_rows: list[tuple] = []
        bad_rows: list[tuple] = []
        s = self.summary
        try:
            for rec in self._vcf:
                s.records += 1
                alts = rec.ALT or ["."]
                infos = tuple(self._info(rec, k) for k in self.info)
                for alt in alts:
                    s.alleles += 1
                    reason, name, _ = check_variant(self.genome, rec.CHROM, rec.POS, rec.REF, alt, self.cache)
                    row = (rec.CHROM, int(rec.POS), rec.REF, alt, rec.ID or ".", *infos)
                    if reason == OK:
                        ok_rows.append((name, *row[1:]))
                    else:
                        s.skipped[reason] += 1
                        bad_rows.append((*row[:5], reason))
                if len(ok_rows) >= self.batch_size or len(bad_rows) >= self.batch_size:
                    yield self._flush(ok_rows, bad_rows, cols)
                    ok_rows, bad_rows = [], []
        except GlmExploreError:
            raise
        except Exception as exc:
            raise VariantError(f"{self.path.name} record {s.records + 1}: cannot parse ({exc}). "
                               "Fix or drop that line.") from exc
        if ok_rows or bad_rows:
            yield self._flush(ok_rows, bad_rows, cols)

    def _flush(self, ok_rows, bad_rows, cols) -> tuple[pd.DataFrame, pd.DataFrame]:
        self.summary.scored += len(ok_rows)
        return (pd.DataFrame(ok_rows, columns=cols),
                pd.DataFrame(bad_rows, columns=["chrom", "pos", "ref", "alt", "id", "reason"]))

    @staticmethod
    def _info(rec, key: str):
        try:
            v = rec.INFO.get(key)
        except (KeyError, ValueError):
            return None
        if v is None:
            return None
        if isinstance(v, tuple):
            return ",".join(map(str, v))
        return str(v)  # strings throughout: the same column type in every batch

    def close(self) -> None:
        self._vcf.close()


def count_records(path: str | Path) -> int:
    """Number of data records in a VCF (one cheap streaming pass, for progress bars)."""
    import cyvcf2

    path = check_vcf_path(path)  # before htslib: some malformed lines crash it
    _quiet_htslib()
    try:
        vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
        n = sum(1 for _ in vcf)
        vcf.close()
        return n
    except Exception as exc:
        raise VariantError(f"Cannot read {Path(path).name} as VCF ({exc}).") from exc


def score_vcf(model: GenomicLM, genome, path: str | Path, *, batch_size: int = 2000, window: int | None = None,
              rc: bool = True, clm_reduce: str = "sum", forward_batch: int = 64, limit: int | None = None,
              progress: Progress | None = None, total: int | None = None
              ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, VcfSummary]]:
    """Stream-score a VCF: yields ``(scored_batch, skipped_batch, summary_so_far)`` per batch.

    ``scored_batch`` is :func:`score_variants`' output for up to ``batch_size`` SNV alleles;
    ``skipped_batch`` lists the alleles not scored with their ``reason``. ``limit`` stops after
    that many scored alleles. ``progress(fraction, message)`` is called per batch (fraction by
    records when ``total`` records are known, else 0).
    """
    reader = VcfReader(path, genome, batch_size=min(batch_size, limit) if limit else batch_size)
    done = 0
    try:
        for ok, bad in reader:
            if limit is not None and done + len(ok) > limit:
                reader.summary.scored -= done + len(ok) - limit
                reader.summary.stopped_at_limit = True
                ok = ok.iloc[:max(0, limit - done)]
            scored = score_variants(model, genome, ok, window=window, rc=rc, clm_reduce=clm_reduce,
                                    batch_size=forward_batch, _cache=reader.cache)
            done += len(scored)
            if progress:
                frac = reader.summary.records / total if total else 0.0
                progress(min(1.0, frac), f"{reader.summary.records:,} records, {done:,} scored")
            yield scored, bad, reader.summary
            if limit is not None and done >= limit:
                break
    finally:
        reader.close()


def score_vcf_table(model: GenomicLM, genome, path: str | Path, *, limit: int | None = None, batch_size: int = 500,
                    max_skipped: int = 1000, progress: Progress | None = None, **kwargs
                    ) -> tuple[pd.DataFrame, pd.DataFrame, VcfSummary]:
    """:func:`score_vcf` collected into one table (for pages and notebooks; use the CLI for big files).

    Returns ``(scores, skipped, summary)``; ``skipped`` keeps at most ``max_skipped`` rows (the
    summary counts all). Adds a ``synonymy`` column when the VCF has an ``EFFECT`` INFO field.
    """
    total = count_records(path) if progress else None
    if total and limit:
        total = min(total, limit)
    scored, skipped, summary, kept = [], [], VcfSummary(), 0
    for ok, bad, so_far in score_vcf(model, genome, path, batch_size=batch_size, limit=limit, progress=progress,
                                     total=total, **kwargs):
        scored.append(ok)
        summary = so_far
        if kept < max_skipped:
            skipped.append(bad.head(max_skipped - kept))
            kept += len(skipped[-1])
    out = (pd.concat(scored, ignore_index=True) if scored
           else pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "status", "llr"]))
    if "EFFECT" in out:
        out["synonymy"] = synonymy(out)
    bad = (pd.concat(skipped, ignore_index=True) if skipped
           else pd.DataFrame(columns=["chrom", "pos", "ref", "alt", "id", "reason"]))
    return out, bad, summary


def score_site(model: GenomicLM, genome, chrom: str, pos: int, *, rc: bool = True, **kwargs) -> pd.DataFrame:
    """All three alternatives at one site (1-based ``pos``), from one masked pass per strand (MLM)."""
    g = _genome(genome)
    ref = g.fetch(g.resolve(chrom), int(pos) - 1, int(pos)) if 1 <= int(pos) <= g.lengths[g.resolve(chrom)] else "N"
    site = pd.DataFrame([(chrom, int(pos), ref, a) for a in ALPHABET if a != ref],
                        columns=["chrom", "pos", "ref", "alt"])
    return score_variants(model, genome, site, rc=rc, **kwargs)


def write_vcf_scores(model: GenomicLM, genome, vcf: str | Path, out: str | Path, skipped: str | Path, *,
                     batch_size: int = 2000, window: int | None = None, rc: bool = True, clm_reduce: str = "sum",
                     limit: int | None = None, on_records=None) -> VcfSummary:
    """Stream ``vcf`` through :func:`score_vcf` into a Parquet file ``out`` (written chunk by chunk, bounded
    memory) and a TSV ``skipped`` of the alleles not scored with their reason. ``on_records(n)`` is called
    with the number of VCF records read so far. Returns the final summary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    summary = VcfSummary()
    try:
        with open(skipped, "w") as skip_fh:
            skip_fh.write("chrom\tpos\tref\talt\tid\treason\n")
            for scored, bad, summary in score_vcf(model, genome, vcf, batch_size=batch_size, window=window, rc=rc,
                                                  clm_reduce=clm_reduce, limit=limit):
                bad.to_csv(skip_fh, sep="\t", header=False, index=False)
                if on_records is not None:
                    on_records(summary.records)
                if scored.empty:
                    continue
                table = _arrow_table(scored)
                if writer is None:
                    writer = pq.ParquetWriter(str(out), table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is None:  # nothing scorable: still write an empty table with the columns
                empty = pd.DataFrame({c: pd.Series(dtype="object") for c in ["chrom", "ref", "alt", "status"]})
                empty["pos"] = pd.Series(dtype="int64")
                empty["llr"] = pd.Series(dtype="float64")
                pq.write_table(pa.Table.from_pandas(empty, preserve_index=False), str(out))
    finally:
        if writer is not None:
            writer.close()
    return summary


_NUMERIC = {"pos": "int64", "llr": "float64", "logp_ref": "float64", "logp_alt": "float64",
            "ll_ref": "float64", "ll_alt": "float64"}


def _arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Score columns numeric, everything else nullable strings: every chunk gets the same Parquet schema."""
    df = df.copy()
    for c in df.columns:
        if c in _NUMERIC:
            df[c] = df[c].astype(_NUMERIC[c])
        else:
            df[c] = df[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return df


def _arrow_table(df: pd.DataFrame):
    """A pyarrow Table with a fixed schema: numeric score columns, strings elsewhere."""
    import pyarrow as pa

    schema = pa.schema([(c, pa.from_numpy_dtype(np.dtype(_NUMERIC[c])) if c in _NUMERIC else pa.string())
                        for c in df.columns])
    return pa.Table.from_pandas(_arrow_safe(df), schema=schema, preserve_index=False)


# --------------------------------------------------------------------------------------- summaries
NONSYNONYMOUS = ("missense", "nonsense", "stop_lost")


def score_summary(scores: pd.DataFrame, by: str, *, score: str = "llr", confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``by``: ``n``, ``mean``, ``ci_low``/``ci_high`` (t-interval of the mean), ``median``.

    Rows with a NaN score (not scored) are dropped first.
    """
    from scipy import stats

    d = scores[[by, score]].dropna()
    rows = []
    for key, g in d.groupby(by, sort=True):
        x = g[score].to_numpy(float)
        n, m = len(x), float(x.mean())
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        rows.append({by: key, "n": n, "mean": m, "ci_low": m - half, "ci_high": m + half,
                     "median": float(np.median(x))})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class GroupComparison:
    """Two-sided Mann–Whitney U test of ``score`` between groups ``a`` and ``b``."""

    a: str
    b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    u: float
    p_value: float

    def sentence(self) -> str:
        return (f"{self.a} mean {self.mean_a:+.3f} (n={self.n_a}) vs {self.b} mean {self.mean_b:+.3f} "
                f"(n={self.n_b}); Mann–Whitney U = {self.u:.0f}, two-sided p = {self.p_value:.2g}")


def compare_groups(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("a", "b")) -> GroupComparison:
    """Mann–Whitney U (scipy, two-sided) between score arrays ``a`` and ``b`` (NaNs dropped)."""
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, float)[~np.isnan(np.asarray(a, float))]
    b = np.asarray(b, float)[~np.isnan(np.asarray(b, float))]
    if len(a) == 0 or len(b) == 0:
        raise VariantError(f"Cannot compare {names[0]} with {names[1]}: one group has no scored variants.")
    res = mannwhitneyu(a, b, alternative="two-sided")
    return GroupComparison(names[0], names[1], len(a), len(b), float(a.mean()), float(b.mean()),
                           float(res.statistic), float(res.pvalue))


def synonymy(scores: pd.DataFrame, column: str = "EFFECT") -> pd.Series:
    """'synonymous' / 'nonsynonymous' / None from an EFFECT-style column (demo VCF)."""
    eff = scores.get(column, pd.Series([None] * len(scores), index=scores.index)).astype(object)
    return eff.map(lambda e: "synonymous" if e == "synonymous" else "nonsynonymous" if e in NONSYNONYMOUS else None)


def parquet_bytes(scores: pd.DataFrame) -> bytes:
    """``scores`` as Parquet bytes (the same schema as ``score-vcf`` writes), for downloads."""
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(_arrow_table(scores), buf)
    return buf.getvalue()
