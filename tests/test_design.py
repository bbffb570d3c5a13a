"""Sequence design (glm_explore.design) on toy targets whose optimum is known in closed form.

Every objective is checked against an independent computation (a plain loop, memelite's FIMO, one
masked position at a time, a closed form from an oracle's table), and every design's steps against
a brute-force search over all single edits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from Bio import SeqIO
from oracles import MarkovCLM, NeighbourMLM

from glm_explore.design import (
    DesignError,
    DesignSettings,
    LikelihoodObjective,
    MotifObjective,
    RegionClassObjective,
    design,
    design_fasta,
)
from glm_explore.motifs import JasparMotif, find_motif
from glm_explore.results import LinearProbe
from glm_explore.sequence import reverse_complement

BASES = "ACGT"
CONSENSUS = "GATTAC"


pytestmark = pytest.mark.usefixtures("one_thread")  # torch on one thread (conftest)


def toy_motif(consensus: str = CONSENSUS, p: float = 0.85) -> JasparMotif:
    """A handmade PWM: ``p`` on the consensus base of each column, the rest shared equally."""
    pwm = np.full((4, len(consensus)), (1 - p) / 3)
    pwm[[BASES.index(c) for c in consensus], np.arange(len(consensus))] = p
    return JasparMotif("TOY.1", "toy", pwm)


def motif_score_loop(seq: str, pwm: np.ndarray) -> float:
    """Best FIMO log2-odds score over positions and both strands, by a plain loop."""
    w, best = pwm.shape[1], -np.inf
    for s in (seq, reverse_complement(seq)):
        for i in range(len(s) - w + 1):
            best = max(best, sum(np.log2(pwm[BASES.index(s[i + j]), j] + 1e-4) + 2 for j in range(w)))
    return float(best)


def random_seq(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list(BASES), n))


def edits_to_consensus(seq: str, consensus: str = CONSENSUS) -> int:
    """Fewest substitutions that put ``consensus`` somewhere in ``seq`` on either strand."""
    w = len(consensus)
    return min(sum(a != b for a, b in zip(s[i:i + w], consensus))
               for s in (seq, reverse_complement(seq)) for i in range(len(s) - w + 1))


def path_sequences(result) -> list[str]:
    """The best sequence after each kept round, rebuilt from the edit path (greedy: one edit per round)."""
    seqs, s = [result.start], list(result.start)
    for e in result.edits:
        assert s[e.position] == e.ref
        s[e.position] = e.alt
        seqs.append("".join(s))
    return seqs


def best_single_edit(seq: str, score, allowed=lambda p, b: True) -> float:
    """The best objective over every allowed single substitution of ``seq`` (brute force)."""
    return max(score(seq[:p] + b + seq[p + 1:]) for p in range(len(seq)) for b in BASES
               if b != seq[p] and allowed(p, b))


# -- objectives against independent computations ---------------------------------------------------
def test_motif_objective_equals_fimo_and_a_plain_loop():
    from memelite import fimo

    from glm_explore.sequence import one_hot

    motif = find_motif("ABF1")
    obj = MotifObjective(motif)
    seqs = [random_seq(80, s) for s in range(5)]
    got = obj(seqs)
    for s, g in zip(seqs, got):
        hits = fimo({motif.matrix_id: motif.pwm}, one_hot(s)[None], threshold=1.0, reverse_complement=True)[0]
        assert g == pytest.approx(hits["score"].max(), abs=1e-9)
        assert g == pytest.approx(motif_score_loop(s, motif.pwm), abs=1e-9)
    toy = MotifObjective(toy_motif())
    assert toy.optimum == pytest.approx(motif_score_loop(CONSENSUS, toy_motif().pwm), abs=1e-9)
    assert toy([reverse_complement(CONSENSUS)])[0] == pytest.approx(toy.optimum)


def test_clm_likelihood_equals_the_chain_closed_form():
    table = np.random.default_rng(3).dirichlet(np.ones(4), size=4) + 0.05
    table /= table.sum(axis=1, keepdims=True)
    seqs = [random_seq(30, s) for s in range(4)]
    got = LikelihoodObjective(MarkovCLM(1, table))(seqs)
    for s, g in zip(seqs, got):
        ll = np.log(0.25) + sum(np.log(table[BASES.index(a), BASES.index(b)]) for a, b in zip(s, s[1:]))
        assert g == pytest.approx(ll / len(s), abs=1e-12)


def test_mlm_pseudo_likelihood_equals_one_masked_position_at_a_time(tiny_mlm):
    seq = random_seq(40, 7)
    brute = []
    for i in range(len(seq)):
        masked = np.zeros((1, len(seq)), dtype=bool)
        masked[0, i] = True
        brute.append(tiny_mlm.log_probs([seq], masked)[0][BASES.index(seq[i]), i])
    assert LikelihoodObjective(tiny_mlm)([seq])[0] == pytest.approx(np.mean(brute), abs=1e-5)


def test_mlm_pseudo_likelihood_equals_the_neighbour_table():
    table = np.random.default_rng(4).dirichlet(np.ones(4), size=16) + 0.05
    table /= table.sum(axis=1, keepdims=True)
    seq = random_seq(25, 2)
    c = [BASES.index(b) for b in seq]
    terms = [np.log(0.25)] * 2 + [np.log(table[4 * c[i - 1] + c[i + 1], c[i]]) for i in range(1, len(c) - 1)]
    assert LikelihoodObjective(NeighbourMLM(table))([seq])[0] == pytest.approx(np.mean(terms), abs=1e-6)  # float32


def gc_probe(rc: bool = True) -> LinearProbe:
    """A probe over NeighbourMLM's one-hot states: logit(gc_rich) − logit(at_rich) = 2·GC(centre) − 1."""
    w = np.array([[0.0, 0, 0, 0], [-1, 1, 1, -1]])
    return LinearProbe(classes=("at_rich", "gc_rich"), weight=w, bias=np.zeros(2), mean=np.zeros(4),
                       scale=np.ones(4), layers=(1,), pooling="center-mean", center=10, rc=rc, window_length=30,
                       model="neighbour-mlm")


