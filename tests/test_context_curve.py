"""How far a model looks (glm_explore.context_curve, glm_explore.dependency, plots, the ``context`` command).

Every number is checked against an independent computation: the closed form of a Markov-k / neighbour oracle,
masked marginals and next-token predictions of the tiny ConvLMs on longer genome windows, the whole-sequence
dependency map, a hand-computed w90, and evaluate.block_bootstrap_ci.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from oracles import MarkovCLM, NeighbourMLM

from glm_explore.context_curve import (
    ContextWidthError,
    check_widths,
    context_curve,
    full_width,
    sample_positions,
    summarise,
    truncated_log_probs,
    w90_width,
    width_grid,
)
from glm_explore.dependency import banded_dependency_map, dependency_map, save_banded
from glm_explore.errors import InputTooLargeError, ObjectiveError, RegionError, UnsupportedByModelError
from glm_explore.evaluate import block_bootstrap_ci
from glm_explore.logits import masked_marginals, next_token_log_probs, region_window
from glm_explore.results import BandedDependencyMap
from glm_explore.sequence import encode

CP = "NC_000932"
LOG_QUARTER = np.log(0.25)
TOL = 5e-6  # float32 logits of differently shaped batches differ by ~2e-6 (same inputs)


def _positions(n: int = 12, start: int = 20_000, step: int = 997) -> pd.DataFrame:
    return pd.DataFrame({"chrom": CP, "pos": start + step * np.arange(n), "label": "x"})


def _unbounded(model, **changes):
    """The same model declaring no finite receptive field (so widths run up to a cap past its true one)."""
    clone = object.__new__(type(model))
    clone.__dict__.update(model.__dict__)
    clone.info = dataclasses.replace(model.info, receptive_field=None, **changes)
    return clone


@pytest.fixture(scope="module")
def markov(chloroplast):
    """Order-3 chain fitted to the chloroplast's first 100 kb (+1 counts), so context lowers the bits."""
    codes = encode(chloroplast.genome.fetch(CP, 0, 100_000))
    ctx = 16 * codes[:-3] + 4 * codes[1:-2] + codes[2:-1]
    counts = np.ones((64, 4))
    np.add.at(counts, (ctx, codes[3:]), 1)
    return MarkovCLM(3, counts)


@pytest.fixture(scope="module")
def neighbour(chloroplast):
    """P(x_i | x_{i-1}, x_{i+1}) fitted to the chloroplast's first 100 kb (+1 counts)."""
    codes = encode(chloroplast.genome.fetch(CP, 0, 100_000))
    counts = np.ones((16, 4))
    np.add.at(counts, (4 * codes[:-2] + codes[2:], codes[1:-1]), 1)
    return NeighbourMLM(counts)


# --- widths -------------------------------------------------------------------------------------

def test_width_grid_and_checks(tiny_mlm, tiny_clm, markov):
    assert full_width(tiny_mlm) == 8 and full_width(tiny_clm) == 17
    assert width_grid(tiny_mlm) == (0, 1, 2, 4, 8)
    assert width_grid(tiny_clm) == (0, 1, 2, 4, 8, 16, 17)
    assert check_widths([4, 1, 4], tiny_mlm) == (1, 4, 8)  # sorted, unique, full width appended
    assert full_width(_unbounded(markov), cap=16) == 16
    assert full_width(_unbounded(markov, max_len=11), cap=16) == 10  # CLM rows are F + 1 bases
    with pytest.raises(ContextWidthError, match="receptive field"):
        check_widths([1, 9], tiny_mlm)
    with pytest.raises(ContextWidthError, match="≥ 0"):
        check_widths([-1], tiny_mlm)
    with pytest.raises(ContextWidthError, match="at least one"):
        check_widths([], tiny_mlm)


# --- oracles: closed forms ------------------------------------------------------------------------

def _markov_closed_form(markov, seq: str, pos: np.ndarray) -> np.ndarray:
    """(P,) log P(ref | the 3 previous bases) from the table, oldest base the most significant digit."""
    codes = encode(seq)
    idx = 16 * codes[pos - 3] + 4 * codes[pos - 2] + codes[pos - 1]
    return np.log(markov.table[idx, codes[pos]])


