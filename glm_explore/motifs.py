"""Learned motifs: seqlets from attribution maps, named by TOMTOM against JASPAR; FIMO scans.

* **Seqlets** (:func:`call_seqlets`, :func:`seqlets_many`): contiguous stretches of high
  |attribution|. Per-position score s_i = Σ_b values[b, i] (the map shown in the logo; for ISM
  the mean-effect importance). Threshold (documented default): a position is *high* when
  |s_i| ≥ median(|s|) + ``z`` · 1.4826 · MAD(|s|) (a robust z-score, ``z = 4``; the scale floor
  is 1 % of max |s| so a flat map gives no seqlets). High positions closer than ``max_gap``
  bases are merged into one run; runs shorter than ``min_len`` are dropped; each run is widened
  by ``flank`` bases each side and cut at ``max_len`` around its peak. Across many windows the
  distribution is pooled, so every window is held to the same threshold.
* **Matching** (:func:`match_seqlets`): each seqlet's attribution-weighted PWM (one-hot where
  |s| ≥ threshold, fading to uniform 0.25 where |s| is small) is the TOMTOM query
  (memelite's implementation, complete scores, both strands) against JASPAR CORE from pyjaspar's
  bundled SQLite release (offline; default JASPAR2024, fungi: 178 motifs). q-values are
  Benjamini–Hochberg over the database for each query (as TOMTOM reports them).
* **Scanning** (:func:`scan_motif`): memelite's FIMO over a sequence with one JASPAR motif,
  both strands, p-value threshold.
* **Many windows** (:func:`seqlet_report`): seqlets of many maps with one pooled threshold, the
  JASPAR motifs they resemble (:func:`motif_summary`: best match at q ≤ 0.05, counted per motif),
  and a chance level: the match rate of random segments of the same windows with the seqlets'
  lengths and weights (:func:`background_seqlets`). A motif table means little unless the
  seqlets' match rate is above that chance rate.

Coordinates: ``start``/``end`` 0-based half-open into the analysed window; ``pos_start``/
``pos_end`` 1-based inclusive genome coordinates (window start added).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import GlmExploreError
from .results import Attributions, ISMResult, SeqletReport
from .sequence import one_hot

JASPAR_RELEASE = "JASPAR2024"
JASPAR_TAX_GROUPS = ("fungi", "plants", "vertebrates", "insects", "nematodes", "urochordates")
SEQLET_COLUMNS = ["window", "start", "end", "pos_start", "pos_end", "length", "sequence", "score", "peak",
                  "sign", "chrom", "weight"]


# ---------------------------------------------------------------------------------------------
# Seqlets
# ---------------------------------------------------------------------------------------------

def position_scores(result: Attributions | ISMResult | np.ndarray) -> np.ndarray:
    """(L,) signed per-position score: Σ_b values (attributions) or −mean Δ (ISM); NaN → 0."""
    if isinstance(result, ISMResult):
        s = result.importance
    elif isinstance(result, Attributions):
        s = result.per_position
    else:
        a = np.asarray(result, dtype=float)
        s = a.sum(axis=0) if a.ndim == 2 else a
    return np.nan_to_num(np.asarray(s, dtype=float))


def seqlet_threshold(scores: np.ndarray | list[np.ndarray], *, z: float = 4.0) -> float:
    """|s| threshold median + z · 1.4826 · MAD of |s| (pooled over a list of score arrays)."""
    a = np.abs(np.concatenate([np.ravel(s) for s in scores]) if isinstance(scores, list) else np.ravel(scores))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return float("inf")
    med = float(np.median(a))
    mad = float(np.median(np.abs(a - med))) * 1.4826
    return med + z * max(mad, 0.01 * float(a.max()), 1e-12)


def _runs(high: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    idx = np.flatnonzero(high)
    if idx.size == 0:
        return []
    cut = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.r_[idx[0], idx[cut + 1]]
    ends = np.r_[idx[cut], idx[-1]] + 1
    return list(zip(starts.tolist(), ends.tolist()))


def call_seqlets(result: Attributions | ISMResult | np.ndarray, seq: str | None = None, *,
                 threshold: float | None = None, z: float = 4.0, min_len: int = 4, max_gap: int = 1,
                 flank: int = 2, max_len: int = 30, window: int | str = 0) -> pd.DataFrame:
    """Seqlets of one map (see the module docstring), one row each, strongest |score| first.

    ``result`` is an :class:`Attributions`, an :class:`ISMResult`, or a (4, L) / (L,) array (then
    pass ``seq``). ``threshold`` overrides the robust-z rule. Columns: :data:`SEQLET_COLUMNS`
    (``score`` = Σ s over the seqlet, ``peak`` = the largest |s|, ``sign`` +1 / −1, ``weight`` =
    per-base min(1, |s| / threshold), used by :func:`seqlet_query`).
    """
    s = position_scores(result)
    seq = seq if seq is not None else getattr(result, "seq", None)
    if seq is None or len(seq) != len(s):
        raise GlmExploreError("call_seqlets needs the analysed sequence (same length as the map).")
    start0 = getattr(result, "start", 0)
    chrom = getattr(result, "chrom", None)
    t = seqlet_threshold(s, z=z) if threshold is None else threshold
    rows = []
    for lo, hi in _runs(np.abs(s) >= t, max_gap):
        if hi - lo < min_len:
            continue
        lo, hi = max(0, lo - flank), min(len(s), hi + flank)
        if hi - lo > max_len:
            peak = lo + int(np.argmax(np.abs(s[lo:hi])))
            lo = max(0, min(peak - max_len // 2, hi - max_len))
            hi = lo + max_len
        seg = s[lo:hi]
        total = float(seg.sum())
        rows.append({"window": window, "start": lo, "end": hi, "pos_start": start0 + lo + 1, "pos_end": start0 + hi,
                     "length": hi - lo, "sequence": seq[lo:hi], "score": total, "peak": float(np.abs(seg).max()),
                     "sign": 1 if total >= 0 else -1, "chrom": chrom,
                     "weight": np.clip(np.abs(seg) / t, 0.0, 1.0).round(4)})
    df = pd.DataFrame(rows, columns=SEQLET_COLUMNS)
    df.attrs["threshold"] = t
    return df.sort_values("peak", ascending=False, ignore_index=True)


def seqlets_many(results: list[Attributions | ISMResult], *, z: float = 4.0, **kwargs) -> pd.DataFrame:
    """Seqlets across many windows with one pooled threshold; ``window`` = index into ``results``."""
    if not results:
        return pd.DataFrame(columns=SEQLET_COLUMNS)
    t = kwargs.pop("threshold", None)
    t = seqlet_threshold([position_scores(r) for r in results], z=z) if t is None else t
    frames = [call_seqlets(r, threshold=t, window=i, **kwargs) for i, r in enumerate(results)]
    df = pd.concat([f for f in frames if len(f)] or [frames[0]], ignore_index=True)
    df.attrs["threshold"] = t
    return df.sort_values("peak", ascending=False, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# JASPAR (pyjaspar, offline SQLite) and TOMTOM / FIMO (memelite)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JasparMotif:
    """One JASPAR matrix: ``pwm`` (4, w) probabilities over A,C,G,T (counts normalised)."""

    matrix_id: str
    name: str
    pwm: np.ndarray
    tf_class: str = ""
    tax_group: str = ""

    @property
    def label(self) -> str:
        return f"{self.matrix_id} {self.name}"

    @property
    def length(self) -> int:
        return self.pwm.shape[1]


@functools.lru_cache(maxsize=8)
def jaspar_motifs(tax_group: str = "fungi", *, release: str = JASPAR_RELEASE, collection: str = "CORE"
                  ) -> tuple[JasparMotif, ...]:
    """JASPAR ``collection`` motifs of ``tax_group`` (latest version of each) from pyjaspar's bundled
    SQLite file; no network."""
    from pyjaspar import jaspar_releases, jaspardb

    if release not in jaspar_releases:
        raise GlmExploreError(f"JASPAR release {release!r} is not bundled; choose one of {', '.join(jaspar_releases)}.")
    if tax_group not in JASPAR_TAX_GROUPS:
        raise GlmExploreError(f"Unknown JASPAR taxonomic group {tax_group!r}; choose one of "
                              f"{', '.join(JASPAR_TAX_GROUPS)}.")
    db = jaspardb(release=release)
    out = []
    for m in db.fetch_motifs(collection=collection, tax_group=[tax_group], all_versions=False):
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float)
        pwm = (counts + 1e-9) / (counts + 1e-9).sum(axis=0, keepdims=True)
        tf_class = ", ".join(m.tf_class) if isinstance(m.tf_class, list) else str(m.tf_class or "")
        out.append(JasparMotif(m.matrix_id, m.name, pwm, tf_class, tax_group))
    return tuple(out)


def find_motif(query: str, motifs: tuple[JasparMotif, ...] | None = None) -> JasparMotif:
    """A motif by matrix id (``MA0265.1`` or ``MA0265``) or TF name (case-insensitive)."""
    motifs = jaspar_motifs() if motifs is None else motifs
    q = query.strip().upper()
    for m in motifs:
        if q in {m.matrix_id.upper(), m.matrix_id.split(".")[0].upper(), m.name.upper()}:
            return m
    raise GlmExploreError(f"No JASPAR motif {query!r} in this collection; use an id such as "
                          f"{motifs[0].matrix_id} or a name such as {motifs[0].name}.")


def tomtom_matches(queries: list[np.ndarray], motifs: tuple[JasparMotif, ...] | None = None, *, n_top: int = 3
                   ) -> list[pd.DataFrame]:
    """TOMTOM (memelite) of each (4, w) query against ``motifs``: per query the ``n_top`` best rows
    ``rank, matrix_id, name, p_value, q_value, offset, overlap, strand``, best first."""
    from memelite import tomtom
    from scipy.stats import false_discovery_control

    motifs = jaspar_motifs() if motifs is None else motifs
    if not queries:
        return []
    targets = [np.ascontiguousarray(m.pwm) for m in motifs]
    p, _, offsets, overlaps, strands = tomtom([np.asarray(q, dtype=np.float64) for q in queries], targets)
    out = []
    for i in range(len(queries)):
        pi = np.nan_to_num(p[i], nan=1.0).clip(0, 1)
        qi = false_discovery_control(pi)
        order = np.argsort(pi, kind="stable")[:n_top]
        out.append(pd.DataFrame({
            "rank": np.arange(1, len(order) + 1), "matrix_id": [motifs[j].matrix_id for j in order],
            "name": [motifs[j].name for j in order], "p_value": pi[order], "q_value": qi[order],
            "offset": offsets[i, order].astype(int), "overlap": overlaps[i, order].astype(int),
            "strand": np.where(strands[i, order] > 0, "-", "+"),
        }))
    return out


def seqlet_query(sequence: str, weight: np.ndarray | None = None) -> np.ndarray:
    """(4, w) TOMTOM query of a seqlet: the attribution-weighted PWM w_i · onehot_i + (1 − w_i) · 0.25.

    Bases the map gives full weight count as observed; low-attribution bases (the widening flanks,
    merged gaps) fade to uninformative uniform columns, so random flanking bases do not pick the
    match. ``weight=None`` gives the plain one-hot sequence.
    """
    x = one_hot(sequence).astype(float)
    if weight is None:
        return x
    w = np.asarray(weight, dtype=float)[None, :]
    return w * x + (1 - w) * 0.25


def match_seqlets(seqlets: pd.DataFrame, motifs: tuple[JasparMotif, ...] | None = None, *, n_top: int = 3
                  ) -> pd.DataFrame:
    """The seqlet table with the best JASPAR matches added: ``match_1_id``, ``match_1_name``,
    ``match_1_p``, ``match_1_q`` … ``match_{n_top}_*`` (TOMTOM on each seqlet's attribution-weighted
    PWM, :func:`seqlet_query`), and the best match's alignment ``match_1_offset``,
    ``match_1_overlap``, ``match_1_strand`` (for :func:`aligned_values`)."""
    out = seqlets.copy()
    if out.empty:
        for k in range(1, n_top + 1):
            for col in ("id", "name", "p", "q"):
                out[f"match_{k}_{col}"] = pd.Series(dtype=object if col in ("id", "name") else float)
        return out
    weights = out["weight"] if "weight" in out else [None] * len(out)
    tables = tomtom_matches([seqlet_query(s, w) for s, w in zip(out["sequence"], weights)], motifs, n_top=n_top)
    for col in ("offset", "overlap", "strand"):  # how the best match aligns (see aligned_values)
        out[f"match_1_{col}"] = [t[col].iloc[0] if len(t) else None for t in tables]
    for k in range(n_top):
        out[f"match_{k + 1}_id"] = [t["matrix_id"].iloc[k] if len(t) > k else None for t in tables]
        out[f"match_{k + 1}_name"] = [t["name"].iloc[k] if len(t) > k else None for t in tables]
        out[f"match_{k + 1}_p"] = [t["p_value"].iloc[k] if len(t) > k else np.nan for t in tables]
        out[f"match_{k + 1}_q"] = [t["q_value"].iloc[k] if len(t) > k else np.nan for t in tables]
    return out


def aligned_values(values: np.ndarray, offset: int, overlap: int, strand: str) -> np.ndarray:
    """The part of a seqlet's (4, w) map that TOMTOM aligned to the motif, on the motif's strand.

    memelite reports ``offset`` = −(query column where the motif's first column sits) and the
    aligned length ``overlap``; on strand ``'-'`` the seqlet matched the motif's reverse complement,
    so the slice is reverse-complemented (both axes flipped: A,C,G,T order). Returns (4, overlap).
    """
    lo = max(0, -int(offset))
    seg = np.asarray(values)[:, lo:lo + int(overlap)]
    return seg[::-1, ::-1] if strand == "-" else seg


def matched_values(values: np.ndarray, seqlet) -> np.ndarray:
    """A seqlet's attribution (4, overlap), aligned to its best match: ``values`` is the whole
    window's (4, L) map, ``seqlet`` one row of :func:`match_seqlets` (a Series or an itertuples row)."""
    seg = np.asarray(values)[:, int(seqlet.start):int(seqlet.end)]
    return aligned_values(seg, seqlet.match_1_offset, seqlet.match_1_overlap, seqlet.match_1_strand)


def background_seqlets(seqlets: pd.DataFrame, seqs: list[str], *, seed: int = 0) -> pd.DataFrame:
    """Matched controls for TOMTOM: for every seqlet, a segment of the same length and the same
    per-base ``weight`` at a uniformly random position of the same window (``seqs[window]``).

    Matching these like the seqlets gives the rate at which stretches of these windows resemble a
    JASPAR motif by chance, the reference for the seqlets' own match rate.
    """
    rng = np.random.default_rng(seed)
    out = seqlets.copy()
    starts = [int(rng.integers(0, len(seqs[w]) - n + 1)) for w, n in zip(out["window"], out["length"])]
    shift = np.asarray(starts) - out["start"].to_numpy()
    out["start"], out["pos_start"], out["pos_end"] = starts, out["pos_start"] + shift, out["pos_end"] + shift
    out["end"] = out["start"] + out["length"]
    out["sequence"] = [seqs[w][a:a + n] for w, a, n in zip(out["window"], starts, out["length"])]
    return out


def match_rate(matched: pd.DataFrame, *, q: float = 0.05) -> float:
    """Fraction of rows whose best TOMTOM match has q ≤ ``q`` (NaN for an empty table)."""
    return float((matched["match_1_q"].fillna(1.0) <= q).mean()) if len(matched) else float("nan")


def motif_summary(matched: pd.DataFrame, *, q: float = 0.05) -> pd.DataFrame:
    """Which JASPAR motifs the seqlets of many windows resemble: one row per motif that is the best
    TOMTOM match (``match_1``) of at least one seqlet with q ≤ ``q``.

    Columns ``matrix_id, name, seqlets, windows`` (distinct windows with such a seqlet),
    ``positive`` (seqlets with score > 0, i.e. raising the target), ``best_q``, ``example`` (the
    seqlet with the best q); most seqlets first. ``attrs['unmatched']`` counts seqlets with no match
    at q ≤ ``q``.
    """
    cols = ["matrix_id", "name", "seqlets", "windows", "positive", "best_q", "example"]
    hit = matched[matched["match_1_q"].fillna(1.0) <= q] if len(matched) else matched
    rows = []
    for mid, g in (hit.groupby("match_1_id", sort=False) if len(hit) else []):
        best = g.loc[g["match_1_q"].idxmin()]
        rows.append({"matrix_id": mid, "name": best["match_1_name"], "seqlets": len(g),
                     "windows": g["window"].nunique(), "positive": int((g["score"] > 0).sum()),
                     "best_q": float(best["match_1_q"]), "example": best["sequence"]})
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["seqlets", "best_q"], ascending=[False, True], ignore_index=True)
    out.attrs["unmatched"] = len(matched) - len(hit)
    return out


