"""A journal-club tour: the showcase windows of a report, one stop per region class, with what to look at."""

from __future__ import annotations

import pandas as pd

# What a presenter should point at in a window of each class (yeast biology; the logits page shows it).
LOOK_FOR = {
    "CDS": "the 3-base rhythm of the logo: codon third positions are the least certain, so confidence pulses with the "
           "reading frame.",
    "promoter": "confident letters at poly(dA:dT) tracts and TF sites (TATA box, Reb1 TTACCCG, Abf1 RTCRYN5ACG) "
                "against flat neighbours.",
    "UTR": "the A-rich run just upstream of a start codon (yeast's Kozak context, A at −3), or the 3'-end signals "
           "(TATATA efficiency element, A-rich positioning element) downstream of a stop.",
    "intron": "the 5' splice site GTATGT, the branch point TACTAAC and the 3' site YAG — the conserved intron "
              "signals.",
    "tRNA": "the internal A and B boxes (TRGCNNAGYNGG, GGTTCGANTCC) of the RNA polymerase III promoter.",
    "rRNA": "long stretches predicted almost perfectly: the rDNA repeat is present in ~150 copies, so any model "
            "(and the count baseline) has seen it many times.",
    "ncRNA": "stretches predicted far better than k-mer counting would, where the model recognises structured RNA.",
    "repeat": "near-certain predictions inside a repeat family the model memorised (Ty LTRs, Y′ elements).",
    "intergenic": "where confidence rises and falls: poly(dA:dT) runs and the edges of nearby genes.",
}


def tour_stops(showcase: pd.DataFrame, *, per_class: int = 1) -> pd.DataFrame:
    """One row per stop: class, region (1-based), gain_bits (baseline − model bits/base, > 0 = model better),
    look_for (one sentence). The best window of each class, classes in order of gain, windows where the
    model does not beat the baseline left out."""
    if showcase.empty:
        return pd.DataFrame(columns=["class", "region", "gain_bits", "look_for"])
    best = showcase[showcase["gain_bits"] > 0].sort_values("gain_bits", ascending=False)
    best = best.groupby("class", sort=False).head(per_class)
    return pd.DataFrame({"class": best["class"], "region": best["region"], "gain_bits": best["gain_bits"],
                         "look_for": [LOOK_FOR.get(c, "where the model's letters are confident and the baseline's "
                                                      "are not.") for c in best["class"]]}).reset_index(drop=True)