@pytest.mark.parametrize("declared", ["rf", "unbounded"])
def test_markov_curve_is_uniform_below_k_and_flat_from_k(markov, chloroplast, declared):
    model = markov if declared == "rf" else _unbounded(markov)
    pos = _positions(40)
    res = context_curve(model, chloroplast, pos, cap=16, reps=50)
    seq = chloroplast.genome.fetch(CP)
    expected = _markov_closed_form(markov, seq, pos["pos"].to_numpy())
    assert res.truncation == "left" and res.widths == ((0, 1, 2, 3) if declared == "rf" else (0, 1, 2, 4, 8, 16))
    wide = res.points.pivot(index="pos", columns="width", values="log_p_ref").loc[pos["pos"]]
    for w in res.widths:
        want = np.full(len(pos), LOG_QUARTER) if w < 3 else expected
        np.testing.assert_allclose(wide[w].to_numpy(), want, rtol=0, atol=1e-12)
    curve = res.curve[res.curve["class"] == "x"].set_index("width")["bits"]
    np.testing.assert_allclose(curve.loc[[0, 1, 2]], 2.0, atol=1e-12)
    assert np.ptp(curve.loc[[w for w in res.widths if w >= 3]]) < 1e-12
    # all the gain arrives at w = k: w90 is the first width of the grid from k on (3, or 4 on the power-of-2 grid)
    assert res.w90.set_index("class").loc["x", "w90"] == min(w for w in res.widths if w >= 3)


@pytest.mark.parametrize("truncation", ["mask", "crop"])
def test_neighbour_mlm_flattens_at_one(neighbour, chloroplast, truncation):
    model = _unbounded(neighbour)
    pos = _positions(30)
    res = context_curve(model, chloroplast, pos, truncation=truncation, cap=8, reps=50)
    codes = encode(chloroplast.genome.fetch(CP))
    p = pos["pos"].to_numpy()
    expected = np.log(neighbour.table[4 * codes[p - 1] + codes[p + 1], codes[p]])
    wide = res.points.pivot(index="pos", columns="width", values="log_p_ref").loc[p]
    np.testing.assert_allclose(wide[0].to_numpy(), LOG_QUARTER, atol=1e-12)  # both neighbours hidden
    for w in (1, 2, 4, 8):
        np.testing.assert_allclose(wide[w].to_numpy(), expected, atol=1e-12)
    assert res.w90.set_index("class").loc["x", "w90"] == 1.0


# --- tiny ConvLMs: full width = full-context prediction ---------------------------------------------

def test_tiny_mlm_mask_rule_and_full_width_match_masked_marginals(tiny_mlm, chloroplast):
    pos = _positions(10)
    seq = chloroplast.genome.fetch(CP)
    got = {t: truncated_log_probs(tiny_mlm, chloroplast.genome, pos, [0, 2, 5], truncation=t) for t in ("mask", "crop")}
    flank = 40
    for r, p in enumerate(pos["pos"]):
        window = seq[p - flank:p + flank + 1]
        full = masked_marginals(tiny_mlm, window, exact=False, positions=np.array([flank]))[:, flank]
        for t in ("mask", "crop"):
            np.testing.assert_allclose(got[t][r, -1], full, atol=TOL)  # width 8 = R
        for k, w in enumerate((0, 2, 5)):  # the mask rule, rebuilt on a longer window
            d = np.abs(np.arange(-flank, flank + 1))
            lp = tiny_mlm.log_probs([window], ((d > w) | (d == 0))[None])[0][:, flank]
            np.testing.assert_allclose(got["mask"][r, k], lp, atol=TOL)
            cropped = window[flank - w:flank + w + 1]
            m = np.zeros((1, 2 * w + 1), dtype=bool)
            m[0, w] = True
            np.testing.assert_allclose(got["crop"][r, k], tiny_mlm.log_probs([cropped], m)[0][:, w], atol=TOL)
    assert np.abs(got["mask"][:, 0] - got["mask"][:, -1]).max() > 1e-3  # truncation does change predictions


def test_tiny_clm_full_width_matches_next_token(tiny_clm, chloroplast):
    pos = _positions(10)
    seq = chloroplast.genome.fetch(CP)
    got = truncated_log_probs(tiny_clm, chloroplast.genome, pos, [0, 3, 10])
    for r, p in enumerate(pos["pos"]):
        full = next_token_log_probs(tiny_clm, seq[p - 60:p + 1])[:, -1]
        np.testing.assert_allclose(got[r, -1], full, atol=TOL)  # width 17 = R
        for k, w in enumerate((0, 3, 10)):
            np.testing.assert_allclose(got[r, k], next_token_log_probs(tiny_clm, seq[p - w:p + 1])[:, -1], atol=TOL)
    assert np.abs(got[:, 0] - got[:, -1]).max() > 1e-3


