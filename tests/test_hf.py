"""Hugging Face adapter: tiny models built here, saved with save_pretrained, loaded offline.

Every check compares the adapter with an independent computation on the original in-memory model
(the tokenizer's own tokenization / offsets, prefix-only forwards, brute-force k-mer enumeration).
"""

from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import random_dna
from hf_builders import build_bpe_bert, build_char_bert, build_char_gpt2, build_gpn, build_kmer_esm

from glm_explore.errors import InputTooLargeError, ModelLoadError, UnsupportedByModelError
from glm_explore.logits import masked_marginals
from glm_explore.models import load_model
from glm_explore.models.capabilities import capability_matrix, feature_status
from glm_explore.models.hf import HFAdapter, load_hf_model, remote_code_files
from glm_explore.sequence import one_hot

BASES = "ACGT"


@pytest.fixture(scope="module")
def built(tmp_path_factory, chloroplast):
    root = tmp_path_factory.mktemp("hf")
    training = chloroplast.genome.fetch(chloroplast.genome.chroms[0], 10_000, 14_000)
    out = {}
    for name, fn in [("bert", build_char_bert), ("gpt2", build_char_gpt2), ("kmer", build_kmer_esm),
                     ("gpn", build_gpn)]:
        model, tok = fn(root / name)
        out[name] = (root / name, model, tok)
    model, tok = build_bpe_bert(root / "bpe", training)
    out["bpe"] = (root / "bpe", model, tok)
    return out


@pytest.fixture(scope="module")
def adapters(built):
    return {name: load_model(str(folder)) for name, (folder, _, _) in built.items()}


def _log_softmax(x: torch.Tensor) -> np.ndarray:
    return torch.log_softmax(x.double(), dim=-1).numpy()


# ------------------------------------------------------------------------------------- loading/info

def test_info_filled_in(adapters):
    expect = {"bert": ("mlm", "char", 2, 16), "gpt2": ("clm", "char", 2, 16), "kmer": ("mlm", "kmer", 2, 16),
              "bpe": ("mlm", "bpe", 2, 16), "gpn": ("mlm", "char", 2, 16)}
    for name, (objective, tokenization, layers, dim) in expect.items():
        info = adapters[name].info
        assert isinstance(adapters[name], HFAdapter)
        assert (info.objective, info.tokenization, info.n_layers, info.dim) == (objective, tokenization, layers, dim)
        assert info.receptive_field == (4 if name == "gpn" else None)  # GPN: (5−1)·1/2 + (3−1)·2/2
    assert adapters["kmer"].k == 6
    # max length in bases: (positions − ESM's 2 offset − <cls> <eos>) × 6; BERT: 96 − [CLS] [SEP]
    assert adapters["kmer"].info.max_len == (64 - 2 - 2) * 6
    assert adapters["bert"].info.max_len == 1398
    assert adapters["gpn"].info.max_len == 100_000  # convolutional: no position limit


@pytest.mark.parametrize("name", ["bert", "gpt2", "kmer", "bpe", "gpn"])
def test_shapes_alignment_and_normalisation(adapters, name, rng):
    m = adapters[name]
    seqs = [random_dna(rng, 23), random_dna(rng, 11) + "N" + random_dna(rng, 11)]
    lp = m.log_probs(seqs)
    assert lp.shape == (2, 4, 23) and np.isfinite(lp).all()
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-5)
    if m.info.is_mlm:
        masked = np.zeros((2, 23), bool)
        masked[:, [3, 10, 11]] = True
        np.testing.assert_allclose(np.exp(m.log_probs(seqs, masked)).sum(axis=1), 1.0, atol=1e-5)
    hs = m.hidden_states([seqs[0], seqs[1][:17], "ACG"], layer=-1)
    assert [h.shape for h in hs] == [(23, 16), (17, 16), (3, 16)]


