"""Generation (glm_explore.generate) against oracles whose distributions are known in closed form.

Statistical tests use chi-square goodness of fit at level ALPHA = 0.001 (a correct sampler fails one
such check with probability 0.001; every check uses a fixed seed, so the suite is deterministic).
Each has a negative control: the same statistic on a sampler that ignores the context must fail it.
"""

from __future__ import annotations

import numpy as np
import pytest
from Bio import SeqIO
from oracles import MarkovCLM, NeighbourMLM
from scipy.stats import chi2

from glm_explore.errors import InvalidSequenceError, ObjectiveError, RegionError
from glm_explore.generate import (
    SamplingError,
    infill_region,
    mask_schedule,
    sample_clm,
    sample_mlm,
    samples_table,
)
from glm_explore.io.genome import Genome

ALPHA = 0.001
BASES = "ACGT"


pytestmark = pytest.mark.usefixtures("one_thread")  # torch on one thread (conftest)


def chain_table() -> np.ndarray:
    """(16, 4) order-2 transition table with strong context dependence and no tiny entries."""
    t = np.random.default_rng(11).dirichlet(np.full(4, 0.8), size=16) + 0.03
    return t / t.sum(axis=1, keepdims=True)


def idx(s: str) -> list[int]:
    return [BASES.index(c) for c in s]


def transition_counts(seqs: list[str], k: int, start: int) -> np.ndarray:
    """(4**k, 4) counts of (previous k bases → base) at positions ≥ start, by a plain loop."""
    counts = np.zeros((4 ** k, 4))
    for s in seqs:
        for i in range(start, len(s)):
            ctx = 0
            for c in s[i - k:i]:
                ctx = 4 * ctx + BASES.index(c)
            counts[ctx, BASES.index(s[i])] += 1
    return counts


def chi_square_p(counts: np.ndarray, table: np.ndarray) -> float:
    """p-value of observed (context → base) counts against the rows of ``table`` (Pearson chi-square)."""
    rows = counts.sum(axis=1) > 0
    expected = counts[rows].sum(axis=1, keepdims=True) * table[rows]
    stat = ((counts[rows] - expected) ** 2 / expected).sum()
    return float(chi2.sf(stat, df=(counts.shape[1] - 1) * rows.sum()))


# -- CLM -------------------------------------------------------------------------------------------
def test_clm_samples_reproduce_the_chain_transitions_and_a_context_blind_sampler_fails():
    table = chain_table()
    samples = sample_clm(MarkovCLM(2, table), "AC", 300, n=40, seed=0)
    seqs = [s.sequence for s in samples]
    assert all(len(s) == 302 and s.startswith("AC") for s in seqs)
    counts = transition_counts(seqs, 2, start=2)
    assert counts.sum() == 40 * 300
    assert chi_square_p(counts, table) > ALPHA
    # negative control: i.i.d. bases with the samples' own base frequencies (ignores the context)
    freq = np.bincount(idx("".join(s[2:] for s in seqs)), minlength=4) / (40 * 300)
    rng = np.random.default_rng(1)
    blind = ["AC" + "".join(rng.choice(list(BASES), 300, p=freq)) for _ in range(40)]
    assert chi_square_p(transition_counts(blind, 2, start=2), table) < 1e-10


def greedy_path(table: np.ndarray, prefix: str, length: int) -> str:
    s = prefix
    for _ in range(length):
        ctx = 4 * BASES.index(s[-2]) + BASES.index(s[-1])
        s += BASES[int(np.argmax(table[ctx]))]
    return s


def test_temperature_zero_and_top_k_one_follow_the_argmax_path():
    table = chain_table()
    model = MarkovCLM(2, table)
    expected = greedy_path(table, "GT", 40)
    greedy = sample_clm(model, "GT", 40, temperature=0, seed=3)[0]
    top1 = sample_clm(model, "GT", 40, top_k=1, seed=4)[0]
    assert greedy.sequence == expected and top1.sequence == expected
    ctx = [4 * BASES.index(expected[i - 2]) + BASES.index(expected[i - 1]) for i in range(2, 42)]
    assert np.allclose(greedy.model_log_probs[2:], np.log(table[ctx].max(axis=1)))
    assert np.allclose(greedy.log_probs[2:], 0.0) and np.isnan(greedy.log_probs[:2]).all()


