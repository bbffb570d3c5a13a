"""Window embeddings: pooling vs direct numpy, RC averaging, one-pass layers, exact crop, CLI, page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, random_dna

from glm_explore.embed import crop_bounds, embed_windows, hidden_layers, pool, pool_slice, window_frame
from glm_explore.models.base import ModelInfo
from glm_explore.sequence import reverse_complement


class OneHotModel:
    """A 'model' whose hidden state at i is one-hot(x_i) (4 dims) + i/L: answers are checkable by hand."""

    def __init__(self):
        self.info = ModelInfo(name="onehot", objective="mlm", tokenization="char", max_len=10_000, n_layers=1,
                              dim=5, source="test", receptive_field=None)
        self.calls: list[str] = []

    def hidden_states(self, seqs, layer=-1, *, batch_size=64):
        out = []
        for s in seqs:
            self.calls.append(s)
            h = np.zeros((len(s), 5), dtype=np.float32)
            h[np.arange(len(s)), ["ACGT".index(b) for b in s]] = 1
            h[:, 4] = np.arange(len(s)) / len(s) + layer
            out.append(h)
        return out


def test_pool_slices():
    assert pool_slice(512, "center-mean", 100) == slice(206, 306)
    assert pool_slice(512, "window-mean", 100) == slice(0, 512)
    assert pool_slice(512, "center-position", 100) == slice(256, 257)
    with pytest.raises(ValueError):
        pool_slice(512, "max", 100)


@pytest.mark.parametrize("pooling", ["center-mean", "window-mean", "center-position"])
def test_pooling_equals_numpy_on_hidden_states(tiny_mlm, rng, pooling):
    seqs = [random_dna(rng, 64) for _ in range(5)]
    h = np.stack(tiny_mlm.hidden_states(seqs, layer=-1))  # (N, L, D)
    want = {"center-mean": h[:, 27:37].mean(1), "window-mean": h.mean(1), "center-position": h[:, 32]}[pooling]
    for crop in (False, True):
        emb = embed_windows(tiny_mlm, seqs, pooling=pooling, center=10, rc=False, crop=crop, batch_size=2)
        np.testing.assert_allclose(emb.features(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pool(h, pooling, 10), want, rtol=1e-6)


def test_rc_average_flips_positions_before_pooling(rng):
    m = OneHotModel()
    seq = "ACGTTGCAAC"  # L = 10; centre-position 5 ('G'), position 4 is 'T'
    emb = embed_windows(m, [seq], pooling="center-position", rc=True, layers=1)
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    want = np.zeros(5)
    want["ACGT".index(seq[5])] += 0.5
    want["ACGT".index(comp[seq[5]])] += 0.5  # RC position L-1-5 = 4 holds the complement of seq[5]
    want[4] = (5 / 10 + 4 / 10) / 2 + 1  # forward index 5, reverse index 4 (+ layer)
    np.testing.assert_allclose(emb.features(1)[0], want, rtol=1e-6)
    assert m.calls == [seq, reverse_complement(seq)]
    # an off-centre pooled range: centre 3 of 10 is [3, 6) in forward coordinates on both strands
    emb = embed_windows(m, [seq], pooling="center-mean", center=3, rc=True, layers=1)
    fw = np.eye(4)[["ACGT".index(b) for b in seq[3:6]]].mean(0)
    rv = np.eye(4)[["ACGT".index(comp[b]) for b in seq[3:6]]].mean(0)
    np.testing.assert_allclose(emb.features(1)[0, :4], (fw + rv) / 2, rtol=1e-6)


def test_rc_average_on_a_real_model(tiny_mlm, rng):
    seqs = [random_dna(rng, 48) for _ in range(3)]
    f = np.stack(tiny_mlm.hidden_states(seqs, layer=2))
    r = np.stack(tiny_mlm.hidden_states([reverse_complement(s) for s in seqs], layer=2))[:, ::-1]
    want = (f[:, 20:27].mean(1) + r[:, 20:27].mean(1)) / 2
    emb = embed_windows(tiny_mlm, seqs, layers=2, center=7, rc=True)
    np.testing.assert_allclose(emb.features(2), want, rtol=1e-5, atol=1e-6)
    assert embed_windows(tiny_mlm, seqs[:1], center=7).rc  # default on for MLMs


@pytest.mark.parametrize("fixture", ["tiny_mlm", "tiny_clm"])
def test_one_pass_layers_and_exact_crop(request, rng, fixture):
    model = request.getfixturevalue(fixture)
    seqs = [random_dna(rng, 96) for _ in range(4)]
    layers = [0, 1, 2, 3]
    fast = hidden_layers(model, seqs, layers)
    for k, h in zip(layers, fast):
        np.testing.assert_allclose(h, np.stack(model.hidden_states(seqs, layer=k)), rtol=1e-5, atol=1e-6)
    rf = model.info.receptive_field
    lo, hi = crop_bounds(96, "center-mean", 10, rf)
    assert (lo, hi) == (43 - rf, 53 + rf)
    a = embed_windows(model, seqs, layers="all", center=10, rc=True, crop=True)
    b = embed_windows(model, seqs, layers="all", center=10, rc=True, crop=False)
    assert a.layers == (0, 1, 2, 3) and a.vectors.shape == (4, 4, 16)
    np.testing.assert_allclose(a.vectors, b.vectors, rtol=1e-5, atol=1e-6)
    assert embed_windows(model, seqs[:1], center=10, rc=None).rc == model.info.is_mlm  # RC default: on for MLMs only


def test_layers_concatenate_and_progress(tiny_mlm, rng):
    seqs = [random_dna(rng, 40) for _ in range(5)]
    seen = []
    emb = embed_windows(tiny_mlm, seqs, layers=[1, -1], center=8, rc=False, batch_size=2,
                        progress=lambda f, msg: seen.append(f))
    assert emb.layers == (1, 3)
    np.testing.assert_allclose(emb.features((1, 3)), np.hstack([emb.features(1), emb.features(3)]))
    assert seen[-1] == 1.0 and len(seen) == 3
    with pytest.raises(ValueError):
        emb.features(2)
    with pytest.raises(ValueError):
        embed_windows(tiny_mlm, seqs, layers=[7])


def test_window_frame_is_one_based(chloroplast):
    from glm_explore.reduce import pca_coords
    from glm_explore.region_windows import make_windows

    ws = make_windows(chloroplast, cap_per_class=3, seed=0)
    X = np.random.default_rng(0).normal(size=(len(ws), 4)).astype(np.float32)
    from glm_explore.results import Embeddings

    emb = Embeddings(X[:, None], (0,), "m", "center-mean", 100, False, 512)
    f = window_frame(ws, emb, [pca_coords(X)], sequence=True)
    assert list(f.columns[:8]) == ["chrom", "start", "end", "region", "class", "split", "strand", "gc"]
    for c, s, e, q, r in f[["chrom", "start", "end", "sequence", "region"]].itertuples(index=False):
        assert chloroplast.genome.fetch(c, s - 1, e) == q  # 1-based inclusive start..end
        assert r == f"{c}:{s}-{e}"
    assert np.allclose(np.stack(f["embedding"]), X) and {"pca1", "pca2"} <= set(f.columns)


def test_cli_writes_parquet(tmp_path, capsys):
    from glm_explore.cli import main

    out = tmp_path / "w.parquet"
    rc = main(["embed", "--genome", "chloroplast", "--model", "default-clm", "--out", str(out), "--cap", "4",
               "--no-umap", "--layers", "8,9", "--k", "2"])
    assert rc == 0
    f = pd.read_parquet(out)
    assert len(f) > 0 and len(f["embedding"].iloc[0]) == 2 * 96
    assert (f["start"] >= 1).all() and ((f["end"] - f["start"] + 1) == 512).all()
    printed = capsys.readouterr().out
    assert "2-mer frequencies" in printed and "default-clm + 2-mers" in printed


def test_cli_bad_layers_is_one_line(tmp_path, capsys):
    from glm_explore.cli import main

    rc = main(["embed", "--genome", "chloroplast", "--out", str(tmp_path / "x.parquet"), "--cap", "2",
               "--layers", "last"])
    err = capsys.readouterr().err
    assert rc == 2 and "error: --layers" in err and "Traceback" not in err


APP = str(ROOT / "app.py")


def test_page_end_to_end_on_chloroplast(monkeypatch, tmp_path, chloroplast, default_mlm):
    """Embed → table + confusion + scatter; the numbers equal a direct library computation."""
    from streamlit.testing.v1 import AppTest

    import glm_explore.reduce
    from glm_explore.reduce import compare_separation
    from glm_explore.region_windows import make_windows

    monkeypatch.setenv("HOME", str(tmp_path))  # persisted st.cache_data goes to a fresh ~/.streamlit/cache
    monkeypatch.setattr(glm_explore.reduce, "warm_umap", lambda: None)  # the page's background numba warm-up
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["dataset_key"] = "chloroplast"
    at.run()
    at.switch_page("pages/embeddings.py")
    at.run()
    assert not at.exception
    at.number_input(key="embeddings_cap").set_value(4)
    at.slider(key="embeddings_k").set_value(2)
    at.button(key="embeddings_go").click()
    at.run()
    assert not at.exception and not at.error
    assert any("held-out contiguous segment" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert list(table["features"]) == ["default-mlm", "2-mer frequencies", "default-mlm + 2-mers"]
    assert len(at.get("plotly_chart")) == 2  # scatter + confusion matrix

    ws = make_windows(chloroplast, cap_per_class=4)
    emb = embed_windows(default_mlm, ws.sequences, layers=-1)
    want = compare_separation(emb.features(), ws.sequences, ws.labels, ws.train_mask, k=2)
    np.testing.assert_allclose(table["probe macro-F1"], [round(s.macro_f1, 3) for s in want], atol=1e-3)

    at.radio(key="embeddings_color").set_value("gc")
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    at.toggle(key="embeddings_sweep_on").set_value(True)
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 3

    # select a point (what a click sends): its window is shown and can be handed to the logits page
    row = 3
    at.session_state["embeddings_scatter"] = {"selection": {"points": [{"customdata": [row]}], "point_indices": [row],
                                                            "box": [], "lasso": []}}
    at.run()
    region = f"{ws.table['chrom'][row]}:{ws.table['start'][row] + 1}-{ws.table['end'][row]}"
    assert not at.exception and at.subheader[-1].value == f"Selected window {region}"
    assert at.code[0].value == ws.table["sequence"][row]
    at.button(key="embeddings_to_logits").click()
    at.run()
    assert not at.exception
    assert at.session_state["handoff_region"] == region
    assert at.text_input(key="logits_region").value == region  # the logits page opened with it


def test_one_driver_reads_stored_slices_and_embeds_the_rest(tiny_mlm, rng):
    """embed_windows(shards=…) is what the Ray engine's output goes through: a slice the store holds is taken as
    stored, the others are embedded here, and the result carries the same settings as a plain local run."""
    from glm_explore.embed import EmbedSettings, shard_slices, vectors_bytes

    seqs = [random_dna(rng, 40) for _ in range(10)]
    settings = EmbedSettings(layers=[1, -1], center=8, rc=True, batch_size=3)
    whole = embed_windows(tiny_mlm, seqs, settings)
    assert [(s.start, s.stop) for s in shard_slices(10, 4)] == [(0, 4), (4, 8), (8, 10)]
    marked = whole.vectors[4:8] + 100.0  # stored values come back as stored, not recomputed

    class Store(dict):
        def done(self, k):
            return k in self

        def load(self, k):
            return self[k]

    out = embed_windows(tiny_mlm, seqs, settings, shards=Store({1: vectors_bytes(marked)}), shard_size=4)
    np.testing.assert_array_equal(out.vectors[4:8], marked.astype(np.float32))
    np.testing.assert_allclose(out.vectors[[0, 1, 2, 3, 8, 9]], whole.vectors[[0, 1, 2, 3, 8, 9]], atol=1e-6)
    assert (out.layers, out.rc, out.center, out.pooling) == (whole.layers, whole.rc, whole.center, whole.pooling) \
        == ((1, 3), True, 8, "center-mean")
    assert EmbedSettings.from_dict(settings.resolved(tiny_mlm).as_dict()) == settings.resolved(tiny_mlm)
