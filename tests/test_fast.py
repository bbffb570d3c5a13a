"""The fast-inference switch (--fast, sidebar toggle): int8 dynamic quantization of Linear layers, labelled.

Tolerances are loose by design — int8 changes the numbers: on these tiny random / small trained models the
masked marginals stay within 0.25 nats of full precision and rank positions alike (Spearman ρ ≥ 0.95).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import random_dna
from hf_builders import build_char_bert
from scipy.stats import spearmanr

from glm_explore.logits import masked_marginals
from glm_explore.models import load_model
from glm_explore.models.capabilities import feature_status
from glm_explore.models.runtime import INT8_SUFFIX, quantize_int8

TOL_NATS, MIN_RHO = 0.25, 0.95


def _close(full, fast, seq):
    a, b = masked_marginals(full, seq), masked_marginals(fast, seq)
    assert np.abs(a - b).max() <= TOL_NATS
    ref = np.array(["ACGT".index(c) for c in seq])
    rho = spearmanr(a[ref, np.arange(len(seq))], b[ref, np.arange(len(seq))])[0]
    assert rho >= MIN_RHO
    assert np.abs(a - b).max() > 0  # it did change something: the label is not decoration


def test_builtin_int8_is_close_and_labelled(rng, one_thread):
    full, fast = load_model("default-mlm"), load_model("default-mlm", fast=True)
    assert fast.info.name == "default-mlm" + INT8_SUFFIX and full.info.name == "default-mlm"
    assert fast.info.card["int8"] == sum(isinstance(m, torch.nn.Linear) for m in full.network.modules()) - 1  # not embed
    _close(full, fast, random_dna(rng, 400))
    assert feature_status(fast, "Fast inference (int8)")[0] == "approximate"
    assert feature_status(fast, "Gradient attribution")[0] == "unsupported"
    assert not fast.info.capabilities.onehot_forward and full.info.capabilities.onehot_forward


def test_hf_int8_is_close_and_labelled(tmp_path, rng, one_thread):
    build_char_bert(tmp_path)
    full, fast = load_model(str(tmp_path)), load_model(str(tmp_path), fast=True)
    assert fast.info.name.endswith(INT8_SUFFIX) and "int8" in dict(fast.info.capabilities.approximations)
    _close(full, fast, random_dna(rng, 120))
    assert not fast.supports_onehot and feature_status(fast, "Gradient attribution")[0] == "unsupported"


def test_quantize_int8_counts_and_replaces_linear_layers():
    net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.Linear(8, 2))
    x = torch.randn(5, 8)
    before = net(x)
    out, n = quantize_int8(net)
    assert n == 2 and not any(type(m) is torch.nn.Linear for m in out.modules())
    assert torch.allclose(out(x), before, atol=0.1)


def test_cli_fast_flag_labels_the_output(tmp_path, capsys):
    from glm_explore.cli import main

    out = tmp_path / "l.tsv"
    assert main(["logits", "--sequence", "ACGTTGCAAC" * 8, "--fast", "--out", str(out)]) == 0
    assert "default-mlm · int8" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["embed", "--help"])
    assert "--fast" in capsys.readouterr().out