def test_hidden_states_match_raw_model_per_token(built, adapters, rng):
    """Each base's row is the raw model's state of the token that covers it (tokenizer offsets)."""
    for name in ["bert", "kmer", "bpe"]:
        _, model, tok = built[name]
        seq = random_dna(rng, 30) + "N" + random_dna(rng, 8)
        enc = tok(seq, return_offsets_mapping=name != "kmer")
        with torch.no_grad():
            states = model(torch.tensor([enc["input_ids"]]), output_hidden_states=True).hidden_states[1][0].numpy()
        if name == "kmer":  # slow ESM tokenizer: offsets from its token strings
            pieces = tok.convert_ids_to_tokens(enc["input_ids"])
            spans, at = [], 0
            for p in pieces:
                n = len(p) if set(p) <= set("ACGTN") else 0
                spans.append((at, at + n))
                at += n
        else:
            spans = enc["offset_mapping"]
        expect = np.zeros((len(seq), 16))
        for t, (a, b) in enumerate(spans):
            expect[a:b] = states[t]
        got = adapters[name].hidden_states([seq], layer=1)[0]
        np.testing.assert_allclose(got, expect, atol=1e-5)


# -------------------------------------------------------------------------------- character models

@pytest.mark.parametrize("name", ["bert", "gpn"])
def test_char_masked_marginals_equal_brute_force(built, adapters, name, rng):
    """Mask base i by hand in the tokenizer's own ids, softmax over the 4 base tokens."""
    _, model, tok = built[name]
    seq = random_dna(rng, 18)
    text = seq.lower() if name == "gpn" else seq
    enc = tok(text, return_offsets_mapping=True)
    base_ids = tok.convert_tokens_to_ids(list(text[:0] + ("acgt" if name == "gpn" else BASES)))
    expect = np.empty((4, len(seq)))
    for i in range(len(seq)):
        t = [j for j, o in enumerate(enc["offset_mapping"]) if tuple(o) == (i, i + 1)][0]
        ids = list(enc["input_ids"])
        ids[t] = tok.mask_token_id
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, t, base_ids]
        expect[:, i] = _log_softmax(logits)
    np.testing.assert_allclose(masked_marginals(adapters[name], seq), expect, atol=1e-5)


def test_char_clm_equals_prefix_forwards(built, adapters, rng):
    """Column i = P(x_i | [BOS] x_<i) from a forward over the prefix alone (no look-ahead)."""
    _, model, tok = built["gpt2"]
    seq = random_dna(rng, 15)
    base_ids = tok.convert_tokens_to_ids(list(BASES))
    expect = np.empty((4, len(seq)))
    for i in range(len(seq)):
        ids = [tok.bos_token_id] + tok(seq[:i], add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            expect[:, i] = _log_softmax(model(input_ids=torch.tensor([ids])).logits[0, -1, base_ids])
    np.testing.assert_allclose(adapters["gpt2"].log_probs([seq])[0], expect, atol=1e-5)


@pytest.mark.parametrize("name", ["bert", "gpt2", "gpn"])
def test_onehot_forward_matches_log_probs(adapters, name, rng):
    m = adapters[name]
    seqs = [random_dna(rng, 20), random_dna(rng, 20)]
    x = torch.nn.functional.one_hot(torch.tensor([["ACGT".index(b) for b in s] for s in seqs]), 4)
    x = x.transpose(1, 2).float().requires_grad_(True)
    masked = np.zeros((2, 20), bool)
    masked[0, 4] = masked[1, 9] = True
    mt = torch.from_numpy(masked) if m.info.is_mlm else None
    out = m.onehot_forward(x, mt)
    assert out.shape == (2, 4, 20)
    expect = m.log_probs(seqs, masked if m.info.is_mlm else None)
    np.testing.assert_allclose(torch.log_softmax(out, dim=1).detach().numpy(), expect, atol=1e-4)
    out[:, 0, 5].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["bert", "gpt2", "gpn"])
def test_onehot_hidden_matches_hidden_states(adapters, name, rng):
    """The differentiable hidden-state path (probe target) equals the token path, layer by layer."""
    m = adapters[name]
    seqs = [random_dna(rng, 24), random_dna(rng, 24)]
    x = torch.from_numpy(np.stack([one_hot(s) for s in seqs])).requires_grad_(True)
    layers = [0, -1]
    if name == "gpn":  # GPN's output has the last layer only, like its token path
        with pytest.raises(UnsupportedByModelError, match="only its last layer"):
            m.onehot_hidden(x, [0, -1])
        layers = [-1, -1]
    states = m.onehot_hidden(x, layers)
    for layer, got in zip(layers, states):
        want = np.stack(m.hidden_states(seqs, layer=layer))
        np.testing.assert_allclose(got.detach().numpy(), want, atol=1e-4)
    # A fixed random projection of base 10's state: its gradient cannot vanish. (The plain feature sum
    # would: every state here leaves a LayerNorm whose weight is 1 at init, so its feature sum is
    # constant and its gradient is rounding noise, ~1e-7.)
    w = torch.randn(states[1].shape[-1], generator=torch.Generator().manual_seed(0))
    (states[1][:, 10] @ w).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 1e-2


