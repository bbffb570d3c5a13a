"""The lanes of a genome-browser view, each over the view's data window only.

* annotation: :func:`annotation_lanes` — genes (searchable by name), coding parts, other elements;
* model: :func:`model_log_probs` (exact masked marginals / next-token, per :data:`~.locus.BLOCK_BP` block,
  as the logits page and the ``track`` command compute them) → :func:`model_lanes` (P(ref), entropy,
  min LLR and the stacked four-colour logo lane);
* stored: :func:`stored_lanes` — bigWigs of a ``python -m glm_explore track`` folder, or any bigWig file;
* analysis: :func:`variant_lane`, :func:`interval_lane`, :func:`attribution_lane` — results of other pages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TrackFileError
from ..io.genome import Region
from ..logits import logo_heights, nucleotide_logits, region_window
from ..models.base import GenomicLM, Progress
from ..results.browser import FeatureTrack, SignalTrack
from ..sequence import ALPHABET
from .locus import blocks

BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}  # the logo colours of the logits page
MODEL_LANES = {"p_ref": "P(ref)", "entropy": "Entropy (bits)", "min_llr": "Min LLR", "logo": "Logo p·IC (bits)"}
STORED_LANES = {"p_ref": "P(ref)", "entropy_bits": "Entropy (bits)", "min_llr": "Min LLR"}
BIGWIG_MAGIC = (bytes.fromhex("26fc8f88"), bytes.fromhex("888ffc26"))  # 0x888FFC26, either byte order
MAX_PER_BASE_BP = 50_000  # stored bigWig values wider than this are sent as ~2,000 bin means
GENE_TYPES = {"gene", "tRNA", "rRNA", "ncRNA", "snoRNA", "snRNA", "ncRNA_gene"}
CODING_TYPES = {"CDS", "exon", "five_prime_UTR", "three_prime_UTR"}
SKIP_TYPES = {"mRNA", "transcript", "chromosome", "region", "intron"}
ANNOTATION_LANES = {"genes": "Genes", "coding": "CDS / exons / UTRs", "elements": "Other features"}


# ------------------------------------------------------------------------------------------- annotation

def _features(df: pd.DataFrame) -> tuple[dict, ...]:
    out = []
    for chrom, start, end, strand, kind, name in df[["Chromosome", "Start", "End", "Strand", "Feature",
                                                     "Name"]].itertuples(index=False):
        out.append({"chr": chrom, "start": int(start), "end": int(end), "strand": strand if strand in "+-" else ".",
                    "type": str(kind), "name": name if isinstance(name, str) and name else str(kind)})
    return tuple(out)


def annotation_lanes(features: pd.DataFrame | None, window: Region) -> dict[str, FeatureTrack]:
    """The annotation's features overlapping ``window`` as lanes by type: ``genes`` (genes and RNA genes,
    searchable by name), ``coding`` (CDS, exons, UTRs) and ``elements`` (everything else, e.g. LTRs,
    origins, centromeres). An annotation without ``Feature`` types (BED) puts everything in ``genes``."""
    if features is None or features.empty:
        empty = pd.DataFrame(columns=["Chromosome", "Start", "End", "Strand", "Feature", "Name"])
        features = empty
    f = features[(features["Chromosome"] == window.chrom) & (features["End"] > window.start)
                 & (features["Start"] < window.end)]
    kind = f["Feature"].astype(str) if "Feature" in f else pd.Series("feature", index=f.index)
    f = f.assign(Feature=kind, Name=f["Name"] if "Name" in f else "", Strand=f["Strand"] if "Strand" in f else ".")
    genes = f[kind.isin(GENE_TYPES) | (kind == "feature")]
    coding = f[kind.isin(CODING_TYPES)]
    other = f[~kind.isin(GENE_TYPES | CODING_TYPES | SKIP_TYPES) & (kind != "feature")]
    return {"genes": FeatureTrack("genes", ANNOTATION_LANES["genes"], _features(genes), "#2b5f9e", searchable=True),
            "coding": FeatureTrack("coding", ANNOTATION_LANES["coding"], _features(coding), "#7a3e9d"),
            "elements": FeatureTrack("elements", ANNOTATION_LANES["elements"], _features(other), "#6b6b6b")}


# ------------------------------------------------------------------------------------------- model

def block_log_probs(model: GenomicLM, genome, block: Region, *, rc: bool = False) -> np.ndarray:
    """(4, n) natural-log P over A,C,G,T of one block (≤ 2 kb), computed with the model's context beyond it
    (:func:`~glm_explore.logits.region_window`): exact masked marginals for an MLM, next-token for a CLM —
    the numbers of the logits page for the same region."""
    return nucleotide_logits(model, region_window(genome, block, model), mode="auto", rc=rc).log_probs


def model_log_probs(model: GenomicLM, genome, window: Region, *, rc: bool = False,
                    progress: Progress | None = None) -> np.ndarray:
    """(4, L) natural-log probabilities over ``window``, block by block (see :func:`block_log_probs`)."""
    parts = []
    todo = blocks(window)
    for i, block in enumerate(todo):
        if progress:
            progress(i / len(todo), f"{model.info.name}: {block} ({i + 1}/{len(todo)})")
        parts.append(block_log_probs(model, genome, block, rc=rc))
    if progress:
        progress(1.0, "done")
    return np.concatenate(parts, axis=1)


def model_lanes(log_probs: np.ndarray, seq: str, window: Region, model_name: str, *, suffix: str = "",
                which: tuple[str, ...] = tuple(MODEL_LANES)) -> list[SignalTrack]:
    """The on-demand lanes of (4, L) log-probabilities over ``window`` (``seq`` its reference): P(ref),
    entropy (bits), min LLR (natural log: min over the 3 alternatives of log P(alt) − log P(ref)) and the
    logo as four stacked bars (p_b · IC bits; A at the bottom, then C, G, T — igv.js draws no letters).
    ``suffix`` is appended to the lane ids (the second model of a pair)."""
    from ..track import track_values

    values = track_values(log_probs, seq)
    tag = f" · {model_name}"
    specs = {"p_ref": ("p_ref", "#1f77b4", 0.0, 1.0), "entropy": ("entropy_bits", "#ff7f0e", 0.0, 2.0),
             "min_llr": ("min_llr", "#9467bd", None, 0.0)}
    out: list[SignalTrack] = []
    for lane in which:
        if lane in specs:
            key, color, lo, hi = specs[lane]
            out.append(SignalTrack(lane + suffix, MODEL_LANES[lane] + tag, window.chrom, window.start,
                                   values[key], color, min_value=lo, max_value=hi))
        elif lane == "logo":
            heights = logo_heights(log_probs, "information")
            stacked = np.cumsum(heights, axis=0)  # row b: height of A..b
            for b in reversed(range(4)):  # the tallest (A+C+G+T, coloured T) first: the later bars overdraw it
                out.append(SignalTrack(f"logo_{ALPHABET[b]}{suffix}", f"{ALPHABET[b]}", window.chrom, window.start,
                                       stacked[b].astype(np.float32), BASE_COLORS[ALPHABET[b]],
                                       group=MODEL_LANES["logo"] + tag, min_value=0.0, max_value=2.0))
    return out


# ------------------------------------------------------------------------------------------- stored bigWigs

def open_bigwig(path: str | Path):
    """An open pyBigWig handle of ``path``; :class:`~glm_explore.errors.TrackFileError` if it is missing or
    not a bigWig."""
    import pyBigWig

    path = Path(path)
    if not path.is_file():
        raise TrackFileError(f"No track file {str(path)!r}: give a bigWig (.bw) file or a folder written by "
                             "`python -m glm_explore track`.")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    bw = None
    if magic in BIGWIG_MAGIC:  # checked first: pyBigWig prints C-level errors on other files
        try:
            bw = pyBigWig.open(str(path))
        except (RuntimeError, OSError):
            bw = None
    if bw is None or not bw.isBigWig():
        raise TrackFileError(f"{path.name} is not a bigWig: give a .bw file (e.g. one written by "
                             "`python -m glm_explore track`; bedGraph / BED / wig files must be converted first).")
    return bw


def bigwig_lane(path: str | Path, window: Region, *, lane_id: str, name: str, color: str = "#2ca02c") -> SignalTrack:
    """A bigWig's values over ``window``: per base up to :data:`MAX_PER_BASE_BP`, else bin means."""
    bw = open_bigwig(path)
    try:
        size = bw.chroms().get(window.chrom)
        if size is None:
            raise TrackFileError(f"{Path(path).name} has no contig {window.chrom!r} (it has "
                                 f"{', '.join(list(bw.chroms())[:6])}).")
        end = min(window.end, size)
        n = max(0, end - window.start)
        step = 1 if n <= MAX_PER_BASE_BP else -(-n // 2000)
        if n == 0:
            values = np.array([], dtype=np.float32)
        elif step == 1:
            values = np.asarray(bw.values(window.chrom, window.start, end, numpy=True), dtype=np.float32)
        else:
            nbins = -(-n // step)
            stats = bw.stats(window.chrom, window.start, window.start + nbins * step if window.start + nbins * step
                             <= size else end, nBins=nbins, type="mean")
            values = np.array([np.nan if v is None else v for v in stats], dtype=np.float32)
    finally:
        bw.close()
    return SignalTrack(lane_id, name, window.chrom, window.start, values, color, step=step,
                       description=str(path))


def stored_lanes(source: str | Path, window: Region) -> list[SignalTrack]:
    """Lanes of a stored track: a folder of ``python -m glm_explore track`` (its three bigWigs, named by the
    model in its ``track.json``) or one bigWig file (one lane ``bigwig``)."""
    import json

    source = Path(source)
    if source.is_dir():
        meta = source / "track.json"
        model = ""
        if meta.is_file():
            try:
                model = json.loads(meta.read_text()).get("model", "")
            except ValueError:
                model = ""
        found = [(k, source / f"{k}.bw") for k in STORED_LANES if (source / f"{k}.bw").is_file()]
        if not found:
            raise TrackFileError(f"{source} holds no p_ref.bw / entropy_bits.bw / min_llr.bw: give a folder written "
                                 "by `python -m glm_explore track` or one bigWig file.")
        tag = f" · stored {model}".rstrip()
        colors = {"p_ref": "#1f77b4", "entropy_bits": "#ff7f0e", "min_llr": "#9467bd"}
        return [bigwig_lane(p, window, lane_id=f"stored_{k}", name=STORED_LANES[k] + tag, color=colors[k])
                for k, p in found]
    return [bigwig_lane(source, window, lane_id="bigwig", name=source.name)]


# ------------------------------------------------------------------------------------------- other pages' results

def llr_color(llr: float, scale: float = 5.0) -> str:
    """Red for negative LLR (alt less likely), blue for positive, white at 0; saturates at ±``scale``."""
    t = max(-1.0, min(1.0, llr / scale))
    r, g, b = (255, int(255 * (1 + t)), int(255 * (1 + t))) if t < 0 else (int(255 * (1 - t)), int(255 * (1 - t)), 255)
    return f"rgb({r},{g},{b})"


def variant_label(row, score: str = "llr") -> str:
    """One variant's pop-up name: ``REF>ALT llr=−2.310`` plus, where the row has them (``score-vcf`` /
    the variants page with a background), its percentiles: ``· 3.1 % of CDS SNVs ≤ · 4.2 % genome-wide``."""
    value = getattr(row, score, np.nan)
    if value is None or not np.isfinite(value):
        reason = getattr(row, "reason", "")
        return f"{row.ref}>{row.alt} skipped" + (f": {reason}" if isinstance(reason, str) and reason else "")
    label = f"{row.ref}>{row.alt} {score}={value:.3f}"
    pct_class, pct_genome = getattr(row, "llr_pct_class", np.nan), getattr(row, "llr_pct_genome", np.nan)
    cls = getattr(row, "region_class", None)
    if pct_class is not None and np.isfinite(pct_class):
        label += f" · {100 * pct_class:.1f} % of {cls if isinstance(cls, str) and cls else 'its class'} SNVs ≤"
    if pct_genome is not None and np.isfinite(pct_genome):
        label += f" · {100 * pct_genome:.1f} % genome-wide"
    return label


def variant_lane(scores: pd.DataFrame, window: Region, *, score: str = "llr") -> FeatureTrack:
    """Scored variants (``chrom, pos`` 1-based, ``ref, alt``, ``score`` column) in ``window`` as 1-bp features
    coloured by the score (:func:`llr_color`), named by :func:`variant_label` (with the percentiles against the
    model's SNV background when the table has them); variants without a score (skipped) are grey."""
    df = scores[(scores["chrom"] == window.chrom) & (scores["pos"] > window.start) & (scores["pos"] <= window.end)]
    feats = []
    for row in df.itertuples(index=False):
        value = getattr(row, score, np.nan)
        ok = value is not None and np.isfinite(value)
        feats.append({"chr": row.chrom, "start": int(row.pos) - 1, "end": int(row.pos) - 1 + max(1, len(str(row.ref))),
                      "name": variant_label(row, score), "strand": ".", "type": "variant",
                      "color": llr_color(value) if ok else "#bbbbbb"})
    pct = " · % = share of possible SNVs scoring ≤ it" if "llr_pct_class" in df else ""
    return FeatureTrack("variants", f"Variants ({score}; red = alt less likely, grey = skipped{pct})", tuple(feats),
                        "#888888")


def interval_lane(df: pd.DataFrame, window: Region, *, lane_id: str, name: str, color: str = "#8c564b") -> FeatureTrack:
    """BED-like hits (``chrom, start, end`` 0-based half-open, optional ``name``, ``strand``) in ``window``."""
    hits = df[(df["chrom"] == window.chrom) & (df["end"] > window.start) & (df["start"] < window.end)]
    feats = tuple({"chr": r["chrom"], "start": int(r["start"]), "end": int(r["end"]),
                   "name": str(r.get("name", lane_id)), "strand": str(r.get("strand", ".")), "type": lane_id}
                  for r in hits.to_dict("records"))
    return FeatureTrack(lane_id, name, feats, color)


def attribution_lane(values: np.ndarray, region: Region, window: Region, *, name: str = "Attribution") -> SignalTrack | None:
    """Per-base attribution (L,) over ``region`` as a lane, if it overlaps ``window`` (else None)."""
    if region.chrom != window.chrom or region.end <= window.start or region.start >= window.end:
        return None
    return SignalTrack("attribution", name, region.chrom, region.start, np.asarray(values, dtype=np.float32), "#17becf")
