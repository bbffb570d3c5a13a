"""glm_explore.models.runtime: batch sizes from free memory and the model's shape (hand-computed), threads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from glm_explore.models import runtime
from glm_explore.models.base import Capabilities, ModelInfo
from glm_explore.models.runtime import ActivationShape, activation_shape, batch_size_for, window_bytes


def _fake(k: int = 1, config=None, n_layers: int = 2, dim: int = 8, prefix=(), suffix=()):
    info = ModelInfo(name="fake", objective="mlm", tokenization="char", max_len=1000, n_layers=n_layers, dim=dim,
                     source="test", capabilities=Capabilities(k=k))
    cfg = None if config is None else SimpleNamespace(to_dict=dict, **config)
    return SimpleNamespace(info=info, network=SimpleNamespace(config=cfg),
                           aligner=SimpleNamespace(prefix=list(prefix), suffix=list(suffix)))


BERTISH = dict(model_type="bert", num_hidden_layers=2, hidden_size=8, intermediate_size=32, num_attention_heads=2,
               vocab_size=10)


def test_window_bytes_by_hand():
    model = _fake(config=BERTISH, prefix=[2], suffix=[3])
    shape = activation_shape(model)
    assert shape == ActivationShape(layers=2, dim=8, inner=32, heads=2, vocab=10, bases_per_token=1, special_tokens=2)
    # T = 100 + 2 = 102 tokens: 3·102·8 + 102·(32 + 32) + 2·2·102² + 2·102·10 = 2448 + 6528 + 41616 + 2040 floats
    assert window_bytes(shape, 100) == 4 * 52_632
    # backward: 2·(102·(48 + 32) + 2·2·102²) + 102·8 + 3·102·10 = 2·(8160 + 41616) + 816 + 3060 floats
    assert window_bytes(shape, 100, grad=True) == 4 * 103_428
    # 6-mers: 600 bases are 100 tokens (+ 2 specials) — the same as 100 characters
    assert window_bytes(activation_shape(_fake(k=6, config=BERTISH, prefix=[2], suffix=[3])), 600) == 4 * 52_632


def test_batch_size_for_by_hand():
    model = _fake(config=BERTISH, prefix=[2], suffix=[3])
    # half of 10⁶ bytes / 210,528 bytes per window = 2.37 → 2 windows
    assert batch_size_for(model, 100, 1_000_000) == 2
    assert batch_size_for(model, 100, 1_000_000, grad=True) == 1  # 500,000 // 413,712
    assert batch_size_for(model, 100, 10**12) == 64 and batch_size_for(model, 100, 10**12, requested=7) == 7
    assert batch_size_for(model, 100, 10) == 1  # never below one window
    assert batch_size_for(None, 100, 10) == 64  # nothing known about the model: as requested
    # a laptop with 2 GiB free vs machines with 4 and 16 GiB free, a 512-token GPT-2-small-like window:
    gpt2 = _fake(config=dict(model_type="gpt2", n_layer=12, n_embd=768, n_head=12, vocab_size=9), n_layers=12,
                 dim=768, prefix=[0])
    per = 4 * (13 * 513 * 768 + 513 * (4 * 768 + 4 * 768) + 2 * 12 * 513**2 + 2 * 513 * 9)  # n_inner None → 4D
    assert window_bytes(activation_shape(gpt2), 512) == per
    assert batch_size_for(gpt2, 512, 2 * 2**30) == (2**30) // per == 18  # 58.4 MB per window
    # more free memory: the batch stops growing at ACTIVATION_CAP (1.5 GiB), whatever the machine
    assert batch_size_for(gpt2, 512, 16 * 2**30) == batch_size_for(gpt2, 512, 4 * 2**30) == int(1.5 * 2**30) // per == 27


def test_builtin_cnn_shape_and_free_memory(default_mlm):
    shape = activation_shape(default_mlm)
    assert (shape.layers, shape.dim, shape.inner, shape.heads) == (9, 96, 96, 0)
    assert runtime.free_memory_bytes() > 0


def test_gpn_counts_no_attention(tmp_path):
    pytest.importorskip("gpn")
    from hf_builders import build_gpn

    from glm_explore.models.hf import load_hf_model

    build_gpn(tmp_path)
    shape = activation_shape(load_hf_model(str(tmp_path)))
    assert (shape.layers, shape.dim, shape.inner, shape.heads, shape.special_tokens) == (2, 16, 32, 0, 0)


def test_threads_from_the_environment_and_the_cores(monkeypatch):
    before = torch.get_num_threads()
    cores = runtime.available_cores()
    try:
        monkeypatch.setenv(runtime.THREADS_ENV, "1")
        assert runtime.configure_threads(force=True) == 1
        monkeypatch.delenv(runtime.THREADS_ENV)
        torch.set_num_threads(cores + 3)
        assert runtime.configure_threads(force=True) == cores  # more threads than usable cores: lowered
        torch.set_num_threads(1)
        assert runtime.configure_threads(force=True) == 1  # a lower count someone chose (a Ray actor): kept
        monkeypatch.setenv(runtime.THREADS_ENV, "2")
        assert runtime.configure_threads() == 1  # once per process: a later call changes nothing
    finally:
        torch.set_num_threads(before)
