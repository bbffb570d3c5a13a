"""Per-position nucleotide predictions: exactness of batched masked marginals, CLM prefixes, derived
tracks, dependency map, CLI and the page. Every expectation is an independent computation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, app_on_page, random_dna
from scipy.special import logit
from scipy.stats import entropy

from glm_explore import logits as lg
from glm_explore.cli import main as cli_main
from glm_explore.dependency import dependency_map
from glm_explore.errors import InputTooLargeError, ObjectiveError, RegionError
from glm_explore.io.fasta import fasta_records
from glm_explore.plots import dependency_heatmap, logits_comparison, logits_tracks
from glm_explore.sequence import reverse_complement

CP = "NC_000932"


def one_mask_brute_force(model, seq: str, positions) -> np.ndarray:
    """(4, len(positions)): one forward per position with only that position masked."""
    cols = []
    for i in positions:
        masked = np.zeros((1, len(seq)), dtype=bool)
        masked[0, i] = True
        cols.append(model.log_probs([seq], masked)[0][:, i])
    return np.stack(cols, axis=1)


def test_mask_groups_are_far_apart_and_cover_once():
    groups = lg.mask_groups(50, 7)
    assert len(groups) == 8
    assert sorted(np.concatenate(groups).tolist()) == list(range(50))
    assert all(np.diff(g).min() > 7 for g in groups if len(g) > 1)
    sub = lg.mask_groups(50, 7, positions=np.arange(10, 20))
    assert sorted(np.concatenate(sub).tolist()) == list(range(10, 20))


def test_exact_marginals_equal_brute_force_tiny(tiny_mlm, rng):
    seq = random_dna(rng, 45)
    assert tiny_mlm.info.receptive_field < 20  # several masks share a copy
    exact = lg.masked_marginals(tiny_mlm, seq)
    brute = one_mask_brute_force(tiny_mlm, seq, range(len(seq)))
    assert np.abs(exact - brute).max() < 1e-5
    assert np.abs(lg.masked_marginals(tiny_mlm, seq, exact=False) - brute).max() < 1e-5


def test_cone_marginals_cut_long_sequences_into_rows_without_changing_a_column(tiny_mlm, rng, monkeypatch):
    """Rows of CONE_ROW positions with R of context each side: columns at row seams, both sequence ends and a
    ``positions`` subset equal brute force (the built-in CNN declares masked_sites, so exact uses cones)."""
    assert tiny_mlm.info.capabilities.masked_sites
    monkeypatch.setattr(lg, "CONE_ROW", 16)
    seq = random_dna(rng, 90)
    check = [0, 1, 15, 16, 17, 31, 32, 60, 88, 89]
    exact = lg.masked_marginals(tiny_mlm, seq)
    assert np.abs(exact[:, check] - one_mask_brute_force(tiny_mlm, seq, check)).max() < 1e-5
    sub = lg.masked_marginals(tiny_mlm, seq, positions=np.array([70, 3, 40]))
    assert np.isnan(sub[:, 4]).all() and np.abs(sub[:, [3, 40, 70]] - exact[:, [3, 40, 70]]).max() < 1e-5


def test_exact_marginals_equal_brute_force_default(default_mlm, rng):
    R = default_mlm.info.receptive_field
    seq = random_dna(rng, R + 40)
    exact = lg.masked_marginals(default_mlm, seq, batch_size=64)
    # positions i and i + R + 1 share a masked copy in the batched scheme
    check = [0, 1, 2, 20, 39, R + 1, R + 2, R + 3, R + 21, R + 39]
    brute = one_mask_brute_force(default_mlm, seq, check)
    assert np.abs(exact[:, check] - brute).max() < 1e-5


def test_probabilities_sum_to_one(tiny_mlm, tiny_clm, rng):
    seq = random_dna(rng, 40)
    for model, modes in ((tiny_mlm, ["exact", "unmasked", "brute"]), (tiny_clm, ["next"])):
        for mode in modes:
            for rc in (False, True):
                lp = lg.position_log_probs(model, seq, mode=mode, rc=rc)
                assert lp.shape == (4, 40)
                np.testing.assert_allclose(np.exp(lp).sum(axis=0), 1.0, atol=1e-5)


@pytest.mark.parametrize("fixture", ["tiny_clm", "default_clm"])
def test_clm_column_equals_forward_on_prefix(fixture, request, rng):
    model = request.getfixturevalue(fixture)
    seq = random_dna(rng, 60)
    full = lg.next_token_log_probs(model, seq)
    for i in [0, 1, 7, 30, 59]:
        prefix = model.log_probs([seq[:i + 1]])[0][:, i]
        assert np.abs(full[:, i] - prefix).max() < 1e-5


def test_rc_average_matches_manual_mapping(tiny_mlm, rng):
    seq = random_dna(rng, 35)
    fwd = lg.masked_marginals(tiny_mlm, seq)
    rev = lg.masked_marginals(tiny_mlm, reverse_complement(seq))
    comp = {0: 3, 1: 2, 2: 1, 3: 0}
    manual = np.empty_like(fwd)
    for i in range(35):
        for b in range(4):
            manual[b, i] = (fwd[b, i] + rev[comp[b], 34 - i]) / 2
    manual -= np.log(np.exp(manual).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(lg.position_log_probs(tiny_mlm, seq, mode="exact", rc=True), manual, atol=1e-5)


def test_information_content_matches_formula(rng):
    p = rng.dirichlet(np.ones(4) * 0.3, size=50).T
    lp = np.log(p)
    np.testing.assert_allclose(lg.entropy_bits(lp), entropy(p, base=2, axis=0), atol=1e-9)
    np.testing.assert_allclose(lg.information_content(lp), 2 - entropy(p, base=2, axis=0), atol=1e-9)
    h = lg.logo_heights(lp, "information")
    np.testing.assert_allclose(h.sum(axis=0), 2 - entropy(p, base=2, axis=0), atol=1e-9)
    np.testing.assert_allclose(lg.logo_heights(lp, "probability"), p)


def test_position_table_tracks(tiny_mlm, chloroplast):
    w = lg.region_window(chloroplast.genome, f"{CP}:2001-2060", tiny_mlm)
    res = lg.nucleotide_logits(tiny_mlm, w)
    assert res.mode == "exact" and res.length == 60 and res.label == f"{CP}:2001-2060"
    # the window's context is used, then cropped: equal to marginals of the padded sequence
    full = lg.masked_marginals(tiny_mlm, w.seq)[:, w.offset:w.offset + 60]
    full = full - np.log(np.exp(full).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(res.log_probs, full, atol=1e-5)
    t = lg.position_table(res, chloroplast)
    assert t["pos"].tolist() == list(range(2001, 2061))
    assert "".join(t["ref"]) == chloroplast.genome.fetch(CP, 2000, 2060)
    for k in [0, 17, 59]:
        b = "ACGT".index(t["ref"][k])
        assert t["p_ref"][k] == pytest.approx(np.exp(res.log_probs[b, k]), rel=1e-5)
        assert t["log_p_ref"][k] == pytest.approx(res.log_probs[b, k], abs=1e-5)
        top = "ACGT"[int(np.argmax(res.log_probs[:, k]))]
        assert t["top_base"][k] == top
        assert t["disagreeing_base"][k] == (top if top != t["ref"][k] else "")
    np.testing.assert_allclose(t["ic_bits"], 2 - t["entropy_bits"])
    assert set(t["region_class"]) <= set(chloroplast.class_counts().index)


def test_contig_edges_shift_context_not_crash(tiny_mlm, chloroplast):
    n = chloroplast.genome.lengths[CP]
    for region in (f"{CP}:1-40", f"{CP}:{n - 39}-{n}"):
        w = lg.region_window(chloroplast.genome, region, tiny_mlm)
        assert "contig edge" in w.note
        assert lg.nucleotide_logits(tiny_mlm, w).length == 40
    with pytest.raises(RegionError):
        lg.region_window(chloroplast.genome, f"{CP}:{n - 10}-{n + 5}", tiny_mlm)
    with pytest.raises(RegionError, match="limit"):
        lg.region_window(chloroplast.genome, f"{CP}:1-3000", tiny_mlm)


def test_inputs_and_mode_errors(tiny_mlm, tiny_clm):
    assert lg.sequence_input("acg tn\nRA") == "ACGTNNA"
    with pytest.raises(InputTooLargeError):
        lg.sequence_input("A" * 2001)
    recs = fasta_records(b">one desc\nACGT\nAC\n>two\nggg\n")
    assert recs == {"one": "ACGTAC", "two": "GGG"}
    assert lg.resolve_mode(tiny_mlm) == "exact" and lg.resolve_mode(tiny_clm) == "next"
    with pytest.raises(ObjectiveError):
        lg.resolve_mode(tiny_clm, "exact")
    with pytest.raises(ObjectiveError):
        lg.nucleotide_logits(tiny_mlm, "ACGTACGT", mode="next")


def brute_dependency(model, seq: str) -> np.ndarray:
    """d(i, j) straight from the definition, one forward per mutant, scipy's logit."""
    L = len(seq)
    ref = np.clip(np.exp(model.log_probs([seq])[0].astype(np.float64)), 1e-6, 1 - 1e-6)
    d = np.zeros((L, L))
    for i in range(L):
        for alt in "ACGT":
            if alt == seq[i]:
                continue
            mut = seq[:i] + alt + seq[i + 1:]
            p = np.clip(np.exp(model.log_probs([mut])[0].astype(np.float64)), 1e-6, 1 - 1e-6)
            d[i] = np.maximum(d[i], np.abs(logit(p) - logit(ref)).max(axis=0))
    np.fill_diagonal(d, np.nan)
    return d


