"""Which bases train the annotation head and which are held out: spans, tiles and class-balanced picks.

* Spans (:func:`annotation_split`): the held-out chromosome is the dataset's (yeast: ``chrXVI``), else the
  last chromosome (:func:`glm_explore.region_windows.choose_split`'s rule); the other chromosomes train. A genome
  of ONE chromosome holds out its last 20 % as a contiguous segment and trains on the rest.
* Tiles (:func:`tiles`): each span is cut into consecutive, non-overlapping windows of ``length`` bp
  (the last one shorter). Features are computed per tile with model context that never leaves the
  tile's own span, so no held-out base is ever read while training, and held-out tiles are the blocks
  of the bootstrap.
* Picks (:func:`pick_tiles`): class-balanced: rarest class first, up to ``per_class`` tiles holding at
  least one base of the class (tiles already picked for a rarer class count toward the quota).
* Training bases (:func:`sample_bases`): up to ``per_class`` A/C/G/T bases of each class drawn from the
  picked training tiles; these bases (and only these) are the head's labelled examples.

Coordinates are 0-based half-open.
"""

from __future__ import annotations

import numpy as np

from ..io.annotation import CLASSES
from ..io.datasets import GenomeData
from ..region_windows import choose_split, region_string
from ..results.annotate import AnnotationSplit, Span

HELDOUT_FRACTION = 0.2


def annotation_split(data: GenomeData) -> AnnotationSplit:
    """The train / held-out spans of ``data`` (see the module docstring)."""
    chroms = data.genome.chroms
    chrom, cut, _ = choose_split(data, chroms, heldout_fraction=HELDOUT_FRACTION)
    n = data.genome.lengths[chrom]
    if len(chroms) == 1:
        return AnnotationSplit(((chrom, 0, cut),), (chrom, cut, n),
                               f"One chromosome: the head is fit on {region_string(chrom, 0, cut)} and scored on the "
                               f"held-out {region_string(chrom, cut, n)} (last {HELDOUT_FRACTION:.0%}); model context "
                               "never crosses the cut.")
    why = "the dataset's held-out chromosome" if chrom == data.heldout_chrom else "the last chromosome"
    train = tuple((c, 0, data.genome.lengths[c]) for c in chroms if c != chrom)
    return AnnotationSplit(train, (chrom, 0, n),
                           f"The head is fit on bases of {len(train)} training chromosome(s) and scored on held-out "
                           f"{chrom} ({why}).")


def tiles(span: Span, length: int) -> list[Span]:
    """Consecutive non-overlapping ``length``-bp tiles covering ``span`` (the last one may be shorter)."""
    chrom, s, e = span
    return [(chrom, a, min(a + length, e)) for a in range(s, e, length)]


def tile_class_counts(data: GenomeData, tile_list: list[Span]) -> np.ndarray:
    """(n_tiles, len(CLASSES)) number of A/C/G/T bases of each class in each tile."""
    out = np.zeros((len(tile_list), len(CLASSES)), dtype=np.int64)
    by_chrom: dict[str, list[int]] = {}
    for i, (chrom, _, _) in enumerate(tile_list):
        by_chrom.setdefault(chrom, []).append(i)
    k = len(CLASSES)
    for chrom, idx in by_chrom.items():
        lab = data.labels[chrom].astype(np.int64)
        acgt = data.genome.codes(chrom) < 4
        ids = np.full(len(lab), -1, dtype=np.int64)
        for j, i in enumerate(idx):
            _, s, e = tile_list[i]
            ids[s:e] = j
        keep = (ids >= 0) & acgt
        counts = np.bincount(ids[keep] * k + lab[keep], minlength=len(idx) * k).reshape(len(idx), k)
        out[idx] = counts
    return out


def pick_tiles(counts: np.ndarray, codes: list[int], per_class: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of tiles picked class-balanced (rarest class in ``codes`` first), or every tile
    holding one of ``codes`` when ``per_class`` is None. ``counts`` from :func:`tile_class_counts`."""
    has = counts[:, codes] > 0
    if per_class is None:
        return np.flatnonzero(has.any(axis=1))
    chosen = np.zeros(len(counts), dtype=bool)
    for j in np.argsort(counts[:, codes].sum(axis=0), kind="stable"):
        need = per_class - int((chosen & has[:, j]).sum())
        cand = np.flatnonzero(has[:, j] & ~chosen)
        if need > 0 and len(cand):
            chosen[rng.choice(cand, min(need, len(cand)), replace=False)] = True
    return np.flatnonzero(chosen)


def sample_bases(labels: list[np.ndarray], acgt: list[np.ndarray], codes: list[int], per_class: int,
                 rng: np.random.Generator) -> list[np.ndarray]:
    """Per tile, a (L_i,) bool mask of the sampled training bases: at most ``per_class`` A/C/G/T bases
    of each class in ``codes``, drawn uniformly over all picked tiles. ``labels``/``acgt``: per tile."""
    lab = np.concatenate(labels).astype(np.int64)
    ok = np.concatenate(acgt)
    keep = np.zeros(len(lab), dtype=bool)
    for c in codes:
        cand = np.flatnonzero((lab == c) & ok)
        if len(cand) > per_class:
            cand = rng.choice(cand, per_class, replace=False)
        keep[cand] = True
    cuts = np.cumsum([len(x) for x in labels])[:-1]
    return np.split(keep, cuts)
