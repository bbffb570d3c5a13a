"""Using a feature dictionary on new sequence: activation tracks, concept-first search, allele effects.

* :func:`dictionary_activations` — ``(N, L, F)`` activations of a dictionary's features on equal-length
  sequences: block-b convolution channels of a built-in CNN, or the dictionary's SAE encoder on the layer's
  hidden states. The model must have the weights the dictionary was computed for (same fingerprint).
* :func:`activation_track` — ``(L,)`` one feature's activation at every base of a sequence;
  :func:`region_track` the same for a genome region (a :class:`~glm_explore.results.features.FeatureTrack`).
* :func:`concept_search` — pick a concept (a region class, a JASPAR motif, an annotation landmark), get the
  features that track it best, each with its held-out AUROC beside the sequence-only k-mer baseline's AUROC for
  the same concept on the same windows (:mod:`.baseline`). Positives / negatives (held-out chromosome; the
  baseline is fit on the training chromosomes' windows):

  - **region class** c: the dictionary's region-class windows (centre span's class = c vs the rest); a window's
    score is the feature's **mean** activation over the centre span (as the dictionary's class enrichment);
  - **motif** m: the same windows, positive when a FIMO hit of m (memelite, p ≤ 10⁻⁴, both strands) lies
    inside the central two thirds of the window (a hit is rarer than a class); score = the feature's **max** over
    that span;
  - **landmark** l: windows centred on l (5′→3′ on the gene's strand, :mod:`.landmarks`; as many as there are
    region-class windows in the split; held-out = on the held-out chromosome, or past the cut of a single one) vs
    the region-class windows; score = the feature's **max** over the central ±``span`` bp, the k-mer baseline reads the same span.

  AUROC = Mann–Whitney U / (n₁·n₀), ties counted half (:func:`~.baseline.score_auroc`).
* :func:`features_changed_by_allele` — ref vs alt activations on the variant's window (SNVs): per feature the
  signed alt − ref difference at the base (within ±``radius`` of the variant) where it is largest in magnitude,
  and each allele's peak there; the top ``top`` features by |Δ|.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import GlmExploreError
from ..io.annotation import CLASSES
from ..region_windows import region_string
from ..results.features import FeatureDictionary, FeatureTrack
from .activations import conv_channels, layer_activations, sample_windows
from .baseline import kmer_class_auroc, score_auroc
from .landmarks import LANDMARKS, landmark_table, landmark_windows

CONCEPT_KINDS = ("region class", "motif", "landmark")
SEARCH_COLUMNS = ["feature", "name", "q", "auroc", "kmer_auroc", "delta", "beats_kmer", "beats_both", "n_pos", "n_neg"]
ALLELE_COLUMNS = ["feature", "name", "q", "delta", "abs_delta", "offset", "ref_peak", "alt_peak", "beats_both"]


def check_weights(model, fd: FeatureDictionary) -> None:
    """A :class:`GlmExploreError` unless ``model`` has the weights ``fd`` was computed for."""
    from ..models.fingerprint import tensors_fingerprint

    if tensors_fingerprint(model) != fd.fingerprint:
        raise GlmExploreError(f"This feature dictionary was computed for other weights ({fd.model}); load that "
                              f"model, or compute a dictionary for {model.info.name}.")


def dictionary_activations(model, fd: FeatureDictionary, seqs: list[str], *, check: bool = True) -> np.ndarray:
    """(N, L, F) float32 activations of ``fd``'s features on equal-length ``seqs`` (module docstring)."""
    if check:
        check_weights(model, fd)
    layer = int(fd.settings["layer"])
    if fd.settings["source"] == "channels":
        return conv_channels(model, seqs, layer)
    if fd.encoder is None:
        raise GlmExploreError("This SAE dictionary was saved without its encoder, so its activations cannot be "
                              "recomputed; recompute the dictionary (python -m glm_explore features).")
    from .sae import fit_from_encoder

    return fit_from_encoder(fd.encoder).encode(layer_activations(model, seqs, layer))