ROW = np.array([0.5, 0.3, 0.15, 0.05])  # the row of context "AC" in the truncation tests


@pytest.mark.parametrize("kw,keep", [({"top_p": 0.7}, [0, 1]), ({"top_p": 0.9}, [0, 1, 2]), ({"top_k": 2}, [0, 1]),
                                     ({"top_k": 3, "top_p": 0.6}, [0, 1])])
def test_top_p_and_top_k_keep_exactly_the_expected_bases(kw, keep):
    table = np.full((16, 4), 0.25)
    table[4 * 0 + 1] = ROW
    samples = sample_clm(MarkovCLM(2, table), "AC", 1, n=1500, seed=7, **kw)
    drawn = np.array(idx("".join(s.sequence[2] for s in samples)))
    q = np.zeros(4)
    q[keep] = ROW[keep] / ROW[keep].sum()  # the nucleus, renormalised by hand
    assert set(drawn) == set(keep)
    counts = np.bincount(drawn, minlength=4)[keep]
    assert chi_square_p(counts[None], q[keep][None]) > ALPHA
    lp = np.array([s.log_probs[2] for s in samples])
    assert np.allclose(lp, np.log(q[drawn]))
    assert np.allclose([s.model_log_probs[2] for s in samples], np.log(ROW[drawn]))


def test_seeds_reproduce_and_each_sample_has_its_own_seed():
    model = MarkovCLM(2, chain_table())
    a = sample_clm(model, "AC", 60, n=3, seed=5)
    b = sample_clm(model, "AC", 60, n=3, seed=5)
    c = sample_clm(model, "AC", 60, n=3, seed=6)
    assert [s.sequence for s in a] == [s.sequence for s in b]
    assert a[0].sequence != c[0].sequence
    assert [s.seed for s in a] == [5, 6, 7]
    assert sample_clm(model, "AC", 60, n=1, seed=7)[0].sequence == a[2].sequence
    assert c[0].sequence == a[1].sequence  # seed 6 is sample 2 of the seed-5 run


def test_log_probs_are_the_tempered_truncated_table_entries():
    table = chain_table()
    T, k = 0.7, 3
    s = sample_clm(MarkovCLM(2, table), "TA", 200, temperature=T, top_k=k, seed=2)[0]
    assert s.generated.tolist() == [False] * 2 + [True] * 200
    for i in range(2, 202):
        row = table[4 * BASES.index(s.sequence[i - 2]) + BASES.index(s.sequence[i - 1])]
        q = row ** (1 / T)
        q[np.argsort(-q)[k:]] = 0
        q /= q.sum()
        b = BASES.index(s.sequence[i])
        assert q[b] > 0
        assert s.log_probs[i] == pytest.approx(np.log(q[b]), abs=1e-9)
        assert s.model_log_probs[i] == pytest.approx(np.log(row[b]), abs=1e-9)


def test_clm_context_window_gives_the_full_sequence_predictions(tiny_clm):
    """Feeding only the last R bases (+ placeholder) is exact: each kept log-prob equals the column of a
    forward pass over the whole final sequence (also from an empty prefix, column 0 = BOS)."""
    for prefix in ("ACGTTGCAAC", ""):
        for s in sample_clm(tiny_clm, prefix, 50, n=3, seed=1):
            lp = tiny_clm.log_probs([s.sequence])[0]
            full = lp[idx(s.sequence), np.arange(len(s.sequence))]
            assert np.allclose(full[s.generated], s.model_log_probs[s.generated], atol=1e-5)
            assert np.allclose(s.log_probs[s.generated], s.model_log_probs[s.generated])  # T=1, no truncation


# -- MLM -------------------------------------------------------------------------------------------
def left_complement_table() -> np.ndarray:
    """NeighbourMLM table whose mode is the complement of the left neighbour (prob 0.7)."""
    t = np.full((16, 4), 0.1)
    for left in range(4):
        t[4 * left:4 * left + 4, 3 - left] = 0.7
    return t


