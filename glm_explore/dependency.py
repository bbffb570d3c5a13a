"""Nucleotide dependency maps (Tomaz da Silva et al. 2024): the full (L, L) map (:func:`dependency_map`) and the
banded map over long spans (:func:`banded_dependency_map`). Results: :class:`~glm_explore.results.DependencyMap`,
:class:`~glm_explore.results.BandedDependencyMap`.

**Full map.** ``d[i, j]`` = max over the 3 substitutions at query i of max_b |Δ log-odds p_j(b)| at target j,
from one unmasked forward per mutant (1 + 3L forwards, at most :data:`MAX_DEPENDENCY_BP` bases).

**Banded map.** A substitution at query i can change the prediction at target j only when |i − j| ≤ R, the
model's receptive field. So for each query only the targets within ``band`` (default R) of it are computed, and
each mutant is run on a row of the sequence around i instead of the whole sequence:

* finite R: the row holds ``i − (band + R) … i + (band + R)`` (shifted to stay inside the sequence,
  :func:`glm_explore.context.centered_window_bounds`), so every target j in the band has all R bases of
  context each side that it has in the whole sequence (or the same sequence end) — the values are the
  full map's, exactly (up to float rounding). Cost: 3·L rows of 2(band + R) + 1 bases instead of 3·L rows
  of L; for the default MLM (R = 142) a 2-kb map is ~3.5× cheaper, a 5-kb map ~9×;
* unbounded models (R = None): ``band`` must be given, rows hold ``i ± 2·band`` and the map is an
  approximation (``note`` says so).

The result stores the band as diagonals, ``bands[i, k] = d(i, i + k − band)`` ((L, 2·band + 1), NaN off
the sequence, on the diagonal k = band, and for queries holding N), with ``dense()`` (L, L, NaN outside the
band) and ``to_dependency_map()`` for the full map's heatmap. Typical use::

    dep = dependency_map(model, region_window(data.genome, "chrI:1001-1100", model))   # (L, L)
    w = region_window(data.genome, "chrXVI:100001-102000", model, max_len=MAX_BANDED_BP)
    dep = banded_dependency_map(model, w)       # plots.context_curve.banded_dependency_heatmap(dep)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .context import centered_window_bounds
from .errors import GlmExploreError, InputTooLargeError, UnsupportedByModelError
from .io.genome import Window
from .models.base import GenomicLM, Progress
from .results import BandedDependencyMap, DependencyMap
from .results.logits import log_odds
from .sequence import ALPHABET, clean_sequence

MAX_BANDED_BP = 5_000
MAX_DEPENDENCY_BP = 300  # the full map: 3 forwards of the whole sequence per base


def _forward_log_probs(model: GenomicLM, seqs: list[str], batch_size: int) -> np.ndarray:
    """(N, 4, L) per-position distributions from one unmasked forward pass per sequence."""
    return model.log_probs(seqs, None, batch_size=batch_size)


def source_span(source: str | Window, name: str = "") -> tuple[str, int, int, str | None, int]:
    """(sequence fed to the model, offset of the region in it, region length, chrom, 0-based region start) of a
    genome :class:`~glm_explore.io.genome.Window` (its context around the region) or a pasted sequence (cleaned; chrom None, start 0)."""
    if isinstance(source, Window):
        return source.seq, source.offset, source.region.length, source.region.chrom, source.region.start
    seq = clean_sequence(source, name=name or "sequence")
    return seq, 0, len(seq), None, 0


def dependency_map(model: GenomicLM, source: str | Window, *, batch_size: int = 128, name: str = "",
                   max_len: int = MAX_DEPENDENCY_BP, progress: Progress | None = None) -> DependencyMap:
    """Nucleotide dependency map (Tomaz da Silva et al. 2024), an (L, L) matrix over the region.

    ``d[i, j] = max over the 3 substitutions at query i of max_b |log-odds p_j(b | mutant) −
    log-odds p_j(b | reference)|`` where p_j is the model's predicted distribution at target j from
    one forward pass (unmasked reconstruction for an MLM, as in the paper; next-token for a CLM,
    where only j > i can change). Probabilities are clipped to [1e-6, 1 − 1e-6] before log-odds;
    the diagonal is NaN. 1 + 3L forwards, batched; a ``Window`` keeps its context around every
    mutant. Positions holding N are skipped as queries (row NaN).
    """
    seq, offset, n, chrom, start = source_span(source, name)
    if n > max_len:
        raise InputTooLargeError(f"The dependency map is limited to {max_len} bp (it needs 3 forwards per base); "
                                 f"this region is {n:,} bp. Choose a shorter region.")
    ref_lo = log_odds(_forward_log_probs(model, [seq], batch_size)[0][:, offset:offset + n])
    mutants, rows = [], []
    for i in range(n):
        base = seq[offset + i]
        if base not in ALPHABET:
            continue
        for alt in ALPHABET:
            if alt != base:
                k = offset + i
                mutants.append(seq[:k] + alt + seq[k + 1:])
                rows.append(i)
    mat = np.full((n, n), np.nan)
    rows_arr = np.asarray(rows)
    step = max(1, batch_size)
    for s in range(0, len(mutants), step):
        lp = _forward_log_probs(model, mutants[s:s + step], batch_size)[:, :, offset:offset + n]
        diff = np.abs(log_odds(lp) - ref_lo[None]).max(axis=1)  # (m, n): max over bases b
        for r, i in enumerate(rows_arr[s:s + step]):
            mat[i] = np.fmax(mat[i], diff[r])
        if progress:
            progress(min(1.0, (s + step) / len(mutants)), f"mutants {min(s + step, len(mutants))}/{len(mutants)}")
    np.fill_diagonal(mat, np.nan)
    return DependencyMap(matrix=mat.astype(np.float32), seq=seq[offset:offset + n], model=model.info.name,
                         objective=model.info.objective, chrom=chrom, start=start, name=name)


def banded_dependency_map(model: GenomicLM, source: str | Window, *, band: int | None = None, batch_size: int = 128,
                          name: str = "", max_len: int = MAX_BANDED_BP,
                          progress: Progress | None = None) -> BandedDependencyMap:
    """Dependency map of ``source`` (a sequence or a genome :class:`~glm_explore.io.genome.Window`, whose
    context surrounds every row) restricted to |i − j| ≤ ``band`` (default the receptive field R).

    Same definition as :func:`dependency_map` (unmasked forward for an MLM, next-token for
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
