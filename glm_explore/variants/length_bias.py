"""How indel scores depend on length alone, and a length-corrected score.

**The bias.** Raw event scores (:mod:`.indel_scores`) change with event length even where nothing is
under constraint: an MLM's PLL sums more (or fewer) terms on the longer allele, and a CLM's window
gains different bases. :func:`length_bias` measures it on random *intergenic* events (the neutral-ish
background: bases labelled intergenic by the genome's annotation; the whole contig when a genome has
no labels) of sizes 1 … ``max_length`` bp, deletions and insertions alternating, and fits
``score = a + b · x`` by least squares: the slope ``b`` with its 95 % t-interval (scipy's ``linregress``
standard error) — per kind on the event length, and pooled on the signed length change
(inserted − deleted bases: deletions negative), since a score can move in opposite directions for
deletions and insertions (an MLM's PLL sums fewer terms on a shorter allele).

**The correction** (:class:`NullScores`): an event's **z-score** against random events of the same kind
and the same deleted / inserted lengths on the same contig (intergenic positions, scored with the same
model and settings): ``z = (llr − mean(null)) / sd(null)``. Null events are drawn by a generator seeded
from ``(seed, contig, kind, lengths)``, so an event gets the same z every time (and every representation
of one indel, which normalises to one event, gets the same z). Random events: a deletion removes
``d`` intergenic bases; an insertion inserts a copy of ``i`` bases from another intergenic place on the
contig (composition-matched); MNVs change each of ``d`` bases to another base at random; an inversion
reverse-complements ``d`` bases; a duplication inserts a copy of the next ``i`` bases (tandem).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import (
    NoBackgroundError,
)
from ..io.annotation import CLASSES
from ..io.datasets import as_genome, region_labels
from ..models.base import GenomicLM, Progress
from ..results.indels import LengthBias
from ..sequence import reverse_complement
from .indel_scores import event_flank, event_scores, method_label
from .indels import Event, left_align
from .validate import ChromCache

INTERGENIC = CLASSES.index("intergenic")
DEFAULT_MAX_LENGTH = 100


def background_mask(data, chrom: str) -> tuple[np.ndarray, str]:
    """``((n,) bool, description)``: the bases random events may touch on ``chrom`` — intergenic when
    ``data`` carries region labels (a ``GenomeData``), else every base."""
    labels = region_labels(data)
    g = as_genome(data)
    if labels is not None and chrom in labels:
        return labels[chrom] == INTERGENIC, "intergenic"
    return np.ones(g.lengths[chrom], dtype=bool), "anywhere on the contig"


def random_event(rng: np.random.Generator, contig: str, chrom: str, allowed: np.ndarray, kind: str,
                 deleted: int, inserted: int, margin: int, tries: int = 2000) -> Event:
    """One random event of ``kind`` with ``deleted`` / ``inserted`` bases on ``chrom`` (module docstring).

    Its changed span (and, for insertions, the copied segment) lies on ``allowed`` bases and at least
    ``margin`` bases from the contig ends, with no N within ``margin`` bases. Left-aligned like any event.
    """
    n = len(contig)
    span = max(deleted, 1)
    lo, hi = margin, n - margin - max(deleted, inserted) - 1
    if hi <= lo:
        raise NoBackgroundError(f"{chrom} ({n:,} bp) is too short for random {kind} events of {max(deleted, inserted)} "
                                f"bp with {margin} bp of context.")
    starts = np.flatnonzero(allowed[lo:hi]) + lo  # draw among allowed bases (rejection on the rest of the span)
    if not len(starts):
        raise NoBackgroundError(f"{chrom} has no background bases away from its ends for random {kind} events.")
    for _ in range(tries):
        s = int(starts[rng.integers(len(starts))])
        if not allowed[s:s + span].all() or "N" in contig[s - margin:s + span + margin]:
            continue
        ins = ""
        if kind in {"INS", "DELINS"}:
            c = int(starts[rng.integers(len(starts))])
            ins = contig[c:c + inserted]
            if not allowed[c:c + inserted].all() or "N" in ins:
                continue
        elif kind == "DUP":
            ins = contig[s:s + inserted]
        elif kind == "MNV":
            ins = "".join("ACGT".replace(b, "")[int(rng.integers(3))] for b in contig[s:s + deleted])
        elif kind == "INV":
            ins = reverse_complement(contig[s:s + deleted])
        start, end, ins = left_align(contig, s, s + deleted, ins)
        return Event(chrom, start, end, ins, kind)
    raise NoBackgroundError(f"Found no {'intergenic ' if not allowed.all() else ''}place for a random {kind} of "
                            f"{max(deleted, inserted)} bp on {chrom} in {tries} tries.")


class NullScores:
    """Length-matched null scores per ``(contig, kind, deleted, inserted)``, computed once and kept.

    ``n`` random events per key (same model and settings as the scored events); :meth:`z` gives
    ``(llr − mean) / sd`` (sample sd, ddof 1; NaN with fewer than 2 null events or sd 0).
    """

    def __init__(self, model: GenomicLM, data, *, n: int = 10, rc: bool = True, exact: bool = False,
                 seed: int = 0, batch_size: int = 64, cache: ChromCache | None = None) -> None:
        self.model, self.data, self.n, self.rc, self.exact, self.seed = model, data, int(n), rc, exact, seed
        self.batch_size = batch_size
        self.cache = cache or ChromCache(as_genome(data))
        self._scores: dict[tuple, np.ndarray] = {}

    def events(self, chrom: str, kind: str, deleted: int, inserted: int) -> list[Event]:
        """The ``n`` null events of one key (deterministic)."""
        key = (chrom, kind, deleted, inserted)
        rng = np.random.default_rng([self.seed, zlib.crc32(repr(key).encode())])
        allowed, _ = background_mask(self.data, chrom)
        margin = 2 * event_flank(self.model) + 1
        return [random_event(rng, self.cache[chrom], chrom, allowed, kind, deleted, inserted, margin)
                for _ in range(self.n)]

    def scores(self, ev: Event, progress: Progress | None = None) -> np.ndarray:
        """(n,) null ``llr`` of the key of ``ev``."""
        key = (ev.chrom, ev.kind, ev.deleted, ev.inserted)
        if key not in self._scores:
            evs = self.events(*key)
            self._scores[key] = event_scores(self.model, self.cache, evs, rc=self.rc, exact=self.exact,
                                             batch_size=self.batch_size, progress=progress)["llr"]
        return self._scores[key]

    def z(self, ev: Event, llr: float, progress: Progress | None = None) -> float:
        """Length-corrected score of ``ev`` (its raw ``llr``): z against its null events."""
        if self.n < 2 or not np.isfinite(llr):
            return float("nan")
        null = self.scores(ev, progress)
        sd = float(np.std(null, ddof=1))
        return float((llr - null.mean()) / sd) if sd > 0 else float("nan")


def bias_design(n_events: int, max_length: int = DEFAULT_MAX_LENGTH, kinds: Sequence[str] = ("DEL", "INS")
                ) -> list[tuple[str, int]]:
    """``(kind, length)`` of ``n_events`` events: lengths evenly spread over 1 … ``max_length`` (rounded),
    kinds alternating."""
    lengths = np.round(np.linspace(1, max_length, int(n_events))).astype(int)
    return [(kinds[k % len(kinds)], int(L)) for k, L in enumerate(lengths)]


def default_bias_events(model: GenomicLM) -> int:
    """Events of the default run, sized to ~30 s on 2 busy cores: 100 (CLM: 4 short windows per event) or 10
    (MLM: R + 1 masked copies of two windows per event)."""
    return 100 if model.info.objective == "clm" else 10


def sample_bias_events(data, n_events: int, *, max_length: int = DEFAULT_MAX_LENGTH, seed: int = 0,
                       margin: int = 300, chroms: Sequence[str] | None = None) -> list[Event]:
    """Random background events for :func:`length_bias`: contigs drawn in proportion to their background
    bases, one event per :func:`bias_design` entry."""
    g = as_genome(data)
    rng = np.random.default_rng(seed)
    chroms = list(chroms or g.chroms)
    masks = {c: background_mask(data, c)[0] for c in chroms}
    weight = np.array([m.sum() for m in masks.values()], dtype=float)
    if weight.sum() == 0:
        raise NoBackgroundError("The genome has no background (intergenic) bases to draw random events from.")
    cache = ChromCache(g)
    out = []
    for kind, L in bias_design(n_events, max_length):
        c = chroms[int(rng.choice(len(chroms), p=weight / weight.sum()))]
        d, i = (L, 0) if kind == "DEL" else (0, L)
        out.append(random_event(rng, cache[c], c, masks[c], kind, d, i, margin))
    return out


def fit_slope(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Least-squares ``y = a + b·x``: ``slope``, ``ci_low``, ``ci_high`` (t-interval), ``intercept``, ``r``, ``n``."""
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0:
        return {"n": len(x), "slope": np.nan, "ci_low": np.nan, "ci_high": np.nan, "intercept": np.nan, "r": np.nan}
    fit = stats.linregress(x, y)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 2) * fit.stderr)
    return {"n": len(x), "slope": float(fit.slope), "ci_low": float(fit.slope) - half,
            "ci_high": float(fit.slope) + half, "intercept": float(fit.intercept), "r": float(fit.rvalue)}