def gc_log_p(seq: str) -> float:
    centre = seq[10:20]  # the centre 10 bp of 30
    z = 2 * (centre.count("G") + centre.count("C")) / 10 - 1
    return float(z - np.log1p(np.exp(z)))


def test_region_class_objective_equals_the_closed_form_and_design_fills_the_pooled_centre():
    model = NeighbourMLM(np.full((16, 4), 0.25))
    obj = RegionClassObjective(model, gc_probe(), "gc_rich")
    seqs = [random_seq(30, s) for s in range(6)]
    assert np.allclose(obj(seqs), [gc_log_p(s) for s in seqs], atol=1e-6)
    start = "ATATATATATATATATATATATATATATAT"
    r = design(model, start, DesignSettings("class", cls="gc_rich", rounds=15, edit_budget=15), probe=gc_probe())
    assert r.value == pytest.approx(gc_log_p("G" * 30), abs=1e-6)  # the optimum: an all-G/C centre
    assert r.sequence[:10] == start[:10] and r.sequence[20:] == start[20:]  # outside the pool nothing changes
    assert set(r.sequence[10:20]) <= {"G", "C"} and len(r.edits) == 10
    assert np.all(np.diff(r.trajectory["objective"]) > 0)


# -- design on a toy motif with a known optimum ----------------------------------------------------
def test_greedy_takes_the_best_single_edit_each_round_and_reaches_the_consensus():
    motif = toy_motif()
    obj = MotifObjective(motif)
    start = random_seq(24, 0)
    assert edits_to_consensus(start) == 3
    r = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, seed=0))
    traj = r.trajectory
    assert traj["round"].tolist() == list(range(len(traj))) and traj["objective"].is_monotonic_increasing
    assert r.value == pytest.approx(obj.optimum, abs=1e-9)
    assert CONSENSUS in r.sequence or reverse_complement(CONSENSUS) in r.sequence
    assert r.stopped.startswith("no edit improves")
    seqs = path_sequences(r)
    assert r.sequence == seqs[-1] and len(r.edits) == len(traj) - 1
    for before, value in zip(seqs[:-1], traj["objective"].iloc[1:]):
        assert value == pytest.approx(best_single_edit(before, lambda s: motif_score_loop(s, motif.pwm)), abs=1e-9)
    assert traj["objective"].tolist() == pytest.approx([motif_score_loop(s, motif.pwm) for s in seqs], abs=1e-9)
    assert traj["edits"].tolist() == [sum(a != b for a, b in zip(start, s)) for s in seqs]
    assert traj["edit"].iloc[1] == f"{r.edits[0].position + 1}{r.edits[0].ref}>{r.edits[0].alt}"


