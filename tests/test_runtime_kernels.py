"""Fused activations and GPT-2's Conv1D as Linear (glm_explore.models.runtime): the same function, fewer
kernels — checked against the formulas transformers writes out and against the untouched modules."""

from __future__ import annotations

import copy
import math

import torch
from hf_builders import build_char_gpt2, build_kmer_esm

from glm_explore.models import load_model
from glm_explore.models.runtime import INT8_SUFFIX, fuse_activations, linear_from_conv1d


def _ids(vocab: int, n: int = 3, length: int = 40) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(3, vocab, (n, length), generator=g)


def test_gpt2_tanh_gelu_is_fused_and_the_logits_do_not_change(tmp_path):
    raw, _ = build_char_gpt2(tmp_path)
    ids = _ids(raw.config.vocab_size)
    with torch.inference_mode():
        before = raw(input_ids=ids).logits
    fused = copy.deepcopy(raw)
    n = fuse_activations(fused)
    assert n == raw.config.n_layer
    assert not any(type(m).__name__ == "NewGELUActivation" for m in fused.modules())
    assert sum(isinstance(m, torch.nn.GELU) and m.approximate == "tanh" for m in fused.modules()) == n
    with torch.inference_mode():
        assert torch.allclose(fused(input_ids=ids).logits, before, atol=1e-5)
    loaded = load_model(str(tmp_path))  # the loader fuses
    assert not any(type(m).__name__ == "NewGELUActivation" for m in loaded.network.modules())


def test_esm_erf_gelu_is_torchs_and_equals_the_written_formula(tmp_path, monkeypatch):
    import transformers.models.esm.modeling_esm as esm

    raw, tok = build_kmer_esm(tmp_path)
    ids = _ids(raw.config.vocab_size, length=20)
    monkeypatch.setattr(esm, "gelu", lambda x: x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))))  # as written there
    with torch.inference_mode():
        before = raw(input_ids=ids).logits
    assert fuse_activations(raw) == raw.config.num_hidden_layers
    assert esm.gelu is torch.nn.functional.gelu
    with torch.inference_mode():
        assert torch.allclose(raw(input_ids=ids).logits, before, atol=1e-5)


def test_conv1d_becomes_the_same_linear_and_int8_then_reaches_gpt2(tmp_path):
    raw, _ = build_char_gpt2(tmp_path)
    ids = _ids(raw.config.vocab_size)
    conv = copy.deepcopy(raw)
    with torch.inference_mode():
        before = raw(input_ids=ids).logits
    assert linear_from_conv1d(conv) == 4 * raw.config.n_layer  # c_attn, attn c_proj, c_fc, mlp c_proj per block
    assert not any(type(m).__name__ == "Conv1D" for m in conv.modules())
    with torch.inference_mode():
        assert torch.allclose(conv(input_ids=ids).logits, before, atol=1e-5)
    fast = load_model(str(tmp_path), fast=True)
    assert fast.info.name.endswith(INT8_SUFFIX)
    assert fast.info.card["int8"] == 4 * raw.config.n_layer + 1  # the projections and the LM head
