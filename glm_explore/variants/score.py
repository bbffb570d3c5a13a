"""Variant scores with the method that fits the model: masked LLR (MLM) or Δ log-likelihood (CLM)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..annotation import CLASSES
from ..datasets import as_genome, region_labels
from ..errors import RegionError
from ..genome import Genome
from ..models.base import GenomicLM
from ..sequence import ALPHABET
from .clm import clm_delta
from .mlm import mlm_llr
from .validate import ChromCache

SIGN_CONVENTION = ("LLR = log P(alt) − log P(ref) (natural log). Negative = the alternate allele is less likely "
                   "under the model = more constrained / more likely deleterious.")


def score_variants(model: GenomicLM, genome, variants: pd.DataFrame, *, window: int | None = None,
                   rc: bool = True, clm_reduce: str = "sum", batch_size: int = 64, packed: bool = True,
                   _cache: ChromCache | None = None) -> pd.DataFrame:
    """Score SNVs with the method that fits the model: :func:`mlm_llr` (MLM) or :func:`clm_delta` (CLM).

    ``variants``: DataFrame with ``chrom, pos`` (1-based), ``ref, alt`` (other columns are kept).
    Returns it with ``status``, ``llr`` (+ per-allele columns) and, when ``genome`` carries region
    labels (a ``GenomeData``), ``region_class``. ``packed`` (default) packs many sites per forward where
    that is exact (bounded receptive field); ``packed=False`` is the one-window-per-site reference.
    Negative ``llr`` = alt less likely = more likely deleterious.
    """
    if model.info.objective == "mlm":
        out = mlm_llr(model, genome, variants, window=window, rc=rc, batch_size=batch_size, packed=packed,
                      _cache=_cache)
    else:
        out = clm_delta(model, genome, variants, window=window, reduce=clm_reduce, both_strands=rc,
                        batch_size=batch_size, packed=packed, _cache=_cache)
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


def score_site(model: GenomicLM, genome, chrom: str, pos: int, *, rc: bool = True, **kwargs) -> pd.DataFrame:
    """All three alternatives at one site (1-based ``pos``), from one masked pass per strand (MLM)."""
    g = as_genome(genome)
    ref = g.fetch(g.resolve(chrom), int(pos) - 1, int(pos)) if 1 <= int(pos) <= g.lengths[g.resolve(chrom)] else "N"
    site = pd.DataFrame([(chrom, int(pos), ref, a) for a in ALPHABET if a != ref],
                        columns=["chrom", "pos", "ref", "alt"])
    return score_variants(model, genome, site, rc=rc, **kwargs)
