"""Defaults that finish in about a minute for the loaded model, and the costs they are chosen from.

A page's default size (windows per class, held-out positions, SNVs) is what the shipped, small default model does
in seconds; a 100M-parameter checkpoint on a 2-core laptop would take many minutes at the same size. For a model of
more than :data:`SCALE_ABOVE` parameters the job is measured on a small probe (:func:`glm_explore.cost.estimate`,
remembered per model for the process) and a default is shrunk to what fits :data:`BUDGET_SECONDS` — only when the
full default would not (a fast model keeps it). Every scaled default comes with a sentence saying so and at what
measured rate.

Typical use (pages, CLI)::

    s = context_per_class(model, data, classes=["CDS", "intergenic"])
    s.value        # windows per class to sample by default (20 unless the model is slow)
    s.note         # "" or "Windows per class chosen to finish in about 60 s for big-lm (0.8 s per position, …)"
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import cost as gc
from .io.genome import Region
from .models.base import GenomicLM

SCALE_ABOVE = 5_000_000  # parameters: bigger models get defaults measured to finish within the budget
BUDGET_SECONDS = 60.0  # what a scaled default aims to take
EMBED_CAP = 150  # the embedding page's default windows per class and split
CONTEXT_PER_CLASS = 20  # the context curve's default held-out windows per class
REPORT_LOWS = {"windows_per_class": 5, "snvs_per_class": 20, "embed_cap": 20}  # the report page's smallest sizes


@dataclass(frozen=True)
class Scaled:
    """A default ``value`` (``default`` when not scaled) and the measured :class:`~glm_explore.cost.Cost` of the
    full default it was chosen from (None: not measured, the model has at most :data:`SCALE_ABOVE` parameters)."""

    value: int
    default: int
    cost: gc.Cost | None = None
    note: str = ""

    @property
    def scaled(self) -> bool:
        return self.value != self.default


def budget_text(seconds: float = BUDGET_SECONDS) -> str:
    """``about 60 s``, ``about 2 min``."""
    return gc.duration_text(seconds).replace("≈", "about")


def big(model: GenomicLM, scale_above: int = SCALE_ABOVE) -> bool:
    """Whether ``model`` has more than ``scale_above`` parameters (unknown counts as small)."""
    return (model.info.n_parameters or 0) > scale_above


def scaled_count(cost: gc.Cost, default: int, *, lo: int = 1, budget: float = BUDGET_SECONDS) -> int:
    """The knob's value that fits ``budget`` seconds: ``cost`` is the job at the knob's ``default`` (``cost.units``
    units, i.e. ``cost.units / default`` units per step of the knob); ``default`` itself when the job fits, else
    ``⌊units_within(cost, budget) / (units per step)⌋`` clipped to ``[lo, default]``."""
    if cost.seconds <= budget or cost.units <= 0 or default <= 0:
        return int(default)
    per_step = cost.units / default
    return int(np.clip(math.floor(gc.units_within(cost, budget) / per_step), lo, default))


def embed_cap(model: GenomicLM, data, *, length: int = 512, default: int = EMBED_CAP, lo: int = 2,
              budget: float = BUDGET_SECONDS, scale_above: int = SCALE_ABOVE) -> Scaled:
    """The embedding page's default windows per class and split: ``default``, or for a model of more than
    ``scale_above`` parameters what embeds in ``budget`` seconds — measured with
    :func:`glm_explore.cost.embed_cost` on random ``length``-bp windows; two splits × the genome's classes per step
    of the cap; clipped to ``[lo, default]``."""
    from .embed import EmbedSettings

    if not big(model, scale_above):
        return Scaled(default, default)
    n_classes = max(1, int((data.class_counts() > 0).sum())) if data.labels else 1
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(2 * n_classes * default)]
    cost = gc.embed_cost(model, seqs, EmbedSettings(rc=model.info.is_mlm).resolved(model))
    cap = int(np.clip(gc.units_within(cost, budget) // (2 * n_classes), lo, default))
    if cap == default:
        return Scaled(cap, default, cost)
    n_par = model.info.n_parameters or 0
    note = (f"Default cap scaled to {model.info.name} ({n_par / 1e6:.0f} M parameters): {cap} windows per class "
            f"and split embed in {budget_text(budget)} ({cost.per_unit:.2g} s per {length}-bp window, measured). "
            "Raise it for a finer picture at the cost shown before the run.")
    return Scaled(cap, default, cost, note)


def context_per_class(model: GenomicLM, data, *, classes=None, per_window: int = 1, truncation: str = "auto",
                      seed: int = 0, default: int = CONTEXT_PER_CLASS, lo: int = 2, budget: float = BUDGET_SECONDS,
                      scale_above: int = SCALE_ABOVE) -> Scaled:
    """The context curve's default held-out windows per class: ``default``, or for a model of more than
    ``scale_above`` parameters whose full default would take longer than ``budget`` seconds, the count that fits
    (:func:`scaled_count` on :func:`glm_explore.cost.context_curve_cost`: every width of the grid per position)."""
    if not big(model, scale_above):
        return Scaled(default, default)
    cost = gc.context_curve_cost(model, data, classes=classes, per_class=default, per_window=per_window,
                                 truncation=truncation, seed=seed)
    n = scaled_count(cost, default, lo=lo, budget=budget)
    if n == default:
        return Scaled(n, default, cost)
    note = (f"Windows per class chosen to finish in {budget_text(budget)} for {model.info.name} "
            f"(≈ {cost.per_unit:.2g} s per position, every width; measured on {cost.probe} positions); "
            f"pick more in **Held-out windows per class** — the estimate is shown before a long run.")
    return Scaled(n, default, cost, note)


# ------------------------------------------------------------------------------------------- model report

_TABLES: dict[tuple, object] = {}  # (id(data), what, sizes) → the report's sampled windows / SNVs (data side only)


def _table(key: tuple, make):
    if key not in _TABLES:
        _TABLES[key] = make()
        while len(_TABLES) > 16:
            _TABLES.pop(next(iter(_TABLES)))
    return _TABLES[key]


def _stand_in_baseline(model: GenomicLM, split):
    """An order-0 count model (fit in milliseconds): the probes time the model's part, not the grid search."""
    from .count_baselines import CountModel

    return CountModel(model.info.objective, 0).fit([split.train[0][:10_000]])


