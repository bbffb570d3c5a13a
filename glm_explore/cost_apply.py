"""Cost before compute for the compare page and the Apply pages (generate, design, annotate): each job's measured
estimate, built on :mod:`glm_explore.cost` (the job itself run on a small probe of this model, the line
``fixed + per_unit × units`` remembered per model and job shape).

Units: compare in positions (+ its variants, every model summed), design in rounds, generate in bases (CLM) or
rounds (MLM), annotate in tiles; judging generated or designed DNA against real windows adds the embedding of
the judged windows (:func:`judge_cost`, joined with :func:`plus`)::

    cost = design_cost(model, seq, DesignSettings("likelihood", rounds=20))
    if cost.long:
        print(cost.text())             # "≈ 40 s: 20 rounds (2 s per round, measured on 2 rounds of default-mlm)"
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .cost import Cost, _bucket, embed_cost, estimate, logits_cost, variants_cost
from .models.base import GenomicLM


def compare_cost(models, data, region, *, sites: int) -> Cost:
    """Cost of the compare page's Run with every model of ``models`` (``{label: GenomicLM}``): each model's
    logits over ``region`` (:func:`glm_explore.compare.compare_logits`: exact masked marginals for an MLM, one
    next-base pass for a CLM; :func:`logits_cost` with the model's own context window) plus its scores of every
    substitution at the first ``sites`` positions (:func:`variants_cost` on those rows), summed over the models.
    Each part is measured on its own model; the text says the positions, the variants and how many models."""
    from .compare import region_snvs
    from .logits import region_window, resolve_mode

    snvs = region_snvs(data, region, max_sites=sites)
    total, n = 0.0, 0
    for model in models.values():
        w = region_window(data.genome, region, model)
        n = w.region.length
        total += logits_cost(model, w.seq, w.offset, n, mode=resolve_mode(model, "auto")).seconds
        if len(snvs):
            total += variants_cost(model, data, snvs).seconds
    names = " and ".join(dict.fromkeys(m.info.name for m in models.values()))
    return Cost(total, n, "positions", names, 0.0, also=f"{len(snvs):,} variants, each with all {len(models)} models")


def compare_embed_cost(models, data, *, length: int = 256, cap_per_class: int = 40, seed: int = 0) -> Cost:
    """Cost of :func:`glm_explore.compare.compare_embeddings` (its labelled windows embedded by every model of
    ``models``): :func:`embed_cost` of each model on the same windows and settings, summed. The UMAP and the
    probes after the embedding are not counted."""
    from .embed import EmbedSettings
    from .region_windows import make_windows

    center = min(100, length // 2)  # compare_embeddings' pooled centre
    seqs = list(make_windows(data, length=length, center=center, cap_per_class=cap_per_class, seed=seed).sequences)
    parts = [embed_cost(m, seqs, EmbedSettings(layers=-1, center=center)) for m in models.values()]
    names = " and ".join(dict.fromkeys(m.info.name for m in models.values()))
    return Cost(sum(c.seconds for c in parts), len(seqs), "windows", names, 0.0, passes=sum(c.passes for c in parts),
                pass_bp=length)  # the passes count every model's


def design_cost(model: GenomicLM, seq: str, settings, *, probe=None, probe_rounds: int = 1) -> Cost:
    """Cost of :func:`glm_explore.design.design` of ``seq`` with ``settings`` (a ``DesignSettings``), in rounds:
    the design itself run for ``probe_rounds`` / 2× rounds with ``min_gain = −∞`` (so a probe never stops
    early), scaled to ``settings.rounds``. A design that stops early (no edit improves it) takes less. The
    motif goal needs no model (``model`` still keys the measured line)."""
    from .design import design

    use = None if settings.objective == "motif" else model

    def run(k: int) -> None:
        design(use, seq, dataclasses.replace(settings, rounds=max(1, k), min_gain=-math.inf), probe=probe)

    key = ("design", repr(settings.objective), settings.cls, repr(settings.motif), settings.method,
           settings.beam_width, settings.candidates, settings.edit_budget, len(settings.fixed), settings.gc_range,
           settings.batch_size, _bucket(len(seq)))
    return estimate(model, key, settings.rounds, "rounds", run, probe=probe_rounds)


_COST_FREE = {"seed", "temperature", "top_k", "top_p", "progress"}  # sampling options that do not change the time


def generate_cost(model: GenomicLM, *, probe: int = 2, **kw) -> Cost:
    """Cost of :func:`glm_explore.generate.generate` with ``kw`` (its keywords, ``n`` samples stepping together):
    a CLM in generated **bases** (one forward pass of all samples per base; probed on ``probe`` / 2× bases), an
    MLM in **rounds** of mask-predict or Gibbs (probed on ``probe`` / 2× rounds). Per unit the time is the
    probe's: a CLM with unbounded context slows as the sequence grows, so its estimate is on the low side."""
    from .generate import generate
    from .io.genome import parse_region

    clm = model.info.objective == "clm"
    field = "length" if clm else "rounds"
    units = int(kw.get(field, 100 if clm else 10))
    shape = tuple(sorted((k, repr(v)) for k, v in kw.items() if k not in _COST_FREE | {field, "genome", "region",
                                                                                       "prefix"}))
    region = kw.get("region")
    region_bp = 0 if region is None else (parse_region(region) if isinstance(region, str) else region).length
    shape += (_bucket(len(kw.get("prefix") or "")), _bucket(region_bp))  # lengths, not the bases, set the time

    def run(k: int) -> None:
        generate(model, **{**kw, field: max(1, k), "progress": None})

    return estimate(model, ("generate", field, shape), units, "bases" if clm else "rounds", run, probe=probe)



def judge_cost(model: GenomicLM, *, length: int, windows: int, probe: int = 4) -> Cost:
    """Cost of ``model``'s share of :func:`glm_explore.genome_likeness.judge`: the last-layer window-mean
    embedding of ``windows`` sequences of ``length`` bp (the real reference and control windows and the judged
    set), :func:`embed_cost` on stand-in sequences of that length (the time does not depend on the bases). The
    k-mer, motif and other-model measures (the small built-in judge) are not counted."""
    from .embed import EmbedSettings

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), max(1, int(length)))) for _ in range(max(1, int(windows)))]
    return embed_cost(model, seqs, EmbedSettings(layers=-1, pooling="window-mean"), probe=probe)


