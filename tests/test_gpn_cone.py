"""GPN ConvNet models (``gpn``'s GPNForMaskedLM and its legacy ConvNetForMaskedLM, random weights, built offline):
the receptive field declared from the config and the single-mask cones (``masked_sites``) against the raw
model's full masked forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hf_builders import build_gpn, build_gpn_legacy, build_gpn_varied

from glm_explore.logits import masked_marginals
from glm_explore.models import load_model
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


# -- gpn's legacy ConvNet (model_type "ConvNet", the GPN paper's architecture) ---------------------------------

LEGACY_SHAPES = {  # name → ConvNetConfig fields; hand receptive field Σ (k − 1)·d / 2
    "plain": ({}, 14),  # k 5, dilations 1,2,4 → 2·(1 + 2 + 4)
    "k3-two-cycles": (dict(n_layers=7, kernel_size=3, dilation_cycle=4), 22),  # 1,2,4,8,1,2,4 → 22
    "capped-k7": (dict(n_layers=5, kernel_size=7, dilation_cycle=6, dilation_max=4, dilation_double_every=2),
                  30),  # 1,1,2,2,4 → 3·10
    "k9-paper-like": (dict(n_layers=4, kernel_size=9, dilation_cycle=2, hidden_size=12), 24),  # 1,2,1,2 → 4·6
}


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """name → (adapter loaded through load_model, raw model, tokenizer)."""
    out = {}
    for name, (shape, _) in LEGACY_SHAPES.items():
        folder = tmp_path_factory.mktemp(f"gpn-legacy-{name}")
        model, tok = build_gpn_legacy(folder, **shape)
        out[name] = (load_model(str(folder)), model, tok)
    return out


def _raw_logits(model, tok, seq: str) -> np.ndarray:
    """(L, V) logits of the raw model's forward on ``seq`` (nothing masked)."""
    ids = torch.tensor([tok(seq.lower(), add_special_tokens=False)["input_ids"]])
    with torch.inference_mode():
        return model(input_ids=ids).logits[0].numpy()


@pytest.mark.parametrize("name", list(LEGACY_SHAPES))
def test_legacy_declared_receptive_field_equals_brute_force(legacy, name, rng):
    """Declared R (and the loaded adapter's capability) equals the hand value, and equals the farthest output
    that changes when one input base of a long row changes (raw model, several perturbed positions)."""
    adapter, model, tok = legacy[name]
    R = LEGACY_SHAPES[name][1]
    assert adapter.info.receptive_field == R
    assert adapter.info.capabilities.masked_sites and adapter.info.card["hf_model_type"] == "ConvNet"
    assert adapter.info.n_layers == model.config.n_layers
    seq = "".join(rng.choice(list("ACGT"), size=4 * R + 21))
    base = _raw_logits(model, tok, seq)
    reach = []
    for c in (2 * R + 10, 2 * R + 3, R + 15):
        alt = seq[:c] + {"A": "C", "C": "G", "G": "T", "T": "A"}[seq[c]] + seq[c + 1:]
        changed = np.nonzero(np.abs(_raw_logits(model, tok, alt) - base).max(axis=1) > 0)[0]
        reach.append(int(np.abs(changed - c).max()))
    assert reach == [R, R, R]


@pytest.mark.parametrize("name", list(LEGACY_SHAPES))
def test_legacy_cone_and_shrink_equal_the_raw_full_masked_forward(legacy, name, rng, one_thread):
    """Every offset of a long row (cone; both contig ends included) and single sites of rows shorter than
    2R + 1 (shrunken context): equal to the raw legacy ConvNet's forward with only that base masked."""
    adapter, model, tok = legacy[name]
    net, R = adapter._cone, adapter.info.receptive_field
    plan = cone_plan(net)
    seq = "".join(rng.choice(list("ACGTN"), p=[0.3, 0.2, 0.2, 0.28, 0.02], size=6 * R + 30))
    offs = np.arange(len(seq))
    assert plan.clean_cost(len(seq)) + len(offs) * plan.cone_cost() < len(offs) * plan.shrink_cost()  # cone
    got = adapter.masked_sites([seq], np.zeros(len(offs), dtype=int), offs)
    np.testing.assert_allclose(got, _raw(model, tok, seq, offs), atol=1e-5, rtol=0)
    short = [seq[:R], seq[5:5 + 2 * R], seq[11:11 + R + 3], seq[3:6]]
    row_of, o = np.array([0, 1, 2, 0, 3, 1]), np.array([R - 1, R, R + 1, 0, 1, 2])
    assert plan.clean_cost(2 * R) + plan.cone_cost() > plan.shrink_cost()  # one site per row: shrink
    got = single_mask_log_probs(net, [adapter.tokenize(s).ids for s in short], row_of, o)
    exp = np.concatenate([_raw(model, tok, short[r], [k]) for r, k in zip(row_of, o)])
    np.testing.assert_allclose(got, exp, atol=1e-5, rtol=0)
    assert np.exp(exp).max() > 0.6  # the random weights give clearly non-uniform predictions


def test_legacy_logits_path_and_onehot_forward(legacy, rng, one_thread):
    """masked_marginals on a legacy ConvNet equals one masked copy per position, and onehot_forward (gpn's
    ``input_probs``) equals the raw model's logits over a,c,g,t."""
    adapter, model, tok = legacy["capped-k7"]
    seq = "".join(rng.choice(list("ACGT"), size=3 * adapter.info.receptive_field + 7))
    got = masked_marginals(adapter, seq)
    np.testing.assert_allclose(got.T, _raw(model, tok, seq, np.arange(len(seq))), atol=1e-5, rtol=0)
    x = torch.nn.functional.one_hot(torch.tensor(["ACGT".index(c) for c in seq]), 4).T[None].float()
    with torch.inference_mode():
        fwd = adapter.onehot_forward(x)[0].numpy()  # (4, L)
    base_ids = tok.convert_tokens_to_ids(list("acgt"))
    np.testing.assert_allclose(fwd, _raw_logits(model, tok, seq)[:, base_ids].T, atol=1e-5, rtol=0)


def test_legacy_even_kernel_declares_no_receptive_field_and_masks_per_site(tmp_path, rng):
    """An even kernel ("same" padding off-centre) gets no receptive field and no cones; masked_sites still
    equals the raw masked forward (one full forward per masked base)."""
    model, tok = build_gpn_legacy(tmp_path / "even", n_layers=2, kernel_size=4, dilation_cycle=2)
    adapter = load_model(str(tmp_path / "even"))
    assert adapter.info.receptive_field is None and not adapter.info.capabilities.masked_sites
    seq = "".join(rng.choice(list("ACGT"), size=20))
    offs = np.array([0, 7, 19])
    np.testing.assert_allclose(adapter.masked_sites([seq], np.zeros(3, dtype=int), offs), _raw(model, tok, seq, offs),
                               atol=1e-5, rtol=0)
