"""Calibrated scores (issue 26): SNV backgrounds per region class, percentiles, the percentile sentence.

Percentiles are checked against a brute-force rank over the full list of scores; backgrounds of closed-form
oracle models (tests/oracles.py) against their hand-computed LLRs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from oracles import MarkovCLM, NeighbourMLM

from glm_explore.calibration import (
    Background,
    ClassBackground,
    add_percentiles,
    background_sites,
    class_percentiles,
    compute_background,
    describe,
    genome_percentiles,
    order_statistics,
    percentile_sentence,
    with_percentiles,
)
from glm_explore.errors import CalibrationError
from glm_explore.io.annotation import CLASSES
from glm_explore.io.datasets import GenomeData
from glm_explore.io.genome import Genome

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}
IDX = {b: i for i, b in enumerate("ACGT")}


pytestmark = pytest.mark.usefixtures("one_thread_module")  # tiny models on a shared machine: one torch thread


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> GenomeData:
    """Two random contigs (one N), labelled in blocks of CDS / intron / intergenic; ``held`` is held out."""
    rng = np.random.default_rng(11)
    d = tmp_path_factory.mktemp("calib_toy")
    seqs = {"train": "".join(rng.choice(list("ACGT"), 400)), "held": "".join(rng.choice(list("ACGT"), 300))}
    seqs["held"] = seqs["held"][:150] + "N" + seqs["held"][151:]
    (d / "toy.fa").write_text("".join(f">{c}\n{s}\n" for c, s in seqs.items()))
    labels = {}
    for c, s in seqs.items():
        lab = np.empty(len(s), dtype=np.uint8)
        for k, start in enumerate(range(0, len(s), 70)):
            lab[start:start + 70] = CLASSES.index(("CDS", "intron", "intergenic")[k % 3])
        labels[c] = lab
    return GenomeData("toy", "", Genome(d / "toy.fa", name="toy"), None, labels, heldout_chrom="held")


def _class_bg(scores: np.ndarray, keep: int, n_sites: int = 10) -> ClassBackground:
    values, ranks = order_statistics(scores, keep)
    return ClassBackground("CDS", values, ranks, len(scores), n_sites, n_sites)


def test_percentile_equals_a_brute_force_rank_with_ties():
    """Complete background: fraction ≤ x is exactly mean(scores ≤ x), ties at-or-below, at every score and
    between them; NaN stays NaN."""
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=300), 1)  # many ties
    bg = _class_bg(scores, keep=10_000)
    assert bg.exact
    xs = np.r_[scores, scores + 0.05, -10, 10]
    brute = np.array([np.mean(scores <= x) for x in xs])
    np.testing.assert_array_equal(bg.fraction_at_or_below(xs), brute)
    assert np.isnan(bg.fraction_at_or_below(np.nan))


def test_compressed_background_is_within_one_gap_below_the_exact_rank():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=5_000)
    bg = _class_bg(scores, keep=101)
    assert not bg.exact and len(bg.values) == 101 and bg.ranks[0] == 0 and bg.ranks[-1] == 4_999
    xs = rng.normal(size=400)
    brute = np.array([np.mean(scores <= x) for x in xs])
    got = bg.fraction_at_or_below(xs)
    assert (got <= brute + 1e-12).all() and (brute - got < 50 / 5_000 + 1e-12).all()
    assert bg.fraction_at_or_below(scores.max()) == 1.0 and bg.fraction_at_or_below(scores.min() - 1) == 0.0


def test_genome_percentile_weights_classes_by_their_bases():
    """Σ_c w_c F_c(x) with w_c = the class's share of bases, by hand; independent of how many were scored."""
    a, b = np.array([0.0, 1.0, 2.0, 3.0]), np.array([-1.0, 5.0])
    bg = Background("m", "mlm", "g", "c", 0, 100, {"CDS": ClassBackground("CDS", a, np.arange(4), 4, 30, 2),
                                                   "intron": ClassBackground("intron", b, np.arange(2), 2, 10, 1)})
    x = np.array([-2.0, 0.0, 1.5, 4.0, 6.0])
    fa, fb = np.array([np.mean(a <= v) for v in x]), np.array([np.mean(b <= v) for v in x])
    np.testing.assert_allclose(genome_percentiles(bg, x), 0.75 * fa + 0.25 * fb)
    np.testing.assert_allclose(class_percentiles(bg, x, ["CDS", "intron", None, "CDS", "tRNA"]),
                               [fa[0], fb[1], np.nan, fa[3], np.nan])


