"""Shared fixtures. Tests run offline on the bundled data and on tiny models built here."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# reports computed by the page go to a fresh folder per test run (never a result cached by an earlier run)
os.environ["GLM_EXPLORE_CACHE"] = tempfile.mkdtemp(prefix="glm_explore_cache_")
# no job counts as long (so no page waits for "Run anyway") unless a test sets the threshold itself: a cost
# estimate is a measured time, and a busy CI machine must not change what a page shows
os.environ["GLM_EXPLORE_LONG_SECONDS"] = "1e12"

from helpers import ROOT, random_dna  # noqa: F401  (re-exported for older imports)


@pytest.fixture(scope="session")
def chloroplast():
    """The bundled Arabidopsis chloroplast GenomeData (154 kb)."""
    from glm_explore.io.datasets import load_dataset

    return load_dataset("chloroplast")


@pytest.fixture(scope="session")
def yeast():
    from glm_explore.io.datasets import load_dataset

    return load_dataset("yeast")


@pytest.fixture(scope="session")
def default_mlm():
    from glm_explore.models.builtin import load_builtin

    return load_builtin("default-mlm")


@pytest.fixture(scope="session")
def default_clm():
    from glm_explore.models.builtin import load_builtin

    return load_builtin("default-clm")


@pytest.fixture(scope="session")
def tiny_mlm():
    """A random-weight, small-receptive-field ConvLM MLM (fast; answers checkable by brute force)."""
    import torch

    from glm_explore.models.builtin import ConvLMAdapter
    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    torch.manual_seed(0)
    return ConvLMAdapter(ConvLM(ConvLMConfig("mlm", width=16, kernel_sizes=[5, 3, 3], dilations=[1, 2, 4])),
                         "tiny-mlm", source="test")


@pytest.fixture(scope="session")
def tiny_clm():
    import torch

    from glm_explore.models.builtin import ConvLMAdapter
    from glm_explore.models.convnet import ConvLM, ConvLMConfig

    torch.manual_seed(1)
    return ConvLMAdapter(ConvLM(ConvLMConfig("clm", width=16, kernel_sizes=[5, 3, 3], dilations=[1, 2, 4])),
                         "tiny-clm", source="test")


@pytest.fixture()
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def one_thread_module():
    """:func:`one_thread` for a whole module (``pytestmark = pytest.mark.usefixtures("one_thread_module")``)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def one_thread():
    """Torch on one thread for the test (the machine is shared); the previous count restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
