"""Hypothetical contributions for TF-MoDISco: what each base *would* contribute at every position.

For IG / DeepLift with references x′_k (k = 1…K) and a gradient-like term g_k (IG's path-averaged
gradient, DeepLift's multipliers; after the one-hot correction when the map was made with
``correct=True``), the hypothetical contribution of base b at position i is the DeepSHAP /
BPNet projection averaged over references::

    H[b, i] = mean_k ( g_k[b, i] − Σ_c x′_k[c, i] · g_k[c, i] )

i.e. the attribution the position would get if its base were b. At the observed base it equals
the map's own per-position attribution (Σ_c values[c, i]), so ``one_hot ⊙ H`` summed over bases is
exactly the IG / DeepLift map TF-MoDISco's seqlets are called on. The one-hot correction (subtract
the per-position mean of g over the 4 bases) leaves H unchanged for one-hot references and makes
H = corrected gradient for the zeros / uniform references.

:class:`~glm_explore.results.Attributions` keeps only the averages ``hypothetical`` = mean_k g_k and
``values`` = mean_k (x − x′_k) ⊙ g_k, and that is enough::

    H = hypothetical − (hypothetical · x) summed over bases + values summed over bases

(Saliency / Input × Gradient have no reference: H = the gradient, as for a zeros reference.)
"""

from __future__ import annotations

import numpy as np

from ..results import Attributions
from ..sequence import one_hot


def hypothetical_contributions(attr: Attributions) -> np.ndarray:
    """(4, L) hypothetical contributions of one map (see the module docstring), natural-log units
    of the target. N columns (all-zero one-hot) get H = hypothetical + Σ values."""
    x = one_hot(attr.seq).astype(np.float64)
    hyp = np.nan_to_num(np.asarray(attr.hypothetical, dtype=np.float64))
    observed = (hyp * x).sum(axis=0, keepdims=True)
    total = np.nan_to_num(np.asarray(attr.values, dtype=np.float64)).sum(axis=0, keepdims=True)
    return (hyp - observed + total).astype(np.float32)


def modisco_inputs(attrs: list[Attributions]) -> tuple[np.ndarray, np.ndarray]:
    """TF-MoDISco's two arrays for many maps of one length: one-hot (N, L, 4) and hypothetical
    contributions (N, L, 4), float32 (modisco-lite's layout: positions before bases)."""
    if not attrs:
        raise ValueError("no attribution maps")
    lengths = {len(a.seq) for a in attrs}
    if len(lengths) != 1:
        raise ValueError(f"maps of one length are needed, got lengths {sorted(lengths)}")
    x = np.stack([one_hot(a.seq) for a in attrs]).transpose(0, 2, 1)
    h = np.stack([hypothetical_contributions(a) for a in attrs]).transpose(0, 2, 1)
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(h, dtype=np.float32)