def report_parts(model: GenomicLM, data, settings=None) -> dict[str, gc.Cost]:
    """The measured cost of each model-dependent part of :func:`glm_explore.report.build_report` with
    ``settings`` (a ``ReportSettings``): ``classes`` (held-out windows scored with their masked copies —
    :func:`~glm_explore.report.heldout.score_windows` on 1 / 2 windows), ``motifs`` (P(ref) around the promoter
    motif instances, on 4 / 8 instances), ``variants`` (:func:`glm_explore.cost.variants_cost` on the held-out SNVs)
    and ``embedding`` (:func:`glm_explore.cost.embed_cost` on the probe's windows). Parts not in
    ``settings.sections`` are absent. The count baseline's grid search (once per genome and process) is not in
    them."""
    from .region_windows import make_windows
    from .report import ReportSettings, heldout
    from .report import motif_profile as mp
    from .report import variant_sanity as vs

    s = settings or ReportSettings()
    want = set(s.sections)
    split = heldout.heldout_split(data)
    base = _stand_in_baseline(model, split)
    out: dict[str, gc.Cost] = {}
    if want & {"classes", "showcase", "genomes"}:
        wins = _table((id(data), "windows", s.windows_per_class, s.window, s.seed), lambda: heldout.class_windows(
            data, split, per_class=s.windows_per_class, length=s.window, seed=s.seed))
        out["classes"] = gc.estimate(
            model, ("report-classes", s.window, s.mask_passes), len(wins), "held-out windows",
            lambda k: heldout.score_windows(model, data, wins.iloc[:k], base, passes=s.mask_passes), probe=1)
    if "motifs" in want:
        hits = _table((id(data), "hits", s.motif_p, s.motifs_max_hits, s.motif_promoter_bp, s.seed),
                      lambda: mp.promoter_motif_hits(data, split.chrom, split.start, split.end, threshold=s.motif_p,
                                                     max_per_motif=s.motifs_max_hits,
                                                     promoter_bp=s.motif_promoter_bp, seed=s.seed))
        order = hits.sort_values("start").reset_index(drop=True) if len(hits) else hits
        out["motifs"] = gc.estimate(
            model, ("report-motifs", s.motif_flank), len(order), "motif instances",
            lambda k: mp.motif_profiles(model, data, order.iloc[:k], base, flank=s.motif_flank), probe=4)
    if "variants" in want:
        snvs = _table((id(data), "snvs", s.snvs_per_class, s.seed), lambda: vs.heldout_snvs(
            data, split.chrom, split.start, split.end, per_class=s.snvs_per_class, seed=s.seed))
        out["variants"] = gc.variants_cost(model, data, snvs[["chrom", "pos", "ref", "alt"]].reset_index(drop=True))
    if "embedding" in want:
        ws = _table((id(data), "embed", s.embed_cap, s.seed), lambda: make_windows(data, cap_per_class=s.embed_cap,
                                                                                 seed=s.seed))
        out["embedding"] = gc.embed_cost(model, ws.sequences)
    return out


