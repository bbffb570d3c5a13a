"""The built-in models and the GenomicLM protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import random_dna

from glm_explore.errors import ModelLoadError
from glm_explore.models import load_model
from glm_explore.models.base import GenomicLM
from glm_explore.models.builtin import WEIGHTS_DIR, load_convlm_dir
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