def test_edit_budget_counts_positions_that_differ_from_the_start():
    obj = MotifObjective(toy_motif())
    start = random_seq(24, 0)
    assert edits_to_consensus(start) == 3  # so a budget of 2 cannot reach the optimum
    r = design(None, start, DesignSettings(obj, rounds=20, edit_budget=2))
    assert sum(a != b for a, b in zip(start, r.sequence)) == 2
    assert r.trajectory["edits"].max() == 2 and r.value < obj.optimum
    assert design(None, start, DesignSettings(obj, edit_budget=0)).sequence == start


def test_fixed_positions_never_change_and_the_constraint_binds():
    obj = MotifObjective(toy_motif())
    start = random_seq(24, 0)
    free = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20))
    edited = {e.position for e in free.edits}
    fixed = sorted(edited)
    r = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, fixed=fixed))
    assert all(r.sequence[p] == start[p] for p in fixed)
    assert r.fixed == tuple(fixed) and not {e.position for e in r.edits} & set(fixed)
    assert r.value == pytest.approx(obj.optimum)  # elsewhere in the sequence


def test_gc_range_is_kept_every_round():
    obj = MotifObjective(toy_motif("GCGCGCGC"))
    start = "ATTAGCATTACGATAATCGATTAG"
    gc0 = (start.count("G") + start.count("C")) / len(start)
    free = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20))
    hi = 0.4
    assert gc0 <= hi < free.trajectory["gc"].iloc[-1]  # unconstrained, the design leaves the range
    r = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, gc_range=(0.2, hi)))
    assert r.trajectory["gc"].between(0.2, hi).all()
    assert (r.sequence.count("G") + r.sequence.count("C")) / len(start) <= hi
    assert r.trajectory["objective"].is_monotonic_increasing and r.value < free.value


def test_beam_of_width_one_equals_greedy_and_a_wider_beam_keeps_distinct_sorted_sequences():
    obj = MotifObjective(toy_motif())
    start = random_seq(24, 5)
    g = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, seed=3))
    b1 = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, seed=3, method="beam", beam_width=1))
    assert b1.sequence == g.sequence and b1.edits == g.edits
    pd.testing.assert_frame_equal(b1.trajectory, g.trajectory)
    b = design(None, start, DesignSettings(obj, rounds=20, edit_budget=20, seed=3, method="beam", beam_width=4))
    assert len(set(b.beam)) == 4 and list(b.beam_values) == sorted(b.beam_values, reverse=True)
    assert np.allclose(obj(list(b.beam)), b.beam_values)
    assert b.trajectory["objective"].is_monotonic_increasing and b.value == pytest.approx(obj.optimum)


def test_seeds_reproduce_and_break_ties():
    obj = MotifObjective(toy_motif())
    start = "A" * 30  # many equally good places for the motif: ties everywhere
    a = design(None, start, DesignSettings(obj, rounds=3, edit_budget=3, seed=1))
    b = design(None, start, DesignSettings(obj, rounds=3, edit_budget=3, seed=1))
    assert a.sequence == b.sequence and a.edits == b.edits
    assert len({design(None, start, DesignSettings(obj, rounds=3, edit_budget=3, seed=s)).sequence
                for s in range(6)}) > 1


# -- likelihood design on oracles ----------------------------------------------------------------
A_TABLE = np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.2, 0.2, 0.2], [0.5, 0.3, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1]])


def chain_mean_ll(s: str) -> float:
    return (np.log(0.25) + sum(np.log(A_TABLE[BASES.index(a), BASES.index(b)]) for a, b in zip(s, s[1:]))) / len(s)