def _neighbour_llr(T: np.ndarray, s: str, p: int, ref: str, alt: str) -> float:
    """NeighbourMLM's masked LLR at ``p`` of contig ``s``, averaged over both strands (closed form)."""
    code = {**IDX, "N": 4}

    def strand(left: str, right: str, r: str, a: str) -> float:
        if code[left] > 3 or code[right] > 3:
            return 0.0
        row = T[4 * code[left] + code[right]]
        return row[IDX[a]] - row[IDX[r]]
    left, right = (s[p - 1] if p > 0 else "N"), (s[p + 1] if p + 1 < len(s) else "N")
    return (strand(left, right, ref, alt) + strand(COMP.get(right, "N"), COMP.get(left, "N"), COMP[ref], COMP[alt])) / 2


def test_complete_background_of_a_neighbour_oracle_equals_its_closed_form(toy):
    """Every SNV of the held-out contig (N skipped): per class, the stored sorted LLRs are the sorted closed-form
    LLRs; the genome percentile equals the pooled brute-force rank (complete background: weights = counts)."""
    rng = np.random.default_rng(2)
    table = rng.uniform(0.1, 1.0, (16, 4))
    T = np.log(table / table.sum(1, keepdims=True))
    bg = compute_background(NeighbourMLM(table), toy, sites_per_class=None, keep=10_000)
    assert (bg.chrom, bg.start, bg.end) == ("held", 0, 300)
    s, lab = toy.genome.fetch("held"), toy.labels["held"]
    expected: dict[str, list[float]] = {}
    for p, ref in enumerate(s):
        if ref == "N":
            continue
        for alt in "ACGT".replace(ref, ""):
            expected.setdefault(CLASSES[lab[p]], []).append(_neighbour_llr(T, s, p, ref, alt))
    assert set(bg.classes) == set(expected)
    for name, vals in expected.items():
        c = bg.classes[name]
        assert c.exact and c.n == len(vals) and c.n_sites == len(vals) // 3
        np.testing.assert_allclose(c.values, np.sort(vals), atol=1e-6)
    pooled = np.concatenate([c.values for c in bg.classes.values()])  # the model's own (float32-rounded) LLRs
    xs = np.r_[np.quantile(pooled, [0.02, 0.3, 0.5, 0.9]), pooled[::97]]
    np.testing.assert_allclose(genome_percentiles(bg, xs), [np.mean(pooled <= x) for x in xs], atol=1e-12)


def test_complete_background_of_a_markov_clm_equals_its_closed_form(toy):
    """Order-1 MarkovCLM, interior span: Δ log-likelihood of x_p → a = log T[x_{p−1}, a] + log T[a, x_{p+1}]
    − (same with ref), averaged with the reverse-complement strand."""
    rng = np.random.default_rng(3)
    table = rng.uniform(0.1, 1.0, (4, 4))
    T = np.log(table / table.sum(1, keepdims=True))
    s = toy.genome.fetch("train")
    bg = compute_background(MarkovCLM(1, table), toy, sites_per_class=None, keep=10_000, span=("train", 20, 120))

    def strand(seq: str, p: int, a: str) -> float:
        alt = seq[:p] + a + seq[p + 1:]
        ll = [T[IDX[x[p - 1]], IDX[x[p]]] + T[IDX[x[p]], IDX[x[p + 1]]] for x in (seq, alt)]
        return ll[1] - ll[0]
    rc = "".join(COMP[b] for b in reversed(s))
    expected: dict[str, list[float]] = {}
    for p in range(20, 120):
        for a in "ACGT".replace(s[p], ""):
            q = len(s) - 1 - p
            expected.setdefault(CLASSES[toy.labels["train"][p]], []).append(
                (strand(s, p, a) + strand(rc, q, COMP[a])) / 2)
    for name, vals in expected.items():
        np.testing.assert_allclose(bg.classes[name].values, np.sort(vals), atol=1e-5)