def test_mask_schedule_by_hand():
    assert mask_schedule(10, 4, "linear").tolist() == [7, 5, 2, 0]  # floor(10 * (1 - t/4))
    assert mask_schedule(10, 4, "cosine").tolist() == [9, 7, 3, 0]  # floor(10 * cos(pi t / 8))
    assert mask_schedule(5, 1, "cosine").tolist() == [0]


def test_mask_predict_single_position_is_the_mode_given_its_neighbours():
    table = chain_table()
    model = NeighbourMLM(table)
    for left in range(4):
        for right in range(4):
            init = "T" + BASES[left] + "A" + BASES[right] + "G"
            s = sample_mlm(model, init=init, span=(2, 3), temperature=0, rounds=3)[0]
            assert s.sequence[2] == BASES[int(np.argmax(table[4 * left + right]))]
            assert s.sequence[:2] + s.sequence[3:] == init[:2] + init[3:]


def test_mask_predict_round_one_predicts_all_masked_in_one_pass_then_remasks_one():
    """Span of 2, T=0. One round: both positions masked together, so the oracle gives both a uniform
    column → both 'A' (ties go to A) with log-prob log 1/4. Two linear rounds: one of them (a random
    tie-break) is re-masked and refilled with the mode given its now-unmasked neighbours."""
    table = left_complement_table()
    model = NeighbourMLM(table)
    one = sample_mlm(model, init="GCTTCA", span=(2, 4), temperature=0, rounds=1, n=5)
    assert all(s.sequence == "GCAACA" for s in one)
    assert np.allclose(one[0].model_log_probs[2:4], np.log(0.25))
    two = sample_mlm(model, init="GCTTCA", span=(2, 4), temperature=0, rounds=2, schedule="linear", n=40, seed=0)
    left_remasked = "GC" + BASES[int(np.argmax(table[4 * idx("C")[0] + 0]))] + "ACA"   # neighbours C, A
    right_remasked = "GCA" + BASES[int(np.argmax(table[4 * 0 + idx("C")[0]]))] + "CA"  # neighbours A, C
    seqs = {s.sequence for s in two}
    assert seqs == {left_remasked, right_remasked}


def test_mask_predict_remasks_the_least_confident():
    """Span of 3 between C and C, T=0, 3 linear rounds (2, 1, 0 stay masked), table mode = complement of
    the left neighbour. Round 1: AAA, all log 1/4. Round 2 re-masks 2 of 3 (random tie-break):
    * positions 1,2 or 2,3 (adjacent): refilled A, A (uniform); all still tie, round 3 refills one of
      the three with its mode: GAA, ATA or AAT;
    * positions 1 and 3: refilled G (after C) and T (after A) with prob 0.7; the middle A (1/4) is now
      the least confident, so round 3 refills it: complement of G = C → GCT.
    Re-masking the most confident instead would give GAT."""
    model = NeighbourMLM(left_complement_table())
    samples = sample_mlm(model, init="GCTTTCA", span=(2, 5), temperature=0, rounds=3, schedule="linear", n=60)
    assert {s.sequence[2:5] for s in samples} == {"GAA", "ATA", "AAT", "GCT"}


@pytest.mark.parametrize("rf", [1, None])
def test_gibbs_at_temperature_zero_converges_to_the_mode_given_neighbours(rf):
    """Iterated conditional modes: the unique fixed point alternates complements from the left flank."""
    table = left_complement_table()
    init = "TTG" + "A" * 20 + "CA"
    samples = sample_mlm(NeighbourMLM(table, receptive_field=rf), init=init, span=(3, 23), method="gibbs",
                         temperature=0, rounds=25, n=4, seed=0)
    expected = "TTG" + "CG" * 10 + "CA"
    for s in samples:
        assert s.sequence == expected
        c = idx(s.sequence)
        for i in range(3, 23):  # each position is the mode of its own row, by hand
            assert c[i] == int(np.argmax(table[4 * c[i - 1] + c[i + 1]]))


def markov_conditional_table() -> tuple[np.ndarray, np.ndarray]:
    """A first-order chain P and the NeighbourMLM table of its exact conditionals
    P(x_i | x_{i-1}=l, x_{i+1}=r) ∝ P[l, x] P[x, r] (so the Gibbs target is that chain's bridge)."""
    P = np.full((4, 4), 0.4 / 3)
    P[np.arange(4), (np.arange(4) + 1) % 4] = 0.6
    t = np.array([[P[left, x] * P[x, right] for x in range(4)] for left in range(4) for right in range(4)])
    return P, t / t.sum(axis=1, keepdims=True)


