"""Annotation by transfer learning (glm_explore.annotate): a per-base head on frozen hidden states.

The toy genome's classes are a planted composition rule (each class draws its bases from its own
A/C/G/T frequencies); the toy model's layer 1 is the base composition of the 31 bases around each base
(exactly the rule's signal) and its layer 0 the base's own one-hot (little of it).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyranges as pr
import pytest
from sklearn.metrics import confusion_matrix, f1_score, matthews_corrcoef, precision_recall_fscore_support

from glm_explore.annotate import (
    AnnotateError,
    AnnotateSettings,
    annotate_region,
    bootstrap_macro_f1,
    fit_annotator,
    kmer_window_features,
    predicted_segments,
    segments_bed,
    segments_gff3,
)
from glm_explore.errors import LayerError, RegionError
from glm_explore.io.annotation import CLASS_CODE, CLASSES
from glm_explore.io.datasets import GenomeData
from glm_explore.io.genome import Genome
from glm_explore.models.adapter import BaseAdapter
from glm_explore.models.base import ModelInfo
from glm_explore.sequence import one_hot

W = 15  # the toy model's composition half-width (its receptive field)
COMPOSITION = {"CDS": [0.1, 0.4, 0.4, 0.1], "intergenic": [0.4, 0.1, 0.1, 0.4], "promoter": [0.4, 0.4, 0.1, 0.1],
               "tRNA": [0.1, 0.1, 0.4, 0.4]}
SMALL = dict(window=500, windows_per_class=6, bases_per_class=600, n_boot=200)


class CompositionLM(BaseAdapter):
    """Layer 0: one-hot of the base (L, 4). Layer 1: mean one-hot over the 2W+1 bases centred on it (cut at the
    sequence ends). Receptive field W."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="composition-lm", objective="mlm", tokenization="char", max_len=1_000_000,
                              n_layers=1, dim=4, source="test", receptive_field=W)

    def hidden_states(self, seqs, layer=-1, *, batch_size=64):
        k = self.layer_index(layer)
        out = []
        for s in seqs:
            x = one_hot(s).T.astype(np.float64)  # (L, 4)
            if k == 1:
                cum = np.vstack([np.zeros((1, 4)), np.cumsum(x, axis=0)])
                i = np.arange(len(s))
                lo, hi = np.maximum(i - W, 0), np.minimum(i + W + 1, len(s))
                x = (cum[hi] - cum[lo]) / (hi - lo)[:, None]
            out.append(x.astype(np.float32))
        return out


def _toy_chromosome(rng, n: int) -> tuple[str, np.ndarray]:
    seq, lab = [], []
    while sum(map(len, seq)) < n:
        cls = "tRNA" if rng.random() < 0.12 else str(rng.choice(["CDS", "intergenic", "promoter"]))
        length = int(rng.integers(80, 150) if cls == "tRNA" else rng.integers(200, 800))
        seq.append("".join(rng.choice(list("ACGT"), size=length, p=COMPOSITION[cls])))
        lab.append(np.full(length, CLASS_CODE[cls], dtype=np.uint8))
    return "".join(seq)[:n], np.concatenate(lab)[:n]


def _genome_data(path, chroms: dict[str, tuple[str, np.ndarray]], heldout: str | None) -> GenomeData:
    path.write_text("".join(f">{c}\n{s}\n" for c, (s, _) in chroms.items()))
    return GenomeData(name="toy", description="", genome=Genome(path), annotation=None,
                      labels={c: lab for c, (_, lab) in chroms.items()}, heldout_chrom=heldout)


@pytest.fixture(scope="module")
def toy_parts():
    rng = np.random.default_rng(7)
    return {c: _toy_chromosome(rng, 12_000) for c in ("chrA", "chrB", "chrC", "chrD")}


@pytest.fixture(scope="module")
def toy(tmp_path_factory, toy_parts):
    return _genome_data(tmp_path_factory.mktemp("toy") / "g.fa", toy_parts, "chrD")


@pytest.fixture(scope="module")
def comp():
    return CompositionLM()


@pytest.fixture(scope="module")
def fits(toy, comp):
    """{(head, layer): AnnotationFit} on the toy genome, small settings."""
    return {(head, layer): fit_annotator(comp, toy, AnnotateSettings(head=head, layers=[layer], **SMALL))
            for head, layer in (("logistic", 1), ("conv", 1), ("logistic", 0))}


# ---------------------------------------------------------------- the head recovers the rule