def seqlet_report(results: list[Attributions | ISMResult], motifs: tuple[JasparMotif, ...] | None = None, *,
                  q: float = 0.05, seed: int = 0, z: float = 4.0) -> SeqletReport:
    """Seqlets across ``results`` (:func:`seqlets_many`) matched to JASPAR, summarised per motif
    (:func:`motif_summary`), with the match rate of random same-window segments
    (:func:`background_seqlets`) as the chance level."""
    seqlets = match_seqlets(seqlets_many(results, z=z), motifs)
    control = match_seqlets(background_seqlets(seqlets, [r.seq for r in results], seed=seed), motifs)
    deltas = [d for d in (getattr(r, "relative_delta", None) for r in results) if d is not None]
    return SeqletReport(seqlets=seqlets, summary=motif_summary(seqlets, q=q), match_rate=match_rate(seqlets, q=q),
                        chance_rate=match_rate(control, q=q), threshold=float(seqlets.attrs.get("threshold", np.inf)),
                        q=q, n_windows=len(results),
                        delta_median=float(np.median(deltas)) if deltas else float("nan"),
                        delta_worst=float(max(deltas)) if deltas else float("nan"))


def scan_motif(seq: str, motif: JasparMotif, *, threshold: float = 1e-4, start: int = 0) -> pd.DataFrame:
    """FIMO (memelite) hits of ``motif`` in ``seq``, both strands, p ≤ ``threshold``.

    Columns: ``start``/``end`` (0-based half-open into ``seq``), ``pos_start``/``pos_end`` (1-based,
    ``start`` added), ``strand``, ``score`` (log2 odds vs uniform), ``p_value``, ``matched``
    (the site as read on the motif's strand), ``motif``. Sorted by position.
    """
    from memelite import fimo

    from .sequence import reverse_complement

    cols = ["start", "end", "pos_start", "pos_end", "strand", "score", "p_value", "matched", "motif"]
    if len(seq) < motif.length:
        return pd.DataFrame(columns=cols)
    hits = fimo({motif.matrix_id: motif.pwm}, one_hot(seq)[None], threshold=threshold, reverse_complement=True)[0]
    if hits.empty:
        return pd.DataFrame(columns=cols)
    s, e = hits["start"].astype(int).to_numpy(), hits["end"].astype(int).to_numpy()
    strand = hits["strand"].astype(str).to_numpy()
    matched = [seq[a:b] if st == "+" else reverse_complement(seq[a:b]) for a, b, st in zip(s, e, strand)]
    df = pd.DataFrame({"start": s, "end": e, "pos_start": start + s + 1, "pos_end": start + e, "strand": strand,
                       "score": hits["score"].to_numpy(float), "p_value": hits["p-value"].to_numpy(float),
                       "matched": matched, "motif": motif.label})
    return df.sort_values(["start", "strand"], ignore_index=True)