# ---------------------------------------------------------------------------------------- k-mer / BPE

def test_kmer_tokenization_matches_tokenizer(built, adapters, rng):
    _, _, tok = built["kmer"]
    for seq in [random_dna(rng, 20), random_dna(rng, 9) + "N" + random_dna(rng, 13), "ACGTA", "NNACGTACGT"]:
        tk = adapters["kmer"].tokenize(seq)
        ids = tok(seq)["input_ids"]
        assert tk.ids.tolist() == ids
        pieces = tok.convert_ids_to_tokens(ids)
        covered = "".join(pieces[t] for t in tk.base_tok)  # token of each base, concatenated per base
        starts = [t for t in range(len(pieces)) if tk.tok_len[t]]
        assert "".join(pieces[t] for t in starts) == seq
        assert len(covered) == sum(len(pieces[t]) for t in tk.base_tok)


def _kmer_brute(model, tok, seq: str, positions: list[int]) -> np.ndarray:
    """(4, len(positions)) by enumerating all 4^6 k-mers at the masked token of each position."""
    pieces = tok.tokenize(seq)
    starts = np.cumsum([0] + [len(p) for p in pieces])
    ids0 = tok(seq)["input_ids"]
    all_kmers = ["".join(p) for p in itertools.product(BASES, repeat=6)]
    kmer_ids = tok.convert_tokens_to_ids(all_kmers)
    out = np.empty((4, len(positions)))
    for col, i in enumerate(positions):
        t = int(np.searchsorted(starts, i, side="right") - 1)
        ids = list(ids0)
        ids[t + 1] = tok.mask_token_id  # +1: <cls>
        with torch.no_grad():
            probs = torch.softmax(model(input_ids=torch.tensor([ids])).logits[0, t + 1].double(), -1).numpy()
        word, j = pieces[t], i - starts[t]
        if len(word) == 1:
            p = np.array([probs[tok.convert_tokens_to_ids(b)] for b in BASES])
        else:
            p = np.zeros(4)
            for kmer, kid in zip(all_kmers, kmer_ids):
                if all(kmer[o] == word[o] for o in range(6) if o != j):
                    p[BASES.index(kmer[j])] += probs[kid]
        out[:, col] = np.log(p / p.sum())
    return out


def test_kmer_masked_marginals_equal_enumeration(built, adapters, rng):
    _, model, tok = built["kmer"]
    seq = random_dna(rng, 14)  # two 6-mers + two single-base leftovers
    got = masked_marginals(adapters["kmer"], seq)
    np.testing.assert_allclose(got, _kmer_brute(model, tok, seq, list(range(len(seq)))), atol=1e-5)


def test_kmer_two_masks_in_one_token_sum_over_both(built, adapters, rng):
    """Masking offsets 1 and 4 of one 6-mer: each one's marginal sums over the other masked base."""
    _, model, tok = built["kmer"]
    seq = random_dna(rng, 12)
    ids = tok(seq)["input_ids"]
    ids[1] = tok.mask_token_id
    with torch.no_grad():
        probs = torch.softmax(model(input_ids=torch.tensor([ids])).logits[0, 1].double(), -1).numpy()
    expect = np.zeros((4, 3))
    for kmer in ("".join(p) for p in itertools.product(BASES, repeat=6)):
        w = probs[tok.convert_tokens_to_ids(kmer)]
        if all(kmer[o] == seq[o] for o in (0, 2, 3, 5)):
            expect[BASES.index(kmer[1]), 0] += w
            expect[BASES.index(kmer[4]), 1] += w
        if all(kmer[o] == seq[o] for o in (0, 3, 5)):  # unmasked offset 2 of the masked token
            expect[BASES.index(kmer[2]), 2] += w
    masked = np.zeros((1, 12), bool)
    masked[0, [1, 4]] = True
    got = adapters["kmer"].log_probs([seq], masked)[0][:, [1, 4, 2]]
    np.testing.assert_allclose(got, np.log(expect / expect.sum(axis=0)), atol=1e-5)