def test_likelihood_design_reaches_the_chain_optimum_found_by_exhaustive_search():
    best = max(("".join(t) for t in itertools.product(BASES, repeat=6)), key=chain_mean_ll)
    assert best == "A" * 6  # the optimum, by enumerating all 4096 sequences
    start = random_seq(12, 9)
    need = 12 - start.count("A")  # positions that must change: the budget is exactly that
    r = design(MarkovCLM(1, A_TABLE), start, DesignSettings("likelihood", rounds=20, edit_budget=need))
    assert r.sequence == "A" * 12 and r.value == pytest.approx(chain_mean_ll("A" * 12), abs=1e-12)
    assert r.trajectory["edits"].iloc[-1] == need and r.trajectory["objective"].is_monotonic_increasing
    # here greedy edits one position twice (via another base), which the Hamming budget does not charge twice
    assert len(r.edits) > need and len({e.position for e in r.edits}) == need
    for before, value in zip(path_sequences(r)[:-1], r.trajectory["objective"].iloc[1:]):
        assert value == pytest.approx(best_single_edit(before, chain_mean_ll), abs=1e-12)


def test_mlm_design_evaluates_only_the_proxy_ranked_candidates():
    table = np.random.default_rng(5).dirichlet(np.ones(4), size=16) + 0.02
    model = NeighbourMLM(table / table.sum(axis=1, keepdims=True))
    obj = LikelihoodObjective(model)
    start = random_seq(20, 3)
    r = design(model, start, DesignSettings(obj, rounds=6, edit_budget=6, candidates=5))
    assert r.candidates == 5 and (r.trajectory["evaluated"].iloc[1:] <= 5).all()
    assert r.trajectory["objective"].is_monotonic_increasing and len(r.edits) >= 1
    assert r.trajectory["objective"].tolist() == pytest.approx(list(obj(path_sequences(r))), abs=1e-12)
    assert design(model, start, DesignSettings(obj, rounds=1)).candidates == 16  # an MLM's default cap


def test_design_on_the_default_models_improves_the_likelihood(default_mlm, default_clm):
    start = random_seq(60, 11)
    for model, cap in ((default_mlm, 3), (default_clm, None)):
        r = design(model, start, DesignSettings("likelihood", rounds=2, edit_budget=2, candidates=cap))
        assert r.value > r.start_value and len(r.edits) == 2
        assert r.value == pytest.approx(float(LikelihoodObjective(model)([r.sequence])[0]), abs=1e-4)


# -- errors --------------------------------------------------------------------------------------
MODEL = NeighbourMLM(np.full((16, 4), 0.25))


@pytest.mark.parametrize("kwargs,words", [
    (dict(edit_budget=-1), ["budget", "-1"]),
    (dict(rounds=0), ["rounds", "at least 1"]),
    (dict(fixed=[30]), ["Fixed position", "31", "1-30"]),
    (dict(fixed=[-1]), ["Fixed position", "outside"]),
    (dict(gc_range=(0.2, 1.2)), ["GC range", "0..1"]),
    (dict(gc_range=(0.6, 0.3)), ["GC range", "swap"]),
    (dict(gc_range=(0.8, 0.9)), ["GC 0.", "outside the GC range"]),
    (dict(objective="expression"), ["Unknown objective", "likelihood, class, motif"]),
    (dict(objective="class", probe=gc_probe(), cls="promoter"), ["no class 'promoter'", "at_rich, gc_rich"]),
    (dict(objective="class", cls="gc_rich"), ["probe", "fit_region_probe"]),
    (dict(objective="class", probe=gc_probe()), ["class", "at_rich, gc_rich"]),
    (dict(objective="motif", motif="NOTAMOTIF"), ["No JASPAR motif", "NOTAMOTIF"]),
    (dict(objective="motif"), ["JASPAR motif", "id"]),
    (dict(method="anneal"), ["Unknown method", "greedy, beam"]),
    (dict(method="beam", beam_width=0), ["beam width", "at least 1"]),
    (dict(candidates=0), ["candidates", "at least 1"]),
    (dict(batch_size=0), ["batch size", "at least 1"]),
    (dict(seq=""), ["empty"]),
    (dict(seq="ACGTXACGT"), ["not a nucleotide", "'X'"]),
    (dict(seq="ACGTNACGT"), ["contains N"]),
])
def test_bad_settings_raise_design_error_saying_what_to_fix(kwargs, words):
    kwargs = {"seq": "ATGCATGCATTTAAGCGCATATATGCATGC", "objective": "likelihood", **kwargs}
    seq, objective, probe = kwargs.pop("seq"), kwargs.pop("objective"), kwargs.pop("probe", None)
    with pytest.raises(DesignError) as info:
        design(MODEL, seq, DesignSettings(objective, **kwargs), probe=probe)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_settings_fail_when_built_and_normalise_their_sequences():
    """A bad option fails when the settings are built (before any model work); fixed positions and the GC range
    become tuples, so the settings a page or the CLI builds compare equal."""
    with pytest.raises(DesignError, match="rounds must be at least 1, got 0"):
        DesignSettings(rounds=0)
    s = DesignSettings("motif", motif="ABF1", fixed=range(3), gc_range=[0, 1])
    assert s.fixed == (0, 1, 2) and s.gc_range == (0.0, 1.0)
    assert s == DesignSettings("motif", motif="ABF1", fixed=(0, 1, 2), gc_range=(0.0, 1.0))