@pytest.mark.parametrize("fixture", ["tiny_mlm", "tiny_clm"])
def test_dependency_map_equals_definition(fixture, request, rng):
    model = request.getfixturevalue(fixture)
    seq = random_dna(rng, 16)
    dep = dependency_map(model, seq, batch_size=16)
    np.testing.assert_allclose(dep.matrix, brute_dependency(model, seq), atol=2e-4, equal_nan=True)
    if model.info.objective == "clm":  # x_i cannot change predictions at or before i
        assert np.nanmax(np.tril(dep.matrix, -1)) < 1e-5
    with pytest.raises(InputTooLargeError):
        dependency_map(model, random_dna(rng, 301))


def test_dependency_map_window_crops_context(tiny_mlm, chloroplast):
    w = lg.region_window(chloroplast.genome, f"{CP}:5001-5010", tiny_mlm, flank=5)
    dep = dependency_map(tiny_mlm, w)
    full = brute_dependency(tiny_mlm, w.seq)[w.offset:w.offset + 10, w.offset:w.offset + 10]
    np.testing.assert_allclose(dep.matrix, full, atol=2e-4, equal_nan=True)
    assert dep.positions[0] == 5001


def test_figures_build(tiny_mlm, tiny_clm, chloroplast):
    w = lg.region_window(chloroplast.genome, f"{CP}:1001-1040", tiny_mlm)
    res = {m.info.name: lg.nucleotide_logits(m, w) for m in (tiny_mlm, tiny_clm)}
    fig = logits_tracks(res["tiny-mlm"], data=chloroplast)
    assert {tr.name for tr in fig.data} >= {"A", "C", "G", "T", "P(ref)", "entropy"}
    assert any(tr.name in {"CDS", "intergenic", "tRNA", "intron"} for tr in fig.data)  # annotation lane
    assert len(logits_comparison(res).data) >= 10
    dep = dependency_map(tiny_mlm, w)
    assert dependency_heatmap(dep).data[0].z.shape == (40, 40)