def test_bpe_masked_base_from_same_length_tokens(built, adapters, rng):
    _, model, tok = built["bpe"]
    seq = random_dna(rng, 40)
    enc = tok(seq, return_offsets_mapping=True)
    vocab = tok.get_vocab()
    lp = adapters["bpe"].log_probs([seq], np.eye(1, 40, 17, dtype=bool))[0]
    t = [j for j, (a, b) in enumerate(enc["offset_mapping"]) if a <= 17 < b][0]
    a, b = enc["offset_mapping"][t]
    ids = list(enc["input_ids"])
    ids[t] = tok.mask_token_id
    with torch.no_grad():
        probs = torch.softmax(model(input_ids=torch.tensor([ids])).logits[0, t].double(), -1).numpy()
    word, j = seq[a:b], 17 - a
    p = np.array([probs[vocab[word[:j] + base + word[j + 1:]]] if word[:j] + base + word[j + 1:] in vocab else 0.0
                  for base in BASES])
    p = np.clip(p / p.sum(), 1e-12, None)
    np.testing.assert_allclose(lp[:, 17], np.log(p / p.sum()), atol=1e-5)


def test_token_models_refuse_onehot_and_capabilities_say_so(adapters):
    for name in ["kmer", "bpe"]:
        with pytest.raises(UnsupportedByModelError, match="ISM"):
            adapters[name].onehot_forward(torch.zeros(1, 4, 12))
        status, note = feature_status(adapters[name], "Gradient attribution")
        assert status == "unsupported" and "tokens" in note
        assert feature_status(adapters[name], "Masked marginals")[0] == "approximate"
    assert feature_status(adapters["bert"], "Gradient attribution")[0] == "exact"
    assert feature_status(adapters["bert"], "Probe attribution")[0] == "exact"
    assert feature_status(adapters["kmer"], "Probe attribution")[0] == "unsupported"
    assert feature_status(adapters["gpt2"], "Masked marginals")[0] == "unsupported"
    assert feature_status(adapters["gpt2"], "Next-base")[0] == "exact"
    df = capability_matrix(adapters["kmer"])
    assert list(df.columns) == ["what", "value", "note"]
    assert df.set_index("what").loc["Tokenization", "note"].startswith("non-overlapping 6-mers")
    assert feature_status(adapters["bert"], "Attention maps")[0] == "exact"
    assert feature_status(adapters["gpn"], "Attention maps") == ("unsupported", f"{adapters['gpn'].info.name} is a "
                                                                 "GPN model, which does not return attention weights")
    assert "Fast variant" not in set(df["what"])  # only the built-in CNN declares masked_sites


def test_the_builtin_cnn_declares_no_attention_and_fast_single_mask_scoring(default_mlm, default_clm):
    status, note = feature_status(default_mlm, "Attention maps")
    assert status == "unsupported" and "no attention layers" in note
    assert feature_status(default_mlm, "Fast variant")[0] == "exact"
    assert "Fast variant / track scoring" not in set(capability_matrix(default_clm)["what"])  # MLM only


# kind → (onehot_forward and onehot_hidden, snv_rule, k): what each tokenization can serve
DECLARED = {"bert": (True, False, 1), "gpt2": (True, False, 1), "gpn": (True, False, 1), "kmer": (False, False, 6),
            "bpe": (False, True, 0)}


# kind → what its approximation notes must say (feature → words); {} = exact per base
NOTES = {"bert": {}, "gpt2": {}, "gpn": {},
         "kmer": {"log_probs": "masked 6-mer token distribution conditioned on the token's other 5 reference bases",
                  "hidden_states": "broadcast to the 6 bases"},
         "bpe": {"log_probs": "same-length tokens", "hidden_states": "tokenizer offsets"}}