def triple_counts(seqs: list[str], positions: range) -> np.ndarray:
    """(16, 4) counts of (left, right) → middle at ``positions``, by a plain loop."""
    counts = np.zeros((16, 4))
    for s in seqs:
        for i in positions:
            counts[4 * BASES.index(s[i - 1]) + BASES.index(s[i + 1]), BASES.index(s[i])] += 1
    return counts


def test_gibbs_samples_match_the_conditional_table():
    """Given the bases at odd offsets, those at even offsets are independent draws from the table rows
    (and vice versa), so each parity is a valid chi-square test of the stationary chain."""
    _, table = markov_conditional_table()
    init = "GATC" + "A" * 40 + "TGCA"
    samples = sample_mlm(NeighbourMLM(table), init=init, span=(4, 44), method="gibbs", rounds=15, n=150, seed=0)
    seqs = [s.sequence for s in samples]
    assert all(s[:4] == "GATC" and s[44:] == "TGCA" for s in seqs)
    for parity in (0, 1):
        assert chi_square_p(triple_counts(seqs, range(4 + parity, 44, 2)), table) > ALPHA
    rng = np.random.default_rng(2)  # negative control: uniform i.i.d. span bases
    blind = ["GATC" + "".join(rng.choice(list(BASES), 40)) + "TGCA" for _ in range(150)]
    assert chi_square_p(triple_counts(blind, range(4, 44, 2)), table) < 1e-10
    # the log-prob kept is that of a position's LAST draw; the group drawn last in the last round saw the
    # final neighbours, so at one parity every kept log-prob is the table entry of the final context
    for s in samples:
        c = idx(s.sequence)
        final = [np.log(table[4 * c[i - 1] + c[i + 1], c[i]]) for i in range(4, 44)]
        assert any(np.allclose(s.log_probs[4 + p:44:2], final[p::2]) for p in (0, 1))
        assert np.allclose(s.log_probs[4:44], s.model_log_probs[4:44])  # T=1: drawn from the model's column


def test_cropping_to_the_receptive_field_is_exact():
    """With R = 1 only span ± 1 is fed to the model; the same seed gives the same samples as an unbounded
    model fed the whole sequence (NeighbourMLM predicts identically either way)."""
    rng = np.random.default_rng(5)
    init = "".join(rng.choice(list(BASES), 120))
    table = chain_table()
    a = sample_mlm(NeighbourMLM(table, receptive_field=1), init=init, span=(50, 70), rounds=6, n=6, seed=9)
    b = sample_mlm(NeighbourMLM(table, receptive_field=None), init=init, span=(50, 70), rounds=6, n=6, seed=9)
    assert [s.sequence for s in a] == [s.sequence for s in b]
    assert all(np.allclose(x.log_probs[50:70], y.log_probs[50:70]) for x, y in zip(a, b))


@pytest.mark.parametrize("method", ["mask-predict", "gibbs"])
def test_infill_leaves_bases_outside_the_span_unchanged(tmp_path, method):
    rng = np.random.default_rng(3)
    chrom = "".join(rng.choice(list(BASES), 200))
    (tmp_path / "g.fa").write_text(">chr1\n" + chrom + "\n")
    genome = Genome(tmp_path / "g.fa")
    samples = infill_region(NeighbourMLM(chain_table()), genome, "chr1:51-150", (30, 60), method=method, rounds=4,
                            n=5, seed=1)
    region = chrom[50:150]
    for s in samples:
        assert len(s.sequence) == 100
        assert s.sequence[:30] == region[:30] and s.sequence[60:] == region[60:]
        assert s.generated.tolist() == [False] * 30 + [True] * 30 + [False] * 40
        assert np.isnan(s.log_probs[~s.generated]).all() and np.isfinite(s.log_probs[s.generated]).all()
    assert len({s.sequence[30:60] for s in samples}) > 1  # T=1 samples differ
    with pytest.raises(RegionError, match="span"):
        infill_region(NeighbourMLM(chain_table()), genome, "chr1:51-150", (90, 120))
    with pytest.raises(RegionError, match="span"):
        infill_region(NeighbourMLM(chain_table()), genome, "chr1:51-150", (10, 10))