def check_feature(fd: FeatureDictionary, feature: int) -> int:
    if not 0 <= int(feature) < fd.n_features:
        raise GlmExploreError(f"This dictionary has features 0..{fd.n_features - 1}; got {feature}.")
    return int(feature)


def activation_track(model, fd: FeatureDictionary, seq: str, feature: int) -> np.ndarray:
    """(L,) float32 activation of ``feature`` at every base of ``seq`` (its receptive field centred there for an
    MLM, ending there for a CLM)."""
    f = check_feature(fd, feature)
    if not seq:
        raise GlmExploreError("The sequence is empty.")
    return dictionary_activations(model, fd, [seq.upper()])[0, :, f]


def region_track(model, genome, fd: FeatureDictionary, region, feature: int, *, flank: int = 0) -> FeatureTrack:
    """:class:`FeatureTrack` of ``feature`` over ``region`` (a Region or 1-based ``chrom:start-end`` text, ≤ 2 kb),
    read with ``flank`` extra bases of context each side (cut at contig edges) that are then dropped."""
    from ..io.genome import fetch_window

    w = fetch_window(genome, region, flank=max(0, int(flank)))
    values = activation_track(model, fd, w.seq, feature)[w.offset:w.offset + w.region.length]
    return FeatureTrack(feature=int(feature), label=feature_label(fd, feature), chrom=w.region.chrom,
                        start=w.region.start, values=np.asarray(values, dtype=np.float32), source=fd.source)


def feature_label(fd: FeatureDictionary, feature: int) -> str:
    """``'12: REB1 (q 0.003) ★'`` — the feature, its best TOMTOM match and q, ★ when it beats both controls."""
    row = fd.table.iloc[int(feature)]
    q = row["best_q"]
    return (f"{int(feature)}: {row['best_name']} (q {q:.2g})" if np.isfinite(q) else f"{int(feature)}: —") + \
        (" ★" if bool(row.get("beats_both", False)) else "")


# ---------------------------------------------------------------------------------------------
# Concept-first search
# ---------------------------------------------------------------------------------------------

def concept_choices(fd: FeatureDictionary) -> dict[str, list[str]]:
    """What the page offers per concept kind: the region classes, the JASPAR motifs named in the dictionary
    (``'MA0363.3 REB1'``; any other JASPAR id or name is accepted too), the landmarks."""
    t = fd.table
    named = t[t["best_q"] < fd.settings.get("q", 0.05)].sort_values("best_q")
    motifs = list(dict.fromkeys(f"{i} {n}" for i, n in zip(named["best_id"], named["best_name"])))
    classes = [c for c in CLASSES if c in set(fd.enrichment["class"])] if len(fd.enrichment) else list(CLASSES)
    return {"region class": classes, "motif": motifs, "landmark": list(LANDMARKS)}


def rank_features(scores: np.ndarray, positive: np.ndarray, fd: FeatureDictionary, kmer_auroc: float, *,
                  top: int | None = 20) -> pd.DataFrame:
    """Features ranked by their AUROC for ``positive`` (N,) from window ``scores`` (N, F): columns
    :data:`SEARCH_COLUMNS` (``delta`` = AUROC − the k-mer baseline's), best first; ``top=None`` keeps all."""
    positive = np.asarray(positive, dtype=bool)
    au = np.array([score_auroc(scores[:, f], positive) for f in range(scores.shape[1])])
    t = fd.table
    df = pd.DataFrame({"feature": np.arange(scores.shape[1]), "name": t["best_name"].astype(str).to_numpy(),
                       "q": t["best_q"].to_numpy(float), "auroc": au, "kmer_auroc": float(kmer_auroc),
                       "delta": au - kmer_auroc, "beats_kmer": au > kmer_auroc,
                       "beats_both": t["beats_both"].to_numpy(bool) if "beats_both" in t else False,
                       "n_pos": int(positive.sum()), "n_neg": int((~positive).sum())})
    df = df.sort_values(["auroc", "feature"], ascending=[False, True], ignore_index=True)
    return df if top is None else df.head(top)


def _span(fd: FeatureDictionary) -> tuple[int, int]:
    length, center = int(fd.settings["length"]), int(fd.settings["center"])
    off = (length - center) // 2
    return off, off + center