@pytest.mark.parametrize("name", list(DECLARED))
def test_declared_capabilities_match_what_the_adapter_does(built, adapters, name, rng):
    """char (BERT, GPT-2, GPN), k-mer and BPE: each declared feature works, each undeclared one refuses."""
    from glm_explore.models.capabilities import supports_onehot, supports_probe_target
    from glm_explore.models.registry import loader_for

    m = adapters[name]
    caps = m.info.capabilities
    onehot, snv_rule, k = DECLARED[name]
    assert (caps.onehot_forward, caps.onehot_hidden, caps.snv_rule, caps.k) == (onehot, onehot, snv_rule, k)
    assert supports_onehot(m) == supports_probe_target(m) == onehot and m.network is m.model
    assert loader_for(str(built[name][0])).name == "huggingface"
    seqs = [random_dna(rng, 18), random_dna(rng, 18)]
    x = torch.from_numpy(np.stack([one_hot(s) for s in seqs])).requires_grad_(True)
    if onehot:
        m.onehot_forward(x)[:, 1, 9].sum().backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().max() > 1e-3
        (state,) = m.onehot_hidden(x, [-1])
        assert state.shape == (2, 18, m.info.dim) and torch.isfinite(state).all()
    else:
        with pytest.raises(UnsupportedByModelError, match="ISM"):
            m.onehot_forward(x)
        with pytest.raises(UnsupportedByModelError):
            m.onehot_hidden(x, [-1])
    # not one pass: hidden_layers is one hidden_states call per layer; GPN exposes its last layer only
    assert not caps.one_pass_layers and caps.every_layer == (name != "gpn")
    layers = [0, -1] if caps.every_layer else [-1]
    for got, layer in zip(m.hidden_layers(seqs, layers), layers):
        np.testing.assert_array_equal(got, np.stack(m.hidden_states(seqs, layer=layer)))
    if not caps.every_layer:
        with pytest.raises(UnsupportedByModelError, match="only its last layer"):
            m.hidden_states(seqs, layer=0)
        assert "only the last layer" in feature_status(m, "Layers")[1]
    # the SNV rule is declared exactly where the adapter can refuse a SNV
    reasons = {m.snv_skip_reason(seqs[0], o, b) for o in range(18) for b in BASES if b != seqs[0][o]}
    assert (reasons != {None}) == snv_rule
    # approximation notes: token models say how per-base values come from their tokens (words each note must
    # hold); character models with a BOS token are exact, so they declare none
    notes = dict(caps.approximations)
    assert set(notes) == set(NOTES[name])
    for feature, words in NOTES[name].items():
        assert words in notes[feature], (feature, notes[feature])


KINDS = {"bert": "CharTokenization", "gpt2": "CharTokenization", "gpn": "CharTokenization",
         "kmer": "KmerTokenization", "bpe": "BpeTokenization"}


@pytest.mark.parametrize("name", list(KINDS))
def test_each_tokenizer_kind_is_one_strategy(built, adapters, name, rng):
    """The registry picks the kind from the tokenizer alone; its encode map re-spells the sequence from the token
    strings; the capability matrix prints its label; token states reach the bases they cover."""
    from glm_explore.models import tokenization

    m, (_, _, tok) = adapters[name], built[name]
    kind = getattr(tokenization, KINDS[name])
    assert type(m.strategy) is kind and tokenization.kind_named(m.info.tokenization) is kind
    assert type(tokenization.detect(tok)) is kind
    seq = random_dna(rng, 40)
    ids, starts, lens = m.strategy.encode(seq)
    assert starts == list(np.cumsum([0, *lens[:-1]])) and sum(lens) == 40  # every base in exactly one token
    words = [w.upper() for w in tok.convert_ids_to_tokens(ids)]
    assert [seq[a:a + n] for a, n in zip(starts, lens)] == words
    assert feature_status(m, "Tokenization") == (m.info.tokenization, kind.label(m.k))
    tk = m.tokenize(seq)
    states = np.arange(len(tk.ids), dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)
    per_base = m.aligner.states_to_bases(states, tk)
    assert per_base.shape == (40, 3)
    for a, n, t in zip(starts, lens, range(len(m.aligner.prefix), len(tk.ids))):
        assert (per_base[a:a + n] == t).all()