def test_cli_writes_parquet(tmp_path, chloroplast, capsys):
    out = tmp_path / "x.parquet"
    dep = tmp_path / "dep.parquet"
    rc = cli_main(["logits", "--genome", "chloroplast", "--model", "default-mlm", "--region", f"{CP}:3001-3030",
                   "--out", str(out), "--dependency", str(dep)])
    assert rc == 0
    df = pd.read_parquet(out)
    assert df["pos"].tolist() == list(range(3001, 3031))
    assert "".join(df["ref"]) == chloroplast.genome.fetch(CP, 3000, 3030)
    np.testing.assert_allclose(df[["p_A", "p_C", "p_G", "p_T"]].sum(axis=1), 1.0, atol=1e-5)
    assert "wrote 30 positions" in capsys.readouterr().out
    d = pd.read_parquet(dep)
    assert d.shape == (30, 31) and d["query_pos"].tolist() == list(range(3001, 3031))
    assert np.isnan(d["3005"][4]) and np.nanmin(d.drop(columns="query_pos").to_numpy()) >= 0


def test_cli_bad_region_one_line_nonzero_exit(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "glm_explore", "logits", "--genome", "chloroplast",
                           "--region", f"{CP}:500-100", "--out", str(tmp_path / "x.parquet")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "start" in lines[0]
    assert not (tmp_path / "x.parquet").exists()


def test_page_apptest():
    at = app_on_page("logits")
    assert not at.exception
    at.text_input(key="logits_region").set_value(f"{CP}:1001-1060")
    at.button(key="logits_go").click()
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 1
    assert at.dataframe and len(at.dataframe[0].value) == 60
    assert at.dataframe[0].value["pos"].iloc[0] == 1001
    at.button(key="logits_compare").click()
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 2
    at.text_input(key="logits_region").set_value(f"{CP}:1-3000")
    at.button(key="logits_go").click()
    at.run()
    assert not at.exception
    assert at.error and "limit" in at.error[0].value


def test_page_apptest_pasted_sequence_clm():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(ROOT) / "app.py"), default_timeout=120)
    at.session_state["dataset_key"] = "chloroplast"
    at.session_state["model_key"] = "default-clm"
    at.run()
    at.switch_page("pages/logits.py")
    at.run()
    at.radio(key="logits_input").set_value("Pasted sequence")
    at.run()
    assert at.selectbox(key="logits_mode").options == [lg.MODES["next"]]  # a CLM offers next-token only
    at.text_area(key="logits_paste").set_value("acgtacgatcgatcgatgcatgcatgcatgactgactagc")
    at.button(key="logits_go").click()
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 1 and at.dataframe[0].value["pos"].tolist() == list(range(1, 41))
    at.text_area(key="logits_paste").set_value(">hdr\nACGT")
    at.button(key="logits_go").click()
    at.run()
    assert not at.exception and "FASTA header" in at.error[0].value


