"""Region-class windows for the embedding explorer (GPN paper, Fig. 2d recipe).

Windows of ``length`` bp (default 512) start every ``stride`` bp (default 100) along each chosen
chromosome. A window is kept only when its centre ``center`` bp (default 100) lie in ONE region
class of :attr:`GenomeData.labels <glm_explore.io.datasets.GenomeData>`; that class is its label.
Windows holding a non-ACGT base are dropped. Then a balanced sample is drawn: at most
``cap_per_class`` windows per class and split (training / held-out), with a seed.

Held-out split (probes are fit on training windows and scored on held-out ones, never on random
splits of overlapping windows):

* the dataset's held-out chromosome (yeast: ``chrXVI``) when it is among the chosen ones;
* else, with several chromosomes, the last chosen one;
* with ONE chromosome (the chloroplast), its last ``heldout_fraction`` as a contiguous segment;
  windows that straddle the boundary are dropped so no sequence is shared between the splits.

``non_overlapping=True`` de-duplicates first: no two kept windows share a base. It picks greedily
along each chromosome, rarest class first, so small classes keep as many windows as they can.

Coordinates in :class:`WindowSet.table` are 0-based half-open (``start``, ``end``); use
:func:`region_string` for the 1-based text users see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import RegionError
from .io.annotation import CLASSES
from .io.datasets import GenomeData
from .results import WindowSet

DEFAULT_LENGTH = 512
DEFAULT_STRIDE = 100
DEFAULT_CENTER = 100
DEFAULT_CAP = 200
MIN_TRAIN = 20  # fewer training windows than this: the class is "too small to judge"
MIN_TEST = 5

__all__ = ["WindowSet", "make_windows", "candidate_windows", "choose_split", "region_string"]


def region_string(chrom: str, start: int, end: int) -> str:
    """1-based inclusive ``chrom:start-end`` for a 0-based half-open interval."""
    return f"{chrom}:{start + 1}-{end}"


def _center_offset(length: int, center: int) -> int:
    return (length - center) // 2


def candidate_windows(labels: np.ndarray, codes: np.ndarray, *, length: int = DEFAULT_LENGTH,
                      stride: int = DEFAULT_STRIDE, center: int = DEFAULT_CENTER) -> pd.DataFrame:
    """All windows of one chromosome that pass the centre rule.

    ``labels`` (L,) class codes, ``codes`` (L,) base codes (4 = N). Windows start at 0, stride,
    2·stride, … while they fit. Returns ``start, end, label_code`` for windows whose centre
    ``[start + (length-center)//2, … + center)`` is one class and whose bases are all ACGT.
    """
    n = len(labels)
    if n < length:
        return pd.DataFrame({"start": np.array([], dtype=np.int64), "end": np.array([], dtype=np.int64),
                             "label_code": np.array([], dtype=np.uint8)})
    starts = np.arange(0, n - length + 1, stride, dtype=np.int64)
    cs = starts + _center_offset(length, center)
    run = np.concatenate([[0], np.cumsum(labels[1:] != labels[:-1])])  # run id per base
    one_class = run[cs] == run[cs + center - 1]
    n_cum = np.concatenate([[0], np.cumsum(codes >= 4)])
    clean = n_cum[starts + length] - n_cum[starts] == 0
    keep = one_class & clean
    return pd.DataFrame({"start": starts[keep], "end": starts[keep] + length, "label_code": labels[cs[keep]]})


def _strand_cums(data: GenomeData, chrom: str, promoter_bp: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative counts of bases covered by '+' / '-' genic features (promoters included)."""
    n = data.genome.lengths[chrom]
    plus, minus = np.zeros(n + 1, np.int32), np.zeros(n + 1, np.int32)
    if data.annotation is not None:
        f = data.annotation.features
        f = f[(f["Chromosome"] == chrom) & f["Strand"].isin(["+", "-"])
              & f["Feature"].isin({"gene", "mRNA", "transcript", "CDS", "exon", "tRNA", "rRNA", "ncRNA",
                                   "snoRNA", "snRNA", "pseudogene", "five_prime_UTR", "three_prime_UTR"})]
        for arr, sign in ((plus, "+"), (minus, "-")):
            g = f[f["Strand"] == sign]
            s, e = g["Start"].to_numpy(), g["End"].to_numpy()
            s = np.maximum(s - promoter_bp, 0) if sign == "+" else s
            e = e if sign == "+" else np.minimum(e + promoter_bp, n)
            np.add.at(arr, s, 1)
            np.add.at(arr, e, -1)
        plus = (np.cumsum(plus) > 0).astype(np.int32)
        minus = (np.cumsum(minus) > 0).astype(np.int32)
    return (np.concatenate([[0], np.cumsum(plus[:n])]), np.concatenate([[0], np.cumsum(minus[:n])]))


def _non_overlapping(df: pd.DataFrame) -> pd.DataFrame:
    """Greedy de-duplication along each chromosome, rarest class first: no two kept windows overlap."""
    order = df["label"].value_counts(ascending=True).index
    kept = []
    for _chrom, g in df.groupby("chrom", sort=False):
        taken = np.zeros(int(g["end"].max()) + 1, dtype=bool)
        for cls in order:
            rows = g[g["label"] == cls].sort_values("start")
            for idx, s, e in zip(rows.index, rows["start"], rows["end"]):
                if not taken[s:e].any():
                    taken[s:e] = True
                    kept.append(idx)
    return df.loc[sorted(kept)]


def choose_split(data: GenomeData, chroms: list[str], heldout: str | None = None,
                 heldout_fraction: float = 0.2) -> tuple[str, int, str]:
    """(held-out chromosome, first held-out base (0-based), note) — see the module docstring."""
    if heldout is not None:
        heldout = data.genome.resolve(heldout)
        if heldout not in chroms:
            raise RegionError(f"Held-out chromosome {heldout} is not among the chosen chromosomes "
                              f"({', '.join(chroms)}); add it or pick another.")
    elif len(chroms) > 1:
        heldout = data.heldout_chrom if data.heldout_chrom in chroms else chroms[-1]
    if len(chroms) > 1:
        why = "the dataset's held-out chromosome" if heldout == data.heldout_chrom else "chosen"
        return heldout, 0, (f"Probes and kNN are fit on {len(chroms) - 1} training chromosome(s) and scored on "
                            f"held-out {heldout} ({why}).")
    chrom = chroms[0]
    n = data.genome.lengths[chrom]
    if not 0 < heldout_fraction < 1:
        raise RegionError(f"heldout_fraction must be between 0 and 1, got {heldout_fraction}.")
    cut = int(round(n * (1 - heldout_fraction)))
    return chrom, cut, (f"One chromosome: probes and kNN are fit on {chrom}:1-{cut} and scored on the held-out "
                        f"contiguous segment {chrom}:{cut + 1}-{n} (last {heldout_fraction:.0%}); windows "
                        "straddling the boundary are dropped.")


def make_windows(data: GenomeData, *, length: int = DEFAULT_LENGTH, stride: int = DEFAULT_STRIDE,
                 center: int = DEFAULT_CENTER, chroms: list[str] | None = None, classes: list[str] | None = None,
                 cap_per_class: int | None = DEFAULT_CAP, seed: int = 0, non_overlapping: bool = False,
                 heldout: str | None = None, heldout_fraction: float = 0.2) -> WindowSet:
    """Labelled windows over ``chroms`` (default all), balanced per class and split.

    ``classes`` limits the labels kept (default every class with windows); ``cap_per_class=None``
    keeps all. The same ``seed`` always gives the same sample.
    """
    if length < 1 or stride < 1 or not 1 <= center <= length:
        raise RegionError(f"Need length ≥ 1, stride ≥ 1 and 1 ≤ centre ≤ length; got length={length}, "
                          f"stride={stride}, centre={center}.")
    if cap_per_class is not None and cap_per_class < 1:
        raise RegionError(f"The per-class cap must be at least 1, got {cap_per_class}.")
    chroms = [data.genome.resolve(c) for c in (chroms or data.genome.chroms)]
    if classes is not None:
        unknown = set(classes) - set(CLASSES)
        if unknown:
            raise RegionError(f"Unknown region class(es) {sorted(unknown)}; choose from {', '.join(CLASSES)}.")
    test_chrom, cut, split_note = choose_split(data, chroms, heldout, heldout_fraction)
    frames = []
    for chrom in chroms:
        lab = data.labels[chrom]
        codes = data.genome.codes(chrom).astype(np.uint8)
        cand = candidate_windows(lab, codes, length=length, stride=stride, center=center)
        if chrom == test_chrom and cut > 0:
            split = np.where(cand["start"] >= cut, "test", np.where(cand["end"] <= cut, "train", ""))
        else:
            split = np.full(len(cand), "test" if chrom == test_chrom else "train")
        cand = cand.assign(chrom=chrom, split=split)
        cand = cand[cand["split"] != ""]
        plus, minus = _strand_cums(data, chrom)
        cs = cand["start"].to_numpy() + _center_offset(length, center)
        p = plus[cs + center] - plus[cs] > 0
        m = minus[cs + center] - minus[cs] > 0
        cand["strand"] = np.select([p & m, p, m], ["±", "+", "-"], ".")
        frames.append(cand)
    allw = pd.concat(frames, ignore_index=True)
    allw["label"] = np.asarray(CLASSES, dtype=object)[allw["label_code"].to_numpy(dtype=np.int64)]
    present = {c for c in CLASSES if any((lab == CLASSES.index(c)).any() for lab in
                                         (data.labels[ch] for ch in chroms))}
    if classes is not None:
        allw = allw[allw["label"].isin(classes)]
        present &= set(classes)
    before = allw.groupby(["label", "split"]).size().unstack(fill_value=0)
    rng = np.random.default_rng(seed)
    notes = []
    pool = allw
    if non_overlapping:
        pool = _non_overlapping(allw)
        notes.append(f"De-duplicated: {len(pool):,} of {len(allw):,} candidate windows share no base.")
    parts = []
    for (_cls, _split), g in pool.groupby(["label", "split"], sort=True):
        if cap_per_class is not None and len(g) > cap_per_class:
            g = g.loc[np.sort(rng.choice(g.index.to_numpy(), cap_per_class, replace=False))]
        parts.append(g)
    table = pd.concat(parts) if parts else allw.iloc[:0]
    order = {c: i for i, c in enumerate(chroms)}
    table = table.sort_values(["chrom", "start"], key=lambda s: s.map(order) if s.name == "chrom" else s)
    table = table.reset_index(drop=True)
    seqs = [data.genome.fetch(c, s, e) for c, s, e in zip(table["chrom"], table["start"], table["end"])]
    gc = np.array([(q.count("G") + q.count("C")) / max(len(q), 1) for q in seqs])
    table = table.assign(gc=gc, sequence=seqs)[["chrom", "start", "end", "label", "split", "strand", "gc",
                                                "sequence"]]
    after = table.groupby(["label", "split"]).size().unstack(fill_value=0)
    rows = []
    for cls in CLASSES:
        if cls not in present and cls not in before.index:
            continue
        rows.append({"class": cls,
                     "train_before": int(before.get("train", pd.Series(dtype=int)).get(cls, 0)),
                     "test_before": int(before.get("test", pd.Series(dtype=int)).get(cls, 0)),
                     "train": int(after.get("train", pd.Series(dtype=int)).get(cls, 0)),
                     "test": int(after.get("test", pd.Series(dtype=int)).get(cls, 0))})
    counts = pd.DataFrame(rows, columns=["class", "train_before", "test_before", "train", "test"])
    dropped = tuple(counts.loc[(counts["train_before"] + counts["test_before"]) == 0, "class"])
    kept = counts[(counts["train"] + counts["test"]) > 0]
    too_small = tuple(kept.loc[(kept["train"] < MIN_TRAIN) | (kept["test"] < MIN_TEST), "class"])
    if dropped:
        notes.append(f"No window has its centre {center} bp inside one {', '.join(dropped)} feature: "
                     f"{'that class is' if len(dropped) == 1 else 'those classes are'} dropped "
                     "(try a shorter centre).")
    if too_small:
        notes.append(f"Too few windows to judge (< {MIN_TRAIN} training or < {MIN_TEST} held-out): "
                     f"{', '.join(too_small)}.")
    params = dict(length=length, stride=stride, center=center, chroms=tuple(chroms),
                  classes=None if classes is None else tuple(classes), cap_per_class=cap_per_class, seed=seed,
                  non_overlapping=non_overlapping, heldout=test_chrom, heldout_start=cut)
    return WindowSet(table=table, counts=counts, params=params, split_note=split_note, dropped=dropped,
                     too_small=too_small, notes=tuple(notes))