def test_sampled_sites_are_a_seeded_uniform_subset(toy):
    full, n_sites = background_sites(toy, "held", 0, 300)
    a, _ = background_sites(toy, "held", 0, 300, sites_per_class=20, seed=5)
    b, _ = background_sites(toy, "held", 0, 300, sites_per_class=20, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert (a.groupby("region_class")["pos"].nunique() == 20).all()
    assert (a.groupby("pos").size() == 3).all()  # three ALTs per sampled site
    key = ["pos", "ref", "alt", "region_class"]
    assert len(a.merge(full, on=key)) == len(a)  # every sampled SNV is a possible SNV of its class
    assert n_sites == full.groupby("region_class")["pos"].nunique().to_dict()
    assert sum(n_sites.values()) == 299  # 300 bases, one N


def test_background_round_trips_through_its_file(toy, tmp_path):
    bg = compute_background(NeighbourMLM(np.full((16, 4), 0.25) + np.eye(4).repeat(4, 0)), toy,
                            sites_per_class=15, keep=7)
    bg.save(tmp_path / "bg.npz")
    back = Background.load(tmp_path / "bg.npz")
    assert (back.model, back.chrom, back.end, back.settings) == (bg.model, bg.chrom, bg.end, bg.settings)
    for name, c in bg.classes.items():
        np.testing.assert_allclose(back.classes[name].values, c.values, rtol=1e-6)
        np.testing.assert_array_equal(back.classes[name].ranks, c.ranks)
    (tmp_path / "junk.npz").write_bytes(b"not a background")
    with pytest.raises(CalibrationError, match="not a score background"):
        Background.load(tmp_path / "junk.npz")


def test_add_percentiles_and_the_sentence():
    vals = np.linspace(-5, 5, 101)
    bg = Background("default-mlm", "mlm", "yeast", "chrXVI", 0, 1000,
                    {"CDS": ClassBackground("CDS", vals, np.arange(101), 101, 50, 50)})
    table = pd.DataFrame({"llr": [-4.85, 4.05, np.nan, -1.0], "region_class": ["CDS", "CDS", "CDS", None],
                          "kind": ["SNV", "SNV", "SNV", "DEL"]})
    out = add_percentiles(table, bg)
    np.testing.assert_allclose(out["llr_pct_class"], [2 / 101, 91 / 101, np.nan, np.nan])
    np.testing.assert_allclose(out["llr_pct_genome"], [2 / 101, 91 / 101, np.nan, np.nan])  # the DEL: no SNV pct
    low = percentile_sentence(-4.85, 2 / 101, "CDS", bg)
    assert low.startswith("An LLR of −4.85 is lower than 98.0 % of possible SNVs in CDS on held-out chrXVI")
    assert "2.0 % score at or below it" in low
    assert "at or above 90.0 %" in percentile_sentence(4.05, 91 / 101, "CDS", bg)
    assert "lower than 55 %" in percentile_sentence(-0.5, 0.45, "CDS", bg)


def test_background_command_writes_a_loadable_file(tmp_path, capsys):
    """`python -m glm_explore background` on the bundled chloroplast (held out: its last 20 %), 4 sites a class."""
    from glm_explore.cli import main

    out = tmp_path / "bg.npz"
    assert main(["background", "--genome", "chloroplast", "--sites", "4", "--out", str(out)]) == 0
    bg = Background.load(out)
    assert bg.model == "default-mlm" and bg.settings["sites_per_class"] == 4 and bg.settings["rc"] is True
    assert bg.start == int(round(bg.end * 0.8)) and set(bg.classes) <= set(CLASSES)
    assert all(c.n_scored_sites == min(4, c.n_sites) and c.n == 3 * c.n_scored_sites for c in bg.classes.values())
    printed = capsys.readouterr()
    assert "estimated" in printed.err and "CDS" in printed.out


def test_method_aurocs_equal_scikit_learns_and_the_ranking_follows_them():
    from sklearn.metrics import roc_auc_score

    from glm_explore.calibration.methods import method_aurocs, rank_methods

    rng = np.random.default_rng(4)
    effect = np.repeat(["synonymous", "missense", "stop_gained", "intergenic"], [40, 50, 30, 45])
    harsh = np.isin(effect, ["missense", "stop_gained"])
    scores = pd.DataFrame({"effect": effect, "good": rng.normal(size=len(effect)) - 1.5 * harsh,
                           "weak": np.round(rng.normal(size=len(effect)) - 0.3 * harsh, 1)})  # ties
    pairs = (("synonymous", "missense"), ("intergenic", "stop_gained"))
    au = method_aurocs(scores, ("good", "weak"), pairs=pairs, reps=200, seed=1)
    for row in au.itertuples():
        x = scores[scores["effect"].isin([row.a, row.b])]
        expected = roc_auc_score(x["effect"] == row.a, x[row.method])
        assert row.auroc == pytest.approx(expected, abs=1e-12)
        xa, xb = x.loc[x["effect"] == row.a, row.method].to_numpy(), x.loc[x["effect"] == row.b, row.method].to_numpy()
        brute = np.mean((xa[:, None] > xb[None, :]) + 0.5 * (xa[:, None] == xb[None, :]))  # Mann–Whitney by hand
        assert row.auroc == pytest.approx(brute, abs=1e-12) and row.ci_lo <= row.auroc <= row.ci_hi
    ranking = rank_methods(au)
    for _pair, g in ranking.groupby("pair"):
        assert list(g["auroc"]) == sorted(g["auroc"], reverse=True) and list(g["rank"]) == [1, 2]
    assert set(ranking[ranking["rank"] == 1]["method"]) == {"good"}


def test_method_scores_of_the_neighbour_oracle_follow_their_closed_forms(toy):
    """LLR as score_variants; IC from the oracle's table (both strands averaged in log space, renormalised);
    entropy-weighted = LLR · IC / 2; one-hot hidden states → pooled L2 shift √2 / window length; dependency row 0."""
    from glm_explore.calibration.methods import method_scores
    from glm_explore.context import variant_window
    from glm_explore.variants.score import score_variants

    rng = np.random.default_rng(6)
    table = rng.uniform(0.1, 1.0, (16, 4))
    T = np.log(table / table.sum(1, keepdims=True))
    model = NeighbourMLM(table)
    s = toy.genome.fetch("held")
    pos = [p for p in range(5, 140, 9)]
    snvs = pd.DataFrame({"chrom": "held", "pos": [p + 1 for p in pos], "ref": [s[p] for p in pos],
                         "alt": ["ACGT".replace(s[p], "")[p % 3] for p in pos], "effect": "synonymous"})
    got = method_scores(model, toy, snvs)
    np.testing.assert_allclose(got["llr"], score_variants(model, toy, snvs[["chrom", "pos", "ref", "alt"]])["llr"])
    comp = [3, 2, 1, 0]
    ic = []
    for p in pos:
        left, r = IDX[s[p - 1]], IDX[s[p + 1]]
        lp = (T[4 * left + r] + T[4 * comp[r] + comp[left]][::-1]) / 2
        q = np.exp(lp - np.logaddexp.reduce(lp))
        ic.append(2 + (q * np.log2(q)).sum())
    np.testing.assert_allclose(got["information_bits"], ic, atol=1e-9)
    np.testing.assert_allclose(got["entropy_weighted_llr"], got["llr"] * np.array(ic) / 2, atol=1e-9)
    np.testing.assert_allclose(got["embedding_l2"], -np.sqrt(2) / variant_window(model), atol=1e-9)
    assert "clm_delta_ll" not in got
    # unmasked, the oracle predicts each base from itself alone: a substitution moves no other position's prediction
    np.testing.assert_allclose(got["dependency_row"], 0.0, atol=1e-12)


def test_background_for_computes_once_then_reads_its_cache(toy, tmp_path):
    from glm_explore.calibration import background_for, cache_path

    model = NeighbourMLM(np.random.default_rng(8).uniform(0.1, 1.0, (16, 4)), name="toy-neighbour")
    assert background_for(model, toy, cache_dir=tmp_path) is None  # nothing shipped, nothing cached, no compute
    made = background_for(model, toy, cache_dir=tmp_path, compute=True, sites_per_class=5)
    assert cache_path(model, toy.name, tmp_path).exists()
    again = background_for(model, toy, cache_dir=tmp_path)
    assert again.settings == made.settings and again.settings["weights"]
    for name, c in made.classes.items():
        np.testing.assert_allclose(again.classes[name].values, c.values, rtol=1e-6)


def test_shipped_backgrounds_match_the_default_weights():
    """The shipped files were made from the weights that ship (a retrained default needs new ones)."""
    from glm_explore.calibration import background_for
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin

    data = load_dataset("yeast")
    for key, sites in (("default-mlm", 1_000), ("default-clm", 150)):
        bg = background_for(load_builtin(key), data)
        assert bg is not None and bg.model == key and bg.chrom == "chrXVI" and bg.settings["sites_per_class"] == sites
        assert {"CDS", "intergenic", "promoter"} <= set(bg.classes) and bg.settings["rc"] is True


def test_describe_reads_class_then_genome():
    vals = np.linspace(-5, 5, 101)
    bg = Background("m", "mlm", "g", "chrZ", 0, 1000, {"CDS": ClassBackground("CDS", vals, np.arange(101), 101, 30, 30),
                                                       "intron": ClassBackground("intron", vals + 1, np.arange(101),
                                                                                 101, 10, 10)})
    sentence, detail = describe(bg, -4.05, "CDS")
    assert sentence == percentile_sentence(-4.05, 10 / 101, "CDS", bg) and "lower than 90.0 %" in sentence
    g = 0.75 * 10 / 101 + 0.25 * 0 / 101  # intron values start at −4
    assert f"{g:.1%} genome-wide" in detail and f"{10 / 101:.1%} within CDS" in detail
    sentence, _ = describe(bg, -4.05, "tRNA")  # no tRNA background: the genome-wide reading
    assert "in any region class" in sentence


def test_with_percentiles_appends_float_columns_to_an_arrow_table():
    import pyarrow as pa

    vals = np.linspace(-5, 5, 101)
    bg = Background("m", "mlm", "g", "chrZ", 0, 1000, {"CDS": ClassBackground("CDS", vals, np.arange(101), 101, 5, 5)})
    table = pa.table({"llr": [-4.85, None, 0.05], "region_class": ["CDS", "CDS", None], "kind": ["SNV", "SNV", "SNV"]})
    out = with_percentiles(table, bg)
    assert out.schema.field("llr_pct_class").type == pa.float64()
    np.testing.assert_allclose(out.column("llr_pct_class").to_numpy(zero_copy_only=False), [2 / 101, np.nan, np.nan])
    np.testing.assert_allclose(out.column("llr_pct_genome").to_numpy(zero_copy_only=False), [2 / 101, np.nan, 51 / 101])
    assert np.isnan(with_percentiles(table, None).column("llr_pct_genome").to_numpy(zero_copy_only=False)).all()


def test_score_vcf_writes_percentiles_and_scores_small_indels_by_default(tmp_path, capsys):
    """score-vcf on yeast chrXVI: SNV rows carry llr_pct_class / llr_pct_genome equal to the shipped background's
    percentiles; a 3-bp deletion is scored by default (NaN percentiles) and skipped with --max-sv-size 0."""
    import pyarrow.parquet as pq

    from glm_explore.calibration import shipped_background
    from glm_explore.cli import main
    from glm_explore.io.datasets import load_dataset

    data = load_dataset("yeast")
    s = data.genome.fetch("chrXVI", 30000, 30200)
    lines = [f"chrXVI\t{30001 + k}\tv{k}\t{s[k]}\t{'ACGT'.replace(s[k], '')[k % 3]}\t.\t.\t." for k in (10, 78, 150)]
    lines.insert(1, f"chrXVI\t30051\tdel\t{s[50:54]}\t{s[50]}\t.\t.\t.")
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chrXVI,length=948066>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + "\n".join(lines) + "\n")
    out = tmp_path / "s.parquet"
    assert main(["score-vcf", str(vcf), "--genome", "yeast", "--model", "default-mlm", "--out", str(out),
                 "--quiet"]) == 0
    table = pq.read_table(out)
    assert table.schema.field("llr_pct_class").type == table.schema.field("llr_pct_genome").type == "double"
    df = table.to_pandas()
    assert list(df["kind"]) == ["SNV", "DEL", "SNV", "SNV"]
    bg = shipped_background("default-mlm", "yeast")
    snv = df[df["kind"] == "SNV"]
    np.testing.assert_allclose(snv["llr_pct_class"], class_percentiles(bg, snv["llr"], snv["region_class"]))
    np.testing.assert_allclose(snv["llr_pct_genome"], genome_percentiles(bg, snv["llr"].to_numpy()))
    assert snv["llr_pct_class"].between(0, 1).all() and df.loc[df["kind"] == "DEL", "llr_pct_class"].isna().all()
    out0 = tmp_path / "s0.parquet"
    assert main(["score-vcf", str(vcf), "--genome", "yeast", "--model", "default-mlm", "--out", str(out0),
                 "--quiet", "--max-sv-size", "0"]) == 0
    assert len(pq.read_table(out0)) == 3
    assert "del" in pd.read_csv(out0.with_suffix(".skipped.tsv"), sep="\t")["id"].tolist()
    capsys.readouterr()