@pytest.mark.parametrize("head", ["logistic", "conv"])
def test_head_recovers_the_planted_composition_rule(fits, head):
    fit = fits[(head, 1)]
    assert fit.split.heldout == ("chrD", 0, 12_000)
    assert set(fit.head.classes) == set(COMPOSITION)
    assert fit.macro_f1("model") > 0.85, fit.metrics
    assert fit.macro_f1("k-mer") > 0.85  # 1-mer frequencies over 65 bp carry the same signal
    lo, hi = fit.scores.set_index("features").loc["model", ["ci_lo", "ci_hi"]]
    assert lo <= fit.macro_f1("model") <= hi
    # features that lack the signal (the base's own one-hot) do much worse with the same head
    assert fit.macro_f1("model") - fits[("logistic", 0)].macro_f1("model") > 0.25
    assert fits[("logistic", 0)].diff_ci[1] < 0  # and the k-mer head beats them, with a CI that excludes 0


def test_heldout_bases_never_in_training(fits, toy):
    fit = fits[("conv", 1)]
    assert (fit.train_bases["chrom"] != "chrD").all() and len(fit.train_bases) > 0
    assert not (fit.train_tiles["chrom"] == "chrD").any()
    # every training base lies inside a training tile; tiles hold at most `bases_per_class` per class
    counts = fit.train_bases["class"].value_counts()
    assert counts.max() <= SMALL["bases_per_class"] and counts["tRNA"] > 0
    for chrom, pos in zip(fit.train_bases["chrom"], fit.train_bases["pos"]):
        t = fit.train_tiles[fit.train_tiles["chrom"] == chrom]
        assert ((t["start"] <= pos) & (pos < t["end"])).any()
    # labels of training bases are the genome's
    codes = np.array([toy.labels[c][p] for c, p in zip(fit.train_bases["chrom"], fit.train_bases["pos"])])
    assert (np.asarray(CLASSES, dtype=object)[codes] == fit.train_bases["class"].astype(str).to_numpy()).all()
    # held-out rows: every base of chrD once, with its true label
    h = fit.heldout
    assert (h["chrom"] == "chrD").all() and np.array_equal(np.sort(h["pos"].to_numpy()), np.arange(12_000))
    assert (h["true"].cat.codes.to_numpy() == toy.labels["chrD"][h["pos"].to_numpy()]).all()


def test_one_chromosome_split_never_reads_across_the_cut(tmp_path, toy_parts, comp):
    s, lab = toy_parts["chrA"]
    data = _genome_data(tmp_path / "one.fa", {"chrX": (s + toy_parts["chrB"][0], np.r_[lab, toy_parts["chrB"][1]])},
                        None)
    fit = fit_annotator(comp, data, AnnotateSettings(head="conv", layers=[1], epochs=3, **SMALL))
    cut = int(round(24_000 * 0.8))
    assert fit.split.train == (("chrX", 0, cut),) and fit.split.heldout == ("chrX", cut, 24_000)
    assert fit.train_tiles["input_end"].max() <= cut  # model and k-mer context included
    assert fit.train_bases["pos"].max() < cut and fit.heldout["pos"].min() == cut
    assert fit.train_overlap(f"chrX:{cut + 1}-24000") == 0 and fit.train_overlap("chrX:1-24000") > 0


# ---------------------------------------------------------------- metrics against scikit-learn

@pytest.mark.parametrize("features,column", [("model", "model"), ("k-mer", "k-mer")])
def test_per_class_metrics_equal_sklearn(fits, features, column):
    fit = fits[("logistic", 0)]  # an imperfect head: every ratio is non-trivial
    y, p = fit.heldout["true"].astype(str).to_numpy(), fit.heldout[column].astype(str).to_numpy()
    labels = [c for c in CLASSES if c in set(y)]
    prec, rec, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    m = fit.metrics[fit.metrics["features"] == features].set_index("class").loc[labels]
    np.testing.assert_allclose(m["precision"], prec, atol=1e-12)
    np.testing.assert_allclose(m["recall"], rec, atol=1e-12)
    np.testing.assert_allclose(m["f1"], f1, atol=1e-12)
    assert (m["support"].to_numpy() == sup).all()
    for c in labels:
        assert m.loc[c, "mcc"] == pytest.approx(matthews_corrcoef(y == c, p == c), abs=1e-12)
    macro = fit.scores.set_index("features").loc[features, "macro_f1"]
    assert macro == pytest.approx(f1_score(y, p, labels=labels, average="macro", zero_division=0), abs=1e-12)
    conf = fit.confusion[features]
    assert (conf.loc[labels, labels].to_numpy() == confusion_matrix(y, p, labels=labels)).all()