def test_de_novo_and_table():
    samples = sample_mlm(NeighbourMLM(chain_table()), 30, rounds=3, n=4, seed=2)
    df = samples_table(samples)
    assert len(df) == 4 and (df["length"] == 30).all() and (df["generated_bp"] == 30).all()
    assert df["seed"].tolist() == [2, 3, 4, 5]
    assert np.allclose(df["mean_log_prob"], [np.mean(s.log_probs) for s in samples])


# -- errors ----------------------------------------------------------------------------------------
MLM_ORACLE = NeighbourMLM(np.full((16, 4), 0.25))
CLM_ORACLE = MarkovCLM(1, np.full((4, 4), 0.25))


@pytest.mark.parametrize("call,error,word", [
    (lambda: sample_clm(CLM_ORACLE, "AC", 0), SamplingError, "length"),
    (lambda: sample_clm(CLM_ORACLE, "AC", 5, temperature=-1), SamplingError, "temperature"),
    (lambda: sample_clm(CLM_ORACLE, "AC", 5, top_p=0), SamplingError, "top-p"),
    (lambda: sample_clm(CLM_ORACLE, "AC", 5, top_p=1.5), SamplingError, "top-p"),
    (lambda: sample_clm(CLM_ORACLE, "AC", 5, top_k=0), SamplingError, "top-k"),
    (lambda: sample_clm(CLM_ORACLE, "ACNT", 5), InvalidSequenceError, "prefix"),
    (lambda: sample_clm(CLM_ORACLE, "ACXT", 5), InvalidSequenceError, "prefix"),
    (lambda: sample_clm(MLM_ORACLE, "AC", 5), ObjectiveError, "CLM"),
    (lambda: sample_mlm(CLM_ORACLE, 10), ObjectiveError, "MLM"),
    (lambda: sample_mlm(MLM_ORACLE, 0), SamplingError, "length"),
    (lambda: sample_mlm(MLM_ORACLE, 10, rounds=0), SamplingError, "rounds"),
    (lambda: sample_mlm(MLM_ORACLE, 10, method="beam"), SamplingError, "method"),
    (lambda: sample_mlm(MLM_ORACLE, 10, schedule="square"), SamplingError, "schedule"),
    (lambda: sample_mlm(MLM_ORACLE, init="ACGTACGT", span=(6, 12)), RegionError, "span"),
    (lambda: sample_mlm(MLM_ORACLE, init="ACGTACGT", span=(3, 3)), RegionError, "span"),
    (lambda: sample_mlm(MLM_ORACLE, 10, init="ACGT"), SamplingError, "not both"),
])
def test_bad_settings_raise_one_sentence_errors(call, error, word):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert word.lower() in message.lower() and "\n" not in message


# -- command line ----------------------------------------------------------------------------------
def test_cli_writes_a_readable_fasta_with_default_clm(tmp_path):
    import pyfaidx

    from glm_explore.cli import main

    out = tmp_path / "g.fa"
    assert main(["generate", "--model", "default-clm", "--prefix", "ACGTTG", "--length", "50", "--n", "3",
                 "--seed", "4", "--out", str(out)]) == 0
    records = list(SeqIO.parse(out, "fasta"))
    assert len(records) == 3 and all(len(r.seq) == 56 and str(r.seq).startswith("ACGTTG") for r in records)
    assert [r.description.split()[1] for r in records] == ["seed=4", "seed=5", "seed=6"]
    fa = pyfaidx.Fasta(str(out))
    assert [len(fa[k]) for k in fa.keys()] == [56, 56, 56]
    assert set("".join(str(r.seq) for r in records)) <= set(BASES)


def test_cli_mlm_de_novo_table(tmp_path):
    import pandas as pd

    from glm_explore.cli import main

    out = tmp_path / "g.tsv"
    assert main(["generate", "--model", "default-mlm", "--length", "40", "--n", "2", "--rounds", "3",
                 "--method", "gibbs", "--out", str(out)]) == 0
    df = pd.read_csv(out, sep="\t")
    assert len(df) == 2 and (df["method"] == "gibbs").all() and df["sequence"].str.len().eq(40).all()
