"""The feature-dictionary driver: windows → activations → features described → controls → one result.

:func:`build_dictionary` runs :func:`describe_run` three times — the model, the same architecture with
random weights (built-in CNNs; other models get a note instead), and the model on dinucleotide-shuffled
copies of the same windows — and compares them (:mod:`.controls`). Features are either the convolution
channels of one block (``source="channels"``, built-in CNNs, no training) or the latents of a TopK SAE
fit to one layer's hidden states (``source="sae"``, any model; the shuffled control reuses the trained
model's SAE, the random-weights control fits its own).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import GlmExploreError, UnsupportedByModelError
from ..io.annotation import CLASSES
from ..models.base import Progress
from ..models.fingerprint import tensors_fingerprint
from ..motifs import jaspar_motifs
from ..results.features import FeatureDictionary, FeatureRun
from . import controls, describe
from .activations import channel_width, check_block, conv_channels, layer_activations, sample_windows, site_span
from .baseline import kmer_class_auroc, score_auroc
from .landmarks import LANDMARKS, best_landmark, landmark_table, landmark_windows, z_profiles
from .sae import SAEFit, SAESettings, encoder_arrays, fit_sae

SOURCES = ("channels", "sae")


@dataclass(frozen=True)
class FeatureSettings:
    """Everything a dictionary depends on (shared by the page, the CLI and the precompute script).

    ``layer``: the block (1-based) for ``channels``, the layer (0 = embedding, -1 = last) for ``sae``.
    Windows: ``length`` bp, class of the centre ``center`` bp, ``per_class`` per class and split.
    Sites: at most ``n_sites`` per feature; features with fewer than ``min_sites`` are not described.
    SAE: ``n_features`` latents, ``k`` active, ``steps``; SAE PFMs span ``sae_width`` bp.
    """

    source: str = "channels"
    layer: int = 1
    length: int = 300
    center: int = 100
    per_class: int = 60
    n_sites: int = 200
    min_sites: int = 20
    n_top_sites: int = 10
    sae_width: int = 15
    n_features: int = 256
    k: int = 8
    steps: int = 1500
    q: float = 0.05
    tax: str = "fungi"
    seed: int = 0
    landmarks: bool = True
    n_landmarks: int = 150
    landmark_span: int = 30

    def check(self) -> None:
        if self.source not in SOURCES:
            raise GlmExploreError(f"Feature source must be one of {', '.join(SOURCES)}; got {self.source!r}.")
        if not 1 <= self.center <= self.length:
            raise GlmExploreError(f"Need 1 ≤ centre ≤ window length; got centre {self.center}, length {self.length}.")
        if self.per_class < 1 or self.n_sites < 1 or self.min_sites < 1:
            raise GlmExploreError("Windows per class, sites and minimum sites must be at least 1.")
        if self.source == "sae":
            self.sae_settings().check()

    def sae_settings(self) -> SAESettings:
        return SAESettings(n_features=self.n_features, k=self.k, steps=self.steps, seed=self.seed)

    def describe_source(self) -> str:
        return (f"block {self.layer} convolution channels" if self.source == "channels"
                else f"TopK SAE ({self.n_features} latents, k={self.k}) on layer {self.layer}")


def shipped_path(model_key: str, genome: str, settings: FeatureSettings) -> Path:
    """Where the shipped dictionary of a built-in model, bundled genome and feature source lives."""
    from ..io.datasets import DATA_DIR

    what = f"block{settings.layer}" if settings.source == "channels" else f"sae-layer{settings.layer}"
    return DATA_DIR / "features" / f"{model_key}--{genome}--{what}.json"


def shipped_dictionary(model_key: str, genome: str, settings: FeatureSettings, fingerprint: str
                       ) -> FeatureDictionary | None:
    """The shipped dictionary when it exists and was computed for exactly these weights (any window sample)."""
    path = shipped_path(model_key, genome, settings)
    if not path.exists():
        return None
    fd = FeatureDictionary.load(path)
    return fd if fd.fingerprint == fingerprint else None


def describe_run(label: str, acts_train: np.ndarray, seqs_train: list[str], acts_test: np.ndarray,
                 labels_test: np.ndarray, *, before: int, after: int, settings: FeatureSettings, motifs,
                 classes: list[str]) -> tuple[FeatureRun, pd.DataFrame, pd.DataFrame]:
    """One pass: (run, sites on the training windows, enrichment on the held-out windows)."""
    L = acts_train.shape[1]
    off = (settings.length - settings.center) // 2
    lo, hi = max(off, before), min(off + settings.center, L - after)
    if hi <= lo:
        raise GlmExploreError(f"Windows of {settings.length} bp are too short for features {before + after + 1} bp "
                              "wide; use longer windows.")
    peaks, _ = describe.peak_positions(acts_train, lo, hi)
    thr = describe.thresholds(peaks)
    sites = describe.top_sites(acts_train, lo=lo, hi=hi, threshold=thr, n_sites=settings.n_sites)
    F = acts_train.shape[2]
    n_sites = np.bincount(sites["feature"].to_numpy(int), minlength=F)
    pfms = describe.site_pfms(sites, seqs_train, F, before, after)
    names = describe.name_pfms(pfms, motifs)
    cut = describe.active_cut(describe.window_means(acts_train, lo, hi))
    means_test = describe.window_means(acts_test, lo, hi)
    active = means_test > cut
    enrichment = describe.class_enrichment(active, labels_test, classes)
    best = describe.best_class(enrichment, F)
    table = pd.concat([pd.DataFrame({"feature": np.arange(F), "n_sites": n_sites,
                                     "described": n_sites >= settings.min_sites}), names, best], axis=1)
    table["auroc"] = [score_auroc(means_test[:, f], labels_test == c) if isinstance(c, str) else np.nan
                      for f, c in enumerate(table["best_class"])]
    table["fimo_fraction"] = describe.fimo_fraction(sites, describe.fimo_mask(seqs_train, motifs), F)
    run = FeatureRun(label=label, table=table, pfms=pfms)
    m, c = controls.scores(table, settings.q)
    run.table["motif_score"], run.table["class_score"] = m, c
    return run, sites, enrichment


def _sae_rows(acts: np.ndarray, settings: FeatureSettings, max_rows: int = 60_000) -> np.ndarray:
    off = (settings.length - settings.center) // 2
    rows = acts[:, off:off + settings.center].reshape(-1, acts.shape[2])
    rng = np.random.default_rng(settings.seed)
    return rows[np.sort(rng.choice(len(rows), max_rows, replace=False))] if len(rows) > max_rows else rows


def build_dictionary(model, data, settings: FeatureSettings = FeatureSettings(), *, model_key: str | None = None,
                     genome_key: str | None = None, cache: str | Path | None = None,
                     progress: Progress | None = None) -> FeatureDictionary:
    """The dictionary of ``model``'s features on ``data`` (a GenomeData) with both controls (module docstring)."""
    settings.check()
    t0 = time.perf_counter()
    say = progress or (lambda _f, _m: None)
    motifs = jaspar_motifs(settings.tax)
    ws = sample_windows(data, length=settings.length, center=settings.center, per_class=settings.per_class,
                        seed=settings.seed)
    train = ws.table[ws.table["split"] == "train"].reset_index(drop=True)
    test = ws.table[ws.table["split"] == "test"].reset_index(drop=True)
    if len(train) < 10 or len(test) < 10:
        raise GlmExploreError(f"Only {len(train)} training and {len(test)} held-out windows of {settings.length} bp; "
                              "this genome is too small for a feature dictionary — use shorter windows.")
    classes = [c for c in CLASSES if (test["label"] == c).any()]
    seq_tr, seq_te = train["sequence"].tolist(), test["sequence"].tolist()
    labels_te = test["label"].to_numpy()
    objective = model.info.objective
    notes = [ws.split_note]
    if settings.source == "channels":
        block = check_block(model, settings.layer)
        before, after = site_span(objective, channel_width(model, block))
    else:
        model.layer_index(settings.layer)
        before, after = site_span(objective, settings.sae_width)
    sae_info: dict | None = None

    def acts_of(m, seqs: list[str], fit: SAEFit | None) -> np.ndarray:
        if settings.source == "channels":
            return conv_channels(m, seqs, settings.layer)
        h = layer_activations(m, seqs, settings.layer)
        return h if fit is None else fit.encode(h)

    def one(m, label: str, lo: float, tr: list[str], te: list[str], fit: SAEFit | None, fit_cache):
        say(lo, f"{label}: activations of {len(tr) + len(te)} windows")
        a_tr, a_te = acts_of(m, tr, None), acts_of(m, te, None)
        if settings.source == "sae":
            if fit is None:
                say(lo + 0.05, f"{label}: fitting the SAE")
                fit = fit_sae(_sae_rows(a_tr, settings), settings.sae_settings(), eval_x=_sae_rows(a_te, settings),
                              cache=fit_cache)
            a_tr, a_te = fit.encode(a_tr), fit.encode(a_te)
        say(lo + 0.15, f"{label}: sites, PFMs, TOMTOM, class enrichment")
        run, sites, enr = describe_run(label, a_tr, tr, a_te, labels_te, before=before, after=after,
                                       settings=settings, motifs=motifs, classes=classes)
        moments.append((a_tr.reshape(-1, a_tr.shape[2]).mean(0), a_tr.reshape(-1, a_tr.shape[2]).std(0)))
        return run, sites, enr, fit

    moments: list[tuple[np.ndarray, np.ndarray]] = []

    cache = Path(cache) if cache is not None else None
    trained, sites, enrichment, fit = one(model, "trained", 0.0, seq_tr, seq_te, None,
                                          None if cache is None else cache / "sae-trained")
    encoder = None
    if fit is not None:
        sae_info = {"fve": fit.fve, "l0": fit.l0, "dead": fit.dead, "n_features": fit.n_features, "k": fit.settings.k,
                    "steps": fit.steps_done}
        encoder = encoder_arrays(fit)
    profiles: dict = {}
    if settings.landmarks and getattr(data, "annotation", None) is not None:
        say(0.3, "landmark profiles (start, stop, 5′ splice site, promoter)")
        lm = landmark_table(data.annotation)
        heldout, cut = ws.params["heldout"], int(ws.params.get("heldout_start") or 0)
        lm = lm[(lm["chrom"] != heldout) | (lm["pos"] < cut - settings.length // 2)]  # one chromosome: its first part
        lm = lm.groupby("landmark", sort=False).sample(frac=1.0, random_state=settings.seed)
        lm = lm.groupby("landmark", sort=False).head(settings.n_landmarks).reset_index(drop=True)
        lm, lseqs = landmark_windows(data.genome, lm, settings.length)
        if len(lseqs):
            la = acts_of(model, lseqs, fit)
            z = z_profiles(la, lm["landmark"].to_numpy(), LANDMARKS, *moments[0], span=settings.landmark_span)
            profiles = {"span": settings.landmark_span, "n": lm["landmark"].value_counts().to_dict(), "profiles": z}
            trained.table[["best_landmark", "landmark_z"]] = best_landmark(z, trained.n_features)
    try:
        rnd_model = controls.random_like(model, seed=settings.seed + 1)
    except UnsupportedByModelError:
        rnd_model = None
        notes.append("No random-weights control: only built-in CNNs and Hugging Face models can be re-initialised here.")
    random = None
    if rnd_model is not None:
        random, _, _, rfit = one(rnd_model, "random weights", 0.35, seq_tr, seq_te, None,
                                 None if cache is None else cache / "sae-random")
        if rfit is not None and sae_info is not None:
            sae_info["random_fve"] = rfit.fve
    say(0.7, "dinucleotide-shuffling the windows")
    sh_tr = controls.shuffled_sequences(seq_tr, seed=settings.seed)
    sh_te = controls.shuffled_sequences(seq_te, seed=settings.seed + len(seq_tr))
    shuffled, _, _, _ = one(model, "shuffled sequences", 0.7, sh_tr, sh_te, fit, None)
    off = (settings.length - settings.center) // 2
    kmer = kmer_class_auroc([s[off:off + settings.center] for s in seq_tr], train["label"].to_numpy(),
                            [s[off:off + settings.center] for s in seq_te], labels_te, classes, seed=settings.seed)
    trained.table["kmer_auroc"] = trained.table["best_class"].map(kmer).astype(float)
    trained.table["beats_kmer"] = trained.table["auroc"] > trained.table["kmer_auroc"]
    table, headline = controls.compare(trained, random, shuffled, settings.q)
    headline["kmer_auroc"] = {c: round(v, 4) for c, v in kmer.items()}
    lo_c, hi_c = max(off, before), min(off + settings.center, settings.length - after)
    headline["fimo_background"] = round(float(describe.fimo_mask(seq_tr, motifs)[:, lo_c:hi_c].mean()), 4)
    headline["beats_kmer"] = controls.count_ci(int((table["beats_kmer"] & table["described"]).sum()),
                                               int(table["described"].sum()))
    top = sites.groupby("feature", sort=False).head(settings.n_top_sites).copy()
    top["rank"] = top.groupby("feature").cumcount() + 1
    w = train.loc[top["window"].to_numpy()]
    top["chrom"] = w["chrom"].to_numpy()
    top["start"] = w["start"].to_numpy() + top["pos"].to_numpy() - before
    top["end"] = top["start"] + before + after + 1
    top["sequence"] = [seq_tr[i][p - before:p + after + 1] for i, p in zip(top["window"], top["pos"])]
    top = top[["feature", "rank", "chrom", "start", "end", "activation", "sequence"]].reset_index(drop=True)
    say(1.0, "done")
    return FeatureDictionary(
        model=model_key or model.info.name, genome=genome_key or data.name, source=settings.describe_source(),
        settings=asdict(settings), fingerprint=tensors_fingerprint(model), table=table, trained=trained,
        random=random, shuffled=shuffled, enrichment=enrichment, sites=top, headline=headline, sae=sae_info, landmarks=profiles,
        notes=tuple(notes), seconds=time.perf_counter() - t0, encoder=encoder)
