"""Figures read back: every plot module gets a small result built by hand, and its figure's data must
equal the input arrays (or an independent hand computation: letter heights p·(2 − H), row-normalised
confusion, …) at 1-based x coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit
from scipy.stats import entropy

from glm_explore.io.annotation import CLASSES, Annotation
from glm_explore.io.datasets import GenomeData
from glm_explore.io.genome import Genome, Region
from glm_explore.motifs import JasparMotif
from glm_explore.plots import (
    attribution_tracks,
    class_counts_bar,
    confusion_heatmap,
    dependency_heatmap,
    embedding_scatter,
    layer_sweep_plot,
    logits_comparison,
    logits_tracks,
    motif_pair_logos,
    score_scatter,
    synonymy_comparison,
    variant_score_histogram,
    variant_tracks,
)
from glm_explore.plots.common import annotation_lane_traces, logo_traces, region_annotation
from glm_explore.results import Attributions, DependencyMap, EmbeddingShift, ISMResult, PositionLogits, VariantTracks
from glm_explore.variants import Variant

CODE = {c: i for i, c in enumerate(CLASSES)}


# ---------------------------------------------------------------------------------------------- helpers

def traces_on(fig, axis: str = "x") -> list:
    """The traces drawn on x axis ``axis`` ('x' = first subplot row/column, 'x2' the second, …)."""
    return [t for t in fig.data if (t.xaxis or "x") == axis]


def letter_boxes(traces) -> dict[tuple[str, int], tuple[float, float]]:
    """(letter, column x) → (y bottom, y top) of every letter polygon drawn by the logo traces."""
    out = {}
    for tr in traces:
        if tr.name not in {"A", "C", "G", "T"} or tr.fill != "toself":
            continue
        x, y = np.asarray(tr.x, dtype=float), np.asarray(tr.y, dtype=float)
        for seg in np.split(np.arange(len(x)), np.flatnonzero(np.isnan(x))):
            seg = seg[~np.isnan(x[seg])]
            if seg.size:
                col = x[seg].min() + 0.45  # every glyph starts at the left edge of its 0.9-wide box
                assert col == pytest.approx(round(col), abs=1e-4), "a letter is not on its column"
                assert x[seg].max() <= round(col) + 0.45 + 1e-4
                out[(tr.name, int(round(col)))] = (float(y[seg].min()), float(y[seg].max()))
    return out


def letter_heights(traces, columns) -> np.ndarray:
    """(4, len(columns)) heights of the drawn letters (0 where a letter is not drawn)."""
    boxes = letter_boxes(traces)
    assert {c for _, c in boxes} <= set(columns), "a letter is drawn outside the expected columns"
    out = np.zeros((4, len(columns)))
    for (letter, col), (lo, hi) in boxes.items():
        out["ACGT".index(letter), list(columns).index(col)] = hi - lo
    return out


def hand_information_heights(p: np.ndarray) -> np.ndarray:
    """(4, L) p · (2 − H) with H the Shannon entropy in bits (scipy; 0 · log 0 = 0)."""
    return p * (2.0 - entropy(p, base=2, axis=0))[None, :]


def drawn(h: np.ndarray) -> np.ndarray:
    """What a logo draws of heights ``h``: letters under 1e-3 are left out."""
    return np.where(np.abs(h) > 1e-3, h, 0.0)


def boxes_of(trace) -> list[tuple[float, float, float, float]]:
    """(x0, x1, y0, y1) of each rectangle in a filled 'lines' trace (segments separated by None)."""
    x = [np.nan if v is None else v for v in trace.x]
    y = [np.nan if v is None else v for v in trace.y]
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    out = []
    for seg in np.split(np.arange(len(x)), np.flatnonzero(np.isnan(x))):
        seg = seg[~np.isnan(x[seg])]
        if seg.size:
            out.append((x[seg].min(), x[seg].max(), y[seg].min(), y[seg].max()))
    return out


@pytest.fixture()
def lp_rng():
    return np.random.default_rng(7)


def random_log_probs(rng, n: int, alpha: float = 0.4) -> np.ndarray:
    """(4, n) float32 log-probabilities, columns Dirichlet(alpha) (small alpha: peaked columns)."""
    return np.log(rng.dirichlet(np.ones(4) * alpha, size=n).T).astype(np.float32)


@pytest.fixture(scope="module")
def hand_data(tmp_path_factory) -> GenomeData:
    """A 40 bp genome 'chrI' with hand-set classes and three genes (one on another contig, one repeated)."""
    root = tmp_path_factory.mktemp("genome")
    (root / "g.fa").write_text(">chrI\n" + "ACGT" * 10 + "\n>chrII\n" + "A" * 20 + "\n")
    codes = np.array([CODE["CDS"]] * 10 + [CODE["intron"]] * 5 + [CODE["intergenic"]] * 25, dtype=np.uint8)
    genes = pd.DataFrame({
        "Chromosome": ["chrI", "chrI", "chrI", "chrI", "chrII"],
        "Start": [5, 5, 18, 35, 0], "End": [12, 12, 40, 39, 10], "Strand": ["+", "+", "-", ".", "+"],
        "Feature": ["gene"] * 5, "Name": ["G1", "G1", "G2", "G3", "OTHER"]})
    return GenomeData(name="hand", description="", genome=Genome(root / "g.fa"),
                      annotation=Annotation(features=genes, source="hand"),
                      labels={"chrI": codes, "chrII": np.full(20, CODE["intergenic"], dtype=np.uint8)})


# ---------------------------------------------------------------------------------------------- common

def test_logo_traces_stack_negative_heights_below_axis():
    heights = np.array([[0.5], [-0.3], [0.2], [-0.1]])  # A, C, G, T at one column
    boxes = letter_boxes(logo_traces(heights, start=10))
    # positive: G (0.2) nearest the axis, A (0.5) on top of it; negative: T nearest, C below it
    assert boxes[("G", 10)] == pytest.approx((0.0, 0.2))
    assert boxes[("A", 10)] == pytest.approx((0.2, 0.7))
    assert boxes[("T", 10)] == pytest.approx((-0.1, 0.0))
    assert boxes[("C", 10)] == pytest.approx((-0.4, -0.1))
    x = np.asarray(logo_traces(heights, start=10)[0].x, dtype=float)
    assert 9.5 <= np.nanmin(x) and np.nanmax(x) <= 10.5


def test_logo_traces_columns_and_hover_at_1_based_positions():
    h = np.array([[0.1, 0.0, 1.2], [0.3, 0.5, 0.0], [0.2, 0.0005, 0.4], [0.0, 0.2, 0.1]])
    traces = logo_traces(h, start=101)
    boxes = letter_boxes(traces)
    # column 2 stacks G (0.0005: too short to draw, its space kept), T (0.2), then C (0.5)
    assert boxes[("T", 102)] == pytest.approx((0.0005, 0.2005)) and boxes[("C", 102)] == pytest.approx((0.2005, 0.7005))
    assert ("G", 102) not in boxes
    np.testing.assert_allclose(letter_heights(traces, [101, 102, 103]), drawn(h), atol=1e-6)
    hover = traces[-1]
    assert list(hover.x) == [101, 102, 103]
    np.testing.assert_allclose(np.asarray(hover.customdata, dtype=float), h.T)
    np.testing.assert_allclose(hover.y, h.sum(axis=0))


def test_region_annotation_reads_classes_and_overlapping_genes(hand_data):
    classes, genes = region_annotation(hand_data, "I", 3, 20)  # alias of chrI; 1-based 4..20
    np.testing.assert_array_equal(classes, hand_data.labels["chrI"][3:20])
    assert sorted(genes["Name"]) == ["G1", "G2"]  # G1 once (deduplicated), G3 and chrII's gene outside


def test_annotation_lane_boxes_in_1_based_coordinates(hand_data):
    traces = {t.name: t for t in annotation_lane_traces(hand_data, "chrI", 3, 20) if t.mode == "lines"}
    # 0-based [3, 10) CDS = 1-based 4..10, drawn from 3.5 to 10.5; [10, 15) intron; [15, 20) intergenic
    assert boxes_of(traces["CDS"]) == [(3.5, 10.5, 0, 1)]
    assert boxes_of(traces["intron"]) == [(10.5, 15.5, 0, 1)]
    assert boxes_of(traces["intergenic"]) == [(15.5, 20.5, 0, 1)]
    # G1 0-based [5, 12) = 1-based 6..12; G2 [18, 40) clipped to the span's end (1-based 20)
    assert sorted(boxes_of(traces["genes"])) == [(5.5, 12.5, 1.3, 2), (18.5, 20.5, 1.3, 2)]
    label = next(t for t in annotation_lane_traces(hand_data, "chrI", 3, 20) if t.mode == "text")
    assert sorted(label.text) == ["G1 →", "G2 ←"]
    assert sorted(label.x) == [9.0, 19.5]


# ---------------------------------------------------------------------------------------------- genome

def test_class_counts_bar_orders_classes_and_drops_empty():
    counts = pd.Series({"intergenic": 600, "CDS": 300, "tRNA": 0, "intron": 100})
    bar = class_counts_bar(counts).data[0]
    assert list(bar.y) == ["CDS", "intron", "intergenic"]
    assert list(bar.x) == [300, 100, 600]
    assert list(bar.text) == ["30.0%", "10.0%", "60.0%"]


# ---------------------------------------------------------------------------------------------- logits

def hand_logits(rng, seq: str, *, chrom: str | None = None, start: int = 0, model: str = "m") -> PositionLogits:
    return PositionLogits(log_probs=random_log_probs(rng, len(seq)), seq=seq, model=model, objective="mlm",
                          mode="exact", chrom=chrom, start=start)


@pytest.mark.parametrize("logo", ["information", "probability"])
def test_logits_tracks_letters_bars_and_entropy(lp_rng, logo):
    res = hand_logits(lp_rng, "ACGTTGCANA", start=100)
    p = np.exp(res.log_probs.astype(np.float64))
    fig = logits_tracks(res, logo=logo)
    cols = list(range(101, 111))  # 1-based
    expected = hand_information_heights(p) if logo == "information" else p
    np.testing.assert_allclose(letter_heights(traces_on(fig, "x"), cols), drawn(expected), atol=2e-5)
    bars = next(t for t in fig.data if t.name == "P(ref)")
    assert list(bars.x) == cols
    ref_p = np.array([p["ACGT".index(b), i] if b in "ACGT" else np.nan for i, b in enumerate(res.seq)])
    np.testing.assert_allclose(np.asarray(bars.y, dtype=float), ref_p, rtol=1e-6)
    red = np.asarray(bars.marker.color) == "#d62728"
    np.testing.assert_array_equal(red, (p.argmax(axis=0) != ["ACGT".find(b) for b in res.seq])
                                  & (np.array(list(res.seq)) != "N"))
    ent = next(t for t in fig.data if t.name == "entropy")
    np.testing.assert_allclose(ent.y, entropy(p, base=2, axis=0), atol=1e-6)
    top = 1.0 if logo == "probability" else min(2.0, max(0.25, 1.08 * (2 - entropy(p, base=2, axis=0)).max()))
    assert fig.layout.yaxis.range == pytest.approx((0, top))
    assert fig.layout.xaxis3.title.text == "position (1-based)"


def test_logits_tracks_annotation_lane(hand_data, lp_rng):
    res = hand_logits(lp_rng, hand_data.genome.fetch("chrI", 8, 16), chrom="chrI", start=8)  # 1-based 9..16
    fig = logits_tracks(res, data=hand_data)
    lane = {t.name: boxes_of(t) for t in traces_on(fig, "x4") if t.mode == "lines"}
    assert lane["CDS"] == [(8.5, 10.5, 0, 1)] and lane["intron"] == [(10.5, 15.5, 0, 1)]
    assert lane["intergenic"] == [(15.5, 16.5, 0, 1)] and lane["genes"] == [(8.5, 12.5, 1.3, 2)]
    assert fig.layout.yaxis4.visible is False


def test_logits_comparison_rows_share_one_scale(lp_rng):
    a, b = hand_logits(lp_rng, "ACGTACGTAC", start=9, model="a"), hand_logits(lp_rng, "ACGTACGTAC", start=9, model="b")
    fig = logits_comparison({"a": a, "b": b})
    for axis, res in (("x", a), ("x2", b)):
        p = np.exp(res.log_probs.astype(np.float64))
        np.testing.assert_allclose(letter_heights(traces_on(fig, axis), range(10, 20)),
                                   drawn(hand_information_heights(p)), atol=2e-5)
    assert fig.layout.yaxis.range == fig.layout.yaxis2.range
    lines = [t for t in traces_on(fig, "x3") if t.mode == "lines"]
    for line, res in zip(lines, (a, b)):
        ref_lp = np.array([res.log_probs["ACGT".index(c), i] for i, c in enumerate(res.seq)], dtype=np.float64)
        assert list(line.x) == list(range(10, 20))
        np.testing.assert_allclose(line.y, np.exp(ref_lp), rtol=1e-6)
        assert f"Σ log2 P(ref) = {ref_lp.sum() / np.log(2):.1f} bits" in line.name


def test_dependency_heatmap_axes_1_based():
    m = np.array([[np.nan, 0.5, 0.1], [0.2, np.nan, 0.3], [0.0, 0.9, np.nan]], dtype=np.float32)
    dep = DependencyMap(matrix=m, seq="ACG", model="m", objective="mlm", chrom="chrI", start=10)
    heat = dependency_heatmap(dep, zmax=0.8).data[0]
    assert list(heat.x) == [11, 12, 13] and list(heat.y) == [11, 12, 13]
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float), m.astype(float))
    assert heat.text[0][1] == "A→C" and heat.zmax == 0.8


# ---------------------------------------------------------------------------------------------- embeddings

def window_frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n) * 1.5, "y": -np.arange(n, dtype=float),
                         "region": [f"chrI:{10 * i + 1}-{10 * i + 10}" for i in range(n)],
                         "class": ["intron", "CDS", "CDS", "intergenic", "intron", "CDS"][:n],
                         "split": ["train", "test"] * (n // 2), "gc": np.linspace(0.2, 0.7, n)})


def test_embedding_scatter_one_trace_per_class_rows_map_back():
    frame = window_frame()
    fig = embedding_scatter(frame)
    assert [t.name for t in fig.data] == ["CDS (3)", "intron (2)", "intergenic (1)"]  # CLASSES order
    for t in fig.data:
        rows = np.asarray(t.customdata)[:, 0].astype(int)
        np.testing.assert_allclose(t.x, frame["x"].to_numpy()[rows])
        np.testing.assert_allclose(t.y, frame["y"].to_numpy()[rows])
        assert set(frame["class"].iloc[rows]) == {t.name.split()[0]}
    numeric = embedding_scatter(frame, color="gc").data
    assert len(numeric) == 1
    np.testing.assert_allclose(numeric[0].marker.color, frame["gc"])


def test_confusion_heatmap_row_normalised():
    conf = pd.DataFrame([[3, 1], [0, 0]], index=["CDS", "intron"], columns=["CDS", "intron"])
    heat = confusion_heatmap(conf).data[0]
    np.testing.assert_allclose(heat.z, [[0.75, 0.25], [0.0, 0.0]])
    np.testing.assert_array_equal(heat.text, [[3, 1], [0, 0]])


def test_layer_sweep_plot_values_and_baseline():
    sweep = pd.DataFrame({"features": ["model", "model", "3-mer"], "layer": [0, 1, np.nan],
                          "macro_f1": [0.4, 0.6, 0.5], "lo": [0.3, 0.55, 0.45], "hi": [0.5, 0.7, 0.52]})
    fig = layer_sweep_plot(sweep)
    line = fig.data[0]
    assert list(line.x) == [0, 1]
    np.testing.assert_allclose(line.y, [0.4, 0.6])
    np.testing.assert_allclose(line.error_y.array, [0.1, 0.1])
    np.testing.assert_allclose(line.error_y.arrayminus, [0.1, 0.05])
    assert [s.y0 for s in fig.layout.shapes] == [0.5]


# ---------------------------------------------------------------------------------------------- variants

def scores_table() -> pd.DataFrame:
    return pd.DataFrame({"region_class": ["CDS", "CDS", "intron", "CDS", "intron", "intergenic"],
                         "llr": [-1.0, -3.0, 0.5, np.nan, 0.25, 0.0],
                         "synonymy": ["synonymous", "nonsynonymous", None, "nonsynonymous", None, None],
                         "CODON_POS": [3.0, 1.0, np.nan, 2.0, np.nan, np.nan]})


def test_variant_score_histogram_groups_scored_rows():
    fig = variant_score_histogram(scores_table())
    by = {t.name.split()[0]: t for t in fig.data}
    assert list(by) == ["CDS", "intron", "intergenic"]
    np.testing.assert_allclose(by["CDS"].x, [-1.0, -3.0])  # the NaN row is left out
    assert by["CDS"].name == "CDS (n=2, mean -2.00)"
    np.testing.assert_allclose(by["intron"].x, [0.5, 0.25])


def test_synonymy_comparison_overall_and_per_codon_position():
    fig = synonymy_comparison(scores_table())
    syn, non = fig.data
    assert syn.name == "synonymous (n=1)" and non.name == "nonsynonymous (n=1)"
    assert list(zip(syn.x, syn.y)) == [("all CDS", -1.0), ("codon pos 3", -1.0)]
    assert list(zip(non.x, non.y)) == [("all CDS", -3.0), ("codon pos 1", -3.0)]


def hand_variant_tracks(rng):
    ref_seq = "ACGTACGTAC"
    alt_seq = ref_seq[:4] + "G" + ref_seq[5:]  # 1-based 205: T>G
    kw = dict(model="m", objective="mlm", mode="exact", chrom="chrI", start=200)
    # alpha = 2 keeps p well inside [1e-6, 1 − 1e-6], where log_odds clips
    ref = PositionLogits(log_probs=random_log_probs(rng, 10, alpha=2.0), seq=ref_seq, **kw)
    alt = PositionLogits(log_probs=random_log_probs(rng, 10, alpha=2.0), seq=alt_seq, **kw)
    tracks = VariantTracks(Variant("chrI", 205, "T", "G"), ref, alt, offset=4, llr=float("nan"))
    shift = EmbeddingShift(cosine_distance=0.1, euclidean=1.0, local=np.arange(14, dtype=float),
                           region=Region("chrI", 198, 212), offset=6, layer=2, pooling="window-mean")
    return tracks, shift


def test_variant_tracks_logos_delta_and_embedding(lp_rng):
    tracks, shift = hand_variant_tracks(lp_rng)
    fig = variant_tracks(tracks, shift)
    cols = list(range(201, 211))
    for axis, pl in (("x", tracks.ref), ("x2", tracks.alt)):
        p = np.exp(pl.log_probs.astype(np.float64))
        np.testing.assert_allclose(letter_heights(traces_on(fig, axis), cols), drawn(hand_information_heights(p)),
                                   atol=2e-5)
    p_ref, p_alt = np.exp(tracks.ref.log_probs.astype(np.float64)), np.exp(tracks.alt.log_probs.astype(np.float64))
    bars = next(t for t in fig.data if t.name == "max |Δ log-odds|")
    assert list(bars.x) == cols
    np.testing.assert_allclose(bars.y, np.abs(logit(p_alt) - logit(p_ref)).max(axis=0), rtol=1e-6)
    line = next(t for t in fig.data if t.name == "Δ log P(ref base)")
    k = ["ACGT".index(b) for b in tracks.ref.seq]
    np.testing.assert_allclose(line.y, np.log(p_alt[k, range(10)]) - np.log(p_ref[k, range(10)]), atol=1e-9)
    emb = next(t for t in fig.data if t.name == "‖Δh‖")
    assert list(emb.x) == cols  # window 1-based 199..212 cut to the shown 201..210
    np.testing.assert_allclose(emb.y, np.arange(2, 12))
    assert {s.x0 for s in fig.layout.shapes} == {205}


# ---------------------------------------------------------------------------------------------- attribution

def hand_attributions(seq: str = "ACGTAC", start: int = 50) -> Attributions:
    values = np.zeros((4, len(seq)))
    values[["ACGT".index(b) for b in seq], range(len(seq))] = [0.5, -0.25, 1.0, 0.0, -0.75, 0.125]
    return Attributions(values=values, hypothetical=values, seq=seq, method="saliency", target="t", model="m",
                        target_value=1.0, chrom="chrI", start=start)


def hand_ism(seq: str = "ACGTAC", start: int = 50) -> ISMResult:
    delta = np.arange(4 * len(seq), dtype=float).reshape(4, len(seq)) / 10 - 1
    delta[["ACGT".index(b) for b in seq], range(len(seq))] = 0.0
    delta[2, 3] = np.nan
    return ISMResult(delta=delta, seq=seq, target="t", model="m", reference_value=0.0, chrom="chrI", start=start)


def test_attribution_tracks_logo_ism_hits_and_seqlets():
    attr, ism = hand_attributions(), hand_ism()
    hits = pd.DataFrame({"pos_start": [51, 54], "pos_end": [53, 56], "strand": ["+", "-"], "p_value": [1e-5, 2e-5],
                         "matched": ["ACG", "TAC"], "motif": ["MA0001.1 X"] * 2})
    seqlets = pd.DataFrame({"pos_start": [52], "pos_end": [54]})
    fig = attribution_tracks(attr, ism=ism, hits=hits, seqlets=seqlets)
    cols = list(range(51, 57))
    np.testing.assert_allclose(letter_heights(traces_on(fig, "x"), cols), np.abs(drawn(attr.values)), atol=1e-6)
    boxes = letter_boxes(traces_on(fig, "x"))  # negative letters below the axis, positive above
    assert boxes[("A", 55)] == pytest.approx((-0.75, 0.0)) and boxes[("G", 53)] == pytest.approx((0.0, 1.0))
    pad = 0.05 * 1.75
    assert fig.layout.yaxis.range == pytest.approx((-0.75 - pad, 1.0 + pad))
    (seqlet_box,) = boxes_of(next(t for t in fig.data if t.name == "seqlets"))
    assert seqlet_box == pytest.approx((51.5, 54.5, -0.75 - pad, 1.0 + pad))
    heat = next(t for t in fig.data if t.type == "heatmap")
    assert list(heat.x) == cols and list(heat.y) == list("ACGT")
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float), ism.delta)
    assert heat.text[1][0] == "A→C"
    box = next(t for t in traces_on(fig, "x3") if t.mode == "lines")
    np.testing.assert_allclose(boxes_of(box), [(50.5, 53.5, 0.65, 1.35), (53.5, 56.5, -0.35, 0.35)])  # + top, − bottom


def test_attribution_tracks_ism_only_logo_and_annotation(hand_data):
    ism = hand_ism(seq=hand_data.genome.fetch("chrI", 8, 14), start=8)  # 1-based 9..14
    fig = attribution_tracks(ism, data=hand_data)
    d = ism.delta
    importance = -np.nansum(d, axis=0) / 3  # −mean Δ over the three substitutions, at the reference letter
    expected = np.zeros((4, 6))
    expected[["ACGT".index(b) for b in ism.seq], range(6)] = importance
    np.testing.assert_allclose(letter_heights(traces_on(fig, "x"), range(9, 15)), np.abs(drawn(expected)), atol=1e-5)
    lane = {t.name: boxes_of(t) for t in traces_on(fig, "x2") if t.mode == "lines"}
    assert lane["CDS"] == [(8.5, 10.5, 0, 1)] and lane["intron"] == [(10.5, 14.5, 0, 1)]


# ---------------------------------------------------------------------------------------------- motifs

def test_motif_pair_logos_heights():
    pwm = np.array([[1.0, 0.25, 0.5], [0.0, 0.25, 0.5], [0.0, 0.25, 0.0], [0.0, 0.25, 0.0]])
    motif = JasparMotif(matrix_id="MA9999.1", name="X", pwm=pwm)
    seqlet = np.array([[0.3, 0.0], [0.0, -0.2], [0.0, 0.0], [0.0, 0.0]])
    fig = motif_pair_logos(seqlet, motif)
    np.testing.assert_allclose(letter_heights(traces_on(fig, "x"), [1, 2]), np.abs(seqlet), atol=1e-6)
    # by hand: column 1 certain (2 bits on A), column 2 uniform (nothing), column 3 two bases at 1/2 (1 bit)
    expected = np.array([[2.0, 0, 0.5], [0, 0, 0.5], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(hand_information_heights(pwm), expected, atol=1e-12)
    np.testing.assert_allclose(letter_heights(traces_on(fig, "x2"), [1, 2, 3]), expected, atol=1e-6)


# ---------------------------------------------------------------------------------------------- compare

def test_score_scatter_points_diagonal_and_stats():
    scores = pd.DataFrame({"chrom": ["c"] * 4, "pos": [1, 2, 3, 4], "ref": list("AAAA"), "alt": list("CGTC"),
                           "llr a": [-1.0, 0.5, np.nan, 2.0], "llr b": [-0.5, 0.25, 1.0, 3.0],
                           "region_class": ["intron", "CDS", "CDS", "CDS"]})
    fig = score_scatter(scores, "llr a", "llr b", stats={"pearson": 0.9, "spearman": 1.0, "n": 3})
    cds, intron, diag = fig.data
    assert cds.name == "CDS (n=2)" and intron.name == "intron (n=1)"
    np.testing.assert_allclose(cds.x, [0.5, 2.0])
    np.testing.assert_allclose(cds.y, [0.25, 3.0])
    assert list(cds.text) == ["c:2 A>G", "c:4 A>C"]
    assert list(diag.x) == [-1.0, 3.0] and list(diag.y) == [-1.0, 3.0]
    assert "Pearson r = 0.900, Spearman ρ = 1.000 (n = 3)" in fig.layout.title.text
