"""GPN ConvNet models (``gpn``'s GPNForMaskedLM, random weights, built offline): the receptive field declared
from the config and the single-mask cones (``masked_sites``) against the raw model's full masked forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hf_builders import build_gpn, build_gpn_varied

from glm_explore.logits import masked_marginals
from glm_explore.models.cone import cone_plan, single_mask_log_probs
from glm_explore.models.hf import load_hf_model

pytest.importorskip("gpn")

SHAPES = {  # name → GPNConfig fields
    "plain": {},
    "bias-depthwise": dict(bias=True, depthwise=True, num_hidden_layers=5, dilation_cycle=4, first_kernel_size=7),
    "capped": dict(num_hidden_layers=6, dilation_cycle=6, dilation_max=4, dilation_double_every=2,
                   rest_kernel_size=5),
}


@pytest.fixture(scope="module")
def gpns(tmp_path_factory):
    """name → (adapter, raw model, tokenizer)."""
    out = {}
    for name, shape in SHAPES.items():
        folder = tmp_path_factory.mktemp(f"gpn-{name}")
        model, tok = build_gpn_varied(folder, **shape)
        out[name] = (load_hf_model(str(folder)), model, tok)
    return out


def _raw(model, tok, seq: str, offsets) -> np.ndarray:
    """(len(offsets), 4) log P over a,c,g,t from the raw GPN forward of ``seq`` with only that offset masked."""
    ids = torch.tensor(tok(seq.lower(), add_special_tokens=False)["input_ids"])
    base_ids = tok.convert_tokens_to_ids(list("acgt"))
    rows = ids.repeat(len(offsets), 1)
    rows[torch.arange(len(offsets)), torch.as_tensor(offsets)] = tok.mask_token_id
    with torch.inference_mode():
        logits = model(input_ids=rows).logits[torch.arange(len(offsets)), torch.as_tensor(offsets)]
    return torch.log_softmax(logits[:, base_ids].double(), dim=-1).numpy()


def _hand_rf(cfg) -> int:
    """Σ (k − 1)·d / 2 with the dilations written out by hand from gpn's schedule rule."""
    d = [min(cfg.dilation_max, cfg.dilation_base ** ((i % cfg.dilation_cycle) // cfg.dilation_double_every))
         for i in range(cfg.num_hidden_layers)]
    k = [cfg.first_kernel_size] + [cfg.rest_kernel_size] * (cfg.num_hidden_layers - 1)
    return sum((a - 1) * b // 2 for a, b in zip(k, d))


def test_declared_receptive_field_and_capability(gpns):
    # plain: kernels 5,3,3,3 with dilations 1,2,4,1 → 2 + 2 + 4 + 1 = 9
    assert gpns["plain"][0].info.receptive_field == 9
    # capped: kernels 5,5,5,5,5,5 with dilations 1,1,2,2,4,4 (doubling every 2, max 4) → 2·(1+1+2+2+4+4) = 28
    assert gpns["capped"][0].info.receptive_field == 28
    for adapter, model, _ in gpns.values():
        assert adapter.info.receptive_field == _hand_rf(model.config)
        assert adapter.info.capabilities.masked_sites


@pytest.mark.parametrize("name", list(SHAPES))
def test_receptive_field_is_where_the_raw_model_stops_seeing(gpns, name, rng):
    """Changing the base R away from a masked site changes its prediction; R + 1 away does not (raw model).
    (The edge path can be weak — one channel of a depthwise kernel's outer tap — so "changes" is any change.)"""
    adapter, model, tok = gpns[name]
    R = adapter.info.receptive_field
    seq = "".join(rng.choice(list("ACGT"), size=2 * R + 9))
    p = R + 4

    def flipped(i: int) -> str:
        return seq[:i] + {"A": "C", "C": "G", "G": "T", "T": "A"}[seq[i]] + seq[i + 1:]

    base = _raw(model, tok, seq, [p])
    assert np.abs(_raw(model, tok, flipped(p + R), [p]) - base).max() > 0
    assert np.abs(_raw(model, tok, flipped(p - R), [p]) - base).max() > 0
    np.testing.assert_array_equal(_raw(model, tok, flipped(p + R + 1), [p]), base)
    np.testing.assert_array_equal(_raw(model, tok, flipped(p - R - 1), [p]), base)


@pytest.mark.parametrize("name", list(SHAPES))
def test_cone_and_shrink_equal_the_raw_full_masked_forward(gpns, name, rng, one_thread):
    """Every offset of a long row (the cone, row ends included) and single sites of rows shorter than the
    receptive field or cut at both ends (the shrunken context): equal to the raw GPN forward with that mask."""
    adapter, model, tok = gpns[name]
    net, R = adapter._cone, adapter.info.receptive_field
    plan = cone_plan(net)
    seq = "".join(rng.choice(list("ACGTN"), p=[0.3, 0.2, 0.2, 0.28, 0.02], size=6 * R + 30))
    offs = np.arange(len(seq))
    assert plan.clean_cost(len(seq)) + len(offs) * plan.cone_cost() < len(offs) * plan.shrink_cost()  # cone
    got = adapter.masked_sites([seq], np.zeros(len(offs), dtype=int), offs)
    np.testing.assert_allclose(got, _raw(model, tok, seq, offs), atol=1e-5, rtol=0)
    short = [seq[:R], seq[5:5 + 2 * R + 1], seq[11:11 + 3 * R], seq[3:6]]
    row_of, o = np.array([0, 1, 2, 0, 3]), np.array([R - 1, R, 3 * R - 2, 0, 1])
    assert plan.clean_cost(3 * R) + plan.cone_cost() > plan.shrink_cost()  # one site per row: shrink
    got = single_mask_log_probs(net, [adapter.tokenize(s).ids for s in short], row_of, o)
    exp = np.concatenate([_raw(model, tok, short[r], [k]) for r, k in zip(row_of, o)])
    np.testing.assert_allclose(got, exp, atol=1e-5, rtol=0)


def test_logits_page_path_uses_cones_and_equals_per_copy_masking(gpns, rng, one_thread):
    """masked_marginals (the logits / track path) on a GPN: equal to one masked copy per position."""
    adapter, model, tok = gpns["bias-depthwise"]
    seq = "".join(rng.choice(list("ACGT"), size=4 * adapter.info.receptive_field + 7))
    got = masked_marginals(adapter, seq)
    np.testing.assert_allclose(got.T, _raw(model, tok, seq, np.arange(len(seq))), atol=1e-5, rtol=0)
    brute = masked_marginals(adapter, seq, exact=False)
    np.testing.assert_allclose(got, brute, atol=1e-5, rtol=0)


def test_the_test_suites_tiny_gpn_gets_cones_too(tmp_path, rng):
    folder = tmp_path / "gpn"
    model, tok = build_gpn(folder)
    adapter = load_hf_model(str(folder))
    assert adapter.info.receptive_field == 4 and adapter.info.capabilities.masked_sites  # (5−1)·1/2 + (3−1)·2/2
    seq = "".join(rng.choice(list("ACGT"), size=30))
    offs = np.array([0, 4, 29, 15])
    np.testing.assert_allclose(adapter.masked_sites([seq], np.zeros(4, dtype=int), offs), _raw(model, tok, seq, offs),
                               atol=1e-5, rtol=0)
