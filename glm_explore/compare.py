"""Two (or more) models on the same input: logit tracks, variant scores, embedding separation.

Each function takes ``models`` as ``{label: GenomicLM}`` and returns plain results keyed by the
same labels, so the compare page (and the CLI / notebooks) only draw them. Nothing here knows
about Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .io.datasets import as_genome
from .io.genome import Region, parse_region
from .models.base import GenomicLM, Progress
from .results import PositionLogits
from .sequence import ALPHABET

MAX_COMPARE_SNV_SITES = 200  # default cap on positions (× 3 alternatives) for region_snvs


def compare_logits(models: Mapping[str, GenomicLM], data, region: str | Region, *,
                   progress: Progress | None = None) -> dict[str, PositionLogits]:
    """``{label: PositionLogits}`` for each model on the same region (MLM: exact masked marginals,
    CLM: next-base), each computed with that model's own context flank; all share ``positions``
    (:func:`glm_explore.logits.position_table` turns each into a table)."""
    from .logits import nucleotide_logits, region_window

    out = {}
    for i, (label, model) in enumerate(models.items()):
        window = region_window(data.genome, region, model)
        sub = _sub(progress, i, len(models), label)
        res = nucleotide_logits(model, window, mode="auto", name=label, progress=sub)
        out[label] = res
    return out


def _sub(progress: Progress | None, i: int, n: int, label: str) -> Progress | None:
    """Progress of step ``i`` of ``n`` mapped onto the overall [0, 1] range."""
    if progress is None:
        return None
    return lambda f, msg: progress((i + f) / n, f"{label}: {msg}")


def agreement(tables: Mapping[str, pd.DataFrame], column: str = "log_p_ref") -> pd.DataFrame:
    """Pearson and Spearman correlation of ``column`` between every pair of tables (same positions)."""
    labels = list(tables)
    rows = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            rows.append({"a": a, "b": b, **correlation(tables[a][column], tables[b][column])})
    return pd.DataFrame(rows)


def correlation(x: Sequence[float], y: Sequence[float]) -> dict:
    """``n``, ``pearson`` and ``spearman`` over pairs where both values are finite (NaN if < 3 pairs)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return {"n": n, "pearson": float("nan"), "spearman": float("nan")}
    return {"n": n, "pearson": float(stats.pearsonr(x[ok], y[ok])[0]),
            "spearman": float(stats.spearmanr(x[ok], y[ok])[0])}


def region_snvs(genome, region: str | Region, *, max_sites: int = MAX_COMPARE_SNV_SITES) -> pd.DataFrame:
    """Every single-base substitution at the first ``max_sites`` positions of ``region``.

    ``region`` is 1-based text or a :class:`Region`; returns ``chrom, pos, ref, alt`` with ``pos``
    1-based, three rows per position; positions with a non-ACGT reference are left out.
    """
    g = as_genome(genome)
    reg = g.check_region(parse_region(region) if isinstance(region, str) else region)
    seq = g.fetch(reg.chrom, reg.start, min(reg.end, reg.start + max(0, int(max_sites)))).upper()
    rows = [(reg.chrom, reg.start + i + 1, b, alt) for i, b in enumerate(seq) if b in ALPHABET
            for alt in ALPHABET if alt != b]
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])


def compare_variant_scores(models: Mapping[str, GenomicLM], data, variants: pd.DataFrame, *,
                           progress: Progress | None = None) -> pd.DataFrame:
    """``variants`` (``chrom, pos, ref, alt``) with one ``llr <label>`` column per model.

    MLMs give the masked LLR, CLMs the Δ log-likelihood (:func:`glm_explore.variants.score_variants`);
    both are log P(alt) − log P(ref)-style, negative = alt less likely. Rows a model cannot score
    keep NaN there, with its reason in ``status <label>``.
    """
    from .variants import score_variants

    out = variants[["chrom", "pos", "ref", "alt"]].reset_index(drop=True).copy()
    for i, (label, model) in enumerate(models.items()):
        if progress:
            progress(i / len(models), f"scoring {len(out):,} variants with {label}")
        scored = score_variants(model, data, out[["chrom", "pos", "ref", "alt"]]).reset_index(drop=True)
        out[f"llr {label}"] = scored["llr"].to_numpy(dtype=float)
        if "status" in scored:
            out[f"status {label}"] = scored["status"].to_numpy()
        if "region_class" in scored and "region_class" not in out:
            out["region_class"] = scored["region_class"].to_numpy()
    if progress:
        progress(1.0, "scored")
    return out


def compare_embeddings(models: Mapping[str, GenomicLM], data, *, length: int = 256, cap_per_class: int = 40,
                       chroms: list[str] | None = None, seed: int = 0, projection: str = "umap",
                       progress: Progress | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The same labelled windows embedded by each model → ({label: frame}, separation table).

    Each frame is :func:`glm_explore.embed.window_frame` with ``umap1, umap2`` (``projection="umap"``)
    or ``pca1, pca2`` (``"pca"``).

    Windows come from :func:`glm_explore.region_windows.make_windows` (region-class labels, held-out
    split; the labelled centre is 100 bp, or half the window if shorter); each model's last-layer
    embedding mean-pooled over that centre is projected with UMAP and scored with
    :func:`glm_explore.reduce.separation` (kNN accuracy, silhouette, probe macro-F1 on held-out
    windows). One separation row per model.
    """
    from .embed import embed_windows, window_frame
    from .reduce import pca_coords, separation, separation_table, umap_coords
    from .region_windows import make_windows

    center = min(100, length // 2)  # labelled (and pooled) centre: the windows module's 100 bp, or half
    windows = make_windows(data, length=length, center=center, cap_per_class=cap_per_class, chroms=chroms, seed=seed)
    frames, seps = {}, []
    for i, (label, model) in enumerate(models.items()):
        sub = _sub(progress, i, len(models), label)
        emb = embed_windows(model, windows.sequences, layers=-1, center=center, progress=sub, name=label)
        X = emb.features()
        proj = umap_coords(X, seed=seed) if projection == "umap" else pca_coords(X, seed=seed)
        frames[label] = window_frame(windows, None, [proj])
        seps.append(separation(X, windows.labels, windows.train_mask, name=label, seed=seed))
    return frames, separation_table(seps)
