"""Held-out report section: splits, windows, per-base scores of closed-form oracles, class table, showcase."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from oracles import MarkovCLM, NeighbourMLM

from glm_explore.errors import ObjectiveError, RegionError
from glm_explore.io.annotation import CLASSES
from glm_explore.io.datasets import DATASETS, GenomeData
from glm_explore.io.genome import Genome
from glm_explore.report.heldout import (
    class_table,
    class_windows,
    fair_baseline,
    heldout_split,
    score_windows,
    showcase_windows,
)

LENGTHS = {"chrA": 24_000, "chrB": 20_000, "chrC": 16_000}
TOY_CLASSES = ["CDS", "intron", "intergenic", "repeat"]
N_AT = {"chrA": [7_000, 7_001], "chrB": [5_000]}  # N bases: contexts read N as A, N targets are never scored


def markov_sequence(rng: np.random.Generator, table: np.ndarray, n: int) -> np.ndarray:
    """Codes of an order-2 Markov chain with (16, 4) transitions ``table`` (context oldest first)."""
    x = list(rng.integers(0, 4, 2))
    u = rng.random(n)
    cum = np.cumsum(table, axis=1)
    for i in range(2, n):
        x.append(min(int(np.searchsorted(cum[4 * x[i - 2] + x[i - 1]], u[i])), 3))
    return np.array(x[:n])


def toy_table() -> np.ndarray:
    """The (16, 4) order-2 transitions the toy genome is drawn from."""
    return np.random.default_rng(7).dirichlet(np.full(4, 0.4), size=16)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Three Markov-chain chromosomes, hand-labelled in 300–1,500 bp blocks of four classes; chrB held out."""
    rng = np.random.default_rng(8)
    table = toy_table()
    d = tmp_path_factory.mktemp("heldout_toy")
    records, labels = [], {}
    for chrom, n in LENGTHS.items():
        seq = np.array(list("ACGT"))[markov_sequence(rng, table, n)]
        seq[N_AT.get(chrom, [])] = "N"
        records.append(f">{chrom}\n{''.join(seq)}\n")
        lab, i, k = np.empty(n, dtype=np.uint8), 0, 0
        while i < n:
            step = int(rng.integers(300, 1500))
            lab[i:i + step] = CLASSES.index(TOY_CLASSES[k % len(TOY_CLASSES)])
            i, k = i + step, k + 1
        labels[chrom] = lab
    (d / "toy.fa").write_text("".join(records))
    genome = Genome(d / "toy.fa", name="toy")
    return GenomeData(name="toy", description="", genome=genome, annotation=None, labels=labels,
                      heldout_chrom="chrB")


@pytest.fixture(scope="module")
def split(toy):
    return heldout_split(toy)


@pytest.fixture(scope="module")
def windows(toy, split):
    return class_windows(toy, split, per_class=3, length=512, seed=1)


