"""Indels, MNVs and small SVs: normalisation, scores against whole-window brute force / closed forms, z-scores,
the length bias, VCF streaming and Parquet.

Independent references: ``pysam.bcftools.norm`` for left-alignment; the oracle models of tests/oracles.py
(MarkovCLM: log P(x) = Σ log T[context], NeighbourMLM: masked P from the two neighbours) for closed-form
scores; hand-built windows fed to the model's own ``log_probs`` for the default models; scipy / numpy fits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from oracles import MarkovCLM, NeighbourMLM

from glm_explore import variants as va
from glm_explore.sequence import reverse_complement
from glm_explore.variants.indel_scores import clm_windows, event_flank, mlm_windows
from glm_explore.variants.indels import normalize, vcf_record
from glm_explore.variants.length_bias import INTERGENIC

IDX = {b: i for i, b in enumerate("ACGT")}
COMP = str.maketrans("ACGT", "TGCA")


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: torch on one thread per test


@pytest.fixture(scope="module")
def toys():
    rng = np.random.default_rng(3)
    return MarkovCLM(2, rng.random((16, 4)) + 0.05), NeighbourMLM(rng.random((16, 4)) + 0.05)


@pytest.fixture(scope="module")
def cp(chloroplast):
    g = chloroplast.genome
    return chloroplast, g.chroms[0], g.fetch(g.chroms[0])


def _markov_ll(m: MarkovCLM, seq: str) -> float:
    """Σ_t log P(x_t | x_<t) by hand from the transition table (first k bases uniform)."""
    total = 0.0
    for t, b in enumerate(seq):
        if t < m.k:
            total += np.log(0.25)
            continue
        ctx = 0
        for c in seq[t - m.k:t]:
            ctx = ctx * 4 + IDX[c]
        total += np.log(m.table[ctx, IDX[b]])
    return total


def _neighbour_pll(m: NeighbourMLM, seq: str, lo: int, hi: int) -> float:
    """Σ_p log P(x_p | x_-p) by hand: table[4·left + right] with both neighbours present, else 1/4."""
    total = 0.0
    for p in range(lo, hi):
        if 0 < p < len(seq) - 1:
            total += np.log(m.table[4 * IDX[seq[p - 1]] + IDX[seq[p + 1]], IDX[seq[p]]])
        else:
            total += np.log(0.25)
    return total


def _repeat(seq: str, unit: str, start: int = 5000) -> int:
    """0-based start of the first run of ≥ 3 copies of ``unit`` after ``start``."""
    return seq.index(unit * 3, start)


# ------------------------------------------------------------------------------------------ normalisation
def test_representations_of_one_indel_normalise_and_score_identically(cp, toys):
    data, c, s = cp
    p = _repeat(s, "AT")  # a dinucleotide repeat: deleting one AT anywhere in it is the same event
    reps = []
    for k in range(0, 4, 2):  # the unit deleted at two places in the repeat, VCF-padded
        q = p + k
        reps.append((c, q, s[q - 1:q + 2], s[q - 1]))
    reps.append((c, p + 2, s[p + 1:p + 6], s[p + 1] + s[p + 4:p + 6]))  # with extra shared context on the right
    reps.append((c, p - 3, s[p - 4:p + 4], s[p - 4:p] + s[p + 2:p + 4]))  # and on the left
    events = {va.check_event(data.genome, *r)[1] for r in reps}
    assert len(events) == 1
    (ev,) = events
    assert ev.kind == "DEL" and ev.deleted == 2 and s[ev.start - 1:ev.start + 1] != s[ev.start + 1:ev.start + 3]
    df = pd.DataFrame(reps, columns=["chrom", "pos", "ref", "alt"])
    for model in toys:
        out = va.score_events(model, data, df)
        assert (out["status"] == "ok").all()
        assert out["llr"].nunique() == 1 and out["llr_mean"].nunique() == 1
        assert out["norm_pos"].nunique() == 1


def test_left_alignment_matches_bcftools_norm(tmp_path, cp, rng):
    """Random un-normalised indels in repeats: our (POS, REF, ALT) equals ``bcftools norm -f`` (via pysam)."""
    import pysam.bcftools

    from glm_explore.io.datasets import DATA_DIR

    data, c, s = cp
    rows = []
    for unit in ("A", "T", "AT", "TA", "AAT", "TTC"):
        p = _repeat(s, unit, 1000)
        shift = int(rng.integers(0, 3)) * len(unit)
        q = p + shift + len(unit)  # 0-based first base after one unit; the record is padded by s[q-1]
        rows.append((q, s[q - 1:q + len(unit)], s[q - 1]))  # deletion of one unit, placed right of leftmost
        rows.append((q, s[q - 1], s[q - 1] + unit))  # insertion of one unit
    rows.append((2001, s[2000:2006], s[2000] + s[2003:2006]))  # extra right context
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={c},length={len(s)}>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{pos}\t.\t{r}\t{a}\t.\t.\t." for pos, r, a in sorted(rows)]
    vcf = tmp_path / "in.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    text = pysam.bcftools.norm("-f", str(DATA_DIR / "chloroplast" / "genome.fa.gz"), str(vcf))
    records = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    theirs = sorted((int(f[1]), f[3], f[4]) for f in records)
    ours = sorted(vcf_record(s, normalize(s, c, pos - 1, r, a)) for pos, r, a in rows)
    assert ours == theirs
    assert any(o != (pos, r, a) for o, (pos, r, a) in zip(ours, sorted(rows)))  # some records did move


def test_symbolic_alleles_equal_their_sequence_resolved_events(cp, toys):
    data, c, s = cp
    p = 3000  # 1-based POS of the padding base
    seg = s[p:p + 12]
    rows = [(c, p, s[p - 1], "<DEL>", p + 12), (c, p, s[p - 1] + seg, s[p - 1], None),
            (c, p, s[p - 1], "<DUP>", p + 12), (c, p + 12, s[p + 11], s[p + 11] + seg, None),
            (c, p, s[p - 1], "<INV>", p + 12), (c, p + 1, seg, reverse_complement(seg), None)]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "end"])
    for model in toys:
        out = va.score_events(model, data, df)
        assert (out["status"] == "ok").all(), out["status"].tolist()
        llr = out["llr"].to_numpy()
        np.testing.assert_allclose(llr[0::2], llr[1::2], atol=1e-9)
    assert list(out["kind"]) == ["DEL", "DEL", "DUP", "INS", "INV", "MNV"]


def test_skip_reasons(cp, toys):
    data, c, s = cp
    wrong = "A" if s[99] != "A" else "C"
    rows = [(c, 100, s[99:102], s[99], None, "ok"),
            (c, 100, wrong + s[100:102], wrong, None, va.REASON_REF),  # REF mismatch of a deletion
            (c, 100, s[99], "<DEL>", None, va.REASON_SV_END),
            (c, 100, s[99], "<DEL>", 100 + 2000, va.REASON_SV_SIZE),
            (c, 100, s[99], s[99] + "A" * 1500, None, va.REASON_SV_SIZE),
            (c, 100, s[99], "<CNV>", 150, va.REASON_SYMBOLIC),
            (c, 100, s[99], f"{s[99]}[{c}:5000[", None, va.REASON_BND),
            (c, 100, s[99], "<INS>", None, va.REASON_INS_SEQ),
            (c, 100, s[99:101], s[99] + "N", None, va.REASON_NON_ACGT),
            (c, len(s), s[-1] + "A", s[-1], None, va.REASON_RANGE),
            ("chrNope", 100, "AC", "A", None, va.REASON_CONTIG),
            (c, 100, s[99:101], s[99:101], None, va.REASON_SAME)]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "end", "expect"])
    out = va.score_events(toys[0], data, df)
    assert list(out["status"]) == list(df["expect"])
    assert out["llr"].notna().tolist() == [e == "ok" for e in df["expect"]]
    with pytest.raises(va.VariantError, match="REF mismatch"):
        va.checked_event(data, c, 100, wrong + s[100:102], wrong)


# ------------------------------------------------------------------------------------------ scores vs brute force
@pytest.mark.parametrize("rc", [False, True])
def test_clm_length_matched_delta_equals_closed_form(cp, toys, rc):
    data, c, s = cp
    clm = toys[0]
    F = event_flank(clm)
    assert F == 2
    rows = [(c, 4000, s[3999:4006], s[3999]), (c, 4100, s[4099], s[4099] + "GATTACA"),
            (c, 4200, s[4199:4203], s[4199:4201].translate(COMP))]
    out = va.score_events(clm, data, pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"]), rc=rc)
    assert list(out["kind"]) == ["DEL", "INS", "DELINS"]
    for row, got in zip(rows, out.itertuples()):
        ev = va.check_event(data.genome, *row)[1]
        p, a, d, i = ev.start, ev.ins, ev.deleted, ev.inserted
        m = max(d, i)
        ref_w = s[p - F:p + d + F + m - d]  # same left flank; the shorter allele's window reaches further right
        alt_w = s[p - F:p] + a + s[p + d:p + d + F + m - i]
        assert len(ref_w) == len(alt_w) == F + m + F
        want = _markov_ll(clm, alt_w) - _markov_ll(clm, ref_w)
        if rc:
            ref_r = s[p - F - (m - d):p + d + F]  # mirror image: extended on the genome's left
            alt_r = s[p - F - (m - i):p] + a + s[p + d:p + d + F]
            want = (want + _markov_ll(clm, reverse_complement(alt_r)) - _markov_ll(clm, reverse_complement(ref_r))) / 2
        assert got.llr == pytest.approx(want, abs=1e-9)
        assert got.llr_mean == pytest.approx(want / (2 * F + m), abs=1e-9)
        assert got.n_ref == got.n_alt == 2 * F + m


def test_mlm_span_pll_equals_closed_form_and_whole_window_brute_force(cp, toys):
    data, c, s = cp
    mlm = toys[1]
    rows = [(c, 5000, s[4999:5004], s[4999]), (c, 5100, s[5099], s[5099] + "TTGCA"),
            (c, 5200, s[5199:5202], s[5199:5202].translate(COMP))]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    span = va.score_events(mlm, data, df, rc=False)
    brute = va.score_events(mlm, data, df, rc=False, exact=True)
    assert list(span["kind"]) == ["DEL", "INS", "MNV"]
    for row, got in zip(rows, span.itertuples()):
        ev = va.check_event(data.genome, *row)[1]
        p, a, d, i = ev.start, ev.ins, ev.deleted, ev.inserted
        hap_ref = s[p - 50:p + d + 50]
        hap_alt = s[p - 50:p] + a + s[p + d:p + d + 50]
        # the whole 100-bp haplotypes by hand: only positions next to the event can change
        want = _neighbour_pll(mlm, hap_alt, 0, len(hap_alt)) - _neighbour_pll(mlm, hap_ref, 0, len(hap_ref))
        assert got.llr == pytest.approx(want, abs=1e-6)
        assert got.n_ref == d + 2 and got.n_alt == i + 2  # the span: the event ± R (R = 1)
        assert got.llr_mean == pytest.approx(got.score_alt / got.n_alt - got.score_ref / got.n_ref)
    np.testing.assert_allclose(brute["llr"], span["llr"], atol=1e-6)
    assert (brute["n_ref"] > span["n_ref"]).all()  # the brute force really summed whole windows


def test_default_clm_delta_equals_whole_window_log_probs(yeast, default_clm):
    g = yeast.genome
    s = g.fetch("chrI", 0, 80_000)
    p = 70_000  # a 3-bp deletion and a 4-bp insertion at chrI:70001
    ev_d = va.check_event(g, "chrI", p, s[p - 1:p + 3], s[p - 1])[1]
    ev_i = va.check_event(g, "chrI", p, s[p - 1], s[p - 1] + "ACGT")[1]
    got = va.event_scores(default_clm, va.ChromCache(g), [ev_d, ev_i], rc=False)
    F = event_flank(default_clm)
    for k, ev in enumerate((ev_d, ev_i)):
        ref_w, alt_w = clm_windows(s, len(s) + 10**6, ev, F)
        lp = default_clm.log_probs([ref_w, alt_w])  # one unpadded forward, summed by hand
        ll = [sum(lp[j][IDX[b], t] for t, b in enumerate(w)) for j, w in enumerate((ref_w, alt_w))]
        assert len(ref_w) == len(alt_w) == 2 * F + ev.length
        assert got["llr"][k] == pytest.approx(ll[1] - ll[0], abs=2e-3)


def test_default_mlm_span_pll_equals_whole_window_brute_force(yeast, default_mlm):
    """The exact packed masked marginals over the span give the same Δ as masking every base of both windows."""
    g = yeast.genome
    s = g.fetch("chrI", 70_000, 70_010)
    ev = va.check_event(g, "chrI", 70_001, s[:2], s[0])[1]
    cache = va.ChromCache(g)
    span = va.event_scores(default_mlm, cache, [ev], rc=False)
    brute = va.event_scores(default_mlm, cache, [ev], rc=False, exact=True)
    assert brute["n_ref"][0] == 4 * event_flank(default_mlm) + 1 and span["n_ref"][0] == 2 * 142 + 1
    assert span["llr"][0] == pytest.approx(brute["llr"][0], abs=5e-3)
    ref, alt, rs, as_ = mlm_windows(cache["chrI"], g.lengths["chrI"], ev, 142)
    assert span["score_ref"][0] == pytest.approx(va.pseudo_log_likelihood(default_mlm, ref, *rs, rc=False)[0], abs=5e-3)


# ------------------------------------------------------------------------------------------ z-score and bias
def test_z_score_against_length_matched_nulls(cp, toys):
    data, c, s = cp
    clm = toys[0]
    null = va.NullScores(clm, data, n=12, rc=False)
    ev = va.check_event(data.genome, c, 6000, s[5999:6005], s[5999])[1]
    nulls = null.events(ev.chrom, ev.kind, ev.deleted, ev.inserted)
    assert nulls == null.events(ev.chrom, ev.kind, ev.deleted, ev.inserted)  # deterministic
    assert all(e.kind == "DEL" and e.deleted == 5 and e.chrom == c for e in nulls)
    assert all((data.labels[c][e.start:e.end] == INTERGENIC).all() for e in nulls)
    scores = va.event_scores(clm, va.ChromCache(data.genome), nulls, rc=False)["llr"]
    llr = float(va.event_scores(clm, va.ChromCache(data.genome), [ev], rc=False)["llr"][0])
    want = (llr - scores.mean()) / scores.std(ddof=1)
    out = va.score_events(clm, data, pd.DataFrame([(c, 6000, s[5999:6005], s[5999])], columns=["chrom", "pos", "ref",
                                                                                            "alt"]),
                          rc=False, null_events=12)
    assert out["llr_z"].iat[0] == pytest.approx(want, abs=1e-9)


def test_length_bias_fits_are_least_squares(cp, toys):
    data, c, s = cp
    for model in toys:
        bias = va.length_bias(model, data, n_events=24, max_length=30, seed=1)
        t = bias.table
        assert len(t) == 24 and set(t["kind"]) == {"DEL", "INS"} and t["length"].between(1, 30).all()
        for kind, x in (("all", "len_change"), ("DEL", "length"), ("INS", "length")):
            part = t if kind == "all" else t[t["kind"] == kind]
            slope = np.polyfit(part[x], part["llr"], 1)[0]
            f = bias.fit(kind)
            assert f["slope"] == pytest.approx(slope, rel=1e-6) and f["ci_low"] < slope < f["ci_high"]
        assert "per bp" in bias.sentence()
    # the MLM's PLL sums fewer terms on the shorter allele: deletions score higher the longer they are
    assert bias.fit("DEL")["ci_low"] > 0 and bias.fit("INS")["ci_high"] < 0


# ------------------------------------------------------------------------------------------ tables, VCF, Parquet
def test_mixed_tables_keep_snv_scores(cp, tiny_mlm):
    data, c, s = cp
    snvs = [(c, p, s[p - 1], "A" if s[p - 1] != "A" else "G") for p in (700, 800, 900)]
    rows = [snvs[0], (c, 750, s[749:752], s[749]), snvs[1], (c, 850, s[849], s[849] + "TT"), snvs[2]]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"], index=[10, 11, 12, 13, 14])
    mixed = va.score_variants(tiny_mlm, data, df, max_sv_size=100)
    alone = va.score_variants(tiny_mlm, data, pd.DataFrame(snvs, columns=["chrom", "pos", "ref", "alt"]))
    assert list(mixed.index) == [10, 11, 12, 13, 14]
    np.testing.assert_array_equal(mixed["llr"].to_numpy()[[0, 2, 4]], alone["llr"].to_numpy())
    assert list(mixed["kind"]) == ["SNV", "DEL", "SNV", "INS", "SNV"] and mixed["llr"].notna().all()
    old = va.score_variants(tiny_mlm, data, df)  # without max_sv_size: as before
    assert list(old["status"]) == ["ok", va.REASON_INDEL, "ok", va.REASON_INDEL, "ok"] and "kind" not in old


def test_vcf_with_indels_and_svs_to_parquet(tmp_path, cp, tiny_clm):
    import pyarrow.parquet as pq

    data, c, s = cp
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={c},length={len(s)}>",
             '##INFO=<ID=END,Number=1,Type=Integer,Description="end">',
             '##INFO=<ID=SVLEN,Number=.,Type=Integer,Description="len">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
             f"{c}\t100\tsnv\t{s[99]}\t{'A' if s[99] != 'A' else 'C'}\t.\t.\t.",
             f"{c}\t200\tdel\t{s[199:203]}\t{s[199]}\t.\t.\t.",
             f"{c}\t300\tsvdel\t{s[299]}\t<DEL>\t.\t.\tEND=320",
             f"{c}\t400\tsvlen\t{s[399]}\t<DEL>\t.\t.\tSVLEN=-20",
             f"{c}\t500\tnoend\t{s[499]}\t<DUP>\t.\t.\t.",
             f"{c}\t600\tbig\t{s[599]}\t<DEL>\t.\t.\tEND=5000",
             f"{c}\t700\tcnv\t{s[699]}\t<CNV>\t.\t.\tEND=720"]
    vcf = tmp_path / "sv.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    out, skipped = tmp_path / "s.parquet", tmp_path / "s.skipped.tsv"
    summ = va.write_vcf_scores(tiny_clm, data, vcf, out, skipped, va.VariantScoreSettings(chunk_size=2, max_sv_size=1000))
    table = pq.read_table(out).to_pandas()
    assert list(table["id"]) == ["snv", "del", "svdel", "svlen"] and summ.scored == 4
    assert list(table["kind"]) == ["SNV", "DEL", "DEL", "DEL"] and list(table["length"]) == [1, 3, 20, 20]
    schema = pq.read_schema(out)
    assert str(schema.field("length").type) == "int64" and str(schema.field("llr_mean").type) == "double"
    reasons = dict(pd.read_csv(skipped, sep="\t")[["id", "reason"]].values)
    assert reasons == {"noend": va.REASON_SV_END, "big": va.REASON_SV_SIZE, "cnv": va.REASON_SYMBOLIC}
    snv_only = va.score_variants(tiny_clm, data, table.iloc[[0]][["chrom", "pos", "ref", "alt"]])
    assert table["llr"].iat[0] == pytest.approx(snv_only["llr"].iat[0], abs=1e-9)
    np.testing.assert_allclose(table["llr_mean"].iloc[1:], table["llr"].iloc[1:] / table["n_ref"].iloc[1:])


def test_aligned_view_columns_and_tracks(cp, toys):
    data, c, s = cp
    mlm = toys[1]
    p = next(q for q in range(7000, 8000) if s[q - 1] != s[q + 3])  # a deletion that does not shift left
    v = va.indel_view(mlm, data, c, p, s[p - 1:p + 4], s[p - 1], half_width=6, rc=False)
    assert v.ref_seq.replace("-", "") == s[p - 6:p + 4 + 6] and v.alt_seq == s[p - 6:p] + "----" + s[p + 4:p + 10]
    assert v.event_cols == (6, 10) and list(v.ref_pos[:7]) == list(range(p - 5, p + 2))
    ref_own, alt_own = v.own_log_probs()
    assert np.isnan(alt_own[6:10]).all() and not np.isnan(ref_own).any()
    hap = s[p - 6 - 1:p] + s[p + 4:p + 11]  # the alt allele around the gap, by hand (R = 1)
    want = [np.log(mlm.table[4 * IDX[hap[k - 1]] + IDX[hap[k + 1]], IDX[hap[k]]]) for k in range(1, len(hap) - 1)]
    got = np.concatenate([alt_own[:6], alt_own[10:]])
    np.testing.assert_allclose(got, want, atol=1e-5)
    with pytest.raises(va.VariantError, match="single variant"):
        va.indel_view(mlm, data, c, p, s[p - 1:p + 1], s[p - 1] + ("A" if s[p] != "A" else "C"))
    with pytest.raises(va.VariantError, match="END"):
        va.indel_view(mlm, data, c, p, s[p - 1], "<DEL>")


def test_indel_bias_cli(tmp_path, capsys):
    from glm_explore.cli import main

    out = tmp_path / "bias.tsv"
    assert main(["indel-bias", "--genome", "chloroplast", "--model", "default-clm", "--events", "6",
                 "--max-length", "10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out, sep="\t")
    slope = np.polyfit(table["len_change"], table["llr"], 1)[0]
    assert len(table) == 6 and f"{slope:+.4f}" in printed and "95% CI" in printed