def plus(cost: Cost, part: Cost, what: str) -> Cost:
    """``cost`` with a second part of the job: ``part``'s seconds added and ``what`` said after the units."""
    return dataclasses.replace(cost, seconds=cost.seconds + part.seconds,
                               also=f"{cost.also} + {what}" if cost.also else what)


def annotate_tiles(data, settings) -> tuple[list, list]:
    """The training and held-out tiles ``(chrom, start, end)`` that :func:`glm_explore.annotate.fit_annotator`
    with ``settings`` picks (the same split, picks and seeded draws, without computing features)."""
    from .annotate.split import annotation_split, pick_tiles, sample_bases, tile_class_counts, tiles
    from .io.annotation import CLASS_CODE, CLASSES

    s = settings
    split = annotation_split(data)
    wanted = [CLASS_CODE[c] for c in CLASSES if s.classes is None or c in set(s.classes)]
    rng = np.random.default_rng(s.seed)
    train_all = [t for span in split.train for t in tiles(span, s.window)]
    counts = tile_class_counts(data, train_all)
    present = [c for c in wanted if counts[:, c].sum() > 0]
    chosen = [train_all[i] for i in pick_tiles(counts, present, s.windows_per_class, rng)]
    acgt = {c: data.genome.codes(c) < 4 for c in {t[0] for t in chosen}}
    if chosen:  # the fit draws its training bases before the held-out picks: the same draws keep rng in step
        sample_bases([data.labels[c][a:b] for c, a, b in chosen], [acgt[c][a:b] for c, a, b in chosen], present,
                     s.bases_per_class, rng)
    held_all = tiles(split.heldout, s.window)
    held = [held_all[i] for i in pick_tiles(tile_class_counts(data, held_all), wanted, s.heldout_windows_per_class,
                                            rng)]
    return chosen, held