def overlaps(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


# --------------------------------------------------------------------------------------------- splits

def test_split_with_declared_heldout_chromosome(toy, split):
    codes = {c: toy.genome.codes(c) for c in LENGTHS}
    assert (split.chrom, split.start, split.end) == ("chrB", 0, 20_000)
    # val = last 10 % of the last training chromosome (chrC), cut from its training part
    assert split.val_region == ("chrC", 14_400, 16_000)
    assert split.train_regions == (("chrA", 0, 24_000), ("chrC", 0, 14_400))
    np.testing.assert_array_equal(split.val, codes["chrC"][14_400:])
    for arr, (c, s, e) in zip(split.train, split.train_regions):
        np.testing.assert_array_equal(arr, codes[c][s:e])
    held = (split.chrom, split.start, split.end)
    assert not any(overlaps(held, r) for r in (*split.train_regions, split.val_region))
    assert not any(overlaps(split.val_region, r) for r in split.train_regions)


def test_split_without_heldout_holds_out_the_last_chromosome(toy):
    data = GenomeData(toy.name, "", toy.genome, None, toy.labels, heldout_chrom=None)
    s = heldout_split(data)
    assert (s.chrom, s.start, s.end) == ("chrC", 0, 16_000)
    assert s.val_region == ("chrB", 18_000, 20_000)
    assert s.train_regions == (("chrA", 0, 24_000), ("chrB", 0, 18_000))


def test_split_one_chromosome_follows_the_last_20_percent_rule(chloroplast):
    s = heldout_split(chloroplast)
    (chrom, n), = chloroplast.genome.lengths.items()
    cut = int(round(0.8 * n))
    assert (s.chrom, s.start, s.end) == (chrom, cut, n)
    assert s.val_region == (chrom, cut - int(round(0.1 * n)), cut)
    assert s.train_regions == ((chrom, 0, cut - int(round(0.1 * n))),)
    assert len(s.train[0]) + len(s.val) == cut
    assert "One chromosome" in s.note


def test_split_matches_the_yeast_training_arrays():
    from glm_explore.train import training_arrays

    ds = DATASETS["yeast"]
    data = GenomeData("yeast", "", Genome(ds.fasta), None, {}, heldout_chrom=ds.heldout_chrom)
    s = heldout_split(data)
    train, val = training_arrays()
    assert (s.chrom, s.start, s.end) == ("chrXVI", 0, data.genome.lengths["chrXVI"])
    np.testing.assert_array_equal(s.val, val)
    assert len(s.train) == len(train)
    for a, b in zip(s.train, train):
        np.testing.assert_array_equal(a, b)


def test_split_of_a_tiny_genome_says_it_is_too_small(tmp_path, rng):
    (tmp_path / "tiny.fa").write_text(">c\n" + "".join(rng.choice(list("ACGT"), 3_000)) + "\n")
    g = Genome(tmp_path / "tiny.fa")
    data = GenomeData("tiny", "", g, None, {"c": np.zeros(3_000, np.uint8)})
    with pytest.raises(RegionError, match="too small"):
        heldout_split(data)


# -------------------------------------------------------------------------------------------- windows

def test_class_windows_lie_in_the_heldout_span_without_overlap(toy, split, windows):
    assert list(windows.columns) == ["chrom", "start", "end", "label"]
    assert len(windows) > 0 and (windows["chrom"] == split.chrom).all()
    assert ((windows["start"] >= split.start) & (windows["end"] <= split.end)).all()
    assert ((windows["end"] - windows["start"]) == 512).all()
    w = windows.sort_values("start")
    assert (w["start"].to_numpy()[1:] >= w["end"].to_numpy()[:-1]).all()  # non-overlapping
    assert windows["label"].value_counts().max() <= 3
    assert set(windows["label"]) == set(TOY_CLASSES)  # each class has ≥ 3 candidates on 20 kb
    lab = toy.labels[split.chrom]
    for s, label in zip(windows["start"], windows["label"]):  # centre rule: the central 100 bp are one class
        assert {CLASSES[c] for c in lab[s + 206:s + 306]} == {label}
    for row in windows.itertuples():
        assert not any(overlaps((row.chrom, row.start, row.end), r) for r in (*split.train_regions, split.val_region))
    pd.testing.assert_frame_equal(windows, class_windows(toy, split, per_class=3, length=512, seed=1))


def test_class_windows_refuse_a_window_longer_than_the_span(toy, split):
    with pytest.raises(RegionError, match="shorter"):
        class_windows(toy, split, length=30_000)


# ------------------------------------------------------------------------------------ oracle scores

def brute_clm_bits(codes: np.ndarray, pos: int, table: np.ndarray, k: int) -> tuple[float, int]:
    """(−log2 p(ref), top base) of an order-k chain at ``pos``, from the table by hand."""
    ctx = codes[pos - k:pos]
    if pos < k or any(c > 3 for c in ctx):
        p = [0.25] * 4
    else:
        idx = 0
        for c in ctx:
            idx = idx * 4 + int(c)
        p = table[idx] / table[idx].sum()
    return -math.log2(p[codes[pos]]), int(np.argmax(p))


def brute_mlm_bits(codes: np.ndarray, pos: int, table: np.ndarray, rc: bool = False) -> tuple[float, int]:
    """(−log2 p(ref), top base) of the neighbour oracle, optionally averaged with the reverse strand."""
    p = table / table.sum(axis=1, keepdims=True)
    left, right = int(codes[pos - 1]), int(codes[pos + 1])
    if left > 3 or right > 3:
        lp = np.full(4, math.log(0.25))
    else:
        lp = np.log(p[4 * left + right])
        if rc:  # reverse strand: complemented neighbours swap sides, base b is read as its complement 3 − b
            lp = (lp + np.log(p[4 * (3 - right) + (3 - left)][::-1])) / 2
            lp = lp - np.log(np.exp(lp).sum())
    return -lp[codes[pos]] / math.log(2), int(np.argmax(lp))


def check_against_brute_force(toy, per_base, brute) -> None:
    """Every row matches ``brute(codes, pos)``; per-class means of class_table match a plain loop."""
    assert len(per_base) > 0
    sums, counts, hits = defaultdict(float), defaultdict(int), defaultdict(int)
    codes_of = {c: toy.genome.codes(c) for c in per_base["chrom"].unique()}
    for row in per_base.itertuples():
        codes = codes_of[row.chrom]
        bits, top = brute(codes, row.pos)
        assert row.bits_model == pytest.approx(bits, rel=1e-5, abs=1e-6)
        assert row.hit_model == (top == codes[row.pos])
        assert row.label == CLASSES[toy.labels[row.chrom][row.pos]]
        for key in (row.label, "all"):
            sums[key] += bits
            counts[key] += 1
            hits[key] += top == codes[row.pos]
    table = class_table(per_base, reps=200).set_index("class")
    assert table.index[-1] == "all"
    for key in counts:
        assert table.loc[key, "n_bases"] == counts[key]
        assert table.loc[key, "bits_model"] == pytest.approx(sums[key] / counts[key], rel=1e-5)
        assert table.loc[key, "acc_model"] == pytest.approx(hits[key] / counts[key])


def edge_windows(toy, chrom: str = "chrB") -> pd.DataFrame:
    n = toy.genome.lengths[chrom]
    return pd.DataFrame({"chrom": chrom, "start": [0, 9_000, n - 100], "end": [100, 9_100, n], "label": "CDS"})


def expected_positions(toy, wins: pd.DataFrame, left: int, right: int) -> list[tuple[int, int]]:
    out = []
    for w, (c, s, e) in enumerate(zip(wins["chrom"], wins["start"], wins["end"])):
        codes = toy.genome.codes(c)
        out += [(w, p) for p in range(s, e) if p >= left and p < len(codes) - right and codes[p] < 4]
    return out


def test_markov_clm_matches_its_table(toy, split, windows):
    table = np.random.default_rng(3).dirichlet(np.ones(4), size=16)
    model = MarkovCLM(2, table)
    base = fair_baseline(model, split)
    assert base.kind == "clm" and base.k == 2  # grid orders 2, 4, … capped at the receptive field 2
    seen = []
    per_base = score_windows(model, toy, windows, base, progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and len(seen) == len(windows)
    check_against_brute_force(toy, per_base, lambda codes, p: brute_clm_bits(codes, p, table, 2))
    # window edges see genome context: every ACGT base of each window is scored (none at a contig end here)
    assert list(zip(per_base["window"], per_base["pos"])) == expected_positions(toy, windows, 0, 0)
    # contig ends: the first 2 bases lack their left context; the right end needs none
    edges = score_windows(model, toy, edge_windows(toy), base)
    assert list(zip(edges["window"], edges["pos"])) == expected_positions(toy, edge_windows(toy), 2, 0)
    check_against_brute_force(toy, edges, lambda codes, p: brute_clm_bits(codes, p, table, 2))


@pytest.mark.parametrize("rc", [False, True])
def test_neighbour_mlm_matches_its_table(toy, split, windows, rc):
    table = np.random.default_rng(4).dirichlet(np.ones(4), size=16)
    model = NeighbourMLM(table)
    base = fair_baseline(model, split)
    assert base.kind == "mlm" and base.k == 1  # capped at the receptive field
    per_base = score_windows(model, toy, windows, base, rc=rc)
    check_against_brute_force(toy, per_base, lambda codes, p: brute_mlm_bits(codes, p, table, rc))
    edges = score_windows(model, toy, edge_windows(toy), base, rc=rc)
    assert list(zip(edges["window"], edges["pos"])) == expected_positions(toy, edge_windows(toy), 1, 1)
    check_against_brute_force(toy, edges, lambda codes, p: brute_mlm_bits(codes, p, table, rc))


def test_unbounded_model_gets_the_flank_that_fits_its_input(toy, split):
    table = np.random.default_rng(5).dirichlet(np.ones(4), size=16)
    model = NeighbourMLM(table, receptive_field=None, max_len=400)  # flank = (400 − 100) // 2 = 150
    base = fair_baseline(model, split, ks=range(1, 3), params={"dirichlet": [2.0]})
    per_base = score_windows(model, toy, edge_windows(toy), base)
    assert list(zip(per_base["window"], per_base["pos"])) == expected_positions(toy, edge_windows(toy), 150, 150)
    check_against_brute_force(toy, per_base, lambda codes, p: brute_mlm_bits(codes, p, table))


def test_causal_model_refuses_reverse_strand_averaging(toy, split, windows):
    model = MarkovCLM(1, np.full((4, 4), 0.25))
    with pytest.raises(ObjectiveError, match="rc=False"):
        score_windows(model, toy, windows, fair_baseline(model, split), rc=True)


# --------------------------------------------------------------------------------------- baselines

def _context(x: np.ndarray, p: int, j: int, kind: str) -> tuple:
    a = [int(c) if c < 4 else 0 for c in x[max(0, p - j):p + j + 1]]  # N in a context is read as A
    mid = min(p, j)
    return tuple(a[mid - j:mid]) if kind == "clm" else (tuple(a[mid - j:mid]), tuple(a[mid + 1:mid + 1 + j]))


def hand_counts(train: list[np.ndarray], kind: str, k: int) -> list[dict]:
    """Per order j ≤ k: {context: (4,) counts} over positions with the order-k context, by plain dictionaries."""
    counts = [defaultdict(lambda: np.zeros(4)) for _ in range(k + 1)]
    right = 0 if kind == "clm" else k
    for x in train:
        for p in range(k, len(x) - right):
            if x[p] < 4:
                for j in range(k + 1):
                    counts[j][_context(x, p, j, kind)][x[p]] += 1
    return counts


def hand_log_probs(counts: list[dict], kind: str, alpha: float, codes: np.ndarray, pos: int) -> np.ndarray:
    """Dirichlet interpolation down the orders: p_j = (n + α p_{j-1}) / (n_total + α), p_0 add-one."""
    uni = counts[0][()] if kind == "clm" else counts[0][((), ())]
    prob = (uni + 1) / (uni.sum() + 4)
    for j in range(1, len(counts)):
        n = counts[j].get(_context(codes, pos, j, kind), np.zeros(4))
        prob = (n + alpha * prob) / (n.sum() + alpha)
    return np.log(prob)


@pytest.mark.parametrize("kind,k,alpha", [("mlm", 1, 2.0), ("clm", 2, 8.0)])
def test_baseline_bits_match_a_hand_count(toy, split, windows, kind, k, alpha):
    table = np.random.default_rng(6).dirichlet(np.ones(4), size=16)
    model = NeighbourMLM(table) if kind == "mlm" else MarkovCLM(2, table)
    base = fair_baseline(model, split, ks=[k], params={"dirichlet": [alpha]})
    assert (base.k, base.scheme, base.param) == (k, "dirichlet", alpha)
    per_base = score_windows(model, toy, windows.head(3), base)
    codes = toy.genome.codes(split.chrom)
    counts = hand_counts(split.train, kind, k)
    for row in per_base.sample(300, random_state=0).itertuples():
        lp = hand_log_probs(counts, kind, alpha, codes, row.pos)
        assert row.bits_baseline == pytest.approx(-lp[codes[row.pos]] / math.log(2), rel=1e-9)
        assert row.hit_baseline == (int(np.argmax(lp)) == codes[row.pos])


def test_fair_baseline_never_exceeds_the_receptive_field(split):
    one = MarkovCLM(1, np.full((4, 4), 0.25))  # grid orders start at 2: order R = 1 alone
    assert fair_baseline(one, split).k == 1


# ---------------------------------------------------------------------------------- table, showcase

def test_block_bootstrap_ci_brackets_the_margin_and_matches_the_standard_error():
    rng = np.random.default_rng(0)
    m, per = 60, 50
    means = rng.normal(-0.1, 0.2, m)
    diff = np.repeat(means, per) + rng.normal(0, 0.3, m * per)
    per_base = pd.DataFrame({"window": np.repeat(np.arange(m), per), "label": "CDS", "bits_model": 2 + diff,
                             "bits_baseline": 2.0, "hit_model": False, "hit_baseline": True})
    t = class_table(per_base, reps=4000, seed=1)
    assert list(t["class"]) == ["CDS", "all"]
    row = t.iloc[0]
    assert row["n_windows"] == m and row["n_bases"] == m * per
    assert row["margin_bits"] == pytest.approx(diff.mean())
    assert row["ci_lo"] < row["margin_bits"] < row["ci_hi"]
    # equal-sized blocks: the bootstrap mean's sd is the sd of the window means / sqrt(m)
    w_means = diff.reshape(m, per).mean(axis=1)
    half = 1.96 * w_means.std(ddof=0) / math.sqrt(m)
    assert (row["ci_hi"] - row["ci_lo"]) / 2 == pytest.approx(half, rel=0.1)
    assert row["model_better"] == (row["ci_hi"] < 0)
    assert row["acc_model"] == 0 and row["acc_baseline"] == 1
    assert row["windows_model_better"] == int((w_means < 0).sum())
    again = class_table(per_base, reps=4000, seed=1)
    pd.testing.assert_frame_equal(t, again)


def test_showcase_windows_are_the_largest_gains_per_class(toy, split, windows):
    model = MarkovCLM(2, toy_table())  # the true chain: beats its count estimate in most windows, not all
    per_base = score_windows(model, toy, windows, fair_baseline(model, split))
    show = showcase_windows(per_base, windows, per_class=2, min_bases=30)
    assert list(show.columns) == ["class", "window", "chrom", "start", "end", "region", "gain_bits", "n_bases"]
    assert len(show) > 0
    for cls, g in show.groupby("class"):
        assert len(g) <= 2
        assert (np.diff(g["gain_bits"].to_numpy()) <= 0).all()  # largest gain first
        gains = {}  # every eligible window's gain by a plain loop
        for w, rows in per_base[per_base["label"] == cls].groupby("window"):
            if len(rows) >= 30:
                gains[w] = float((rows["bits_baseline"] - rows["bits_model"]).mean())
        best = sorted((v for v in gains.values() if v > 0), reverse=True)[:2]
        np.testing.assert_allclose(g["gain_bits"].to_numpy(), best)
        for r in g.itertuples():
            assert r.gain_bits == pytest.approx(gains[r.window])
            assert r.region == f"{r.chrom}:{r.start + 1}-{r.end}"
            assert (r.chrom, r.start, r.end) == tuple(windows.loc[r.window, ["chrom", "start", "end"]])


# ---------------------------------------------------------------------------------- a real model

@pytest.mark.parametrize("which", ["tiny_mlm", "tiny_clm"])
def test_convlm_scores_equal_a_pass_over_a_longer_stretch(toy, split, windows, which, request):
    """Window + flank is enough context: a pass over 3 kb around the windows gives the same log-probs."""
    from glm_explore.logits import position_log_probs, resolve_mode

    model = request.getfixturevalue(which)
    base = fair_baseline(model, split, ks=[1], params={"dirichlet": [2.0]})
    wins = windows.head(2)
    per_base = score_windows(model, toy, wins, base)
    for w, g in per_base.groupby("window"):
        s, e = int(wins.loc[w, "start"]), int(wins.loc[w, "end"])
        lo, hi = max(0, s - 1_200), min(split.end, e + 1_200)
        seq = toy.genome.fetch(split.chrom, lo, hi)
        col = g["pos"].to_numpy() - lo
        lp = position_log_probs(model, seq, mode=resolve_mode(model), positions=col)[:, col]
        target = toy.genome.codes(split.chrom)[g["pos"].to_numpy()]
        bits = -lp[target, np.arange(len(col))] / math.log(2)
        np.testing.assert_allclose(g["bits_model"].to_numpy(), bits, rtol=1e-4, atol=1e-4)


def test_sampled_mask_phases_score_a_subset_with_the_same_values(toy, split, windows, tiny_mlm):
    """passes=k: at most k masked copies per window; the scored bases are a subset of the full run with equal bits."""
    from glm_explore.report.heldout import sampled_columns

    base = fair_baseline(tiny_mlm, split, ks=[1], params={"dirichlet": [2.0]})
    wins = windows.head(2)
    full = score_windows(tiny_mlm, toy, wins, base).set_index("pos")
    part = score_windows(tiny_mlm, toy, wins, base, passes=4).set_index("pos")
    assert 0 < len(part) < len(full) and set(part.index) <= set(full.index)
    np.testing.assert_allclose(part["bits_model"], full.loc[part.index, "bits_model"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(part["bits_baseline"], full.loc[part.index, "bits_baseline"])
    R = tiny_mlm.info.receptive_field
    cols = sampled_columns(tiny_mlm, np.arange(1000), 4)
    assert len(np.unique(cols % (R + 1))) == min(4, R + 1), "k phases = k masked copies"
    assert np.array_equal(sampled_columns(tiny_mlm, np.arange(50), None), np.arange(50))
