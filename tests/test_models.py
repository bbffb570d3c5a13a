"""The built-in models, the GenomicLM protocol, declared capabilities, the base adapter and the loader registry."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from helpers import random_dna
from safetensors.torch import save_file

from glm_explore.embed import one_pass_layers
from glm_explore.errors import LayerError, ModelLoadError, UnsupportedByModelError
from glm_explore.models import LOADERS, load_model, loader_for, register_loader
from glm_explore.models.adapter import BaseAdapter, batches_by_length, layer_index
from glm_explore.models.base import Capabilities, GenomicLM, ModelInfo
from glm_explore.models.builtin import WEIGHTS_DIR, load_convlm_dir
from glm_explore.models.capabilities import capability_matrix, feature_status, supports_onehot, supports_probe_target
from glm_explore.sequence import one_hot


@pytest.mark.parametrize("fixture", ["default_mlm", "default_clm", "tiny_mlm", "tiny_clm"])
def test_protocol_shapes_and_normalisation(request, fixture, rng):
    model = request.getfixturevalue(fixture)
    assert isinstance(model, GenomicLM)
    seqs = [random_dna(rng, 97) for _ in range(3)]
    masked = None
    if model.info.objective == "mlm":
        masked = np.zeros((3, 97), dtype=bool)
        masked[:, ::7] = True
    lp = model.log_probs(seqs, masked, batch_size=2)
    assert lp.shape == (3, 4, 97)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-5)
    hs = model.hidden_states(seqs + [random_dna(rng, 40)], layer=-1, batch_size=2)
    assert [h.shape for h in hs] == [(97, model.info.dim)] * 3 + [(40, model.info.dim)]
    # one-hot path gives the same logits as the code path
    x = torch.from_numpy(np.stack([one_hot(s) for s in seqs]))
    m = None if masked is None else torch.from_numpy(masked)
    logits = model.onehot_forward(x, m)
    np.testing.assert_allclose(torch.log_softmax(logits, 1).detach().numpy(), lp, atol=1e-5)


def test_clm_is_causal_and_mlm_receptive_field_is_exact(tiny_clm, default_mlm, rng):
    seq = random_dna(rng, 200)
    j = 120
    alt = seq[:j] + ("A" if seq[j] != "A" else "C") + seq[j + 1:]
    a, b = tiny_clm.log_probs([seq, alt])
    np.testing.assert_allclose(a[:, : j + 1], b[:, : j + 1], atol=1e-6)  # P(x_i | x_<i), i ≤ j unchanged
    assert np.abs(a[:, j + 1] - b[:, j + 1]).max() > 1e-6  # and the next one sees it
    R = default_mlm.info.receptive_field
    seq = random_dna(rng, 2 * R + 60)
    j = len(seq) - 1
    alt = seq[:j] + ("A" if seq[j] != "A" else "C")
    a, b = default_mlm.log_probs([seq, alt])
    far = np.arange(0, j - R)
    np.testing.assert_array_equal(a[:, far], b[:, far])  # beyond R: bit-identical
    # within R the change is seen (at exactly R the single longest path can vanish below float32 resolution)
    assert np.abs(a[:, j - R:] - b[:, j - R:]).max(axis=0)[: R // 4].max() > 0


def test_hidden_layers(default_mlm, default_clm, rng):
    seq = random_dna(rng, 64)
    for model in (default_mlm, default_clm):
        layers = [model.hidden_states([seq], layer=i)[0] for i in range(model.info.n_layers + 1)]
        np.testing.assert_array_equal(layers[-1], model.hidden_states([seq], layer=-1)[0])
        assert not np.allclose(layers[0], layers[-1])
        with pytest.raises(ValueError):
            model.hidden_states([seq], layer=model.info.n_layers + 1)


def test_weights_are_safetensors_with_json_config():
    for name in ("yeast-mlm", "yeast-clm"):
        folder = WEIGHTS_DIR / name
        assert (folder / "model.safetensors").exists()
        cfg = json.loads((folder / "config.json").read_text())
        assert cfg["objective"] in {"mlm", "clm"}
        assert not list(folder.glob("*.pt")) and not list(folder.glob("*.bin")) and not list(folder.glob("*.pkl"))


def test_load_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        load_convlm_dir(tmp_path)
    with pytest.raises(ModelLoadError):
        load_model(str(tmp_path / "nope"))


# ------------------------------------------------------------------- declared capabilities, base adapter

@pytest.mark.parametrize("fixture", ["tiny_mlm", "tiny_clm"])
def test_builtin_capabilities_match_what_the_adapter_does(request, fixture, rng):
    """The ConvLM declares every optional feature; each works as declared."""
    model = request.getfixturevalue(fixture)
    caps = model.info.capabilities
    assert isinstance(model, BaseAdapter) and model.network is model.model
    assert (caps.onehot_forward, caps.onehot_hidden, caps.one_pass_layers, caps.snv_rule, caps.k) == \
        (True, True, True, False, 1)
    assert supports_onehot(model) and supports_probe_target(model) and one_pass_layers(model)
    seqs = [random_dna(rng, 40) for _ in range(3)]
    x = torch.from_numpy(np.stack([one_hot(s) for s in seqs])).requires_grad_(True)
    out = model.onehot_forward(x)
    assert out.shape == (3, 4, 40)
    out[:, 0, 20].sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 1e-3
    # onehot_hidden (probe target): equals the token path; a fixed projection has a live gradient
    x.grad = None
    states = model.onehot_hidden(x, [0, -1, 2])
    for layer, got in zip([0, -1, 2], states):
        np.testing.assert_allclose(got.detach().numpy(), np.stack(model.hidden_states(seqs, layer=layer)),
                                   atol=1e-5)
    w = torch.randn(states[1].shape[-1], generator=torch.Generator().manual_seed(0))
    (states[1][:, 20] @ w).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 1e-3
    # one pass for all layers = one hidden_states call per layer, in the order asked (repeats kept)
    layers = [3, 0, -1, 1]
    for got, k in zip(model.hidden_layers(seqs, layers, batch_size=2), layers):
        np.testing.assert_allclose(got, np.stack(model.hidden_states(seqs, layer=k)), rtol=1e-5, atol=1e-5)
    assert model.snv_skip_reason(seqs[0], 5, "A") is None
    assert capability_matrix(model).set_index("what").loc["Gradient attribution (saliency, IG, DeepLIFT)",
                                                          "value"] == "exact"


class _Declared(BaseAdapter):
    """A model that implements only the core protocol (hidden state at i = one-hot(x_i) × (layer + 1))."""

    def __init__(self, capabilities: Capabilities = Capabilities()):
        self.info = ModelInfo(name="declared", objective="mlm", tokenization="char", max_len=1000, n_layers=2,
                              dim=4, source="test", capabilities=capabilities)
        self.calls: list[int] = []

    def hidden_states(self, seqs, layer=-1, *, batch_size=64):
        k = self.layer_index(layer)
        self.calls.append(k)
        return [one_hot(s).T * (k + 1) for s in seqs]


def test_base_adapter_defaults():
    m = _Declared()
    assert isinstance(m, GenomicLM) and m.network is None
    assert not supports_onehot(m) and not supports_probe_target(m) and not one_pass_layers(m)
    with pytest.raises(UnsupportedByModelError, match="ISM"):
        m.onehot_forward(torch.zeros(1, 4, 8))
    with pytest.raises(UnsupportedByModelError, match="likelihood target"):
        m.onehot_hidden(torch.zeros(1, 4, 8), [-1])
    assert m.snv_skip_reason("ACGTACGT", 3, "A") is None
    # hidden_layers: one hidden_states call per layer, in the order asked
    got = m.hidden_layers(["ACGT", "TTGA"], [-1, 0])
    assert m.calls == [2, 0] and [h.shape for h in got] == [(2, 4, 4)] * 2
    np.testing.assert_array_equal(got[0][1], one_hot("TTGA").T * 3)
    # layer normalisation: 0 = embedding, -1 = last, out of range is a user error naming the range
    assert m.layer_indices([0, 1, 2, -1, -2, -3]) == [0, 1, 2, 2, 1, 0]
    for bad in (3, -4):
        with pytest.raises(LayerError, match=rf"layers 0\.\.2 .*got {bad}"):
            m.layer_index(bad)
        with pytest.raises(ValueError):  # LayerError is a ValueError (older callers catch that)
            layer_index(bad, 2)


def test_capability_matrix_reads_only_the_declaration():
    """A model declaring one-hot features gets them in the matrix without any method being probed."""
    plain = _Declared()
    assert feature_status(plain, "Gradient attribution")[0] == "unsupported"
    assert feature_status(plain, "Probe attribution")[0] == "unsupported"
    declared = _Declared(Capabilities(onehot_forward=True, onehot_hidden=True))
    assert feature_status(declared, "Gradient attribution")[0] == "exact"
    assert feature_status(declared, "Probe attribution")[0] == "exact"
    only_logits = _Declared(Capabilities(onehot_forward=True))
    assert supports_onehot(only_logits) and not supports_probe_target(only_logits)
    kmer = replace(plain.info, tokenization="kmer", capabilities=Capabilities(
        k=5, approximations=(("log_probs", "through the 5-mer token"),)))
    plain.info = kmer
    rows = capability_matrix(plain).set_index("what")
    assert rows.loc["Tokenization", "note"].startswith("non-overlapping 5-mers")
    assert rows.loc["Masked marginals (logits)", "note"] == "through the 5-mer token"
    assert kmer.capabilities.note("log_probs") == "through the 5-mer token"
    assert kmer.capabilities.note("hidden_states", "exact") == "exact"


def test_batches_by_length():
    lengths = [3, 5, 3, 3, 5, 7, 3]
    chunks = list(batches_by_length(lengths, 2))
    assert chunks == [[0, 2], [3, 6], [1, 4], [5]]
    assert sorted(i for c in chunks for i in c) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in c}) == 1 for c in chunks)
    assert list(batches_by_length([], 4)) == []
    with pytest.raises(ValueError, match="batch size"):
        list(batches_by_length(lengths, 0))


# --------------------------------------------------------------------------------------- loader registry

def test_loader_registry_dispatches_each_spec_kind(tmp_path, tiny_clm):
    assert [lo.name for lo in LOADERS][:2] == ["builtin", "convlm-dir"] and LOADERS[-1].name == "huggingface"
    for spec in ("default", "default-mlm", "default-clm"):
        assert loader_for(spec).name == "builtin"
    assert load_model("default").info.name == "default-mlm"
    assert load_model("default-clm").info.objective == "clm"
    # a ConvLM folder (config.json with kernel_sizes + dilations, safetensors weights)
    folder = tmp_path / "my-convlm"
    folder.mkdir()
    (folder / "config.json").write_text(tiny_clm.model.config.to_json())
    save_file(tiny_clm.model.state_dict(), str(folder / "model.safetensors"))
    assert loader_for(str(folder)).name == "convlm-dir"
    m = load_model(str(folder))
    seq = "ACGTTGCAACGTAGGCTTAA"
    np.testing.assert_allclose(m.log_probs([seq]), tiny_clm.log_probs([seq]), atol=1e-6)
    assert m.info.name == "my-convlm" and m.info.capabilities == tiny_clm.info.capabilities
    # anything else goes to the Hugging Face loader, which says what is wrong
    for spec in (str(tmp_path / "nope"), "org/not-cached-here", str(tmp_path)):
        assert loader_for(spec).name == "huggingface"
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(str(tmp_path))


def test_a_new_model_family_is_one_registered_loader():
    seen = []

    def claims(spec: str) -> bool:
        return spec.startswith("toy:")

    try:
        @register_loader("toy", claims=claims, before="huggingface")
        def load_toy(spec: str, **options) -> GenomicLM:
            seen.append((spec, options))
            return _Declared()

        assert [lo.name for lo in LOADERS][-2:] == ["toy", "huggingface"]
        assert isinstance(load_model("toy:abc", trust_remote_code=True), _Declared)
        assert seen == [("toy:abc", {"trust_remote_code": True})]
        assert loader_for("default").name == "builtin"  # earlier loaders still win
        with pytest.raises(ValueError, match="already registered"):
            register_loader("toy", claims=claims)(load_toy)
    finally:
        LOADERS[:] = [lo for lo in LOADERS if lo.name != "toy"]