def test_objectives_that_need_a_model_or_a_longer_sequence_say_so():
    with pytest.raises(DesignError, match="needs|model"):
        design(None, "ACGTACGT", DesignSettings("likelihood"))
    with pytest.raises(DesignError, match="6 bp"):
        design(None, "ACGTA", DesignSettings(MotifObjective(toy_motif())))
    with pytest.raises(DesignError, match="centre 10 bp"):
        design(MODEL, "ACGTACGT", DesignSettings("class", cls="gc_rich"), probe=gc_probe())
    from glm_explore.errors import InputTooLargeError

    with pytest.raises(InputTooLargeError, match="2,001 bp"):
        design(None, "ACGT" * 500 + "A", DesignSettings(MotifObjective(toy_motif())))
    other = NeighbourMLM(np.full((16, 4), 0.25), name="other-mlm")
    with pytest.raises(DesignError, match="neighbour-mlm, not other-mlm"):
        design(other, "ACGT" * 8, DesignSettings("class", cls="gc_rich"), probe=gc_probe())


# -- files, CLI and plot -------------------------------------------------------------------------
def test_cli_writes_a_readable_fasta_and_trajectory(tmp_path, chloroplast):
    from glm_explore.cli import main

    start = random_seq(40, 2)
    fa = tmp_path / "d.fa"
    assert main(["design", "--sequence", start, "--objective", "motif", "--motif", "ABF1", "--rounds", "4",
                 "--method", "beam", "--beam-width", "2", "--fixed", "1-5,40", "--out", str(fa)]) == 0
    recs = list(SeqIO.parse(fa, "fasta"))
    assert [r.id for r in recs] == ["design_1", "design_2"]
    obj = MotifObjective(find_motif("ABF1"))
    for r in recs:
        s = str(r.seq)
        assert len(s) == 40 and s[:5] == start[:5] and s[39] == start[39]
        value = float(r.description.split("value=")[1].split()[0])
        assert value == pytest.approx(obj([s])[0], abs=1e-3) and value > obj([start])[0]
    tsv = tmp_path / "t.tsv"
    assert main(["design", "--genome", "chloroplast", "--region", "NC_000932:1001-1060", "--model", "default-clm",
                 "--rounds", "2", "--budget", "2", "--gc-range", "0.2-0.8", "--out", str(tsv)]) == 0
    t = pd.read_csv(tsv, sep="\t")
    assert list(t.columns) == ["round", "objective", "gain", "edits", "gc", "position", "ref", "alt", "edit",
                               "evaluated"]
    assert t["round"].tolist() == [0, 1, 2] and t["objective"].is_monotonic_increasing
    assert t["evaluated"].iloc[1] == 180  # every single edit of the 60 bp region, exactly
    region = chloroplast.genome.fetch("NC_000932", 1000, 1060)
    assert t["gc"].iloc[0] == pytest.approx((region.count("G") + region.count("C")) / 60)


def test_fasta_and_plot_follow_the_result():
    from glm_explore.plots.design import design_trajectory

    r = design(None, random_seq(24, 0),
               DesignSettings(MotifObjective(toy_motif()), rounds=4, edit_budget=4, gc_range=(0.2, 0.8)))
    fa = design_fasta(r)
    assert fa.startswith(">design_1 ") and r.sequence in fa.replace("\n", "")
    assert "path=" + ",".join(e.label for e in r.edits) in fa
    fig = design_trajectory(r)
    assert list(fig.data[0].y) == pytest.approx(r.trajectory["objective"].tolist())
    assert list(fig.data[1].y) == r.trajectory["edits"].tolist()
    assert fig.layout.yaxis.title.text == r.units
