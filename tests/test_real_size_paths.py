"""The fast paths real-size models need (issue 23), each equal to the slow path it replaces.

- masked marginals by token (k-mer ESM, BPE BERT): one masked copy per token equals one per base;
- CLM variant scoring with a shared prefix (GPT-2, Llama; ``past_key_values``) equals two full passes;
- ``bench/real_size.py --tiny`` builds every model class and runs its table end to end.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from Bio.Seq import Seq
from helpers import random_dna
from hf_builders import build_bpe_bert, build_char_gpt2, build_char_llama, build_kmer_esm

from glm_explore import variants as va
from glm_explore.logits import masked_marginals
from glm_explore.models import load_model


@pytest.fixture(scope="module")
def token_models(tmp_path_factory, chloroplast):
    root = tmp_path_factory.mktemp("tok")
    build_kmer_esm(root / "kmer")
    build_bpe_bert(root / "bpe", chloroplast.genome.fetch(chloroplast.genome.chroms[0], 10_000, 14_000))
    return {name: load_model(str(root / name)) for name in ("kmer", "bpe")}


class _CountRows:
    """Wraps a transformers model's forward and counts the sequences (rows) it is given."""

    def __init__(self, model) -> None:
        self.model, self.rows, self._forward = model, 0, model.forward

    def __enter__(self):
        def counted(*args, **kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            self.rows += int(ids.shape[0])
            return self._forward(*args, **kwargs)

        self.model.forward = counted
        return self

    def __exit__(self, *exc) -> None:
        self.model.forward = self._forward


@pytest.mark.parametrize("name", ["kmer", "bpe"])
def test_masked_marginals_by_token_equal_per_base_masking(token_models, name, rng):
    """Exact marginals (one copy per token) equal the per-base path (exact=False: one mask per copy), also
    on a subset of positions and with N bases (single-base tokens)."""
    model = token_models[name]
    seq = random_dna(rng, 41) + "NN" + random_dna(rng, 20)
    per_base = masked_marginals(model, seq, exact=False)
    np.testing.assert_allclose(masked_marginals(model, seq), per_base, atol=1e-5, rtol=0)
    pos = np.array([3, 4, 5, 17, 42, 60])
    got = masked_marginals(model, seq, positions=pos)
    np.testing.assert_allclose(got[:, pos], per_base[:, pos], atol=1e-5, rtol=0)
    assert np.isnan(np.delete(got, pos, axis=1)).all()


@pytest.mark.parametrize("name", ["kmer", "bpe"])
def test_masked_marginals_run_one_copy_per_token(token_models, name, rng):
    model = token_models[name]
    seq = random_dna(rng, 60)
    n_tokens = int((model.tokenize(seq).tok_len > 0).sum())
    with _CountRows(model.model) as per_token:
        masked_marginals(model, seq)
    with _CountRows(model.model) as per_base:
        masked_marginals(model, seq, exact=False)
    assert per_token.rows == n_tokens
    assert per_base.rows == len(seq)
    if name == "kmer":
        assert n_tokens == 10  # 60 bp = ten 6-mers: 6× fewer forward copies


def test_masked_sites_serve_sites_from_several_rows(token_models, rng):
    """HFAdapter.masked_sites equals the one-copy-per-site default (BaseAdapter) on sites from two rows."""
    from glm_explore.models.adapter import BaseAdapter

    model = token_models["kmer"]
    seqs = [random_dna(rng, 30), random_dna(rng, 30)]
    row_of, offs = np.array([0, 0, 1, 1, 0]), np.array([1, 4, 29, 0, 12])
    np.testing.assert_allclose(model.masked_sites(seqs, row_of, offs),
                               BaseAdapter.masked_sites(model, seqs, row_of, offs), atol=1e-5, rtol=0)
    assert torch.is_grad_enabled()  # the inference-mode decorator left the global state alone


# ---------------------------------------------------------------------------------- CLM shared prefix

@pytest.fixture(scope="module")
def clms(tmp_path_factory):
    root = tmp_path_factory.mktemp("clm")
    build_char_gpt2(root / "gpt2")
    build_char_llama(root / "llama")
    return {name: load_model(str(root / name)) for name in ("gpt2", "llama")}


def _variants(data, rng) -> pd.DataFrame:
    """SNVs incl. three alts at one site and sites at the contig's first bases (variant off the window centre)."""
    chrom = data.genome.chroms[0]
    rows = []
    for p in [1, 3, 800, 801, 5_000, 5_000, 5_000, 30_000]:
        ref = data.genome.fetch(chrom, p - 1, p)
        alts = [b for b in "ACGT" if b != ref]
        rows.append((chrom, p, ref, alts[len(rows) % 3]))
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_shared_prefix_clm_scores_equal_two_full_passes(clms, chloroplast, name, rng):
    model = clms[name]
    assert model.caches_prefix and model.info.receptive_field is None
    df = _variants(chloroplast, rng)
    for reduce in ("sum", "mean"):
        for both in (False, True):
            fast = va.clm_delta(model, chloroplast, df, window=41, reduce=reduce, both_strands=both)
            full = va.clm_delta(model, chloroplast, df, window=41, reduce=reduce, both_strands=both, packed=False)
            assert (fast["status"] == "ok").all()
            for col in ("ll_ref", "ll_alt", "llr"):
                assert np.abs(fast[col] - full[col]).max() <= 1e-4, (col, reduce, both)
    # and against a hand computation for one SNV on both strands (whole windows through the raw adapter)
    out = va.clm_delta(model, chloroplast, df.iloc[[2]], window=41, both_strands=True)
    row = df.iloc[2]
    ref_seq = chloroplast.genome.fetch(row.chrom, row.pos - 1 - 20, row.pos + 20)
    alt_seq = ref_seq[:20] + row.alt + ref_seq[21:]

    def ll(s: str) -> float:
        lp = model.log_probs([s])[0]
        return float(sum(lp["ACGT".index(b), i] for i, b in enumerate(s)))

    rc = lambda s: str(Seq(s).reverse_complement())  # noqa: E731
    expect = (ll(alt_seq) - ll(ref_seq) + ll(rc(alt_seq)) - ll(rc(ref_seq))) / 2
    assert out["llr"].iat[0] == pytest.approx(expect, abs=1e-4)


def test_shared_prefix_runs_the_left_of_the_variant_once(clms, chloroplast, rng):
    """Tokens through the network: prefix once + two suffixes, fewer than two full windows."""
    model = clms["gpt2"]
    df = _variants(chloroplast, rng).iloc[[2]]  # one SNV at the window centre

    class Tokens(_CountRows):
        def __enter__(self):
            def counted(*args, **kwargs):
                ids = kwargs.get("input_ids", args[0] if args else None)
                self.rows += int(ids.numel())
                return self._forward(*args, **kwargs)

            self.model.forward = counted
            return self

    with Tokens(model.model) as fast:
        va.clm_delta(model, chloroplast, df, window=41)
    with Tokens(model.model) as full:
        va.clm_delta(model, chloroplast, df, window=41, packed=False)
    assert full.rows == 2 * 42  # BOS + 41 bases, ref and alt
    assert fast.rows == 21 + 2 * 21  # BOS + 20 bases left of the variant once, then 21 tokens each


def test_models_without_a_cache_take_the_full_path(clms, chloroplast, rng, monkeypatch):
    model = clms["gpt2"]
    df = _variants(chloroplast, rng)
    declared = model.info
    monkeypatch.setattr(model, "info", replace(declared, capabilities=replace(declared.capabilities,
                                                                                caches_prefix=False)))
    assert not model.caches_prefix
    a = va.clm_delta(model, chloroplast, df, window=41)
    groups = [["ACGTACGT", "ACGTTCGT"]]
    np.testing.assert_allclose(model.log_probs_shared_prefix(groups)[0], model.log_probs(groups[0]), atol=0)
    monkeypatch.setattr(model, "info", declared)
    np.testing.assert_allclose(model.log_probs_shared_prefix(groups)[0], model.log_probs(groups[0]), atol=1e-5)
    b = va.clm_delta(model, chloroplast, df, window=41)
    assert np.abs(a["llr"] - b["llr"]).max() <= 1e-4


def test_the_scorer_reads_the_declared_capability_not_the_adapter_class(clms, default_clm, chloroplast, rng):
    """clm_delta takes the shared-prefix path for any model declaring ``caches_prefix`` (here a wrapper that is not
    an HFAdapter) and BaseAdapter's default ``log_probs_shared_prefix`` is plain ``log_probs`` per group."""
    from glm_explore.models.adapter import BaseAdapter

    inner = clms["gpt2"]

    class Wrapped(BaseAdapter):
        def __init__(self):
            self.info, self.calls = inner.info, 0

        def log_probs(self, seqs, masked=None, *, batch_size=64):
            return inner.log_probs(seqs, masked, batch_size=batch_size)

        def log_probs_shared_prefix(self, groups, *, batch_size=64):
            self.calls += 1
            return inner.log_probs_shared_prefix(groups, batch_size=batch_size)

    wrapped, df = Wrapped(), _variants(chloroplast, rng)
    assert wrapped.info.capabilities.caches_prefix
    got = va.clm_delta(wrapped, chloroplast, df, window=41)
    assert wrapped.calls == 1
    np.testing.assert_allclose(got["llr"], va.clm_delta(inner, chloroplast, df, window=41, packed=False)["llr"],
                               atol=1e-4, rtol=0)
    groups = [["ACGTACGT", "ACGTTCGT"], ["GGGAC"]]
    assert not default_clm.info.capabilities.caches_prefix
    for g, lp in zip(groups, BaseAdapter.log_probs_shared_prefix(default_clm, groups)):
        np.testing.assert_array_equal(lp, default_clm.log_probs(g))


# ---------------------------------------------------------------------------------- bench/real_size.py

def _bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "real_size.py"
    spec = importlib.util.spec_from_file_location("real_size_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["nt-v2-100m", "gpt2-char"])
def test_bench_layouts_load_with_the_weights_saved(tmp_path, monkeypatch, name, rng):
    """The bench's tiny models: the HF-cache-layout sharded safetensors (found by id) and the pytorch_model.bin
    folder load through load_model with the weights they were built with (built once, then found again)."""
    import huggingface_hub.constants as hf_constants

    bench = _bench()
    spec, env = bench.build(name, tmp_path, tiny=True)
    assert bench.build(name, tmp_path, tiny=True) == (spec, env)  # cached: found, not rebuilt
    if env:
        monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", env["HF_HUB_CACHE"])
        snap = next((tmp_path / "hub").glob("models--*/snapshots/*"))
        assert (snap / "model.safetensors.index.json").exists()
        assert len(list(snap.glob("model-*-of-*.safetensors"))) >= 2
    else:
        assert (tmp_path / "plain" / name / "pytorch_model.bin").exists()
    model = load_model(spec)
    torch.manual_seed(0)
    reference, _ = bench.SHAPES[name][0](tmp_path / "again", True)
    loaded = model.model.state_dict()
    for key, value in reference.state_dict().items():
        torch.testing.assert_close(loaded[key], value, atol=0, rtol=0)
    assert model.info.objective == ("mlm" if name == "nt-v2-100m" else "clm")


@pytest.mark.parametrize("name", ["gpn", "gpt2-char"])
def test_bench_int8_comparison_on_tiny_models(tmp_path, name):
    """The bench's --int8 row: full precision vs --fast on held-out windows, labelled, close (loose: 0.5 nats,
    ρ ≥ 0.9 on these tiny random models) — an MLM through masked_sites, a CLM through its next-base log-probs."""
    bench = _bench()
    spec, _ = bench.build(name, tmp_path, tiny=True)
    r = bench.int8_one(spec)
    assert r["name"].endswith("· int8")
    assert r["values"] == bench.INT8_WINDOWS * (bench.INT8_SITES if name == "gpn" else bench.INT8_BP)
    assert 0 < r["max_abs_dlogp"] <= 0.5 and r["spearman"] >= 0.9
    assert r["full_s"] > 0 and r["int8_s"] > 0 and r["speedup"] == pytest.approx(r["full_s"] / r["int8_s"])
