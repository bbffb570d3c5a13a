"""Sequence design toward a goal: greedy or beam in-silico evolution by single-base edits.

Typical use::

    r = design(mlm, seq, DesignSettings("likelihood", rounds=20, edit_budget=10))             # model likelihood
    r = design(mlm, seq, DesignSettings("class", cls="promoter", gc_range=(0.3, 0.6)), probe=probe)  # a promoter
    r = design(None, seq, DesignSettings("motif", motif="MA0265.3", fixed=range(0, 20)))      # plant a JASPAR motif
    r.sequence, r.trajectory, r.edits; design_fasta(r)

The rules (gReLU's ``evolve`` / tangermeme's greedy substitution, plus a beam):

* **A round.** Every allowed single-base substitution of each beam member is a candidate (ISM:
  position-major, A,C,G,T). With ``candidates = k`` and an objective that has a cheap ``proxy``
  (an estimated (4, L) ISM map), only the k edits the proxy ranks highest are evaluated exactly;
  otherwise every allowed edit is (``candidates`` then has no effect). The children are scored
  exactly with the objective and the best ``beam_width`` become the next beam (greedy = a beam of
  width 1). Identical children from different parents are scored once.
* **Stopping.** After ``rounds`` rounds, or when the best child does not beat the best sequence
  so far by more than ``min_gain`` (objective units), or when no edit is allowed. The trajectory
  (one row per round, round 0 = the start) therefore never decreases.
* **Constraints.** ``fixed`` 0-based positions never change; the edit budget counts positions
  that differ from the start (Hamming distance), so re-editing a position costs nothing more and
  editing it back frees it; every sequence kept has its GC fraction in ``gc_range`` (inclusive).
* **Ties** (equal exact values, or equal proxy estimates) are broken by a generator seeded with
  ``seed``, drawn afresh each round; the same seed gives the same design.

Objectives (higher = better; each states its units): :class:`LikelihoodObjective`,
:class:`RegionClassObjective`, :class:`MotifObjective`, or any object with ``name``, ``units`` and
``__call__(seqs) -> (N,)``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .errors import (
    DesignError,
    GlmExploreError,
    InputTooLargeError,
    InvalidSequenceError,
)
from .io.genome import MAX_REGION_BP
from .models.base import GenomicLM, Progress
from .results.design import DesignResult, Edit
from .sequence import clean_sequence, encode

OBJECTIVES = ("likelihood", "class", "motif")
DESIGN_METHODS = ("greedy", "beam")
MAX_DESIGN_BP = MAX_REGION_BP
MLM_CANDIDATES = 16  # default cap on exact pseudo-likelihood evaluations per beam member and round
FIMO_EPS = 1e-4  # memelite's FIMO pseudocount: log-odds = log2(pwm + eps) − log2(1/4)
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
_GC = np.array([False, True, True, False])


@runtime_checkable
class Objective(Protocol):
    """What design maximises: ``__call__(seqs)`` → (N,) float, higher = better, in ``units``.

    Optional: ``proxy(seq) -> (4, L)`` a cheap estimate of each substitution's change (its sign and
    order matter, not its scale), and ``default_candidates`` (the cap used when design's
    ``candidates`` is None).
    """

    name: str
    units: str

    def __call__(self, seqs: list[str]) -> np.ndarray: ...


def _ref_rows(lp: np.ndarray, seq: str) -> np.ndarray:
    return lp[encode(seq), np.arange(len(seq))]  # (L,) entries of a (4, L) array at the bases of seq


class LikelihoodObjective:
    """The model's mean log-likelihood per base, nats (natural log) per base.

    CLM: mean over i of log P(x_i | x_<i), column 0 from the BOS context, one forward pass per
    sequence. MLM: the **pseudo**-log-likelihood, mean over i of log P(x_i | x_-i) with position i
    masked: exact masked marginals (:func:`~glm_explore.logits.masked_marginals`, copies packed by
    the receptive field), R+1 forward passes per sequence (L for an unbounded model), so an MLM's
    proxy-ranked cap defaults to :data:`MLM_CANDIDATES`. ``proxy``: the LLR of each substitution at
    its own position (masked marginal or next-token column) / L, which ignores its effect on the
    other positions' predictions.
    """

    units = "nats per base"

    def __init__(self, model: GenomicLM, *, batch_size: int = 128) -> None:
        self.model, self.batch_size = model, batch_size
        self.mlm = model.info.is_mlm
        self.name = "pseudo-log-likelihood" if self.mlm else "log-likelihood"
        self.default_candidates = MLM_CANDIDATES if self.mlm else None

    def _log_probs(self, seq: str) -> np.ndarray:
        from .logits import masked_marginals, next_token_log_probs

        return masked_marginals(self.model, seq, batch_size=self.batch_size) if self.mlm else \
            next_token_log_probs(self.model, seq)

    def __call__(self, seqs: list[str]) -> np.ndarray:
        if self.mlm:
            return np.array([_ref_rows(self._log_probs(s), s).astype(np.float64).mean() for s in seqs])
        out = np.empty(len(seqs))
        for i in range(0, len(seqs), self.batch_size):
            chunk = seqs[i:i + self.batch_size]
            lp = self.model.log_probs(chunk, batch_size=self.batch_size)  # (n, 4, L)
            codes = encode("".join(chunk)).reshape(len(chunk), -1)
            out[i:i + len(chunk)] = np.take_along_axis(lp, codes[:, None, :], axis=1)[:, 0].mean(axis=1)
        return out

    def proxy(self, seq: str) -> np.ndarray:
        lp = self._log_probs(seq).astype(np.float64)
        return (lp - _ref_rows(lp, seq)) / len(seq)


class RegionClassObjective:
    """log P(``cls`` | pooled embedding) under a fitted region-class probe, nats (natural log).

    The embedding is the probe's own recipe (:func:`~glm_explore.embed.embed_windows` with its
    layers, pooling, centre and reverse-complement averaging), so a designed sequence is scored as
    the probe's windows were. No proxy: every allowed edit is scored exactly.
    """

    units = "nats (log P(class))"

    def __init__(self, model: GenomicLM, probe, cls: str, *, batch_size: int = 128) -> None:
        from .embed import normalize_layers

        if probe.model != model.info.name:
            raise DesignError(f"The probe was fit on embeddings of {probe.model}, not {model.info.name}: fit a probe "
                              "with this model (fit_region_probe, or `embed --probe-out`).")
        if cls not in probe.classes:
            raise DesignError(f"The probe has no class {cls!r}; choose one of {', '.join(probe.classes)}.")
        normalize_layers(model, list(probe.layers))  # a LayerError names the model's layers
        self.model, self.probe, self.cls, self.batch_size = model, probe, cls, batch_size
        self.k = probe.classes.index(cls)
        self.name = f"log P({cls})"

    def __call__(self, seqs: list[str]) -> np.ndarray:
        from .embed import embed_windows

        p = self.probe
        if p.pooling == "center-mean" and len(seqs[0]) < p.center:
            raise DesignError(f"The probe pools the centre {p.center} bp; the sequence is only {len(seqs[0])} bp. "
                              f"Design a sequence of at least {p.center} bp.")
        emb = embed_windows(self.model, seqs, layers=list(p.layers), pooling=p.pooling, center=p.center, rc=p.rc,
                            batch_size=self.batch_size)
        return p.log_proba(emb.features(p.layers))[:, self.k]


class MotifObjective:
    """The best FIMO score of one motif over every position and both strands, bits (log2 odds).

    The score of a site is Σ_j log2(pwm[b_j, j] + 1e-4) − log2(1/4): memelite's FIMO score (what
    :func:`~glm_explore.motifs.scan_motif` reports), computed here for all windows at once. The
    optimum is the consensus (most likely base per column) on either strand.
    """

    units = "bits (FIMO log2 odds)"

    def __init__(self, motif) -> None:
        self.motif = motif
        self.name = f"motif {motif.label}"
        w = np.log2(np.asarray(motif.pwm, dtype=np.float64) + FIMO_EPS) - np.log2(0.25)
        self.strands = (w, w[::-1, ::-1].copy())
        self.optimum = float(w.max(axis=0).sum())

    def __call__(self, seqs: list[str]) -> np.ndarray:
        w = self.motif.length
        if len(seqs[0]) < w:
            raise DesignError(f"The motif {self.motif.label} is {w} bp; the sequence is only {len(seqs[0])} bp.")
        codes = encode("".join(seqs)).reshape(len(seqs), -1)
        win = np.lib.stride_tricks.sliding_window_view(codes, w, axis=1)  # (N, L-w+1, w)
        cols = np.arange(w)
        return np.max([m[win, cols].sum(axis=2).max(axis=1) for m in self.strands], axis=0)


def make_objective(kind: str, model: GenomicLM | None = None, *, probe=None, cls: str | None = None,
                   motif=None, motifs: tuple | None = None, batch_size: int = 128) -> Objective:
    """The objective named ``kind`` (:data:`OBJECTIVES`): 'likelihood' (needs ``model``), 'class' (``model``,
    a fitted ``probe`` and ``cls``), 'motif' (``motif``: a JasparMotif, or an id / name looked up in
    ``motifs``, default JASPAR CORE fungi)."""
    if kind not in OBJECTIVES:
        raise DesignError(f"Unknown objective {kind!r}: choose one of {', '.join(OBJECTIVES)}.")
    if kind in ("likelihood", "class") and model is None:
        raise DesignError(f"The {kind} objective scores sequences with a model; pass one (e.g. load_model('default-mlm')).")
    if kind == "likelihood":
        return LikelihoodObjective(model, batch_size=batch_size)
    if kind == "class":
        if probe is None:
            raise DesignError("The class objective needs a fitted region-class probe: fit one with "
                              "fit_region_probe(model, data) or load one with LinearProbe.load('probe.json').")
        if cls is None:
            raise DesignError(f"Name the class to aim for; the probe knows {', '.join(probe.classes)}.")
        return RegionClassObjective(model, probe, cls, batch_size=batch_size)
    if motif is None:
        raise DesignError("The motif objective needs a JASPAR motif: give its id (e.g. MA0265.3) or TF name.")
    if isinstance(motif, str):
        from .motifs import find_motif

        try:
            motif = find_motif(motif, motifs)
        except GlmExploreError as exc:
            raise DesignError(str(exc)) from None
    return MotifObjective(motif)


@dataclass(frozen=True)
class DesignSettings:
    """Everything :func:`design` depends on besides the model, the start and the objective's data (a probe, motifs).

    ``objective``: a name in :data:`OBJECTIVES`, built by :func:`make_objective` with ``cls`` (the class
    objective's class) or ``motif`` (a JASPAR id, TF name or motif), or an :class:`Objective`. ``rounds``:
    at most this many edits along any path; ``edit_budget``: at most this many positions differ from the
    start; ``method``: 'greedy' (a beam of 1) or 'beam' (``beam_width`` sequences kept per round);
    ``candidates``: cap on exact evaluations per beam member and round, ranked by the objective's proxy
    (None: the objective's ``default_candidates``, else every edit); ``fixed``: 0-based positions never
    edited; ``gc_range``: (lo, hi) GC fractions every kept sequence must stay in; ``seed``: tie-breaking;
    ``min_gain``: the smallest improvement that counts (objective units); ``batch_size``: sequences per
    forward pass of a named objective.
    """

    objective: str | Objective = "likelihood"
    cls: str | None = None
    motif: object = None
    rounds: int = 10
    edit_budget: int = 10
    method: str = "greedy"
    beam_width: int = 4
    candidates: int | None = None
    fixed: tuple[int, ...] = ()
    gc_range: tuple[float, float] | None = None
    seed: int = 0
    min_gain: float = 1e-6
    batch_size: int = 128

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed", tuple(int(p) for p in self.fixed))
        if self.gc_range is not None:
            object.__setattr__(self, "gc_range", tuple(float(v) for v in self.gc_range))
        _check(self)


def _check(s: DesignSettings) -> None:
    if isinstance(s.objective, str) and s.objective not in OBJECTIVES:
        raise DesignError(f"Unknown objective {s.objective!r}: choose one of {', '.join(OBJECTIVES)}.")
    if s.rounds < 1:
        raise DesignError(f"rounds must be at least 1, got {s.rounds}.")
    if s.edit_budget < 0:
        raise DesignError(f"The edit budget must be 0 or more (positions that may differ from the start), got {s.edit_budget}.")
    if s.method not in DESIGN_METHODS:
        raise DesignError(f"Unknown method {s.method!r}: choose one of {', '.join(DESIGN_METHODS)}.")
    if s.beam_width < 1:
        raise DesignError(f"The beam width must be at least 1, got {s.beam_width}.")
    if s.candidates is not None and s.candidates < 1:
        raise DesignError(f"candidates (exact evaluations per round) must be at least 1, got {s.candidates}.")
    if s.batch_size < 1:
        raise DesignError(f"The batch size must be at least 1, got {s.batch_size}.")
    if s.gc_range is not None:
        lo, hi = s.gc_range
        if not (0 <= lo <= 1 and 0 <= hi <= 1):
            raise DesignError(f"The GC range must lie within 0..1 (fractions), got {lo:g}-{hi:g}.")
        if lo > hi:
            raise DesignError(f"The GC range {lo:g}-{hi:g} has its lower bound above its upper bound; swap them.")


def _fixed_mask(fixed: Iterable[int], length: int) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for p in fixed:
        p = int(p)
        if not 0 <= p < length:
            raise DesignError(f"Fixed position {p} (0-based; {p + 1} counted from 1) is outside the {length} bp "
                              f"sequence (1-{length}).")
        mask[p] = True
    return mask


def _edits(codes: np.ndarray, start: np.ndarray, free: np.ndarray, budget: int, gc: tuple[int, int]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Allowed single substitutions (positions, new base codes) of ``codes``, position-major, A,C,G,T."""
    pos = np.repeat(np.flatnonzero(free), 4)
    alt = np.tile(np.arange(4), len(pos) // 4)
    ok = alt != codes[pos]
    used = int((codes != start).sum())
    ok &= used - (codes[pos] != start[pos]) + (alt != start[pos]) <= budget
    n_gc = int(_GC[codes].sum()) - _GC[codes[pos]] + _GC[alt]
    ok &= (n_gc >= gc[0]) & (n_gc <= gc[1])
    return pos[ok], alt[ok]


def _text(codes: np.ndarray) -> str:
    return _LETTERS[codes].tobytes().decode("ascii")


def design(model: GenomicLM | None, seq: str, settings: DesignSettings, *, probe=None, motifs: tuple | None = None,
           progress: Progress | None = None) -> DesignResult:
    """Evolve ``seq`` by single-base edits to maximise ``settings.objective`` (see the module docstring and
    :class:`DesignSettings`).

    A named objective is built by :func:`make_objective` from ``model``, ``probe`` (a fitted region-class
    probe) and ``settings.cls``, or ``settings.motif`` looked up in ``motifs`` (default JASPAR CORE fungi).
    """
    rounds, edit_budget, gc_range = settings.rounds, settings.edit_budget, settings.gc_range
    objective, method, min_gain = settings.objective, settings.method, settings.min_gain
    try:
        start = clean_sequence(seq, allow_n=False, name="the start sequence")
    except InvalidSequenceError as exc:
        raise DesignError(str(exc)) from None
    L = len(start)
    if L > MAX_DESIGN_BP:
        raise InputTooLargeError(f"The start sequence is {L:,} bp; design works on at most {MAX_DESIGN_BP:,} bp.")
    free, codes0 = ~_fixed_mask(settings.fixed, L), encode(start)
    gc, have = (0, L), int(_GC[codes0].sum())
    if gc_range is not None:
        gc = (int(np.ceil(gc_range[0] * L - 1e-9)), int(np.floor(gc_range[1] * L + 1e-9)))
        if not gc[0] <= have <= gc[1]:
            raise DesignError(f"The start sequence has GC {have / L:.3f}, outside the GC range "
                              f"{gc_range[0]:g}-{gc_range[1]:g}; widen the range or start from another sequence.")
    obj = make_objective(objective, model, probe=probe, cls=settings.cls, motif=settings.motif, motifs=motifs,
                         batch_size=settings.batch_size) if isinstance(objective, str) else objective
    cap = settings.candidates if settings.candidates is not None else getattr(obj, "default_candidates", None)
    proxy = getattr(obj, "proxy", None)
    width = 1 if method == "greedy" else settings.beam_width
    rng = np.random.default_rng(settings.seed)
    value0 = float(obj([start])[0])
    beam = [(codes0, value0, ())]  # (codes, value, path of Edits)
    rows = [dict(round=0, objective=value0, gain=0.0, edits=0, gc=_GC[codes0].mean(), position=pd.NA, ref="",
                 alt="", edit="", evaluated=1)]
    stopped = f"ran all {rounds} rounds"
    for r in range(1, rounds + 1):
        children, seen = [], set()
        for codes, _, path in beam:
            pos, alt = _edits(codes, codes0, free, edit_budget, gc)
            if proxy is not None and cap is not None and len(pos) > cap:
                est = np.asarray(proxy(_text(codes)))[alt, pos]
                keep = np.lexsort((rng.random(len(pos)), -est))[:cap]
                pos, alt = pos[keep], alt[keep]
            for p, b in zip(pos.tolist(), alt.tolist()):
                child = codes.copy()
                child[p] = b
                key = child.tobytes()
                if key not in seen:
                    seen.add(key)
                    children.append((child, path, p, "ACGT"[codes[p]], "ACGT"[b]))
        if not children:
            stopped = "no edit is allowed (fixed positions, edit budget or GC range)"
            break
        values = np.asarray(obj([_text(c[0]) for c in children]), dtype=np.float64)
        order = np.lexsort((rng.random(len(values)), -values))[:width]
        if values[order[0]] <= beam[0][1] + min_gain:
            stopped = f"no edit improves the objective by more than {min_gain:g}"
            break
        beam = []
        for i in order:
            child, path, p, ref, alt = children[i]
            beam.append((child, float(values[i]), (*path, Edit(r, p, ref, alt, float(values[i])))))
        best, last = beam[0], beam[0][2][-1]
        rows.append(dict(round=r, objective=best[1], gain=best[1] - rows[-1]["objective"],
                         edits=int((best[0] != codes0).sum()), gc=_GC[best[0]].mean(), position=last.position + 1,
                         ref=last.ref, alt=last.alt, edit=last.label, evaluated=len(children)))
        if progress:
            progress(r / rounds, f"round {r}/{rounds}: {obj.name} {best[1]:.4g}")
    traj = pd.DataFrame(rows).astype({"position": "Int64"})
    return DesignResult(start=start, sequence=_text(beam[0][0]), objective=obj.name, units=obj.units,
                        start_value=value0, value=beam[0][1], trajectory=traj, edits=beam[0][2],
                        beam=tuple(_text(c) for c, _, _ in beam), beam_values=tuple(v for _, v, _ in beam),
                        method=method, beam_width=width, rounds=rounds, edit_budget=edit_budget, candidates=cap,
                        fixed=tuple(int(p) for p in np.flatnonzero(~free)),
                        gc_range=None if gc_range is None else (float(gc_range[0]), float(gc_range[1])),
                        seed=settings.seed, stopped=stopped, model="" if model is None else model.info.name)


def design_fasta(result: DesignResult, name: str = "design") -> str:
    """FASTA text of the last beam, best first: records ``{name}_{i}`` whose description holds the
    objective value (its units), the start's value, the edits from the start (Hamming distance) and,
    for the best, the 1-based edit path."""
    from Bio import SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    records = []  # one per beam member
    for i, (s, v) in enumerate(zip(result.beam, result.beam_values), 1):
        desc = (f"objective={result.objective!r} value={v:.6g} start_value={result.start_value:.6g} "
                f"units={result.units!r} edits={sum(a != b for a, b in zip(result.start, s))} "
                f"method={result.method} seed={result.seed}")
        if i == 1 and result.edits:
            desc += " path=" + ",".join(e.label for e in result.edits)
        records.append(SeqRecord(Seq(s), id=f"{name}_{i}", description=desc))
    out = io.StringIO()
    SeqIO.write(records, out, "fasta")
    return out.getvalue()


__all__ = ["DESIGN_METHODS", "DesignError", "DesignResult", "DesignSettings", "Edit", "LikelihoodObjective",
           "MAX_DESIGN_BP", "MLM_CANDIDATES", "MotifObjective", "OBJECTIVES", "Objective", "RegionClassObjective",
           "design", "design_fasta", "make_objective"]
