"""Fit a per-base region-class head on frozen model features and the k-mer baseline head; score both on
held-out bases (:func:`fit_annotator` → :class:`AnnotationFit`)."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ..embed import normalize_layers
from ..errors import (
    AnnotateError,
    )
from ..io.annotation import CLASS_CODE, CLASSES
from ..io.datasets import GenomeData
from ..models.base import GenomicLM, Progress
from ..results.annotate import AnnotationFit
from .features import FeatureSpec, featurizer, input_bounds, span_features
from .heads import fit_head, head_context
from .metrics import bootstrap_macro_f1, class_metrics, confusion_frame, macro_f1, percentile_ci
from .settings import AnnotateSettings
from .split import annotation_split, pick_tiles, sample_bases, tile_class_counts, tiles

HELDOUT_CHUNK = 64  # held-out tiles featurised at once (bounds memory)


def _extend(span, bounds: tuple[int, int], ctx: int) -> tuple[str, int, int, int, int]:
    chrom, s, e = span
    lo, hi = bounds
    return chrom, max(lo, s - ctx), min(hi, e + ctx), lo, hi


def fit_annotator(model: GenomicLM, data: GenomeData, settings: AnnotateSettings, *,
                  progress: Progress | None = None) -> AnnotationFit:
    """Fit ``settings.head`` on ``model``'s frozen per-base states and on k-mer window features; score both on
    held-out bases (the options: :class:`~glm_explore.annotate.settings.AnnotateSettings`).

    Training: ``window``-bp tiles of the training spans (:mod:`.split`), up to ``windows_per_class`` per
    class, rarest class first; up to ``bases_per_class`` labelled bases per class drawn from them.
    ``classes`` limits the classes (others are neither trained on nor scored; default: all present).
    Held-out: every tile of the held-out span (``heldout_windows_per_class=None``), or a class-balanced
    pick of tiles; every A/C/G/T base of the chosen classes in them is scored. ``layers``: 0 = input
    embedding, -1 = last; several are concatenated. ``prior``: "balanced" (the heads as fit: equal class
    priors, which favours rare classes' recall) or "genome" (probabilities re-weighted by the training
    chromosomes' class frequencies, which favours accuracy on the genome's class mix). ``seed`` fixes the picks, the conv head's training
    and the bootstrap.
    """
    opt = settings
    head, classes, window, kmer_k, kmer_width = opt.head, opt.classes, opt.window, opt.kmer_k, opt.kmer_width
    epochs, prior, n_boot, seed, batch_size = opt.epochs, opt.prior, opt.n_boot, opt.seed, opt.batch_size
    windows_per_class, bases_per_class = opt.windows_per_class, opt.bases_per_class
    heldout_windows_per_class = opt.heldout_windows_per_class
    t_start = time.perf_counter()
    layer_idx = tuple(normalize_layers(model, list(opt.layers)))
    longest = window + 2 * head_context(head)
    if model.info.max_len and longest > model.info.max_len:
        raise AnnotateError(f"{model.info.name} reads at most {model.info.max_len:,} bp, but a {window:,}-bp window with "
                            f"the head's context is {longest:,} bp; choose a window ≤ "
                            f"{model.info.max_len - 2 * head_context(head):,}.")
    report = progress or (lambda f, m: None)
    split = annotation_split(data)
    wanted = [CLASS_CODE[c] for c in CLASSES if classes is None or c in set(classes)]
    rng = np.random.default_rng(seed)
    genome = data.genome

    train_all = [t for span in split.train for t in tiles(span, window)]
    counts = tile_class_counts(data, train_all)
    present = [c for c in wanted if counts[:, c].sum() > 0]
    if len(present) < 2:
        raise AnnotateError(f"The training part ({len(split.train)} span(s)) holds bases of "
                            f"{len(present)} of the chosen classes; a head needs at least 2. Choose other classes.")
    chosen = [train_all[i] for i in pick_tiles(counts, present, windows_per_class, rng)]
    head_classes = tuple(CLASSES[c] for c in present)
    index_of = np.full(len(CLASSES), -1, dtype=np.int64)
    index_of[present] = np.arange(len(present))
    acgt = {c: genome.codes(c) < 4 for c in {t[0] for t in chosen}}
    masks = sample_bases([data.labels[c][s:e] for c, s, e in chosen], [acgt[c][s:e] for c, s, e in chosen],
                         present, bases_per_class, rng)
    bounds = {c: (s, e) for c, s, e in split.train}
    ctx = head_context(head)
    ext = [_extend(t, bounds[t[0]], ctx) for t in chosen]
    targets = []
    for (chrom, s, e), (_, a, b, _, _), m in zip(chosen, ext, masks):
        y = np.full(b - a, -1, dtype=np.int64)
        y[s - a:e - a] = np.where(m, index_of[data.labels[chrom][s:e]], -1)
        targets.append(y)

    model_spec = FeatureSpec("model", layers=layer_idx, model=model.info.name)
    kmer_spec = FeatureSpec("kmer", k=kmer_k, width=kmer_width)
    feats = {"model": featurizer(model_spec, model, batch_size=batch_size), "k-mer": featurizer(kmer_spec, None)}
    report(0.0, f"features of {len(chosen)} training tiles")
    X_model = span_features(feats["model"], genome, ext, batch_size=batch_size,
                            progress=lambda f, m: report(0.25 * f, f"training tiles: {m}"))
    X_kmer = span_features(feats["k-mer"], genome, ext, batch_size=batch_size)
    t_feat = time.perf_counter()
    report(0.3, f"fitting the {head} heads")
    fit_kw = dict(epochs=epochs, seed=seed)
    model_head = fit_head(head, model_spec, X_model, targets, head_classes, **fit_kw)
    kmer_head = fit_head(head, kmer_spec, X_kmer, targets, head_classes, **fit_kw)
    if prior == "genome":
        freq = counts[:, present].sum(axis=0) / counts[:, present].sum()
        model_head, kmer_head = replace(model_head, prior=freq), replace(kmer_head, prior=freq)
    del X_model, X_kmer
    t_fit = time.perf_counter()

    in_model = [input_bounds(feats["model"], sp) for sp in ext]
    in_kmer = [input_bounds(feats["k-mer"], sp) for sp in ext]
    train_tiles = pd.DataFrame({"chrom": [t[0] for t in chosen], "start": [t[1] for t in chosen],
                                "end": [t[2] for t in chosen],
                                "input_start": [min(a[0], b[0]) for a, b in zip(in_model, in_kmer)],
                                "input_end": [max(a[1], b[1]) for a, b in zip(in_model, in_kmer)]})
    pos = [np.flatnonzero(m) + s for (_, s, _), m in zip(chosen, masks)]
    train_codes = np.concatenate([data.labels[c][p] for (c, _, _), p in zip(chosen, pos)]).astype(np.int64)
    train_bases = pd.DataFrame({"chrom": np.repeat([t[0] for t in chosen], [len(p) for p in pos]),
                                "pos": np.concatenate(pos).astype(np.int64),
                                "class": pd.Categorical.from_codes(train_codes, CLASSES)})

    held_all = tiles(split.heldout, window)
    held_counts = tile_class_counts(data, held_all)
    held = [held_all[i] for i in pick_tiles(held_counts, wanted, heldout_windows_per_class, rng)]
    if not held:
        raise AnnotateError(f"The held-out span {split.heldout_region} holds no A/C/G/T base of the chosen classes.")
    hb = (split.heldout[1], split.heldout[2])
    head_codes = np.array([CLASS_CODE[c] for c in head_classes])
    keep_lab = np.isin(np.arange(len(CLASSES)), wanted)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("pos", "tile", "true", "model", "k-mer")}
    chrom_codes = genome.codes(split.heldout[0])
    chrom_labels = data.labels[split.heldout[0]]
    for c0 in range(0, len(held), HELDOUT_CHUNK):
        chunk = held[c0:c0 + HELDOUT_CHUNK]
        cext = [_extend(t, hb, ctx) for t in chunk]
        scored = [(chrom_codes[s:e] < 4) & keep_lab[chrom_labels[s:e]] for _, s, e in chunk]
        for name, hd in (("model", model_head), ("k-mer", kmer_head)):
            X = span_features(feats[name], genome, cext, batch_size=batch_size)
            for (_, s, e), (_, a, _, _, _), x, ok in zip(chunk, cext, X, scored):
                parts[name].append(head_codes[hd.predict_proba(x)[s - a:e - a].argmax(axis=1)][ok])
        for i, ((_, s, e), ok) in enumerate(zip(chunk, scored)):
            parts["pos"].append(np.arange(s, e)[ok])
            parts["tile"].append(np.full(int(ok.sum()), c0 + i))
            parts["true"].append(chrom_labels[s:e][ok].astype(np.int64))
        report(0.35 + 0.6 * min(1.0, (c0 + len(chunk)) / len(held)),
               f"held-out tiles {min(c0 + len(chunk), len(held)):,}/{len(held):,}")
    true = np.concatenate(parts["true"])
    pm, pk = np.concatenate(parts["model"]), np.concatenate(parts["k-mer"])
    tile_id = np.concatenate(parts["tile"])
    heldout = pd.DataFrame({"chrom": split.heldout[0], "pos": np.concatenate(parts["pos"]).astype(np.int64),
                            "tile": tile_id, "true": pd.Categorical.from_codes(true, CLASSES),
                            "model": pd.Categorical.from_codes(pm, CLASSES), "k-mer": pd.Categorical.from_codes(pk, CLASSES)})
    heldout_tiles = pd.DataFrame(held, columns=["chrom", "start", "end"])

    report(0.96, "scoring")
    boot = bootstrap_macro_f1(true, [pm, pk], tile_id, n_boot=n_boot, seed=seed)
    scores = pd.DataFrame([
        {"features": name, "head": hd.name, "macro_f1": macro_f1(true, pred), "ci_lo": percentile_ci(boot[:, j])[0],
         "ci_hi": percentile_ci(boot[:, j])[1], "accuracy": float((pred == true).mean()), "n_bases": len(true),
         "n_tiles": len(held)}
        for j, (name, hd, pred) in enumerate((("model", model_head, pm), ("k-mer", kmer_head, pk)))])
    metrics = pd.concat([class_metrics(true, pm, name="model"), class_metrics(true, pk, name="k-mer")],
                        ignore_index=True)
    confusion = {"model": confusion_frame(true, pm), "k-mer": confusion_frame(true, pk)}

    notes = []
    held_classes = {CLASSES[c] for c in np.unique(true)}
    unseen = sorted(held_classes - set(head_classes), key=CLASSES.index)
    if unseen:
        notes.append(f"No training bases of {', '.join(unseen)}: the heads cannot predict "
                     f"{'it' if len(unseen) == 1 else 'them'}, so recall there is 0.")
    absent = [c for c in head_classes if c not in held_classes]
    if absent:
        notes.append(f"{', '.join(absent)}: trained on but absent from the held-out bases (not scored).")
    n_per = train_bases["class"].value_counts()
    few = [c for c in head_classes if n_per.get(c, 0) < bases_per_class]
    if few:
        notes.append("Fewer training bases than asked for: " + ", ".join(f"{c} ({n_per.get(c, 0):,})" for c in few) + ".")
    params = dict(head=head, layers=list(layer_idx), classes=list(classes) if classes else None, window=window,
                  windows_per_class=windows_per_class, bases_per_class=bases_per_class,
                  heldout_windows_per_class=heldout_windows_per_class, kmer_k=kmer_k, kmer_width=kmer_width,
                  epochs=epochs if head == "conv" else None, prior=prior, n_boot=n_boot, seed=seed)
    t_end = time.perf_counter()
    seconds = {"training_features": round(t_feat - t_start, 2), "fit_heads": round(t_fit - t_feat, 2),
               "heldout": round(t_end - t_fit, 2), "total": round(t_end - t_start, 2)}
    report(1.0, "done")
    return AnnotationFit(model=model.info.name, genome=data.name, head=model_head, baseline=kmer_head, split=split,
                         scores=scores, diff_ci=percentile_ci(boot[:, 0] - boot[:, 1]), metrics=metrics,
                         confusion=confusion, train_tiles=train_tiles, train_bases=train_bases, heldout=heldout,
                         heldout_tiles=heldout_tiles, params=params, notes=tuple(notes), seconds=seconds)