def test_stitch_plan_tiles_the_span_and_every_input_fits():
    plan = lg.stitch_plan(1000, 100, 700, 200, 30)
    cores = [(lo, hi) for _, _, lo, hi in plan]
    assert cores[0][0] == 100 and cores[-1][1] == 800
    assert all(a[1] == b[0] for a, b in zip(cores, cores[1:]))  # consecutive, no gap, no overlap
    assert all(b - a <= 200 and a == max(0, lo - 30) and b == min(1000, hi + 30) for a, b, lo, hi in plan)
    assert len(plan) == -(-700 // 140)  # ceil(700 / (200 − 2·30))
    assert lg.stitch_plan(50, 0, 50, 200, 30) == [(0, 50, 0, 50)]
    with pytest.raises(InputTooLargeError, match="no room"):
        lg.stitch_plan(1000, 0, 1000, 60, 30)


@pytest.mark.parametrize("which, rc", [("tiny_mlm", True), ("tiny_clm", False)])
def test_a_region_longer_than_the_model_reads_is_stitched_exactly_within_the_receptive_field(
        request, monkeypatch, chloroplast, which, rc):
    """A CNN with receptive field R told it reads only 60 bp: the stitched prediction of a 400-bp region equals
    the one-pass prediction (every core sees R bp each side), and the result says how it was made."""
    import dataclasses

    model = request.getfixturevalue(which)
    c = chloroplast.genome.chroms[0]
    w = lg.region_window(chloroplast.genome, f"{c}:2001-2400", model)
    full = lg.nucleotide_logits(model, w, rc=rc)
    R = model.info.receptive_field
    monkeypatch.setattr(model, "info", dataclasses.replace(model.info, max_len=60))
    assert lg.stitch_flank(model) == R and 60 - 2 * R > 0
    seen = []
    got = lg.nucleotide_logits(model, w, rc=rc, progress=lambda f, m: seen.append(f))
    np.testing.assert_allclose(got.log_probs, full.log_probs, atol=1e-5)
    n_windows = len(lg.stitch_plan(len(w.seq), w.offset, 400, 60, R))
    assert n_windows > 5 and f"{n_windows} overlapping windows" in got.note and "exact" in got.note
    assert seen and max(seen) <= 1.0 + 1e-9
    monkeypatch.setattr(model, "info", dataclasses.replace(model.info, receptive_field=None, max_len=4 * R + 8))
    loose = lg.nucleotide_logits(model, w, rc=rc)
    assert lg.stitch_flank(model) == R + 2 and "not the whole input" in loose.note
    np.testing.assert_allclose(loose.log_probs, full.log_probs, atol=1e-5)  # undeclared, but R + 2 ≥ the real R
