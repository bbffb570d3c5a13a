"""Banded nucleotide dependency map: the map of :func:`glm_explore.logits.dependency_map` over long spans.

A substitution at query i can change the prediction at target j only when |i − j| ≤ R, the model's
receptive field. So for each query only the targets within ``band`` (default R) of it are computed, and
each mutant is run on a row of the sequence around i instead of the whole sequence:

* finite R: the row holds ``i − (band + R) … i + (band + R)`` (shifted to stay inside the sequence,
  :func:`glm_explore.context.centered_window_bounds`), so every target j in the band has all R bases of
  context each side that it has in the whole sequence (or the same sequence end) — the values are the
  full map's, exactly (up to float rounding). Cost: 3·L rows of 2(band + R) + 1 bases instead of 3·L rows
  of L; for the default MLM (R = 142) a 2-kb map is ~3.5× cheaper, a 5-kb map ~9×;
* unbounded models (R = None): ``band`` must be given, rows hold ``i ± 2·band`` and the map is an
  approximation (``note`` says so).

The result stores the band as diagonals, ``bands[i, k] = d(i, i + k − band)`` ((L, 2·band + 1), NaN off
the sequence, on the diagonal k = band, and for queries holding N), with :meth:`BandedDependencyMap.dense`
(L, L, NaN outside the band) and :meth:`BandedDependencyMap.to_dependency_map` for the existing
heatmap. Typical use::

    w = region_window(data.genome, "chrXVI:100001-102000", model, max_len=MAX_BANDED_BP)
    dep = banded_dependency_map(model, w)       # plots.context_curve.banded_dependency_heatmap(dep)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .context import centered_window_bounds
from .errors import GlmExploreError, InputTooLargeError, UnsupportedByModelError
from .io.genome import Window
from .logits import source_span
from .models.base import GenomicLM, Progress
from .results import DependencyMap
from .results.coordinates import _OnSequence
from .results.logits import log_odds
from .sequence import ALPHABET

MAX_BANDED_BP = 5_000


@dataclass(frozen=True, eq=False)
class BandedDependencyMap(_OnSequence):
    """Nucleotide dependencies within ``band`` bases of each query (see the module docstring).

    ``bands`` (L, 2·band + 1) float32: ``bands[i, k]`` = max over the 3 substitutions at query i of
    max_b |Δ log-odds p_j(b)| at target ``j = i + k − band`` (natural log), NaN where j is off the
    sequence, j = i, or i holds N. ``chrom``/``start`` as in :class:`~glm_explore.results.DependencyMap`.
    ``exact``: True when the model's receptive field bounds every row (finite R).
    """

    bands: np.ndarray
    band: int
    seq: str
    model: str
    objective: str
    chrom: str | None = None
    start: int = 0
    name: str = ""
    exact: bool = True
    note: str = ""

    def dense(self, fill: float = np.nan) -> np.ndarray:
        """(L, L) float32 map, ``fill`` outside |i − j| ≤ band (NaN: not computed; 0.0 is the true value there
        when ``exact`` and band ≥ R, since a substitution cannot reach past the receptive field)."""
        L, B = self.length, self.band
        out = np.full((L, L), fill, dtype=np.float32)
        i = np.repeat(np.arange(L), 2 * B + 1)
        j = i + np.tile(np.arange(-B, B + 1), L)
        ok = (j >= 0) & (j < L)
        out[i[ok], j[ok]] = self.bands.ravel()[ok]
        return out

    def to_dependency_map(self, fill: float = np.nan) -> DependencyMap:
        """The dense :class:`~glm_explore.results.DependencyMap` (for ``plots.logits.dependency_heatmap``), ``fill``
        outside the band (see :meth:`dense`)."""
        return DependencyMap(matrix=self.dense(fill), seq=self.seq, model=self.model, objective=self.objective,
                             chrom=self.chrom, start=self.start, name=self.name)


def banded_dependency_map(model: GenomicLM, source: str | Window, *, band: int | None = None, batch_size: int = 128,
                          name: str = "", max_len: int = MAX_BANDED_BP,
                          progress: Progress | None = None) -> BandedDependencyMap:
    """Dependency map of ``source`` (a sequence or a genome :class:`~glm_explore.io.genome.Window`, whose
    context surrounds every row) restricted to |i − j| ≤ ``band`` (default the receptive field R).

    Same definition as :func:`glm_explore.logits.dependency_map` (unmasked forward for an MLM, next-token for
    a CLM; probabilities clipped to [1e-6, 1 − 1e-6] before log-odds). Raises
    :class:`~glm_explore.errors.InputTooLargeError` past ``max_len`` bases and
    :class:`~glm_explore.errors.UnsupportedByModelError` for an unbounded model without ``band``.
    """
    seq, offset, n, chrom, start = source_span(source, name)
    if n > max_len:
        raise InputTooLargeError(f"The banded dependency map is limited to {max_len:,} bp; this region is {n:,} bp. "
                                 "Choose a shorter region.")
    rf = model.info.receptive_field
    if band is None:
        if rf is None:
            raise UnsupportedByModelError(f"{model.info.name} has no finite receptive field, so no band is implied; "
                                          "pass band= (bases; the map is then an approximation).")
        band = int(rf)
    if int(band) != band or band < 1:
        raise GlmExploreError(f"The band must be a whole number of bases ≥ 1, got {band!r}.")
    band = int(band)
    half = band + rf if rf is not None else 2 * band
    row_len = min(len(seq), 2 * half + 1)
    ref = model.log_probs([seq], None, batch_size=batch_size)[0]
    queries = [(i, alt) for i in range(n) if seq[offset + i] in ALPHABET for alt in ALPHABET if alt != seq[offset + i]]
    out = np.full((n, 2 * band + 1), np.nan)
    offsets = np.arange(-band, band + 1)
    for s in range(0, len(queries), max(1, batch_size)):
        chunk = queries[s:s + batch_size]
        rows, starts = [], []
        for i, alt in chunk:
            k = offset + i
            r0, _ = centered_window_bounds(k, row_len, len(seq))  # k − half, shifted inside the sequence
            rows.append(seq[r0:k] + alt + seq[k + 1:r0 + row_len])
            starts.append(r0)
        lp = model.log_probs(rows, None, batch_size=batch_size)
        for r, (i, _) in enumerate(chunk):
            j = i + offsets  # region coordinates of the band's targets
            ok = (j >= 0) & (j < n)
            cols = offset + j[ok] - starts[r]
            diff = np.abs(log_odds(lp[r][:, cols]) - log_odds(ref[:, offset + j[ok]])).max(axis=0)
            out[i, ok] = np.fmax(out[i, ok], diff)
        if progress is not None:
            done = min(s + batch_size, len(queries))
            progress(done / len(queries), f"mutants {done}/{len(queries)}")
    out[:, band] = np.nan
    note = "" if rf is not None else (f"{model.info.name} has no finite receptive field: each mutant saw ±{2 * band} "
                                      "bases, an approximation of the whole-sequence map.")
    return BandedDependencyMap(bands=out.astype(np.float32), band=band, seq=seq[offset:offset + n],
                               model=model.info.name, objective=model.info.objective, chrom=chrom, start=start,
                               name=name, exact=rf is not None, note=note)


def save_banded(dep: BandedDependencyMap, path: str | Path) -> None:
    """Write ``dep`` as a compressed ``.npz``: ``bands`` (L, 2·band + 1), ``band``, ``seq``, ``chrom``,
    ``start`` (0-based), ``model``, ``objective``, ``exact``, ``note``."""
    np.savez_compressed(path, bands=dep.bands, band=dep.band, seq=dep.seq, chrom=dep.chrom or "", start=dep.start,
                        model=dep.model, objective=dep.objective, exact=dep.exact, note=dep.note)
