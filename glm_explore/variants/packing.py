"""Packed masked passes: many variant sites per forward for MLMs with a bounded receptive field.

A masked prediction at position p of a model whose receptive field is R bases on each side
(``ModelInfo.receptive_field``) depends only on the bases ``p − R … p + R`` and, within R of a
contig end, on where the input stops (the model pads there). Two consequences make packing exact:

* two sites of one contig at least R + 1 bases apart can be masked in the same sequence: neither
  sees the other's mask (:func:`glm_explore.logits.mask_groups` uses the same rule for positions);
* the context a site needs, ``[p − R, p + R]`` clipped to the contig, can be cut out and laid next to
  other sites' contexts in one row: the site never sees past its own context, so whatever lies
  beside it in the row (another contig's bases, N filler) cannot change its prediction.

:func:`pack_sites` chains the sites of each contig, best fit (a site joins the chain whose last
site is nearest but at least R + 1 bases behind, and at most 2R + 1 behind so their contexts
overlap or touch): overlapping contexts are shared, so every site of a dense region costs R + 1
bases per strand instead of a 2R + 1 window. Chains are cut into rows of at most ``row_len`` bases;
full rows are padded with N to one length (one tensor per batch). Contig ends stay exact: a context
that starts at a contig start opens a row and one that ends at a contig end closes its row, so
the model pads there exactly as in a window cut at the contig end
(:func:`~glm_explore.context.centered_window_bounds` shifts such windows to stay on the contig).

:func:`packed_site_log_probs` scores the rows and their reverse complements (the masks mirrored)
and returns what :func:`~glm_explore.variants.mlm.masked_site_log_probs` returns for one centred
window of ``2R + 1`` or more bases per site (equal up to float32 rounding; tests check < 1e-5).

Models that declare ``capabilities.masked_sites`` (the built-in CNNs: each mask recomputes only its
receptive-field cone over one clean pass, :mod:`glm_explore.models.cone`) need no spacing between masks:
:func:`packed_site_log_probs` then hands rows of merged contexts (:func:`context_rows`) to
``model.masked_sites`` (:func:`context_site_log_probs`) instead.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..models.base import GenomicLM
from ..sequence import reverse_complement

PACK_ROW = 4096  # longest packed row (bases); shorter when the forward budget is smaller
CONTEXT_ROW = 16_384  # longest row of merged contexts for models that serve single masks (``masked_sites``)


@dataclass(frozen=True)
class Packing:
    """Sites laid out in rows. ``rows[r]`` lists the row's pieces ``(chrom, start, end)`` (0-based
    half-open genome spans; ``chrom`` None = ``end − start`` N bases of filler); ``lengths`` (n_rows,)
    the row lengths; ``site_row`` / ``site_offset`` (N,) the row of each site and its index in it."""

    rows: list[list[tuple[str | None, int, int]]]
    lengths: np.ndarray
    site_row: np.ndarray
    site_offset: np.ndarray

    def sequences(self, cache) -> list[str]:
        """Row strings, read from ``cache[chrom][start:end]`` (a :class:`~.validate.ChromCache`)."""
        return ["".join("N" * (e - s) if c is None else cache[c][s:e] for c, s, e in row) for row in self.rows]


def sites_by_contig(chroms: Sequence[str], pos0: np.ndarray):
    """Yield ``(contig, indices)`` per contig (first-seen order): the indices of its sites, by position."""
    by_chrom: dict[str, list[int]] = {}
    for k, c in enumerate(chroms):
        by_chrom.setdefault(c, []).append(k)
    for c, ks in by_chrom.items():
        ks_arr = np.array(ks, dtype=np.int64)
        yield c, ks_arr[np.argsort(pos0[ks_arr], kind="stable")]


def chain_sites(pos: np.ndarray, receptive_field: int) -> list[list[int]]:
    """Indices into ``pos`` (sorted 0-based positions on one contig) grouped into chains, in order of
    their first site: consecutive sites of a chain are R + 1 … 2R + 1 bases apart (best fit)."""
    R = int(receptive_field)
    lasts: list[int] = []  # last position of each open chain, ascending
    ids: list[int] = []
    chains: list[list[int]] = []
    for k, p in enumerate(int(x) for x in pos):
        cut = bisect_left(lasts, p - 2 * R - 1)  # chains that can no longer share context with p
        if cut:
            del lasts[:cut], ids[:cut]
        j = bisect_right(lasts, p - R - 1) - 1  # the nearest chain p does not see (and that does not see p)
        if j >= 0:
            cid = ids.pop(j)
            lasts.pop(j)
        else:
            cid = len(chains)
            chains.append([])
        chains[cid].append(k)
        lasts.append(p)
        ids.append(cid)
    return chains


def pack_sites(chroms: Sequence[str], pos0: Sequence[int], contig_lengths: Mapping[str, int],
               receptive_field: int, row_len: int) -> Packing:
    """Lay out sites ``(chroms[n], pos0[n])`` (0-based, distinct) in rows of at most ``row_len`` bases.

    ``row_len`` must be at least ``2R + 1``. Rows closed because the next piece does not fit are
    padded with N to ``row_len``; rows closed by a contig end (or at the last site) keep their length.
    """
    R = int(receptive_field)
    if row_len < 2 * R + 1:
        raise ValueError(f"row_len {row_len} is shorter than one site's context (2·{R}+1)")
    pos0 = np.asarray(pos0, dtype=np.int64)
    n_sites = len(pos0)
    site_row = np.full(n_sites, -1, dtype=np.int64)
    site_off = np.full(n_sites, -1, dtype=np.int64)
    rows: list[list[tuple[str | None, int, int]]] = []
    lengths: list[int] = []
    cur: list[tuple[str | None, int, int]] = []
    used = 0

    def close(pad: bool) -> None:
        nonlocal cur, used
        if not cur:
            return
        if pad and used < row_len:
            cur.append((None, 0, row_len - used))
            used = row_len
        rows.append(cur)
        lengths.append(used)
        cur, used = [], 0

    for c, ks_arr in sites_by_contig(chroms, pos0):
        n = int(contig_lengths[c])
        for chain in chain_sites(pos0[ks_arr], R):
            sites = ks_arr[chain]
            ps = pos0[sites]
            if ps[0] <= R:  # its context starts at the contig start: the row must start there too
                close(pad=False)
            i = 0
            while i < len(sites):
                a, avail = max(0, int(ps[i]) - R), row_len - used
                j = i
                while j + 1 < len(sites) and min(n, int(ps[j + 1]) + R + 1) - a <= avail:
                    j += 1
                b = min(n, int(ps[j]) + R + 1)
                if b - a > avail:  # not even one more site fits this row
                    close(pad=True)
                    continue
                site_row[sites[i:j + 1]] = len(rows)
                site_off[sites[i:j + 1]] = used + ps[i:j + 1] - a
                cur.append((c, a, b))
                used += b - a
                if b == n:  # its context ends at the contig end: so must the row
                    close(pad=False)
                i = j + 1
    close(pad=False)
    return Packing(rows, np.array(lengths, dtype=np.int64), site_row, site_off)


def context_rows(chroms: Sequence[str], pos0: Sequence[int], contig_lengths: Mapping[str, int],
                 receptive_field: int, row_len: int = CONTEXT_ROW) -> Packing:
    """Lay out sites as rows of merged contexts: each row one genome span, the union of overlapping or
    touching contexts ``[p − R, p + R]`` (clipped to the contig) of at most ``row_len`` bases.

    For models that mask each site alone in its row (``capabilities.masked_sites``), sites need no
    spacing: a row holds every site whose context it covers, and its ends are contig ends or at least R
    bases from its sites, so each prediction equals the one-window-per-site one.
    """
    R = int(receptive_field)
    if row_len < 2 * R + 1:
        raise ValueError(f"row_len {row_len} is shorter than one site's context (2·{R}+1)")
    pos0 = np.asarray(pos0, dtype=np.int64)
    site_row = np.full(len(pos0), -1, dtype=np.int64)
    site_off = np.full(len(pos0), -1, dtype=np.int64)
    rows: list[list[tuple[str | None, int, int]]] = []
    for c, ks_arr in sites_by_contig(chroms, pos0):
        n = int(contig_lengths[c])
        members: list[int] = []
        a = b = 0
        for k in [*ks_arr.tolist(), None]:
            p = None if k is None else int(pos0[k])
            if members and (p is None or p - R > b or min(n, p + R + 1) - a > row_len):
                rows.append([(c, a, b)])
                site_row[members] = len(rows) - 1
                site_off[members] = pos0[members] - a
                members = []
            if p is None:
                break
            if not members:
                a = max(0, p - R)
            members.append(k)
            b = min(n, p + R + 1)
    return Packing(rows, np.array([r[0][2] - r[0][1] for r in rows], dtype=np.int64), site_row, site_off)


def context_site_log_probs(model: GenomicLM, cache, chroms: Sequence[str], pos0: Sequence[int], *,
                           rc: bool = True) -> np.ndarray:
    """(N, 4) what :func:`packed_site_log_probs` returns, for models with ``capabilities.masked_sites``:
    rows of merged contexts (:func:`context_rows`), every site masked alone via ``model.masked_sites``
    (one clean pass per row plus a cone per site), and the reverse-complement rows with mirrored offsets."""
    R = model.info.receptive_field
    lengths = {c: cache.genome.lengths[c] for c in set(chroms)}
    pk = context_rows(chroms, pos0, lengths, R)
    seqs = pk.sequences(cache)
    out = model.masked_sites(seqs, pk.site_row, pk.site_offset)
    if rc:
        rev = model.masked_sites([reverse_complement(s) for s in seqs], pk.site_row,
                                 pk.lengths[pk.site_row] - 1 - pk.site_offset)
        out = (out + rev[:, ::-1]) / 2
    return out


def packed_site_log_probs(model: GenomicLM, cache, chroms: Sequence[str], pos0: Sequence[int], *, rc: bool = True,
                          batch_size: int = 64) -> np.ndarray:
    """(N, 4) log P(b | context with the site masked) over A,C,G,T for distinct sites, forward orientation.

    The packed equivalent of :func:`~glm_explore.variants.mlm.masked_site_log_probs` on one centred
    window per site (any window of at least ``2R + 1`` bases gives the same numbers): rows from
    :func:`pack_sites`, each forward carrying up to ``batch_size × (2R + 1)`` bases (the memory of
    ``batch_size`` one-site windows). With ``rc=True`` each row's reverse complement is scored with the
    masks at ``L − 1 − offset`` and its A,C,G,T row reversed (complemented) before the two strands'
    log-probs are averaged. ``cache`` maps a contig to its sequence (a :class:`~.validate.ChromCache`).
    Needs a finite ``model.info.receptive_field``.
    """
    if model.info.objective != "mlm":
        raise ValueError(f"{model.info.name} is a causal LM: the masked LLR needs an MLM (use clm_delta).")
    R = model.info.receptive_field
    if R is None:
        raise ValueError(f"{model.info.name} has no bounded receptive field: packing needs one (use one window "
                         "per site).")
    if model.info.capabilities.masked_sites:
        return context_site_log_probs(model, cache, chroms, pos0, rc=rc)
    budget = max(1, int(batch_size)) * (2 * R + 1)
    row_len = max(2 * R + 1, min(PACK_ROW, budget))
    lengths = {c: cache.genome.lengths[c] for c in set(chroms)}
    pk = pack_sites(chroms, pos0, lengths, R, row_len)
    seqs = pk.sequences(cache)
    order = np.argsort(pk.site_row, kind="stable")
    bounds = np.searchsorted(pk.site_row[order], np.arange(len(seqs) + 1))
    out = np.zeros((len(pk.site_row), 4), dtype=np.float64)
    strands = [False, True] if rc else [False]
    groups: dict[int, list[int]] = {}
    for r, L in enumerate(pk.lengths):
        groups.setdefault(int(L), []).append(r)
    for L, rows in groups.items():
        step = max(1, budget // L)
        for j in range(0, len(rows), step):
            chunk = rows[j:j + step]
            sites = [order[bounds[r]:bounds[r + 1]] for r in chunk]
            row_of = np.concatenate([np.full(len(s), k) for k, s in enumerate(sites)])
            idx = np.concatenate(sites)
            off = pk.site_offset[idx]
            for rev in strands:
                ss = [reverse_complement(seqs[r]) if rev else seqs[r] for r in chunk]
                col = L - 1 - off if rev else off
                masked = np.zeros((len(chunk), L), dtype=bool)
                masked[row_of, col] = True
                lp = model.log_probs(ss, masked, batch_size=len(chunk))[row_of, :, col]  # (n_sites, 4)
                out[idx] += lp[:, ::-1] if rev else lp
    return out / len(strands)