def test_variants_page_says_what_the_score_means():
    """AppTest: a CDS SNV on yeast chrXVI under the default MLM → the page's percentile sentence, its numbers those
    of the shipped background (brute-force count over the stored order statistics)."""
    from helpers import ROOT
    from streamlit.testing.v1 import AppTest

    from glm_explore.calibration import shipped_background
    from glm_explore.io.datasets import load_dataset
    from glm_explore.models.builtin import load_builtin
    from glm_explore.variants import score_site

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"model": "default-mlm", "genome": "yeast", "tab": "single", "chrom": "chrXVI",
                            "pos": "30079", "alt": "G", "half": "5"})
    at.switch_page("pages/variants.py")
    at.run()
    at.button(key="variants_single_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    data = load_dataset("yeast")
    scores = score_site(load_builtin("default-mlm"), data, "chrXVI", 30079)
    llr = float(scores.loc[scores["alt"] == "G", "llr"].iat[0])
    bg = shipped_background("default-mlm", "yeast")
    c = bg.classes["CDS"]
    j = int((c.values <= llr).sum())
    pct = (c.ranks[j - 1] + 1) / c.n if j else 0.0
    want = percentile_sentence(llr, pct, "CDS", bg)
    text = [m.value for m in at.markdown]
    assert want in text, text
    assert "possible SNVs in CDS on held-out chrXVI under default-mlm" in want
