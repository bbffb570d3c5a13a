"""Which score (issue 26 §2): splice-region and promoter-motif SNV classes on a hand-made genome + GFF, the
dependency-row score against explicit whole-sequence forwards, the comparison's AUROCs against scikit-learn, the
shipped comparisons, and the "Which score?" sections of the variants page and the model report (AppTest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import random_dna

from glm_explore.calibration.methods import (
    METHODS,
    MethodComparison,
    compare_methods,
    comparison_for,
    dependency_row_scores,
    shipped_comparison_path,
)
from glm_explore.io.annotation import CLASSES
from glm_explore.io.datasets import GenomeData, load_genome_data
from glm_explore.io.genome import Genome
from glm_explore.motifs import JasparMotif
from glm_explore.report.variant_sanity import METHOD_PAIRS, annotation_snvs, motif_sites, splice_sites
from glm_explore.sequence import reverse_complement

pytestmark = pytest.mark.usefixtures("one_thread_module")

MOTIF_CONSENSUS = "ACGGATNNCTTG"  # N = a flat column (0 bits)
PLANT = 300  # 0-based start of the planted minus-strand instance, inside g1's promoter


def _motif() -> JasparMotif:
    pwm = np.full((4, len(MOTIF_CONSENSUS)), 0.25)
    for k, b in enumerate(MOTIF_CONSENSUS):
        if b != "N":
            pwm[:, k] = 0.02
            pwm["ACGT".index(b), k] = 0.94
    return JasparMotif("MA_TEST.1", "TESTF", pwm)


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> GenomeData:
    """1 kb contig ``c1`` with four two-exon genes (1-based GFF coordinates):

    * g1 (+) exons 401-450, 551-650 → intron [450, 550) 0-based, GTATGT…CAG;
    * g2 (−) exons 701-750, 851-890 → intron [750, 850), on the minus strand GTATGT…CAG;
    * g3 (+) exons 101-150, 181-230 → intron [150, 180) starting CC: not canonical, left out;
    * g4 (+) exons 941-960, 962-990 → a 1-bp "intron" [960, 961): too short, left out.

    g1's promoter is [230, 400) (300 bp upstream minus g3's body); the motif's consensus (N → A) is planted there
    on the minus strand at [300, 312).
    """
    s = list(random_dna(np.random.default_rng(3), 1000))

    def put(at: int, text: str) -> None:
        s[at:at + len(text)] = list(text)

    put(450, "GTATGT")
    put(547, "CAG")
    put(844, reverse_complement("GTATGT"))
    put(750, reverse_complement("CAG"))
    put(150, "CC")
    put(PLANT, reverse_complement(MOTIF_CONSENSUS.replace("N", "A")))
    d = tmp_path_factory.mktemp("hand_splice")
    (d / "g.fa").write_text(">c1\n" + "".join(s) + "\n")
    rows = []
    for gid, strand, exons in (("g1", "+", [(401, 450), (551, 650)]), ("g2", "-", [(701, 750), (851, 890)]),
                               ("g3", "+", [(101, 150), (181, 230)]), ("g4", "+", [(941, 960), (962, 990)])):
        lo, hi = exons[0][0], exons[-1][1]
        rows += [f"c1\tt\tgene\t{lo}\t{hi}\t.\t{strand}\t.\tID={gid}",
                 f"c1\tt\tmRNA\t{lo}\t{hi}\t.\t{strand}\t.\tID={gid}.m;Parent={gid}"]
        rows += [f"c1\tt\texon\t{a}\t{b}\t.\t{strand}\t.\tID={gid}.e{k};Parent={gid}.m" for k, (a, b) in enumerate(exons)]
    (d / "a.gff3").write_text("##gff-version 3\n" + "\n".join(rows) + "\n")
    return load_genome_data(d / "g.fa", d / "a.gff3", name="hand")


def test_splice_sites_are_the_hand_worked_positions(hand):
    got = splice_sites(hand, "c1", 0, 1000)
    plus = {450 + k: f"donor+{k + 1}" for k in range(6)} | {547: "acceptor-3", 548: "acceptor-2", 549: "acceptor-1"}
    minus = {849 - k: f"donor+{k + 1}" for k in range(6)} | {752: "acceptor-3", 751: "acceptor-2", 750: "acceptor-1"}
    assert dict(zip(got["pos0"], got["site"])) == plus | minus
    # the donor GT reads GT on the transcript's strand
    seq = hand.genome.fetch("c1", 0, 1000)
    assert seq[450:452] == "GT" and reverse_complement(seq[848:850]) == "GT"
    # a span that cuts an intron keeps only the introns wholly inside it
    assert set(splice_sites(hand, "c1", 0, 700)["pos0"]) == set(plus)


def test_promoter_motif_sites_are_the_planted_high_information_columns(hand):
    assert (hand.classes_in("c1", 230, 400) == CLASSES.index("promoter")).all()
    got = motif_sites(hand, "c1", 0, 1000, motifs=(_motif(),))
    informative = [k for k, b in enumerate(MOTIF_CONSENSUS) if b != "N"]
    # minus-strand hit [300, 312): motif column k sits at 311 − k
    assert sorted(got["pos0"]) == sorted(PLANT + len(MOTIF_CONSENSUS) - 1 - k for k in informative)
    assert all(s.startswith("TESTF (MA_TEST.1) col ") and s.endswith("-") for s in got["site"])


def test_annotation_snvs_are_seeded_and_hold_genome_refs(hand):
    seq = hand.genome.fetch("c1", 0, 1000)
    snvs = annotation_snvs(hand, "c1", 0, 1000, per_class=100, seed=2, motifs=(_motif(),))
    assert snvs["effect"].value_counts().to_dict() == {"splice_region": 18, "promoter_motif": 10}
    assert (snvs["ref"] == [seq[p - 1] for p in snvs["pos"]]).all() and (snvs["ref"] != snvs["alt"]).all()
    assert set(snvs.loc[snvs["effect"] == "splice_region", "pos"] - 1) == set(splice_sites(hand, "c1", 0, 1000)["pos0"])
    again = annotation_snvs(hand, "c1", 0, 1000, per_class=100, seed=2, motifs=(_motif(),))
    pd.testing.assert_frame_equal(snvs, again)
    few = annotation_snvs(hand, "c1", 0, 1000, per_class=5, seed=2, motifs=(_motif(),))
    assert few["effect"].value_counts().to_dict() == {"splice_region": 5, "promoter_motif": 5}
    assert set(few["pos"]) <= set(snvs["pos"])


def _log_odds(lp: np.ndarray) -> np.ndarray:
    p = np.minimum(np.maximum(np.exp(lp.astype(np.float64)), 1e-6), 1 - 1e-6)
    return np.log(p / (1 - p))


def _brute_dependency_row(model, seq: str, i: int, alt: str, band: int) -> float:
    """−max over 0 < |j − i| ≤ band of max_b |log-odds difference|, from one forward of the WHOLE contig each."""
    mut = seq[:i] + alt + seq[i + 1:]
    ref_lp, alt_lp = model.log_probs([seq])[0], model.log_probs([mut])[0]
    js = [j for j in range(i - band, i + band + 1) if j != i and 0 <= j < len(seq)]
    return -max(abs(_log_odds(alt_lp[b, j]) - _log_odds(ref_lp[b, j])) for j in js for b in range(4))


@pytest.fixture(scope="module")
def contig(tmp_path_factory) -> GenomeData:
    seq = random_dna(np.random.default_rng(9), 150)
    d = tmp_path_factory.mktemp("dep_row")
    (d / "c.fa").write_text(">c\n" + seq + "\n")
    return GenomeData("c", "", Genome(d / "c.fa", name="c"), None, {"c": np.full(150, 8, dtype=np.uint8)})


@pytest.mark.parametrize("which", ["tiny_mlm", "tiny_clm"])
@pytest.mark.parametrize("band", [3, 25])
def test_dependency_row_equals_whole_contig_forwards(contig, which, band, request):
    model = request.getfixturevalue(which)
    seq = contig.genome.fetch("c")
    pos0 = [0, 2, 40, 75, 110, 147, 149]
    alts = ["ACGT".replace(seq[p], "")[k % 3] for k, p in enumerate(pos0)]
    snvs = pd.DataFrame({"chrom": "c", "pos": [p + 1 for p in pos0], "ref": [seq[p] for p in pos0], "alt": alts})
    got = dependency_row_scores(model, contig, snvs, band=band)
    want = [_brute_dependency_row(model, seq, p, a, band) for p, a in zip(pos0, alts)]
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert (got <= 0).all()
    bad = snvs.assign(ref=["ACGT".replace(seq[p], "")[0] for p in pos0])  # REF mismatch → NaN
    assert np.isnan(dependency_row_scores(model, contig, bad, band=band)).all()


def test_dependency_row_over_the_three_alts_is_the_dependency_maps_row(contig, tiny_mlm):
    """The map's row (SCIENCE.md: max over the 3 substitutions) is the max of the per-ALT scores."""
    from glm_explore.dependency import dependency_map

    seq = contig.genome.fetch("c")
    dep = dependency_map(tiny_mlm, seq).matrix
    band = 6
    for i in (5, 70, 144):
        alts = [b for b in "ACGT" if b != seq[i]]
        snvs = pd.DataFrame({"chrom": "c", "pos": i + 1, "ref": seq[i], "alt": alts})
        per_alt = -dependency_row_scores(tiny_mlm, contig, snvs, band=band)
        row = dep[i, max(0, i - band):i + band + 1]
        assert per_alt.max() == pytest.approx(float(np.nanmax(row)), abs=1e-3)