def annotate_cost(model: GenomicLM, data, settings, *, region=None, probe: int = 2) -> Cost:
    """Cost of the annotate page's Run: :func:`glm_explore.annotate.fit_annotator` with ``settings`` (an
    ``AnnotateSettings``) and then :func:`~glm_explore.annotate.annotate_region` of ``region`` (1-based text or a
    Region; None: no region), in **tiles** of ``settings.window`` bp: the training and held-out tiles the fit
    picks (:func:`annotate_tiles`) plus the region's length in tiles. Per tile: the model's hidden states and
    the k-mer window features of real training tiles with the head's context, measured on ``probe`` / 2× tiles.
    Plus both heads' fits (model features and k-mer features), each measured by fitting the head on stand-in
    features of the real shape (tiles × (window + context) × dim, the fit's share of labelled bases) on 2 / 4
    tiles and scaled to the training tiles. The bootstrap of the scores is not counted."""
    from .annotate.features import FeatureSpec, featurizer, kmer_dim, span_features
    from .annotate.heads import fit_head, head_context
    from .annotate.split import annotation_split
    from .embed import normalize_layers
    from .io.genome import parse_region

    s = settings
    chosen, held = annotate_tiles(data, s)
    ctx = head_context(s.head)
    bounds = {c: (a, b) for c, a, b in annotation_split(data).train}
    ext = [(c, max(bounds[c][0], a - ctx), min(bounds[c][1], b + ctx), *bounds[c]) for c, a, b in chosen]
    layers = tuple(normalize_layers(model, list(s.layers)))
    feats = (featurizer(FeatureSpec("model", layers=layers, model=model.info.name), model, batch_size=s.batch_size),
             featurizer(FeatureSpec("kmer", k=s.kmer_k, width=s.kmer_width), None))

    def run(k: int) -> None:
        spans = [ext[i % len(ext)] for i in range(k)] if ext else []
        for f in feats:
            span_features(f, data.genome, spans, batch_size=s.batch_size)

    region_bp = 0 if region is None else (parse_region(region) if isinstance(region, str) else region).length
    units = len(chosen) + len(held) + math.ceil(region_bp / s.window)
    c = estimate(model, ("annotate_features", layers, s.window, ctx, s.kmer_k, s.kmer_width, s.batch_size), units,
                 "tiles", run, probe=probe, passes=units, pass_bp=s.window)
    n_classes = len({int(x) for t in chosen for x in np.unique(data.labels[t[0]][t[1]:t[2]])}) or 2
    rows = min(s.bases_per_class * n_classes, sum(b - a for _, a, b in chosen))
    share = rows / max(1, sum(b - a for _, a, b in chosen))  # labelled bases per tile base in the real fit
    L = s.window + 2 * ctx
    seconds = c.seconds
    for kind, dim in (("model", int(model.info.dim) * len(layers)), ("k-mer", kmer_dim(s.kmer_k))):
        spec = FeatureSpec("kmer", k=s.kmer_k, width=s.kmer_width)

        def fit(k: int, dim=dim, spec=spec) -> None:
            rng = np.random.default_rng(0)
            X = [rng.normal(size=(L, dim)).astype(np.float32) for _ in range(k)]
            y = [np.where(rng.random(L) < share, rng.integers(0, n_classes, L), -1) for _ in range(k)]
            y[0][:n_classes] = np.arange(n_classes)  # every class has training bases, as the fit requires
            fit_head(s.head, spec, X, y, tuple(map(str, range(n_classes))), epochs=s.epochs, seed=s.seed)

        h = estimate(model, ("annotate_head", kind, s.head, s.epochs, dim, L, n_classes, round(share, 3)),
                     len(chosen), "tiles", fit, probe=2)
        seconds += h.seconds
    also = f"fitting the {s.head} head twice (model and k-mer features) on {len(chosen):,} training tiles"
    return dataclasses.replace(c, seconds=seconds, also=also)
