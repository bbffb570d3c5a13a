"""The shipped models against their model cards, on held-out chrXVI (never seen in training)."""

from __future__ import annotations

import numpy as np
import pytest

from glm_explore.logits import masked_marginals, next_token_log_probs
from glm_explore.sequence import encode

N_WINDOWS, WINDOW = 8, 1024


@pytest.mark.parametrize("fixture", ["default_mlm", "default_clm"])
def test_heldout_cross_entropy_beats_stored_baseline(request, fixture, yeast):
    """Masked-token (MLM) / next-token (CLM) cross-entropy on evenly spaced chrXVI windows.

    Computed here through the public logits functions (not the evaluation script), it must be below the
    card's count-baseline figure and agree with the card's own model figure to within sampling noise.
    """
    model = request.getfixturevalue(fixture)
    card = model.info.card["heldout"]
    assert card["chrom"] == yeast.heldout_chrom == "chrXVI"
    R = model.info.receptive_field
    n = yeast.genome.lengths["chrXVI"]
    bits, correct = [], []
    for start in np.linspace(10_000, n - 10_000 - WINDOW, N_WINDOWS).astype(int):
        seq = yeast.genome.fetch("chrXVI", start, start + WINDOW)
        if model.info.is_mlm:
            lp, keep = masked_marginals(model, seq), np.arange(R, WINDOW - R)
        else:
            lp, keep = next_token_log_probs(model, seq), np.arange(R, WINDOW)
        codes = encode(seq)[keep]
        ok = codes < 4
        bits.append(-lp[codes[ok], keep[ok]] / np.log(2))
        correct.append(lp[:, keep[ok]].argmax(0) == codes[ok])
    bits, correct = np.concatenate(bits), np.concatenate(correct)
    assert bits.mean() < card["baseline"]["bits"], (bits.mean(), card["baseline"])
    assert bits.mean() < 1.95 and correct.mean() > 0.3
    assert abs(bits.mean() - card["model"]["bits"]) < 0.1
