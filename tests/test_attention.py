"""Attention maps mapped to nucleotides (glm_explore.attention, its plots and the ``attention`` command).

Answers are derived independently: a tiny BERT whose attention weights are set by hand (one head attends to
the previous token through rotated position embeddings, in closed form; the other is uniform), the k-mer
rule checked by expanding the raw token attentions of the HF model called directly, base by base.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import random_dna
from hf_builders import build_bpe_bert, build_char_bert, build_char_gpt2, build_kmer_esm

from glm_explore.attention import (
    MAX_ATTENTION_BP,
    attention_maps,
    supports_attention,
    top_partners,
)
from glm_explore.cli import main
from glm_explore.errors import InputTooLargeError, LayerError, RegionError, UnsupportedByModelError
from glm_explore.models import load_model
from glm_explore.models.hf import HFAdapter
from glm_explore.plots.attention import attention_heatmap, partners_chart

THETA, BETA = 0.25, 60.0  # rotation per position (rad) and sharpness of the previous-token head


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("attn")
    return {name: (root / name, *fn(root / name)) for name, fn in
            [("bert", build_char_bert), ("kmer", build_kmer_esm), ("gpt2", build_char_gpt2)]}


@pytest.fixture(scope="module")
def hand_bert(tmp_path_factory):
    """BERT whose layer-1 head 1 attends to the previous token and head 2 uniformly, by construction.

    Word and token-type embeddings are 0 and position p's embedding is (cos θp, sin θp, −cos θp, −sin θp, 0…),
    so the embedding LayerNorm (weight 1, bias 0) outputs c·that, c = 1/sqrt(1/8 + eps). Head 1's query is
    √β·R(−θ) and its key √β·I on the first two dimensions: score(t, u) = β c² cos(θ(t − 1 − u)) / √8, which
    peaks at u = t − 1. Head 2's query and key are 0: every score 0, attention uniform over the T tokens.
    """
    model, tok = build_char_bert(tmp_path_factory.mktemp("hand") / "bert")
    emb, att = model.bert.embeddings, model.bert.encoder.layer[0].attention.self
    with torch.no_grad():
        emb.word_embeddings.weight.zero_()
        emb.token_type_embeddings.weight.zero_()
        p = torch.arange(emb.position_embeddings.weight.shape[0], dtype=torch.float32)
        pe = torch.zeros_like(emb.position_embeddings.weight)
        pe[:, 0], pe[:, 1], pe[:, 2], pe[:, 3] = torch.cos(THETA * p), torch.sin(THETA * p), -torch.cos(THETA * p), \
            -torch.sin(THETA * p)
        emb.position_embeddings.weight.copy_(pe)
        emb.LayerNorm.weight.fill_(1.0)
        emb.LayerNorm.bias.zero_()
        for lin in (att.query, att.key):
            lin.weight.zero_()
            lin.bias.zero_()
        s = math.sqrt(BETA)
        att.query.weight[:2, :2] = s * torch.tensor([[math.cos(THETA), math.sin(THETA)],
                                                     [-math.sin(THETA), math.cos(THETA)]])
        att.key.weight[:2, :2] = s * torch.eye(2)
    return HFAdapter(model, tok, objective="mlm", name="hand-bert", source="test"), model.config


def _closed_form_previous(T: int, eps: float) -> np.ndarray:
    """(T, T) softmax over u of β c² cos(θ(t − 1 − u)) / √8 (head dimension 8)."""
    c2 = 1.0 / (1.0 / 8 + eps)
    t, u = np.arange(T)[:, None], np.arange(T)[None, :]
    s = BETA * c2 * np.cos(THETA * (t - 1 - u)) / math.sqrt(8)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_hand_set_bert_equals_closed_form(hand_bert, rng):
    model, cfg = hand_bert
    seq = random_dna(rng, 12)
    L, T = len(seq), len(seq) + 2  # [CLS] seq [SEP]
    maps = attention_maps(model, seq, layers=[1])
    assert maps.weights.shape == (1, 2, L, L) and maps.layers == (1,) and maps.heads == (1, 2)
    tok = _closed_form_previous(T, cfg.layer_norm_eps)
    # character tokenizer: base i is token i + 1; columns of [CLS] (0) and [SEP] (T − 1) are the special mass
    np.testing.assert_allclose(maps.matrix(1, 1), tok[1:-1, 1:-1], atol=1e-5)
    np.testing.assert_allclose(maps.special_mass[0, 0], tok[1:-1, 0] + tok[1:-1, -1], atol=1e-5)
    assert (maps.matrix(1, 1)[1:].argmax(axis=1) == np.arange(L - 1)).all()  # previous base, as built
    assert maps.matrix(1, 1)[1:][np.arange(L - 1), np.arange(L - 1)].min() > 0.5
    np.testing.assert_allclose(maps.matrix(1, 2), np.full((L, L), 1 / T), atol=1e-6)  # uniform head
    np.testing.assert_allclose(maps.special_mass[0, 1], 2 / T, atol=1e-6)


def test_kmer_rule_against_manual_expansion(built, rng):
    folder, hf_model, tok = built["kmer"]
    adapter = load_model(str(folder))
    seq = random_dna(rng, 13) + "N" + random_dna(rng, 8)  # 6-mers, single bases around N and for the tail
    maps = attention_maps(adapter, seq)
    # independent tokenization: 6-mers from the left, single bases where a 6-mer does not fit or holds N
    vocab, words, i = tok.get_vocab(), [], 0
    while i < len(seq):
        w = seq[i:i + 6]
        words.append(w if len(w) == 6 and "N" not in w else seq[i])
        i += len(words[-1])
    ids = [vocab["<cls>"]] + [vocab[w] for w in words] + [vocab["<eos>"]]
    hf_model.set_attn_implementation("eager")
    with torch.no_grad():
        raw = torch.stack(hf_model(input_ids=torch.tensor([ids]), output_attentions=True).attentions)[:, 0].numpy()
    owner = [t + 1 for t, w in enumerate(words) for _ in w]  # token (with <cls> at 0) holding base i
    size = [len(words[t - 1]) for t in owner]
    n_l, n_h, L = raw.shape[0], raw.shape[1], len(seq)
    expect = np.zeros((n_l, n_h, L, L))
    for a in range(L):
        for b in range(L):
            expect[:, :, a, b] = raw[:, :, owner[a], owner[b]] / size[b]
    np.testing.assert_allclose(maps.weights, expect, atol=1e-6)
    special = raw[:, :, owner, 0] + raw[:, :, owner, len(ids) - 1]
    np.testing.assert_allclose(maps.special_mass, special, atol=1e-6)
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1 - maps.special_mass, atol=1e-5)  # the stated rule
    assert maps.tokenization == "kmer" and len(words) < L


def test_bpe_rows_copy_and_columns_split_by_token_offsets(tmp_path, rng):
    hf_model, tok = build_bpe_bert(tmp_path / "bpe", random_dna(rng, 3000))
    seq = random_dna(rng, 60)
    maps = attention_maps(load_model(str(tmp_path / "bpe")), seq)
    enc = tok(seq, add_special_tokens=True, return_offsets_mapping=True)  # the tokenizer's own offsets
    spans = [(a, b) for a, b in enc["offset_mapping"] if b > a]
    hf_model.set_attn_implementation("eager")
    with torch.no_grad():
        raw = torch.stack(hf_model(input_ids=torch.tensor([enc["input_ids"]]), output_attentions=True).attentions)
    raw = raw[:, 0].numpy()
    assert any(b - a > 1 for a, b in spans)  # multi-base tokens are exercised
    for t, (a, b) in enumerate(spans, start=1):
        for u, (c, d) in enumerate(spans, start=1):
            np.testing.assert_allclose(maps.weights[:, :, a:b, c:d], np.broadcast_to(
                raw[:, :, t, u, None, None] / (d - c), maps.weights[:, :, a:b, c:d].shape), atol=1e-6)
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1 - maps.special_mass, atol=1e-5)


def test_causal_model_attends_left_only(built, rng):
    adapter = load_model(str(built["gpt2"][0]))
    maps = attention_maps(adapter, random_dna(rng, 20), heads=[-1])
    assert maps.heads == (2,) and maps.layers == (1, 2)
    assert np.abs(np.triu(maps.weights, k=1)).max() == 0.0  # no query base sees a later base
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1 - maps.special_mass, atol=1e-5)
    assert maps.special_mass[..., 0].min() > 0  # the first base can attend to BOS only besides itself


def test_models_without_attention_are_refused(default_mlm, tiny_mlm, built):
    for model in (default_mlm, tiny_mlm):
        assert not supports_attention(model)
        with pytest.raises(UnsupportedByModelError, match="no attention"):
            attention_maps(model, "ACGTACGT")
    assert supports_attention(load_model(str(built["bert"][0])))


def test_bad_layers_heads_positions_and_lengths(hand_bert):
    model, _ = hand_bert
    with pytest.raises(LayerError, match="layers 1..2"):
        attention_maps(model, "ACGT", layers=[3])
    with pytest.raises(LayerError, match="heads 1..2"):
        attention_maps(model, "ACGT", heads=[0])
    with pytest.raises(InputTooLargeError, match=f"{MAX_ATTENTION_BP:,}"):
        attention_maps(model, "A" * (MAX_ATTENTION_BP + 1))
    maps = attention_maps(model, "ACGTACGTAC", layers=[-1], heads=[1], chrom="chrX", start=100)
    assert maps.layers == (2,) and maps.label == "chrX:101-110"
    with pytest.raises(RegionError, match="101-110"):
        top_partners(maps, 100, layer=2, head=1)
    with pytest.raises(LayerError, match="not in these"):
        top_partners(maps, 105, layer=1, head=1)


def test_top_partners_follow_the_row(hand_bert, rng):
    model, _ = hand_bert
    seq = random_dna(rng, 15)
    maps = attention_maps(model, seq, layers=[1], chrom="chrI", start=1000)
    df = top_partners(maps, 1008, layer=1, head=1, k=4)  # base offset 7
    row = maps.matrix(1, 1)[7]
    assert list(df["position"]) == list(1001 + np.argsort(-row, kind="stable")[:4])
    assert df["position"].iloc[0] == 1007 and df["distance"].iloc[0] == -1  # previous base first
    np.testing.assert_allclose(df["weight"], np.sort(row)[::-1][:4], rtol=1e-6)
    assert list(df["base"]) == [seq[p - 1001] for p in df["position"]] and list(df["rank"]) == [1, 2, 3, 4]
    assert df["special_mass"].iloc[0] == pytest.approx(float(maps.special_mass[0, 0, 7]))


def test_plots_draw_the_maps(hand_bert):
    model, _ = hand_bert
    maps = attention_maps(model, "ACGTTGCAAC", layers=[1], chrom="chrI", start=50)
    fig = attention_heatmap(maps, 1, 2)
    np.testing.assert_allclose(np.asarray(fig.data[0].z), maps.matrix(1, 2))
    assert list(fig.data[0].x) == list(range(51, 61))
    assert list(attention_heatmap(maps, 1, 1, start=1).data[0].y) == list(range(1, 11))
    table = top_partners(maps, 55, layer=1, head=1, k=5)
    chart = partners_chart(table)
    assert sum(len(t.x) for t in chart.data) == 5
    assert {t.name for t in chart.data} <= set("ACGTN")
    assert sorted(x for t in chart.data for x in t.x) == sorted(table["position"])


def test_cli_writes_npz_and_partner_table(built, tmp_path, capsys):
    folder = str(built["bert"][0])
    seq = "ACGTACGGTTACGATCGATT"
    assert main(["attention", "--model", folder, "--sequence", seq, "--out", str(tmp_path / "a.npz")]) == 0
    with np.load(tmp_path / "a.npz") as z:
        ref = attention_maps(load_model(folder), seq)
        np.testing.assert_allclose(z["attention"], ref.weights, atol=1e-6)
        assert z["attention"].shape == (2, 2, 20, 20) and list(z["positions"]) == list(range(1, 21))
        assert str(z["sequence"]) == seq
    out = tmp_path / "p.tsv"
    assert main(["attention", "--model", folder, "--genome", "chloroplast", "--region", "NC_000932:101-130",
                 "--layer", "2", "--head", "1", "--position", "110", "--top", "3", "--out", str(out)]) == 0
    import pandas as pd

    df = pd.read_csv(out, sep="\t")
    assert list(df.columns[:4]) == ["layer", "head", "rank", "query"] and len(df) == 3
    assert (df["query"] == 110).all() and df["position"].between(101, 130).all()
    assert df["weight"].is_monotonic_decreasing
    capsys.readouterr()


@pytest.mark.parametrize("argv,words", [
    (["--sequence", "ACGTACGT", "--layer", "3"], ["layers 1..2", "3"]),
    (["--sequence", "ACGTACGT", "--head", "5"], ["heads 1..2", "5"]),
    (["--sequence", "ACGTACGT", "--position", "9"], ["--position", "1-8"]),
    (["--sequence", "A" * (MAX_ATTENTION_BP + 1)], ["1,000 bp"]),
])
def test_cli_one_line_errors(built, tmp_path, capsys, argv, words):
    out = tmp_path / ("p.tsv" if "--position" in argv else "a.npz")
    assert main(["attention", "--model", str(built["bert"][0]), *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:")
    assert all(w in err for w in words), err
    assert not out.exists()