def test_loading_leaves_the_environment_alone_and_stays_offline(built, monkeypatch):
    """No process-wide switch (HF_HUB_OFFLINE was once set for the whole process) and no network."""
    import os
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("loading a local model tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    before = dict(os.environ)
    for name in ("bert", "kmer"):
        load_hf_model(str(built[name][0]))
    with pytest.raises(ModelLoadError, match="hf download"):
        load_hf_model("nobody-here/no-such-dna-model")
    assert dict(os.environ) == before


def test_too_long_input_is_a_clear_error(adapters):
    with pytest.raises(InputTooLargeError, match="shorter region"):
        adapters["bert"].log_probs(["A" * 1399])


# ----------------------------------------------------------------------------------- loading safety

def test_missing_model_says_how_to_download():
    with pytest.raises(ModelLoadError, match=r"hf download nobody-here/no-such-dna-model"):
        load_hf_model("nobody-here/no-such-dna-model")
    with pytest.raises(ModelLoadError, match="No model folder"):
        load_model("/nonexistent/folder/model")


def test_pickle_only_weights_refused_weights_only_accepted(built, tmp_path, rng):
    src, _, _ = built["bert"]
    safe = tmp_path / "statedict"
    shutil.copytree(src, safe)
    from safetensors.torch import load_file

    state = load_file(str(safe / "model.safetensors"))
    (safe / "model.safetensors").unlink()
    torch.save(state, safe / "pytorch_model.bin")  # plain tensors: loads with weights_only=True
    seq = random_dna(rng, 12)
    np.testing.assert_allclose(load_model(str(safe)).log_probs([seq]), load_model(str(src)).log_probs([seq]),
                               atol=1e-6)

    evil = tmp_path / "evil"
    shutil.copytree(safe, evil)
    torch.save({"weights": state, "hook": _Unsafe()}, evil / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="Refusing pytorch_model.bin"):
        load_model(str(evil))


class _Unsafe:
    """Needs full unpickling (a class, not tensors)."""


def test_remote_code_needs_consent(built, tmp_path):
    src, _, _ = built["bert"]
    folder = tmp_path / "remote"
    shutil.copytree(src, folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForMaskedLM": "modeling_dna.DnaForMaskedLM"}
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "modeling_dna.py").write_text("raise SystemExit('remote code ran')\n")
    assert remote_code_files(folder) == ["modeling_dna.py"]
    with pytest.raises(ModelLoadError, match="modeling_dna.py"):
        load_hf_model(str(folder))


# ---------------------------------------------------------------------------------------- pages

@pytest.mark.slow  # ~55 s: every page through AppTest with an HF model
def test_every_page_runs_with_an_hf_model(built):
    """Every page of app.py with the char-level BERT selected in the sidebar (by its model key)."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from dashboard.model_keys import ModelKey

    root = Path(__file__).resolve().parents[1]
    pages = sorted(p.relative_to(root).as_posix() for p in (root / "pages").glob("*.py"))
    key = ModelKey.of_hf(str(built["bert"][0])).text
    for page in pages:
        at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
        at.session_state["model_key"] = key
        at.session_state["dataset_key"] = "chloroplast"
        at.run()
        assert not at.exception
        if page == "pages/home.py":  # the sidebar shows the loaded model's capability matrix
            assert at.sidebar.text_input(key="hf_model_spec").value == str(built["bert"][0])
            tables = [df.value for df in at.sidebar.dataframe]
            assert any(t.set_index("what").loc["Tokenization", "value"] == "char" for t in tables)
            assert any("bert" in m.value for m in at.subheader)
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if page == "pages/logits.py":
            chrom = "NC_000932"
            at.text_input(key="logits_region").set_value(f"{chrom}:1001-1030")
            at.button(key="logits_go").click()
            at.run()
            assert not at.exception and not at.error, [e.value for e in at.error]
            assert at.dataframe and len(at.dataframe[0].value) == 30
        if page == "pages/motifs.py":  # the probe target through the HF one-hot hidden-state path
            at.button(key="motifs_fit_probe").click()
            at.run()
            at.selectbox(key="motifs_class").set_value("intergenic")
            at.slider(key="motifs_n").set_value(2)
            at.selectbox(key="motifs_target").set_value("probe")
            at.selectbox(key="motifs_method").set_value("saliency")
            at.button(key="motifs_go").click()
            at.run()
            assert not at.exception and not at.error, [e.value for e in at.error]
            assert any("2 intergenic windows" in c.value and "log P(intergenic" in c.value for c in at.caption)


def test_bpe_snv_rule(built, adapters, rng):
    """Scorable iff ref and alt tokenize to the same number of tokens with exactly one differing."""
    _, _, tok = built["bpe"]
    seq = random_dna(rng, 60)
    seen = set()
    for offset in range(0, 60, 3):
        for alt in "ACGT":
            if alt == seq[offset]:
                continue
            mut = seq[:offset] + alt + seq[offset + 1:]
            r, a = tok.tokenize(seq), tok.tokenize(mut)
            ok = len(r) == len(a) and sum(x != y for x, y in zip(r, a)) == 1
            reason = adapters["bpe"].snv_skip_reason(seq, offset, alt)
            assert (reason is None) == ok, (offset, alt, r, a, reason)
            seen.add(ok)
    assert adapters["kmer"].snv_skip_reason(seq, 5, "A" if seq[5] != "A" else "C") is None
    assert seen == {True, False}  # the sample exercised both outcomes


def test_kmer_clm_marginalises_over_token_prefixes(tmp_path, rng):
    """A causal 6-mer model: P(x_i | x_<i) = Σ over tokens whose first bases match the prefix inside
    the token, enumerated over the vocabulary strings here with plain loops."""
    from transformers import GPT2Config, GPT2LMHeadModel

    _, tok = build_kmer_esm(tmp_path / "tok")
    torch.manual_seed(5)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=16, n_layer=1, n_head=2, n_positions=64)).eval()
    model.save_pretrained(tmp_path / "clm")
    tok.save_pretrained(tmp_path / "clm")
    m = load_model(str(tmp_path / "clm"))
    assert (m.info.objective, m.info.tokenization) == ("clm", "kmer")
    seq = random_dna(rng, 15)  # ACGTAC-style 6-mers ×2 + 3 single bases
    ids = tok(seq)["input_ids"][:-1]  # <cls> tokens… (the causal model ignores what follows)
    with torch.no_grad():
        probs = torch.softmax(model(input_ids=torch.tensor([ids])).logits[0].double(), -1).numpy()
    vocab = {t: i for t, i in tok.get_vocab().items() if t and set(t) <= set(BASES)}
    pieces, expect, at = tok.tokenize(seq), np.zeros((4, 15)), 0
    for t, piece in enumerate(pieces):
        for j in range(len(piece)):
            for w, wid in vocab.items():
                if len(w) > j and w[:j] == piece[:j]:
                    expect[BASES.index(w[j]), at + j] += probs[t, wid]  # row t predicts token t (after <cls>)
        at += len(piece)
    np.testing.assert_allclose(m.log_probs([seq])[0], np.log(expect / expect.sum(axis=0)), atol=1e-5)


def test_folder_without_tokenizer_files_is_refused(built, tmp_path):
    src, _, _ = built["bert"]
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(src / name, folder / name)
    with pytest.raises(ModelLoadError, match="no tokenizer files"):
        load_hf_model(str(folder))


def test_bpe_variants_follow_the_one_token_rule(adapters, chloroplast):
    """score_variants on a BPE model: SNVs that re-tokenize are skipped with the adapter's reason."""
    from glm_explore.variants import score_variants

    model = adapters["bpe"]
    chrom = chloroplast.genome.chroms[0]
    seq = chloroplast.genome.fetch(chrom)
    rows = [(chrom, p + 1, seq[p], b) for p in range(20_000, 20_040) for b in BASES if b != seq[p]]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    window = 64
    out = score_variants(model, chloroplast, df, window=window)
    from glm_explore.context import centered_window_bounds

    skipped = 0
    for (_, pos, _, alt), status, llr in zip(rows, out["status"], out["llr"]):
        s, o = centered_window_bounds(pos - 1, window, len(seq))
        why = model.snv_skip_reason(seq[s:s + window], o, alt)
        if why:
            skipped += 1
            assert status == why and np.isnan(llr)
        else:
            assert status == "ok" and np.isfinite(llr)
    assert 0 < skipped < len(rows)  # the rule bites on some, not all, SNVs of real sequence