def length_bias(model: GenomicLM, data, *, n_events: int | None = None, max_length: int = DEFAULT_MAX_LENGTH,
                seed: int = 0, rc: bool | None = None, batch_size: int = 64, chroms: Sequence[str] | None = None,
                progress: Progress | None = None) -> LengthBias:
    """Score vs length of random background indels (module docstring) → :class:`~glm_explore.results.LengthBias`.

    ``n_events`` defaults to :func:`default_bias_events`; ``rc`` (reverse-complement averaging) defaults
    to on for a CLM and off for an MLM (halves the cost of the PLL; the slope is a property of the
    score, measured the same way for every event). Fits ``llr`` and ``llr_mean`` on ``length`` per kind
    and on ``len_change`` pooled (``kind = "all"``); ``fits["x"]`` names the regressor.
    """
    n_events = default_bias_events(model) if n_events is None else int(n_events)
    rc = (model.info.objective == "clm") if rc is None else rc
    g = as_genome(data)
    events = sample_bias_events(data, n_events, max_length=max_length, seed=seed,
                                margin=2 * event_flank(model) + 1, chroms=chroms)
    sc = event_scores(model, ChromCache(g), events, rc=rc, batch_size=batch_size, progress=progress)
    table = pd.DataFrame({"chrom": [e.chrom for e in events], "pos": [e.start + 1 for e in events],
                          "kind": [e.kind for e in events], "length": [e.length for e in events],
                          "len_change": [e.len_change for e in events], "llr": sc["llr"], "llr_mean": sc["llr_mean"]})
    rows = []
    for kind, part in [("all", table), *table.groupby("kind", sort=True)]:
        x = "len_change" if kind == "all" else "length"
        for score in ("llr", "llr_mean"):
            rows.append({"kind": kind, "score": score, "x": x, **fit_slope(part[x], part[score])})
    _, where = background_mask(data, events[0].chrom) if events else (None, "")
    return LengthBias(table=table, fits=pd.DataFrame(rows), model=model.info.name, objective=model.info.objective,
                      method=method_label(model), background=where, rc=rc, seed=seed, max_length=max_length)
