"""Learned features (glm_explore.features): answers known by construction, numbers checked independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import hypergeom
from scipy.stats.contingency import odds_ratio

from glm_explore.features import FeatureSettings, SAESettings, build_dictionary, describe_run, fit_sae
from glm_explore.features.activations import channel_width, conv_channels, site_span
from glm_explore.features.controls import count_ci, empirical_p, shuffled_sequences
from glm_explore.features.describe import class_enrichment
from glm_explore.models.builtin import ConvLMAdapter
from glm_explore.models.convnet import ConvLM, ConvLMConfig
from glm_explore.motifs import find_motif, jaspar_motifs
from glm_explore.results.features import FeatureDictionary
from glm_explore.sequence import one_hot

PLANTED = "MA0363.3"  # REB1, 9 bp


def planted_model(pwm: np.ndarray, seed: int = 0) -> ConvLMAdapter:
    """A one-block MLM whose embedding passes A,C,G,T through and whose conv channel 0 is ``pwm``'s log-odds
    filter (the other 7 channels random): channel 0 is a planted PWM detector."""
    torch.manual_seed(seed)
    net = ConvLM(ConvLMConfig(objective="mlm", width=8, kernel_sizes=[9], dilations=[1]))
    with torch.no_grad():
        net.embed.weight.zero_()
        net.embed.bias.zero_()
        net.embed.weight[:4, :4] = torch.eye(4)
        w = np.log2((pwm + 0.01) / (pwm + 0.01).sum(0) / 0.25)
        net.blocks[0].conv.weight[0].zero_()
        net.blocks[0].conv.weight[0, :4, :w.shape[1]] = torch.tensor(w, dtype=torch.float32)
        net.blocks[0].conv.bias[0] = 0.0
    return ConvLMAdapter(net, "planted", source="test")


def random_seqs(n: int, length: int, rng: np.random.Generator) -> list[str]:
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


def test_planted_pwm_channel_is_read_exactly_and_named_by_tomtom(one_thread):
    motif = find_motif(PLANTED)
    model = planted_model(motif.pwm)
    rng = np.random.default_rng(0)
    seqs = random_seqs(300, 100, rng)
    for i in range(0, 300, 3):  # plant a site sampled from the PWM in every third window
        site = "".join("ACGT"[rng.choice(4, p=motif.pwm[:, j] / motif.pwm[:, j].sum())] for j in range(9))
        a = int(rng.integers(20, 70))
        seqs[i] = seqs[i][:a] + site + seqs[i][a + 9:]
    acts = conv_channels(model, seqs, 1)
    assert acts.shape == (300, 100, 8) and channel_width(model, 1) == 9
    w = model.model.blocks[0].conv.weight[0, :4].detach().numpy()
    x = one_hot(seqs[0])
    by_hand = [float((w * x[:, i - 4:i + 5]).sum()) for i in range(4, 96)]  # centred 9-bp filter, zero bias
    np.testing.assert_allclose(acts[0, 4:96, 0], by_hand, rtol=1e-4, atol=1e-4)

    settings = FeatureSettings(length=100, center=80, n_sites=100, min_sites=20)
    before, after = site_span("mlm", 9)
    labels = np.array(["CDS", "intergenic"] * 150)
    run, sites, _ = describe_run("trained", acts, seqs, acts, labels, before=before, after=after,
                                 settings=settings, motifs=jaspar_motifs("fungi"), classes=["CDS", "intergenic"])
    row = run.table.iloc[0]
    assert row["described"] and row["best_id"] == PLANTED and row["best_q"] < 0.05, row.to_dict()
    # the planted channel's PFM is the motif: its most likely base matches the PWM's at most columns
    assert (run.pfms[0].argmax(0) == motif.pwm.argmax(0)).mean() >= 7 / 9


def test_sae_recovers_known_sparse_directions_and_resumes(tmp_path, one_thread):
    rng = np.random.default_rng(0)
    D, K, n = 32, 16, 10_000
    dirs = rng.normal(size=(K, D))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    codes = np.zeros((n, K))
    for i in range(n):
        j = rng.choice(K, 3, replace=False)
        codes[i, j] = rng.uniform(1, 2, 3)
    x = codes @ dirs + 0.01 * rng.normal(size=(n, D))
    settings = SAESettings(n_features=32, k=3, steps=600, batch_size=256, lr=3e-3)
    first = fit_sae(x, settings, cache=tmp_path)
    fit = fit_sae(x, SAESettings(n_features=32, k=3, steps=1200, batch_size=256, lr=3e-3), cache=tmp_path)
    best = (dirs @ fit.directions.T).max(axis=1)
    assert best.min() >= 0.9, np.round(best, 3)
    assert fit.fve > 0.9 and fit.l0 <= 3 and first.steps_done == 600 and fit.steps_done == 1200
    # FVE by hand from the reconstruction
    fve = 1 - ((fit.reconstruct(x) - x) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()
    assert fit.fve == pytest.approx(fve, abs=1e-3)
    # the cache reloads the finished fit without training: the same directions exactly
    again = fit_sae(x, SAESettings(n_features=32, k=3, steps=1200, batch_size=256, lr=3e-3), cache=tmp_path)
    np.testing.assert_array_equal(again.directions, fit.directions)


def bh_by_hand(p: np.ndarray) -> np.ndarray:
    n = len(p)
    order = np.argsort(p)
    q = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1)
    return out


def fisher_by_hand(a: int, b: int, c: int, d: int) -> float:
    M, n, N = a + b + c + d, a + b, a + c
    support = np.arange(max(0, N - (M - n)), min(n, N) + 1)
    pm = hypergeom.pmf(support, M, n, N)
    return float(min(1.0, pm[pm <= hypergeom.pmf(a, M, n, N) * (1 + 1e-7)].sum()))


def test_enrichment_odds_ratio_ci_p_and_q_match_independent_computations():
    rng = np.random.default_rng(1)
    labels = rng.choice(["CDS", "intron", "promoter"], 400)
    active = rng.random((400, 6)) < np.linspace(0.1, 0.5, 6)
    active[:, 0] |= labels == "promoter"  # one truly enriched feature
    df = class_enrichment(active, labels, ["CDS", "intron", "promoter"])
    assert len(df) == 18
    for r in df.itertuples():
        table = np.array([[r.a, r.b], [r.c, r.d]])
        if (table == 0).any():  # Haldane–Anscombe: Woolf by hand on the table + 0.5
            t = table + 0.5
            est = t[0, 0] * t[1, 1] / (t[0, 1] * t[1, 0])
            half = 1.959964 * np.sqrt((1 / t).sum())
            lo, hi = est * np.exp(-half), est * np.exp(half)
        else:
            ref = odds_ratio(table, kind="sample")
            ci = ref.confidence_interval(0.95)
            est, lo, hi = ref.statistic, ci.low, ci.high
        assert r.odds_ratio == pytest.approx(est, rel=1e-9)
        assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-5)
        assert r.p_value == pytest.approx(fisher_by_hand(r.a, r.b, r.c, r.d), rel=1e-6)
    np.testing.assert_allclose(df["q_value"], bh_by_hand(df["p_value"].to_numpy()), rtol=1e-9)
    top = df[(df["feature"] == 0) & (df["class"] == "promoter")].iloc[0]
    assert top["ci_low"] > 1 and top["q_value"] < 0.05


def test_zero_cell_gets_haldane_correction():
    active = np.array([[True], [True], [False], [False]])
    df = class_enrichment(active, np.array(["CDS", "CDS", "intron", "intron"]), ["CDS"])
    r = df.iloc[0]  # a=2, b=0, c=0, d=2 → +0.5 each: (2.5·2.5)/(0.5·0.5)
    assert r["odds_ratio"] == pytest.approx(25.0)
    assert np.log(r["ci_high"] / r["odds_ratio"]) == pytest.approx(1.959964 * np.sqrt(2 / 2.5 + 2 / 0.5), rel=1e-5)


def test_count_ci_and_empirical_p():
    c = count_ci(5, 96)
    assert c["ci_low"] < 5 / 96 < c["ci_high"] and c["ci_low"] == pytest.approx(0.017125, abs=1e-5)
    assert empirical_p(np.array([3.0, 0.5]), np.array([1.0, 2.0, 3.0])).tolist() == [0.5, 1.0]


def test_shuffle_keeps_dinucleotides():
    s = "ACGTTGCAAGGCTTACGATCGGATCCAT"
    sh = shuffled_sequences([s], seed=3)[0]
    pairs = lambda t: sorted(t[i:i + 2] for i in range(len(t) - 1))  # noqa: E731
    assert sh != s and pairs(sh) == pairs(s)


def test_dictionary_end_to_end_on_a_small_genome(tmp_path, one_thread):
    from glm_explore.io.datasets import load_dataset

    torch.manual_seed(0)
    model = ConvLMAdapter(ConvLM(ConvLMConfig(width=8, kernel_sizes=[9, 5], dilations=[1, 2])), "tiny", "test")
    settings = FeatureSettings(layer=1, length=200, center=100, per_class=15, min_sites=5)
    fd = build_dictionary(model, load_dataset("chloroplast"), settings)
    assert fd.n_features == 8 and fd.random is not None and set(fd.table.columns) >= {"beats_both", "rank_random"}
    assert fd.headline["beats_both"]["n"] == int(fd.table["described"].sum())
    assert (fd.sites["end"] - fd.sites["start"] == 9).all()
    back = FeatureDictionary.load(fd.save(tmp_path / "d.json"))
    pd.testing.assert_frame_equal(back.table[["feature", "best_id"]], fd.table[["feature", "best_id"]])
    assert back.headline == fd.headline


def test_auroc_equals_sklearn_and_kmer_baseline_separates_composition():
    from sklearn.metrics import roc_auc_score

    from glm_explore.features.baseline import kmer_class_auroc, score_auroc

    rng = np.random.default_rng(2)
    scores = np.round(rng.normal(size=300), 1)  # ties on purpose
    pos = rng.random(300) < 0.3
    assert score_auroc(scores, pos) == pytest.approx(roc_auc_score(pos, scores), abs=1e-12)
    gc = ["".join(rng.choice(list("ACGT"), 100, p=[0.1, 0.4, 0.4, 0.1])) for _ in range(80)]
    at = ["".join(rng.choice(list("ACGT"), 100, p=[0.4, 0.1, 0.1, 0.4])) for _ in range(80)]
    labels = np.array(["CDS"] * 40 + ["intron"] * 40)
    auc = kmer_class_auroc(gc[:40] + at[:40], labels, gc[40:] + at[40:], labels, ["CDS", "intron"], k=2)
    assert auc["CDS"] > 0.95 and auc["intron"] > 0.95


@pytest.mark.parametrize("builder", ["build_char_bert", "build_char_gpt2"])
def test_random_weights_control_exists_for_hugging_face_models(tmp_path, builder):
    """A Hugging Face model's control has its architecture, config and tokenizer but fresh weights: same
    parameter names and shapes, other values, other predictions; the same seed gives the same control."""
    import hf_builders

    from glm_explore.features.controls import random_like
    from glm_explore.models import load_model

    getattr(hf_builders, builder)(tmp_path / "m")
    model = load_model(str(tmp_path / "m"))
    a, b = random_like(model, seed=3), random_like(model, seed=3)
    trained, fresh = model.network.state_dict(), a.network.state_dict()
    assert {k: v.shape for k, v in trained.items()} == {k: v.shape for k, v in fresh.items()}
    weights = [k for k, v in trained.items() if v.ndim == 2 and v.is_floating_point()]
    assert weights and all(not torch.equal(trained[k], fresh[k]) for k in weights)
    assert all(torch.equal(fresh[k], b.network.state_dict()[k]) for k in fresh)
    assert a.info.objective == model.info.objective and a.info.name.endswith("(random weights)")
    seq = "ACGTTGCAAGCTAGCTAGGATCCA"
    assert np.abs(a.log_probs([seq]) - model.log_probs([seq])).max() > 1e-3
