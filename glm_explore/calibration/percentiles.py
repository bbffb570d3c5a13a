"""Reading a score against its background: percentiles, the one-sentence reading, indel z-scores.

**Percentile** (the rule of :mod:`glm_explore.results.calibration`): the fraction of background SNVs whose
LLR is ≤ the score; ties count as at-or-below. Within the region class of the variant
(:func:`class_percentiles`) and within the whole held-out span (:func:`genome_percentiles`: the class
fractions averaged with each class's share of the span's bases as weight, so classes sampled at different
rates count as often as they occur). A percentile of 0.03 means 97 % of possible SNVs score higher: the
variant is lower (predicted more deleterious) than 97 % of them.

**Indels and MNVs** have no SNV background; their length-corrected score is the z-score against random
length-matched events of the same kind (:class:`glm_explore.variants.length_bias.NullScores`, the
``llr_z`` column of ``score-vcf --null-events``); :func:`z_sentence` reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results.calibration import COLUMNS, Background

PCT_COLUMNS = tuple(COLUMNS)  # llr_pct_class, llr_pct_genome


def class_percentiles(bg: Background, llr: np.ndarray, region_class: np.ndarray | list) -> np.ndarray:
    """(n,) fraction of the background of each row's region class with LLR ≤ ``llr`` (NaN where the class has
    no background, the class is missing, or the LLR is NaN)."""
    llr = np.asarray(llr, dtype=np.float64)
    cls = np.asarray(pd.Series(list(region_class), dtype=object).fillna(""), dtype=object)
    out = np.full(len(llr), np.nan)
    for name, c in bg.classes.items():
        sel = cls == name
        if sel.any():
            out[sel] = c.fraction_at_or_below(llr[sel])
    return out


def genome_percentiles(bg: Background, llr: np.ndarray) -> np.ndarray:
    """(n,) fraction of all possible SNVs of the span with LLR ≤ ``llr``: Σ_c w_c · F_c(llr), w_c the class's
    share of the span's A/C/G/T bases (NaN for NaN LLRs)."""
    llr = np.asarray(llr, dtype=np.float64)
    w = bg.weights()
    out = np.zeros(len(llr))
    for name, c in bg.classes.items():
        out += w[name] * c.fraction_at_or_below(llr)
    return np.where(np.isnan(llr), np.nan, out)


def add_percentiles(table: pd.DataFrame, bg: Background | None, *, snv_only: bool = True) -> pd.DataFrame:
    """``table`` (with ``llr`` and ``region_class``) plus :data:`PCT_COLUMNS`. Only SNV rows are placed
    against the SNV background (rows whose ``kind`` is not ``SNV``, when the column exists, get NaN);
    ``bg=None`` (no background for this model) gives NaN columns."""
    out = table.copy()
    n = len(out)
    if bg is None or "llr" not in out or n == 0:
        for c in PCT_COLUMNS:
            out[c] = np.full(n, np.nan)
        return out
    llr = out["llr"].to_numpy(dtype=np.float64, na_value=np.nan)
    if snv_only and "kind" in out:
        kinds = out["kind"].astype(object).to_numpy()
        llr = np.where(pd.isna(kinds) | (kinds == "SNV"), llr, np.nan)
    classes = out["region_class"] if "region_class" in out else [None] * n
    out["llr_pct_class"] = class_percentiles(bg, llr, classes)
    out["llr_pct_genome"] = genome_percentiles(bg, llr)
    return out


def _pct_text(frac: float) -> str:
    """A fraction as a percentage that never overstates it: floored, one decimal below 10 % and above 90 %."""
    pct = 100 * frac
    if pct < 10 or pct > 90:
        return f"{np.floor(pct * 10) / 10:.1f} %"
    return f"{int(np.floor(pct))} %"


def percentile_sentence(llr: float, pct: float, region_class: str | None, bg: Background) -> str:
    """What ``llr`` means against ``bg`` in one sentence, e.g. "An LLR of −2.31 is lower than 97 % of possible
    SNVs in CDS on held-out chrXVI under default-mlm (≤ it: 3.0 %)."

    ``pct`` = fraction ≤ ``llr`` (class percentile, or genome-wide when ``region_class`` is None). Scores
    in the lower half say "lower than (1 − pct)"; the upper half "at or above pct".
    """
    where = f"in {region_class}" if region_class else "in any region class"
    span = f"held-out {bg.chrom}" if bg.start == 0 else f"held-out {bg.region}"
    if not np.isfinite(pct) or not np.isfinite(llr):
        return f"No percentile: the score is missing or its region class has no background under {bg.model}."
    tail = f"possible SNVs {where} on {span} under {bg.model}"
    sign = "−" if llr < 0 else "+"
    value = f"{sign}{abs(llr):.2f}"
    if pct <= 0.5:
        return f"An LLR of {value} is lower than {_pct_text(1 - pct)} of {tail} ({100 * pct:.1f} % score at or below it)."
    return f"An LLR of {value} is at or above {_pct_text(pct)} of {tail}; typical, not a sign of constraint."


def z_sentence(z: float, kind: str, length: int) -> str:
    """What an indel's length-corrected z-score means in one sentence."""
    if not np.isfinite(z):
        return "No z-score: give at least two null events (`--null-events`)."
    side = "below" if z < 0 else "above"
    return (f"This {int(length)} bp {kind} scores {abs(z):.1f} standard deviations {side} random {kind} events of the "
            "same length in intergenic DNA of the same contig" + (" (more constrained)." if z < 0 else "."))


def describe(bg: Background, llr: float, region_class: str | None) -> tuple[str, str]:
    """``(sentence, detail)`` for one SNV's LLR: :func:`percentile_sentence` within its region class (genome-wide
    when the class has no background) and a detail line with both percentiles and what the background holds."""
    pct_genome = float(genome_percentiles(bg, np.array([llr]))[0])
    c = bg.classes.get(region_class or "")
    pct_class = float(c.fraction_at_or_below(llr)) if c is not None else float("nan")
    sentence = percentile_sentence(llr, pct_class, region_class, bg) if c is not None else \
        percentile_sentence(llr, pct_genome, None, bg)
    held = f"{c.n:,} SNVs at {c.n_scored_sites:,} {region_class} sites" if c is not None else \
        f"no {region_class or 'region-class'} SNVs"
    detail = (f"Percentile = fraction of background SNVs with LLR ≤ this one (ties count as at or below): "
              f"{'—' if np.isnan(pct_class) else f'{pct_class:.1%}'} within {region_class or 'its class'}, "
              f"{pct_genome:.1%} genome-wide (classes weighted by their share of bases). Background: {bg.model}, "
              f"held-out {bg.region}, {held} ({bg.settings.get('scorer', 'LLR')}, "
              f"{'both strands' if bg.settings.get('rc', True) else 'forward strand'}).")
    return sentence, detail


def with_percentiles(table, bg: Background | None):
    """A pyarrow Table of variant scores (``llr``, optional ``region_class`` / ``kind``) with :data:`PCT_COLUMNS`
    appended as float64 (NaN without a background; what ``score-vcf`` writes chunk by chunk)."""
    import pyarrow as pa

    names = table.column_names
    n = table.num_rows
    frame = pd.DataFrame({c: table.column(c).to_pandas() for c in ("llr", "region_class", "kind") if c in names},
                         index=pd.RangeIndex(n))
    if "llr" not in frame:
        frame["llr"] = np.full(n, np.nan)
    out = add_percentiles(frame, bg)
    for c in PCT_COLUMNS:
        table = table.append_column(c, pa.array(out[c].to_numpy(dtype=np.float64), type=pa.float64()))
    return table