def test_compare_methods_aurocs_are_scikit_learns_and_round_trip(hand, tiny_mlm, tmp_path):
    from sklearn.metrics import roc_auc_score

    snvs = annotation_snvs(hand, "c1", 0, 1000, per_class=100, seed=0, motifs=(_motif(),))
    seq = hand.genome.fetch("c1", 0, 1000)
    inter = [p for p in range(20, 100, 3)]  # g3's promoter [0, 100) is not intergenic: call these "intergenic" anyway
    snvs = pd.concat([snvs, pd.DataFrame({"chrom": "c1", "pos": [p + 1 for p in inter], "ref": [seq[p] for p in inter],
                                          "alt": ["ACGT".replace(seq[p], "")[p % 3] for p in inter],
                                          "effect": "intergenic"})], ignore_index=True)
    res = compare_methods(tiny_mlm, hand, snvs, reps=50, seed=1)
    assert res.methods == tuple(m for m in METHODS if m != "clm_delta_ll")
    rows = res.aurocs.dropna(subset=["auroc"])
    assert set(rows["pair"]) == {"intergenic vs splice_region", "intergenic vs promoter_motif"}
    for row in rows.itertuples():
        x = res.scores[res.scores["effect"].isin([row.a, row.b])].dropna(subset=[row.method])
        assert row.auroc == pytest.approx(roc_auc_score(x["effect"] == row.a, x[row.method]), abs=1e-12)
        assert row.ci_lo <= row.auroc <= row.ci_hi
    for _pair, g in res.ranking.groupby("pair"):
        assert list(g["auroc"]) == sorted(g["auroc"], reverse=True)
    path = tmp_path / "cmp.json"
    res.save(path)
    back = MethodComparison.load(path)
    assert back.methods == res.methods and back.best() == res.best() and back.notes == res.notes
    np.testing.assert_allclose(back.aurocs["auroc"], res.aurocs["auroc"], rtol=1e-5)
    # the on-demand path: nothing stored → None; computed once → read back from the cache
    assert comparison_for(tiny_mlm, hand, cache_dir=tmp_path / "c") is None