def test_positions_need_context_and_truncation_fits_objective(tiny_mlm, tiny_clm, chloroplast):
    near_edge = pd.DataFrame({"chrom": [CP], "pos": [3]})
    with pytest.raises(RegionError, match="context on the left"):
        truncated_log_probs(tiny_mlm, chloroplast.genome, near_edge, [0])
    with pytest.raises(ObjectiveError, match="'mask' or 'crop'"):
        truncated_log_probs(tiny_mlm, chloroplast.genome, _positions(2), [0], truncation="left")
    with pytest.raises(ObjectiveError, match="'left'"):
        truncated_log_probs(tiny_clm, chloroplast.genome, _positions(2), [0], truncation="mask")
    with pytest.raises(RegionError, match="exon"):
        context_curve(tiny_mlm, chloroplast, classes=["CDS", "exon"])


# --- w90 and the bootstrap ---------------------------------------------------------------------------

def test_w90_by_hand():
    widths = [0, 1, 2, 4, 8]
    # gain 1.0; 90 % = a drop of 0.9 bits: 0.88 at w=4 is not enough, 1.0 at w=8 is
    assert w90_width(widths, [2.0, 1.8, 1.5, 1.12, 1.0]) == 8
    assert w90_width(widths, [2.0, 1.5, 1.09, 1.05, 1.0]) == 2  # drop 0.91 at w=2
    assert w90_width(widths, [2.0, 0.9, 1.2, 1.1, 1.0]) == 1  # overshoot at w=1 counts
    assert np.isnan(w90_width(widths, [1.0, 1.1, 1.2, 1.1, 1.0]))  # no gain
    assert np.isnan(w90_width(widths, [1.0, 1.1, 1.2, 1.1, 1.5]))  # context hurts


def test_summarise_matches_block_bootstrap_and_hand_means(rng):
    widths = [0, 2, 8]
    n = 30
    window = np.repeat(np.arange(10), 3)
    bits = np.c_[2 + rng.normal(0, .1, n), 1.5 + rng.normal(0, .1, n), 1.2 + rng.normal(0, .1, n)]
    points = pd.DataFrame({"chrom": "c", "pos": np.repeat(np.arange(n), 3), "label": np.repeat(
        np.where(np.arange(n) < 15, "CDS", "intron"), 3), "window": np.repeat(window, 3),
        "width": np.tile(widths, n), "bits": bits.ravel()})
    points["p_ref"] = 2.0 ** -points["bits"]
    curve, w90 = summarise(points, widths, reps=500, seed=7)
    assert list(curve["class"].unique()) == ["CDS", "intron", "all"]
    for name, rows in (("CDS", slice(0, 15)), ("all", slice(0, n))):
        c = curve[curve["class"] == name].set_index("width")
        for k, w in enumerate(widths):
            assert c.loc[w, "bits"] == pytest.approx(bits[rows, k].mean())
            lo, hi = block_bootstrap_ci(bits[rows, k], window[rows], reps=500, seed=7)
            assert (c.loc[w, "ci_lo"], c.loc[w, "ci_hi"]) == pytest.approx((lo, hi))
        row = w90.set_index("class").loc[name]
        assert row["w90"] == w90_width(widths, bits[rows].mean(axis=0))
        assert row["gain_bits"] == pytest.approx(bits[rows, 0].mean() - bits[rows, 2].mean())
        assert row["w90_lo"] <= row["w90"] <= row["w90_hi"]


def test_sample_positions_held_out_and_classed(chloroplast):
    pos = sample_positions(chloroplast, classes=["CDS", "intergenic"], per_class=4, per_window=2, margins=(50, 50))
    assert set(pos["label"]) <= {"CDS", "intergenic"} and len(pos) == 16
    assert (pos["pos"] >= 123_583).all()  # the chloroplast's held-out last 20 %
    labels = chloroplast.labels[CP][pos["pos"].to_numpy()]
    from glm_explore.io.annotation import CLASSES
    assert [CLASSES[k] for k in labels] == list(pos["label"])
    assert pos.groupby("window").size().eq(2).all()


# --- banded dependency map -----------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["tiny_mlm", "tiny_clm"])
def test_banded_map_equals_full_map_inside_the_band(fixture, request, chloroplast):
    model = request.getfixturevalue(fixture)
    R = model.info.receptive_field
    seq = chloroplast.genome.fetch(CP, 5000, 5090)
    full = dependency_map(model, seq).matrix
    i, j = np.indices(full.shape)
    for band in (R, 3):
        dep = banded_dependency_map(model, seq, band=band)
        dense = dep.dense()
        inside = np.abs(i - j) <= band
        np.testing.assert_allclose(dense[inside & (i != j)], full[inside & (i != j)], atol=2e-5)
        assert np.isnan(dense[~inside]).all() and np.isnan(np.diag(dense)).all()
        assert dep.bands.shape == (90, 2 * band + 1) and dep.exact
    assert np.nanmax(full[np.abs(i - j) > R]) < 1e-4  # beyond R nothing changes: the band loses nothing
    filled = banded_dependency_map(model, seq).to_dependency_map(fill=0.0).matrix
    np.testing.assert_allclose(filled, full, atol=1e-4)  # the whole map, NaN diagonal included
    if model.info.objective == "clm":
        assert np.nanmax(full[j < i]) < 1e-4


