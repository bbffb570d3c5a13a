"""Variant scores with the method that fits the model: masked LLR (MLM) or Δ log-likelihood (CLM) for SNVs;
with ``max_sv_size`` also indels, MNVs and small SVs (:func:`score_events`, :mod:`.indel_scores`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import RegionError
from ..io.annotation import CLASSES
from ..io.datasets import as_genome, region_labels
from ..io.genome import Genome
from ..models.base import GenomicLM
from ..sequence import ALPHABET
from .clm import clm_delta
from .indel_scores import event_scores, method_label
from .indels import DEFAULT_MAX_SV_SIZE, Event, check_event, is_snv, vcf_record
from .length_bias import NullScores
from .mlm import mlm_llr
from .settings import VariantScoreSettings, resolve
from .validate import OK, ChromCache, VariantError

# what score_events adds (SNV rows of a mixed table: kind "SNV", length 1, the rest NaN / None); "Int64" = int64
# with nulls. variants/parquet.py builds the file schema from these declarations.
EVENT_DTYPES = {"kind": "string", "length": "Int64", "len_change": "Int64", "norm_pos": "Int64",
                "score_ref": "float64", "score_alt": "float64", "llr_mean": "float64", "llr_z": "float64",
                "n_ref": "Int64", "n_alt": "Int64", "method": "string"}
EVENT_COLUMNS = tuple(EVENT_DTYPES)
COLUMNS = {"status": "string", "llr": "float64", **EVENT_DTYPES, "region_class": "string"}  # what this module adds

SIGN_CONVENTION = ("LLR = log P(alt) − log P(ref) (natural log). Negative = the alternate allele is less likely "
                   "under the model = more constrained / more likely deleterious.")


def score_variants(model: GenomicLM, genome, variants: pd.DataFrame, settings: VariantScoreSettings | None = None,
                   *, _cache: ChromCache | None = None, **changes) -> pd.DataFrame:
    """Score SNVs with the method that fits the model: :func:`mlm_llr` (MLM) or :func:`clm_delta` (CLM).

    ``variants``: DataFrame with ``chrom, pos`` (1-based), ``ref, alt`` (other columns are kept).
    ``settings``: a :class:`~.settings.VariantScoreSettings` (``changes``: fields to override, e.g.
    ``window=21``). Returns the table with ``status``, ``llr`` (+ per-allele columns) and, when ``genome``
    carries region labels (a ``GenomeData``), ``region_class``. ``packed`` (default) packs many sites per
    forward where that is exact (bounded receptive field); ``packed=False`` is the one-window-per-site
    reference. ``max_sv_size`` (bp; None = SNVs only, indels skipped as before): rows that are not single-base
    substitutions are scored by :func:`score_events` up to that size (``exact_pll``, ``null_events`` as
    there) and the table gains :data:`EVENT_COLUMNS`. Negative ``llr`` = alt less likely.
    """
    s = resolve(settings, changes)
    if s.max_sv_size is not None:
        return _mixed(model, genome, variants, s, _cache=_cache)
    if model.info.objective == "mlm":
        out = mlm_llr(model, genome, variants, window=s.window, rc=s.rc, batch_size=s.forward_batch,
                      packed=s.packed, _cache=_cache)
    else:
        out = clm_delta(model, genome, variants, window=s.window, reduce=s.clm_reduce, both_strands=s.rc,
                        batch_size=s.forward_batch, packed=s.packed, _cache=_cache)
    labels = region_labels(genome)
    if labels is not None:
        out["region_class"] = _region_classes(as_genome(genome), labels, out)
    return out


def _region_classes(g: Genome, labels: dict[str, np.ndarray], table: pd.DataFrame) -> list[str | None]:
    """Region-class name per row of ``chrom, pos`` (1-based); None off the contig or for an unknown contig."""
    cls = []
    for c, p in zip(table["chrom"], table["pos"]):
        try:
            lab = labels[g.resolve(str(c))]
            cls.append(CLASSES[lab[int(p) - 1]] if 0 < int(p) <= len(lab) else None)
        except RegionError:
            cls.append(None)
    return cls


def score_site(model: GenomicLM, genome, chrom: str, pos: int, settings: VariantScoreSettings | None = None,
               **changes) -> pd.DataFrame:
    """All three alternatives at one site (1-based ``pos``), from one masked pass per strand (MLM)."""
    g = as_genome(genome)
    ref = g.fetch(g.resolve(chrom), int(pos) - 1, int(pos)) if 1 <= int(pos) <= g.lengths[g.resolve(chrom)] else "N"
    site = pd.DataFrame([(chrom, int(pos), ref, a) for a in ALPHABET if a != ref],
                        columns=["chrom", "pos", "ref", "alt"])
    return score_variants(model, genome, site, resolve(settings, changes))


def _mixed(model: GenomicLM, genome, variants: pd.DataFrame, s: VariantScoreSettings,
           _cache: ChromCache | None) -> pd.DataFrame:
    """SNV rows through the SNV scorers, the other rows through :func:`score_events`, in the input order."""
    cache = _cache or ChromCache(as_genome(genome))
    flat = variants.reset_index(drop=True)
    snv = np.array([is_snv(r, a) for r, a in zip(flat["ref"], flat["alt"])], dtype=bool) if len(flat) else \
        np.zeros(0, dtype=bool)
    parts = []
    if snv.any():
        part = score_variants(model, genome, flat[snv], replace(s, max_sv_size=None), _cache=cache)
        part["kind"], part["length"], part["len_change"] = "SNV", 1, 0
        parts.append(part)
    if (~snv).any():
        parts.append(score_events(model, genome, flat[~snv], max_sv_size=s.max_sv_size, rc=s.rc,
                                  exact=s.exact_pll, null_events=s.null_events, batch_size=s.forward_batch,
                                  _cache=cache))
    out = pd.concat(parts).sort_index() if parts else flat.assign(status=pd.Series(dtype=object))
    snv_cols = ("logp_ref", "logp_alt") if model.info.objective == "mlm" else ("ll_ref", "ll_alt")
    order = [*flat.columns, "status", *snv_cols, "llr", *EVENT_COLUMNS]
    for c in order:
        if c not in out:
            out[c] = None if c in {"kind", "method"} else np.nan
    out = out[order + [c for c in out.columns if c not in order]]  # one column order for every chunk
    out.index = variants.index
    return out


def check_events(genome, variants: pd.DataFrame, cache: ChromCache, max_sv_size: int
                 ) -> tuple[list[str], list[Event | None]]:
    """:func:`~.indels.check_event` per row of ``chrom, pos, ref, alt`` (+ optional ``end``, ``svlen``,
    ``ins_seq`` for symbolic ALTs): a reason (``"ok"``) and the normalised event (None) per row."""
    missing = {"chrom", "pos", "ref", "alt"} - set(variants.columns)
    if missing:
        raise VariantError(f"variants table lacks column(s) {', '.join(sorted(missing))}: "
                           "give chrom, pos (1-based), ref, alt.")
    g = as_genome(genome)
    opt = {k: variants[k] if k in variants else [None] * len(variants) for k in ("end", "svlen", "ins_seq")}
    reasons, events = [], []
    for c, p, r, a, e, sv, ins in zip(variants["chrom"], variants["pos"], variants["ref"], variants["alt"],
                                      opt["end"], opt["svlen"], opt["ins_seq"]):
        reason, ev = check_event(g, c, p, r, a, end=e, svlen=sv, ins_seq=ins, max_size=max_sv_size, cache=cache)
        reasons.append(reason)
        events.append(ev)
    return reasons, events


def score_events(model: GenomicLM, genome, variants: pd.DataFrame, *, max_sv_size: int = DEFAULT_MAX_SV_SIZE,
                 rc: bool = True, exact: bool = False, null_events: int = 0, batch_size: int = 64, seed: int = 0,
                 _cache: ChromCache | None = None, _null: NullScores | None = None) -> pd.DataFrame:
    """Score indels, MNVs and symbolic ``<DEL>/<INS>/<DUP>/<INV>`` rows of ``chrom, pos, ref, alt``.

    Each row is normalised (:func:`~.indels.check_event`: trimmed, left-aligned; so every representation
    of one indel scores the same) and scored by :func:`~.indel_scores.event_scores`: CLM Δ log-likelihood
    over length-matched windows, MLM pseudo-log-likelihood of the affected span ± the receptive field (an
    approximation; ``exact=True``: whole-window brute force, short events). Adds ``status``, ``kind``,
    ``length``, ``len_change``, ``norm_pos`` (1-based POS of the normalised VCF record), ``score_ref``,
    ``score_alt``, ``llr`` (sum, alt − ref), ``llr_mean`` (per-base mean, alt − ref), ``llr_z``
    (z-score against ``null_events`` random length-matched events of the same kind on the same contig,
    :class:`~.length_bias.NullScores`; NaN when ``null_events < 2``), ``n_ref``, ``n_alt``, ``method``.
    Rows that normalise to one substitution are scored as SNVs. Negative = alt less likely.
    """
    g = as_genome(genome)
    cache = _cache or ChromCache(g)
    reasons, events = check_events(genome, variants, cache, max_sv_size)
    out = variants.copy()
    out["status"] = reasons
    n = len(out)
    cols = {c: np.full(n, np.nan) for c in ("length", "len_change", "norm_pos", "score_ref", "score_alt", "llr",
                                            "llr_mean", "llr_z", "n_ref", "n_alt")}
    kinds, methods = [None] * n, [None] * n
    ok = [k for k, r in enumerate(reasons) if r == OK]
    for k in ok:
        ev = events[k]
        kinds[k], cols["length"][k], cols["len_change"][k] = ev.kind, ev.length, ev.len_change
        cols["norm_pos"][k] = vcf_record(cache[ev.chrom], ev)[0]
    sub = [k for k in ok if events[k].kind == "SNV"]
    if sub:
        snv = pd.DataFrame([(events[k].chrom, events[k].start + 1, cache[events[k].chrom][events[k].start],
                             events[k].ins) for k in sub], columns=["chrom", "pos", "ref", "alt"])
        res = score_variants(model, genome, snv, VariantScoreSettings(rc=rc, forward_batch=batch_size), _cache=cache)
        cols["llr"][sub] = res["llr"].to_numpy()
        for k in sub:
            methods[k] = "SNV: " + ("masked LLR" if model.info.objective == "mlm" else "Δ log-likelihood")
    rest = [k for k in ok if events[k].kind != "SNV"]
    if rest:
        sc = event_scores(model, cache, [events[k] for k in rest], rc=rc, exact=exact, batch_size=batch_size)
        for c, v in sc.items():
            cols[c][rest] = v
        label = method_label(model, exact)
        for k in rest:
            methods[k] = label
        if null_events >= 2:
            null = _null or NullScores(model, genome, n=null_events, rc=rc, seed=seed, batch_size=batch_size,
                                       cache=cache)
            cols["llr_z"][rest] = [null.z(events[k], cols["llr"][k]) for k in rest]
    out["kind"] = kinds
    for c in ("length", "len_change", "norm_pos", "score_ref", "score_alt", "llr", "llr_mean", "llr_z", "n_ref",
              "n_alt"):
        out[c] = cols[c]
    out["method"] = methods
    labels = region_labels(genome)
    if labels is not None:
        out["region_class"] = _region_classes(g, labels, out)
    return out