@pytest.mark.parametrize("name", ["default-mlm", "default-clm"])
def test_shipped_comparisons_match_the_default_weights(name):
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin
    from glm_explore.models.fingerprint import tensors_fingerprint

    model = load_builtin(name)
    path = shipped_comparison_path(name, "yeast")
    res = MethodComparison.load(path)
    assert res.notes["weights"] == tensors_fingerprint(model)
    assert comparison_for(model, load_dataset("yeast")) is not None  # served without computing
    assert set(res.ranking["pair"]) == {f"{a} vs {b}" for a, b in METHOD_PAIRS}
    assert "dependency_row" in res.methods and ("clm_delta_ll" in res.methods) == (name == "default-mlm")
    counts = res.scores["effect"].value_counts()
    assert (counts == 150).all() and len(counts) == 6


def test_variants_page_shows_which_score_for_the_default():
    """AppTest: the variants page's "Which score should I use?" expander draws the shipped comparison of the default
    MLM: one best-method sentence per pair (the result's own), the chart and the ranking table."""
    from helpers import app_on_page

    res = MethodComparison.load(shipped_comparison_path("default-mlm", "yeast"))
    at = app_on_page("variants", dataset="yeast")
    assert not at.exception and not at.error, [e.value for e in at.error]
    exp = next(e for e in at.expander if e.label == "Which score should I use?")
    text = [m.value for m in exp.markdown]
    for pair in dict.fromkeys(res.ranking["pair"]):
        assert res.best_sentence(pair) in text
    table = next(d.value for d in exp.dataframe)
    assert len(table) == len(res.ranking) and table["auroc"].tolist() == res.ranking["auroc"].tolist()
    assert exp.get("plotly_chart")
    assert at.number_input(key="variants_sv").value == 50  # indels up to 50 bp by default, as score-vcf