def concept_windows(data, fd: FeatureDictionary, kind: str, concept: str, *, per_class: int = 60, seed: int = 0
                    ) -> dict:
    """The windows a concept is judged on (module docstring): ``{"train": (seqs, y), "test": (seqs, y),
    "reduce": "mean"|"max", "span": (lo, hi), "motif": JasparMotif|None}`` with boolean ``y``."""
    from ..motifs import find_motif, jaspar_motifs

    if kind not in CONCEPT_KINDS:
        raise GlmExploreError(f"Concept kind must be one of {', '.join(CONCEPT_KINDS)}; got {kind!r}.")
    length = int(fd.settings["length"])
    lo, hi = _span(fd)
    ws = sample_windows(data, length=length, center=int(fd.settings["center"]), per_class=per_class, seed=seed)
    splits = {s: ws.table[ws.table["split"] == s].reset_index(drop=True) for s in ("train", "test")}
    out: dict = {"reduce": "mean", "span": (lo, hi), "motif": None}
    if kind == "region class":
        if concept not in set(ws.table["label"]):
            raise GlmExploreError(f"No windows of class {concept!r} in this genome; choose one of "
                                  f"{', '.join(sorted(set(ws.table['label'])))}.")
        for s, t in splits.items():
            out[s] = (t["sequence"].tolist(), t["label"].to_numpy() == concept)
    elif kind == "motif":
        motif = find_motif(concept.split()[0], jaspar_motifs(fd.settings.get("tax", "fungi")))
        lo, hi = length // 6, length - length // 6
        out.update(reduce="max", motif=motif, span=(lo, hi))
        for s, t in splits.items():
            seqs = t["sequence"].tolist()
            out[s] = (seqs, motif_inside(seqs, motif, lo, hi))
    else:
        if concept not in LANDMARKS:
            raise GlmExploreError(f"Unknown landmark {concept!r}; choose one of {', '.join(LANDMARKS)}.")
        if getattr(data, "annotation", None) is None:
            raise GlmExploreError("This genome has no annotation, so it has no landmarks.")
        span = int(fd.settings.get("landmark_span", 30))
        c = length // 2
        out.update(reduce="max", span=(c - span, c + span + 1))
        heldout, cut = ws.params["heldout"], int(ws.params.get("heldout_start") or 0)
        every = landmark_table(data.annotation)
        every = every[every["landmark"] == concept]
        on_test = (every["chrom"] == heldout) & (every["pos"] >= cut + length // 2)  # one chromosome: its last part
        on_train = (every["chrom"] != heldout) | (every["pos"] < cut - length // 2)
        for s, t in splits.items():
            lm = every[on_test if s == "test" else on_train]
            lm = lm.sample(frac=1.0, random_state=seed).head(len(t))
            _, lseqs = landmark_windows(data.genome, lm.reset_index(drop=True), length)
            neg = t["sequence"].tolist()
            out[s] = (lseqs + neg, np.r_[np.ones(len(lseqs), bool), np.zeros(len(neg), bool)])
    for s in ("train", "test"):
        y = out[s][1]
        if y.sum() < 3 or (~y).sum() < 3:
            raise GlmExploreError(f"Only {int(y.sum())} positive and {int((~y).sum())} negative {s} windows for "
                                  f"{concept!r}; pick a more common concept or more windows per class.")
    return out


def motif_inside(seqs: list[str], motif, lo: int, hi: int) -> np.ndarray:
    """(N,) bool: a FIMO hit (p ≤ 10⁻⁴, both strands) of ``motif`` lies wholly inside columns ``lo:hi`` of each
    of the equal-length ``seqs``."""
    from .describe import fimo_hits

    h = fimo_hits(seqs, (motif,))
    inside = h[(h["start"] >= lo) & (h["end"] <= hi)]
    out = np.zeros(len(seqs), dtype=bool)
    out[inside["seq"].to_numpy(int)] = True
    return out


def window_scores(acts: np.ndarray, lo: int, hi: int, reduce: str) -> np.ndarray:
    """(N, F) mean or max of (N, L, F) activations over columns ``lo:hi``."""
    seg = acts[:, lo:hi]
    return seg.max(axis=1) if reduce == "max" else seg.mean(axis=1)


def concept_search(model, data, fd: FeatureDictionary, kind: str, concept: str, *, per_class: int = 60,
                   top: int | None = 20, seed: int = 0) -> pd.DataFrame:
    """The features that track ``concept`` best, with the k-mer baseline's AUROC beside (module docstring).

    Returns :func:`rank_features`'s frame; ``attrs``: ``kind``, ``concept``, ``kmer_auroc``, ``reduce``, ``span``.
    """
    w = concept_windows(data, fd, kind, concept, per_class=per_class, seed=seed)
    (tr_seqs, tr_y), (te_seqs, te_y) = w["train"], w["test"]
    lo, hi = w["span"]
    kmer = kmer_class_auroc([s[lo:hi] for s in tr_seqs], np.where(tr_y, "yes", "no"),
                            [s[lo:hi] for s in te_seqs], np.where(te_y, "yes", "no"), ["yes"], seed=seed)["yes"]
    scores = window_scores(dictionary_activations(model, fd, te_seqs), lo, hi, w["reduce"])
    df = rank_features(scores, te_y, fd, kmer, top=top)
    df.attrs.update(kind=kind, concept=concept if w["motif"] is None else w["motif"].label, kmer_auroc=kmer,
                    reduce=w["reduce"], span=(lo, hi))
    return df


# ---------------------------------------------------------------------------------------------
# Features most changed by an allele
# ---------------------------------------------------------------------------------------------

def allele_deltas(ref_acts: np.ndarray, alt_acts: np.ndarray, offset: int, radius: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per feature, from (L, F) ref / alt activations: (Δ, column, ref, alt) at the column within ±``radius`` of
    ``offset`` where |alt − ref| is largest (first such column on ties)."""
    a, b = max(0, offset - radius), min(len(ref_acts), offset + radius + 1)
    d = alt_acts[a:b] - ref_acts[a:b]
    j = np.abs(d).argmax(axis=0)
    cols = np.arange(d.shape[1])
    return d[j, cols], j + a, ref_acts[a:b][j, cols], alt_acts[a:b][j, cols]


def features_changed_by_allele(model, fd: FeatureDictionary, genome, variant, *, radius: int = 20,
                               top: int | None = 10) -> pd.DataFrame:
    """Features whose activation the ALT allele of ``variant`` (a :class:`~glm_explore.results.Variant`, SNV,
    1-based) changes most, within ±``radius`` bp of it on a window of the dictionary's length centred on it.

    Columns :data:`ALLELE_COLUMNS`: ``delta`` alt − ref activation where |alt − ref| is largest, ``offset`` that
    base relative to the variant (bp, + = 3′ on the forward strand), ``ref_peak`` / ``alt_peak`` the two
    activations there. Sorted by |Δ|, largest first; ``top=None`` keeps all. ``attrs["region"]``: the window (1-based text).
    """
    from ..io.datasets import as_genome
    from ..variants.windows import variant_windows

    if radius < 0:
        raise GlmExploreError(f"The radius must be ≥ 0 bp; got {radius}.")
    ref_seq, alt_seq, region, off = variant_windows(as_genome(genome), variant, int(fd.settings["length"]))
    acts = dictionary_activations(model, fd, [ref_seq, alt_seq])
    d, col, r, a = allele_deltas(acts[0], acts[1], off, radius)
    t = fd.table
    df = pd.DataFrame({"feature": np.arange(len(d)), "name": t["best_name"].astype(str).to_numpy(),
                       "q": t["best_q"].to_numpy(float), "delta": d, "abs_delta": np.abs(d), "offset": col - off,
                       "ref_peak": r, "alt_peak": a,
                       "beats_both": t["beats_both"].to_numpy(bool) if "beats_both" in t else False})
    df = df.sort_values(["abs_delta", "feature"], ascending=[False, True], ignore_index=True)
    df.attrs["region"] = region_string(region.chrom, region.start, region.end)
    df.attrs["variant"] = str(variant)
    return df if top is None else df.head(top)