def test_block_bootstrap_equals_resampling_tiles_by_hand(fits):
    h = fits[("logistic", 0)].heldout
    true, pred, tile = h["true"].cat.codes.to_numpy(), h["model"].cat.codes.to_numpy(), h["tile"].to_numpy()
    got = bootstrap_macro_f1(true, [pred], tile, n_boot=25, seed=3)[:, 0]
    ids = np.unique(tile)
    draws = np.random.default_rng(3).integers(0, len(ids), size=(25, len(ids)))
    rows_of = {t: np.flatnonzero(tile == t) for t in ids}
    for b in range(25):
        rows = np.concatenate([rows_of[ids[d]] for d in draws[b]])
        present = sorted(set(true[rows]))
        assert got[b] == pytest.approx(f1_score(true[rows], pred[rows], labels=present, average="macro",
                                                zero_division=0), abs=1e-12)


def test_kmer_window_features_equal_counting_by_hand(rng):
    seq = "".join(rng.choice(list("ACGTN"), size=60, p=[0.24, 0.24, 0.24, 0.24, 0.04]))
    k, width = 3, 9
    X = kmer_window_features(seq, k, width)
    assert X.shape == (60, 4 + 16 + 64)
    for i in range(60):
        win = seq[max(0, i - width // 2): i + width // 2 + 1]
        col = 0
        for j in range(1, k + 1):
            kmers = [win[a:a + j] for a in range(len(win) - j + 1) if "N" not in win[a:a + j]]
            expect = np.zeros(4 ** j)
            for m in kmers:
                expect[int("".join(str("ACGT".index(b)) for b in m), 4)] += 1 / len(kmers)
            np.testing.assert_allclose(X[i, col:col + 4 ** j], expect, atol=1e-6)
            col += 4 ** j


# ---------------------------------------------------------------- regions, segments, BED / GFF3

@pytest.mark.parametrize("head", ["logistic", "conv"])
def test_region_prediction_matches_heldout_and_ignores_chunking(fits, toy, comp, head):
    fit = fits[(head, 1)]
    h = fit.heldout.set_index("pos")
    for hd, column, model in ((fit.head, "model", comp), (fit.baseline, "k-mer", None)):
        pred = annotate_region(hd, model, toy, "chrD:1001-4000", chunk=700)
        assert (pred.start, pred.end, pred.region) == (1000, 4000, "chrD:1001-4000")
        assert np.array_equal(pred.predicted, h.loc[np.arange(1000, 4000), column].cat.codes.to_numpy())
        whole = annotate_region(hd, model, toy, "chrD:1001-4000", chunk=50_000)
        np.testing.assert_allclose(pred.probs, whole.probs, atol=1e-5)
        np.testing.assert_allclose(pred.probs.sum(axis=1), 1, atol=1e-5)
        assert np.array_equal(pred.true, toy.labels["chrD"][1000:4000])
    table = pred.table()
    assert list(table.columns[:4]) == ["chrom", "pos", "predicted", "true"] and table["pos"].iloc[0] == 1001


def test_segments_round_trip_through_pyranges(fits, toy, comp, tmp_path):
    pred = annotate_region(fits[("logistic", 1)].head, comp, toy, "chrD:2001-6000")
    segs = predicted_segments(pred)
    # the runs rebuild the per-base prediction; mean_prob by brute force
    rebuilt = np.concatenate([np.full(e - s, CLASS_CODE[c]) for s, e, c in zip(segs["start"], segs["end"], segs["class"])])
    assert np.array_equal(rebuilt, pred.predicted) and segs["start"].iloc[0] == 2000 and segs["end"].iloc[-1] == 6000
    assert (segs["class"].to_numpy()[1:] != segs["class"].to_numpy()[:-1]).all()
    r = segs.iloc[len(segs) // 2]
    j = pred.classes.index(r["class"])
    assert r["mean_prob"] == pytest.approx(pred.probs[r["start"] - 2000:r["end"] - 2000, j].mean(), rel=1e-6)
    (tmp_path / "s.bed").write_text(segments_bed(segs))
    (tmp_path / "s.gff3").write_text(segments_gff3(segs))
    bed = pr.read_bed(str(tmp_path / "s.bed")).df.sort_values("Start").reset_index(drop=True)
    gff = pr.read_gff3(str(tmp_path / "s.gff3")).df.sort_values("Start").reset_index(drop=True)
    for df in (bed, gff):
        assert (df["Chromosome"].astype(str) == "chrD").all()
        assert df["Start"].tolist() == segs["start"].tolist() and df["End"].tolist() == segs["end"].tolist()
        assert df["Name"].astype(str).tolist() == segs["class"].tolist()
    assert set(gff["Feature"]) <= {"CDS", "intergenic_region", "promoter", "tRNA"}
    np.testing.assert_allclose(bed["Score"], np.round(1000 * segs["mean_prob"]), atol=0)


# ---------------------------------------------------------------- errors

def test_user_mistakes_raise_with_a_fix(toy, comp, fits):
    with pytest.raises(AnnotateError, match="Unknown head 'forest'.*logistic, conv"):
        fit_annotator(comp, toy, AnnotateSettings(head="forest"))
    with pytest.raises(AnnotateError, match="Unknown region class.*exon.*choose from"):
        fit_annotator(comp, toy, AnnotateSettings(classes=["CDS", "exon"]))
    with pytest.raises(AnnotateError, match="at least 2"):
        fit_annotator(comp, toy, AnnotateSettings(classes=["CDS", "rRNA"], **SMALL))  # rRNA has no bases here
    with pytest.raises(AnnotateError, match="bases per class.*≥ 1.*0"):
        fit_annotator(comp, toy, AnnotateSettings(bases_per_class=0))
    with pytest.raises(AnnotateError, match="odd"):
        fit_annotator(comp, toy, AnnotateSettings(kmer_width=64))
    with pytest.raises(LayerError, match="layers 0..1"):
        fit_annotator(comp, toy, AnnotateSettings(layers=[5]))
    head = fits[("logistic", 1)].head
    with pytest.raises(RegionError, match="past the end of chrD"):
        annotate_region(head, comp, toy, "chrD:11001-12001")
    with pytest.raises(RegionError, match="chrNope"):
        annotate_region(head, comp, toy, "chrNope:1-10")
    with pytest.raises(AnnotateError, match="composition-lm.*pass that model"):
        annotate_region(head, None, toy, "chrD:1-100")


def test_settings_are_checked_when_built_and_normalised():
    """Options fail when the settings are built (before any model work), naming the option; one layer or a list of
    classes become tuples, so equal settings compare equal."""
    import dataclasses

    with pytest.raises(AnnotateError, match="batch size must be a whole number ≥ 1, got 0"):
        AnnotateSettings(batch_size=0)
    with pytest.raises(AnnotateError, match="Unknown prior 'flat'.*balanced, genome"):
        AnnotateSettings(prior="flat")
    with pytest.raises(AnnotateError, match="Layers must be one or more whole numbers"):
        AnnotateSettings(layers=())
    s = AnnotateSettings(layers=2, classes=["CDS", "intron"])
    assert s.layers == (2,) and s.classes == ("CDS", "intron")
    assert s == AnnotateSettings(layers=[2], classes=("CDS", "intron"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.window = 10  # type: ignore[misc]


def test_classes_option_restricts_training_and_scoring(toy, comp):
    fit = fit_annotator(comp, toy, AnnotateSettings(classes=["CDS", "intergenic"], layers=[1], **SMALL))
    assert fit.head.classes == ("CDS", "intergenic")
    assert set(fit.heldout["true"].astype(str)) == {"CDS", "intergenic"}
    assert set(fit.train_bases["class"].astype(str)) == {"CDS", "intergenic"}
    assert fit.macro_f1() > 0.9


# ---------------------------------------------------------------- plots and CLI

def test_plots_draw_the_result(fits, toy, comp):
    from glm_explore.plots.annotate import annotation_lanes, class_score_chart

    fit = fits[("logistic", 1)]
    pred = annotate_region(fit.head, comp, toy, "chrD:1-3000")
    base = annotate_region(fit.baseline, None, toy, "chrD:1-3000")
    fig = annotation_lanes(pred, data=toy, baseline=base)
    lines = [t for t in fig.data if t.mode == "lines" and t.fill is None]
    assert [t.name for t in lines] == list(pred.classes)
    np.testing.assert_allclose(lines[0].y, pred.probs[:, 0])
    assert [a.text for a in fig.layout.annotations][:3] == ["annotation", "predicted", "k-mer head"]
    legend = [t.name for t in fig.data if t.showlegend]
    assert sorted(legend) == sorted(set(legend))  # one legend entry per class
    long = annotation_lanes(pred, max_points=1000)
    assert len(long.data[-1].x) == 1000 and "mean per 3 bp" in long.layout.yaxis3.title.text
    bars = class_score_chart(fit)
    for tr in bars.data:
        want = fit.metrics[fit.metrics["features"] == tr.name.split(":")[0]]
        assert list(tr.x) == want["class"].tolist() and np.allclose(tr.y, want["f1"])


def test_cli_writes_its_files(tmp_path, monkeypatch, tiny_mlm):
    from glm_explore.cli import annotate as cli_annotate
    from glm_explore.cli import main

    monkeypatch.setattr(cli_annotate, "load_model_arg", lambda spec, **_: tiny_mlm)
    out = tmp_path / "out"
    rc = main(["annotate", "--genome", "chloroplast", "--model", "tiny", "--head", "conv", "--epochs", "2",
               "--window", "500", "--windows-per-class", "2", "--bases-per-class", "150",
               "--heldout-windows-per-class", "2", "--n-boot", "50", "--region", "NC_000932:130001-131500",
               "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["confusion.tsv", "metrics.tsv", "segments.bed", "segments.gff3",
                                                      "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["region"] == "NC_000932:130001-131500" and summary["head"] == "conv"
    assert summary["heldout"] == "NC_000932:123583-154478" and summary["train_overlap_bases"] == 0
    metrics = pd.read_csv(out / "metrics.tsv", sep="\t")
    conf = pd.read_csv(out / "confusion.tsv", sep="\t")
    for features, g in metrics.groupby("features"):
        c = conf[conf["features"] == features]
        tp = c[c["true"] == c["predicted"]].set_index("true")["n"]
        assert (g.set_index("class")["support"] == c.groupby("true")["n"].sum().loc[g["class"]]).all()
        assert summary["per_class_f1"][features] == pytest.approx(
            dict(zip(g["class"], (2 * tp.loc[g["class"]].to_numpy() / (g["support"] + g["predicted"])).round(4))),
            abs=1e-4)
    bed = pr.read_bed(str(out / "segments.bed")).df
    assert bed["Start"].min() == 130_000 and bed["End"].max() == 131_500 and (bed["End"] - bed["Start"]).sum() == 1500


def test_genome_prior_reweights_the_balanced_probabilities_by_bayes_rule(fits, toy, comp):
    balanced = fits[("logistic", 1)]
    genome = fit_annotator(comp, toy, AnnotateSettings(head="logistic", layers=[1], prior="genome", **SMALL))
    lab = np.concatenate([toy.labels[c] for c in ("chrA", "chrB", "chrC")])
    freq = np.array([(lab == CLASS_CODE[c]).mean() for c in balanced.head.classes])
    pb = annotate_region(balanced.head, comp, toy, "chrD:1-2000").probs
    pg = annotate_region(genome.head, comp, toy, "chrD:1-2000").probs
    expect = pb * freq / (pb * freq).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pg, expect, atol=1e-5)
    assert genome.params["prior"] == "genome" and not np.allclose(pg, pb, atol=1e-3)


def test_smoothing_averages_probabilities_over_a_centred_window(chloroplast, tiny_mlm):
    """``smooth=w``: each base's probabilities are the mean over the w bases centred on it (edges repeat the end
    value), computed here by hand from the unsmoothed prediction; segments follow the smoothed argmax."""
    import numpy as np

    from glm_explore.annotate import AnnotateError, AnnotateSettings, annotate_region, fit_annotator, predicted_segments

    fit = fit_annotator(tiny_mlm, chloroplast, AnnotateSettings(windows_per_class=2, bases_per_class=100,
                                                                heldout_windows_per_class=1, n_boot=10))
    raw = annotate_region(fit.head, tiny_mlm, chloroplast, "NC_000932:2001-2300")
    sm = annotate_region(fit.head, tiny_mlm, chloroplast, "NC_000932:2001-2300", smooth=5)
    padded = np.vstack([raw.probs[:1].repeat(2, 0), raw.probs, raw.probs[-1:].repeat(2, 0)]).astype(np.float64)
    want = np.stack([padded[i:i + 5].mean(axis=0) for i in range(len(raw.probs))])
    assert np.allclose(sm.probs, want, atol=1e-6)
    assert "smoothed over 5 bp" in sm.note
    assert len(predicted_segments(sm)) <= len(predicted_segments(raw))
    with pytest.raises(AnnotateError, match="smooth"):
        annotate_region(fit.head, tiny_mlm, chloroplast, "NC_000932:2001-2300", smooth=-1)