def test_report_page_has_which_score_section():
    """AppTest: the model report (shipped, default MLM on yeast) has the "Which score?" section after the variants."""
    from helpers import app_on_page

    res = MethodComparison.load(shipped_comparison_path("default-mlm", "yeast"))
    at = app_on_page("report", dataset="yeast")
    assert not at.exception and not at.error, [e.value for e in at.error]
    heads = [s.value for s in at.subheader]
    assert "Which score?" in heads and heads.index("Which score?") == heads.index("Variant-effect sanity") + 1
    text = [m.value for m in at.markdown]
    best = res.best()
    for pair, method in best.items():
        sentence = res.best_sentence(pair)
        assert sentence in text and res.ranking.set_index(["pair", "method"]).at[(pair, method), "label"] in sentence


def test_which_score_computes_on_demand_with_the_cost_first(tmp_path, monkeypatch):
    """AppTest of the section for a model with nothing shipped: the cost first, then the comparison."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GLM_EXPLORE_CACHE", str(tmp_path))

    def script():
        import numpy as np
        import torch

        from dashboard.views.score_methods import which_score
        from glm_explore.io.datasets import load_dataset
        from glm_explore.models.builtin import ConvLMAdapter
        from glm_explore.models.convnet import ConvLM, ConvLMConfig

        torch.manual_seed(0)
        model = ConvLMAdapter(ConvLM(ConvLMConfig("mlm", width=8, kernel_sizes=[3], dilations=[1])), "tiny-ondemand",
                              source="test")
        np.random.seed(0)
        which_score(model, load_dataset("chloroplast"), key="t", per_class=4)

    at = AppTest.from_function(script, default_timeout=600).run()
    assert not at.exception, at.exception
    assert not any("Estimated cost" in m.value for m in at.markdown)
    at.button(key="t_estimate").click().run()
    assert any("Estimated cost" in m.value for m in at.markdown), [m.value for m in at.markdown]
    at.button(key="t_go").click().run()
    assert not at.exception, at.exception
    assert any("best is" in m.value for m in at.markdown) and at.get("plotly_chart")
    assert list(tmp_path.glob("score_methods/*.json"))  # cached on disk for the next session


def test_score_methods_command_saves_a_comparison(tmp_path, capsys):
    """`python -m glm_explore score-methods` on the bundled chloroplast (held out: its last 20 %), 3 SNVs a class:
    the saved JSON loads, its printed best methods are its ranking's rank-1 rows, and a bad --band is one line."""
    from glm_explore.cli import main

    out = tmp_path / "m.json"
    assert main(["score-methods", "--genome", "chloroplast", "--per-class", "3", "--reps", "10", "--band", "5",
                 "--save", str(out)]) == 0
    res = MethodComparison.load(out)
    assert res.model == "default-mlm" and res.notes["band"] == "5" and "dependency_row" in res.methods
    printed = capsys.readouterr().out
    for pair, method in res.best().items():
        assert f"best for {pair}: {method}" in printed
    assert main(["score-methods", "--genome", "chloroplast", "--band", "0"]) != 0
    err = capsys.readouterr().err
    assert "--band" in err and "Traceback" not in err