def test_banded_map_of_a_window_keeps_context(tiny_mlm, chloroplast):
    w = region_window(chloroplast.genome, f"{CP}:3001-3060", tiny_mlm)
    dep = banded_dependency_map(tiny_mlm, w)
    full = dependency_map(tiny_mlm, w).matrix
    inside = ~np.isnan(dep.dense())
    np.testing.assert_allclose(dep.dense()[inside], full[inside], atol=2e-5)
    assert dep.label == f"{CP}:3001-3060" and dep.to_dependency_map().matrix.shape == (60, 60)


def test_banded_map_errors(tiny_mlm, neighbour):
    with pytest.raises(InputTooLargeError, match="5,000"):
        banded_dependency_map(tiny_mlm, "ACGT" * 1300)
    with pytest.raises(UnsupportedByModelError, match="band"):
        banded_dependency_map(_unbounded(neighbour), "ACGTACGTAC")
    approx = banded_dependency_map(_unbounded(neighbour), "ACGTACGTACGGT", band=2)
    assert not approx.exact and "approximation" in approx.note


def test_save_banded_roundtrip(tiny_mlm, tmp_path):
    dep = banded_dependency_map(tiny_mlm, "ACGTTGCAAGGCTTACGATCGA")
    save_banded(dep, tmp_path / "d.npz")
    z = np.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(z["bands"], dep.bands)
    assert int(z["band"]) == 8 and str(z["seq"]) == dep.seq


# --- plots ----------------------------------------------------------------------------------------

def test_figures_build(tiny_mlm, chloroplast):
    from glm_explore.plots.context_curve import banded_dependency_heatmap, context_curve_chart

    res = context_curve(tiny_mlm, chloroplast, classes=["CDS", "intergenic"], per_class=3, reps=50)
    fig = context_curve_chart(res)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert len(names) == 3 and names[0].startswith("CDS")  # CDS, intergenic, all
    assert fig.layout.xaxis.type == "log" and fig.layout.shapes[0].x0 == 8
    dep = BandedDependencyMap(bands=np.arange(40 * 5, dtype=np.float32).reshape(40, 5), band=2, seq="A" * 40,
                              model="m", objective="mlm")
    heat = banded_dependency_heatmap(dep, max_columns=10)
    z = np.asarray(heat.data[0].z, dtype=float)
    assert z.shape == (5, 10) and z[0, 0] == 15.0  # max of queries 1–4 at offset −2: bands[3, 0]


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_writes_its_files(tmp_path, monkeypatch, tiny_mlm, chloroplast, capsys):
    from glm_explore.cli import context as cli_context
    from glm_explore.cli import main

    monkeypatch.setattr(cli_context, "load_model_arg", lambda spec, **_: tiny_mlm)
    monkeypatch.setattr(cli_context, "load_genome_arg", lambda spec: chloroplast)
    out = tmp_path / "ctx"
    rc = main(["context", "--genome", "chloroplast", "--model", "tiny", "--classes", "CDS,intergenic",
               "--per-class", "3", "--widths", "0,2", "--reps", "50", "--dependency-region", f"{CP}:2001-2040",
               "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["context_curve.tsv", "context_points.tsv", "context_w90.tsv",
                                                      "dependency.npz"]
    curve = pd.read_csv(out / "context_curve.tsv", sep="\t")
    assert sorted(curve["width"].unique()) == [0, 2, 8] and set(curve["class"]) == {"CDS", "intergenic", "all"}
    w90 = pd.read_csv(out / "context_w90.tsv", sep="\t")
    assert list(w90["class"]) == ["CDS", "intergenic", "all"]
    z = np.load(out / "dependency.npz")
    assert z["bands"].shape == (40, 17) and str(z["chrom"]) == CP
    assert "wrote" in capsys.readouterr().out


def test_cli_width_past_receptive_field_is_one_line(tmp_path, monkeypatch, tiny_mlm, chloroplast, capsys):
    from glm_explore.cli import context as cli_context
    from glm_explore.cli import main

    monkeypatch.setattr(cli_context, "load_model_arg", lambda spec, **_: tiny_mlm)
    monkeypatch.setattr(cli_context, "load_genome_arg", lambda spec: chloroplast)
    rc = main(["context", "--widths", "1,9", "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "receptive field" in err and "9" in err
    assert not (tmp_path / "c").exists()
