"""Single-mask cones of the built-in CNN (glm_explore.models.cone) against the full masked forward, one
mask per copy (the merged-context rows that feed them are tested in test_variants_packed.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glm_explore.models.builtin import ConvLMAdapter
from glm_explore.models.cone import cone_plan, single_mask_log_probs
from glm_explore.models.convnet import ConvLM, ConvLMConfig
from glm_explore.sequence import encode


def _brute(model, seq: str, offsets) -> np.ndarray:
    """log P at each offset from one full forward of the row with only that offset masked."""
    masked = np.zeros((len(offsets), len(seq)), dtype=bool)
    masked[np.arange(len(offsets)), offsets] = True
    return model.log_probs([seq] * len(offsets), masked)[np.arange(len(offsets)), :, offsets]


@pytest.fixture(scope="module")
def odd_cnn():
    """A random CNN with a kernel-1 block and uneven dilations (radii differ from the default's)."""
    torch.manual_seed(1)
    cfg = ConvLMConfig(objective="mlm", width=16, kernel_sizes=[5, 1, 3, 7, 3], dilations=[1, 1, 3, 2, 5])
    return ConvLMAdapter(ConvLM(cfg), "odd-cnn", source="test")


def test_plan_radii_follow_the_architecture(odd_cnn):
    plan = cone_plan(odd_cnn.model)
    assert plan.spans == (2, 0, 3, 6, 5) and plan.receptive_field == odd_cnn.info.receptive_field == 16
    # affected after each block: 2, 2, 5, 11, 16; still needed: 14, 14, 11, 5, 0 → recomputed: min of both
    assert plan.need == (14, 14, 11, 5, 0) and plan.cone == (2, 2, 5, 5, 0)
    with pytest.raises(ValueError, match="masked LMs"):
        cone_plan(ConvLM(ConvLMConfig(objective="clm", width=8, kernel_sizes=[3], dilations=[1])))


@pytest.mark.parametrize("fixture", ["odd_cnn", "tiny_mlm"])
def test_cone_and_shrink_equal_the_full_masked_forward(request, fixture, rng, one_thread):
    """Every offset of a row with N bases, both row ends included: a long row takes the cone, single-site
    rows (shorter than the context, cut at both ends) take the shrunken context; both equal brute force."""
    model = request.getfixturevalue(fixture)
    plan, R = cone_plan(model.model), model.info.receptive_field
    seq = "".join(rng.choice(list("ACGTN"), p=[0.3, 0.2, 0.2, 0.28, 0.02], size=6 * R + 40))
    offs = np.arange(len(seq))
    assert plan.clean_cost(len(seq)) + len(offs) * plan.cone_cost() < len(offs) * plan.shrink_cost()  # cone
    got = single_mask_log_probs(model.model, [encode(seq)], np.zeros(len(offs), dtype=int), offs)
    np.testing.assert_allclose(got, _brute(model, seq, offs), atol=1e-5, rtol=0)
    short = [seq[:R], seq[5:5 + 2 * R + 1], seq[40:40 + 3 * R]]
    row_of, o = np.array([0, 1, 2, 0]), np.array([R - 1, R, 3 * R - 2, 0])
    assert plan.clean_cost(3 * R) + plan.cone_cost() > plan.shrink_cost()  # one site per row: shrink
    got = single_mask_log_probs(model.model, [encode(s) for s in short], row_of, o)
    exp = np.concatenate([_brute(model, short[r], [k]) for r, k in zip(row_of, o)])
    np.testing.assert_allclose(got, exp, atol=1e-5, rtol=0)


def test_adapter_default_masked_sites_is_one_masked_copy_per_site(tiny_mlm, rng):
    """BaseAdapter's masked_sites (one copy per site, for models without cones) equals the CNN's cones."""
    from glm_explore.models.adapter import BaseAdapter

    seqs = ["".join(rng.choice(list("ACGT"), size=n)) for n in (40, 75)]
    row_of, offs = np.array([0, 1, 1, 0]), np.array([3, 0, 74, 39])
    plain = BaseAdapter.masked_sites(tiny_mlm, seqs, row_of, offs)
    np.testing.assert_allclose(tiny_mlm.masked_sites(seqs, row_of, offs), plain, atol=1e-5, rtol=0)