def report_cost(model: GenomicLM, data, settings=None, *, others: int = 0) -> gc.Cost:
    """The cost of the model report with ``settings``: the sum of :func:`report_parts`, said as held-out windows
    plus the other parts' units; ``others`` more genomes add their held-out windows at this genome's rate (the
    ``genomes`` table). The count baseline's fit, once per genome and process, is not counted."""
    parts = report_parts(model, data, settings)
    head = parts.get("classes")
    names = {"variants": "SNVs", "embedding": "probe windows"}
    also = " + ".join(f"{c.units:,} {names.get(k, c.unit)}" for k, c in parts.items() if k != "classes")
    if others and head is not None:
        also += f" + the held-out windows of {others} more genome{'s' if others > 1 else ''}"
    also = (also + " + " if also else "") + "the count baseline's fit (once per genome; not counted)"
    seconds = sum(c.seconds for c in parts.values()) + (others * head.seconds if head is not None else 0.0)
    if head is None:
        return gc.Cost(seconds, 0, "held-out windows", model.info.name, 0.0, also=also)
    return dataclasses.replace(head, seconds=seconds, also=also)


def report_sizes(model: GenomicLM, data, settings=None, *, budget: float = BUDGET_SECONDS,
                 scale_above: int = SCALE_ABOVE, lows: dict[str, int] | None = None) -> tuple[dict[str, int], str]:
    """The report page's default sizes (``windows_per_class``, ``snvs_per_class``, ``embed_cap``) and a note:
    ``settings``' own, or for a model of more than ``scale_above`` parameters whose report would take longer than
    ``budget`` seconds, each shrunk by one factor ``f = (budget − fixed) / variable`` — fixed: the parts' fixed
    times and the motif profiles (their size is not a page setting); variable: per-unit time × units of the held-out
    windows, SNVs and probe windows, which scale with their knob — floored and clipped to ``[lows, default]``."""
    from .report import ReportSettings

    s = settings or ReportSettings()
    knobs = {"windows_per_class": "classes", "snvs_per_class": "variants", "embed_cap": "embedding"}
    sizes = {k: int(getattr(s, k)) for k in knobs}
    if not big(model, scale_above):
        return sizes, ""
    parts = report_parts(model, data, s)
    total = sum(c.seconds for c in parts.values())
    if total <= budget:
        return sizes, ""
    variable = sum(parts[p].per_unit * parts[p].units for p in knobs.values() if p in parts)
    fixed = total - variable
    f = min(1.0, max(0.0, (budget - fixed) / variable)) if variable > 0 else 1.0
    lows = {**REPORT_LOWS, **(lows or {})}
    out = {k: int(min(v, max(lows[k], math.floor(v * f)))) for k, v in sizes.items()}
    rate = ", ".join(f"{parts[p].per_unit:.2g} s per {parts[p].unit.rstrip('s')}" for p in knobs.values() if p in parts)
    left = fixed + sum(parts[p].per_unit * parts[p].units * out[k] / sizes[k] for k, p in knobs.items() if p in parts)
    if left <= budget * 1.05:
        head = f"Sizes chosen to finish in {budget_text(budget)} for {model.info.name}"
    else:  # the parts that are not page settings (motif profiles, fixed times) alone take longer
        head = (f"Smallest sizes chosen for {model.info.name}: the report still takes {gc.duration_text(left)}, most "
                f"of it in parts that are not settings here (motif profiles {gc.duration_text(parts['motifs'].seconds)})"
                if "motifs" in parts else f"Smallest sizes chosen for {model.info.name}: the report still takes "
                f"{gc.duration_text(left)}")
    note = (f"{head} ({rate}; measured), plus the count baseline's fit once per genome. Raise them for tighter "
            "intervals — the estimate is shown before a long run.")
    return out, note


# ------------------------------------------------------------------------------------------- genome browser

def browser_lanes_cost(models: list[GenomicLM], genome, todo: list[Region], *, rc: bool = False) -> gc.Cost:
    """The cost of the genome browser's model lanes over the blocks ``todo`` (:func:`glm_explore.browser.blocks`
    of the view's window not computed yet) for each of ``models``: one :func:`glm_explore.browser.block_log_probs`
    per block, each timed as :func:`glm_explore.cost.logits_cost` of the first block (the same context, mode and
    strands). Units: predicted positions over all models."""
    from .logits import region_window, resolve_mode

    seconds = fixed = per = 0.0
    passes = bp = 0
    n = sum(b.length for b in todo)
    for model in models:
        w = region_window(genome, todo[0], model)
        c = gc.logits_cost(model, w.seq, w.offset, todo[0].length, mode=resolve_mode(model), rc=rc)
        seconds += c.seconds * len(todo)
        per += c.seconds / max(1, todo[0].length)
        fixed += c.fixed
        passes += c.passes * len(todo)
        bp = max(bp, c.pass_bp)
    names = " and ".join(m.info.name for m in models)
    return gc.Cost(seconds, n * len(models), "positions", names, per, fixed, passes, bp, 0,
                   also=f"{len(todo)} block{'s' if len(todo) != 1 else ''} of ≤ "
                        f"{gc.length_text(max(b.length for b in todo))} per model")
