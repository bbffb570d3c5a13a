"""Variant scores, VCF streaming, score-vcf CLI, demo VCF and the Variant effects page.

Every score is checked against an independent computation: hand-built windows fed to the model's
own ``log_probs`` / ``hidden_states``, GPN's published recipe run on a random-weight model from the
``gpn`` package, Biopython's own location/translation logic for the demo VCF's synonymy labels.
"""

from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import torch
from Bio.Seq import Seq

from glm_explore import variants as va
from glm_explore.context import variant_window
from glm_explore.io.annotation import CLASSES

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}
IDX = {b: i for i, b in enumerate("ACGT")}


pytestmark = pytest.mark.usefixtures("one_thread_module")  # tiny models on a shared machine: one torch thread


def _snvs(data, positions, rng) -> pd.DataFrame:
    chrom = data.genome.chroms[0]
    rows = []
    for p in positions:
        ref = data.genome.fetch(chrom, p - 1, p)
        alt = [b for b in "ACGT" if b != ref][rng.integers(3)]
        rows.append((chrom, p, ref, alt))
    return pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])


def _masked_lp(model, seq: str, i: int) -> np.ndarray:
    masked = np.zeros((1, len(seq)), dtype=bool)
    masked[0, i] = True
    return model.log_probs([seq], masked)[0][:, i]


# ------------------------------------------------------------------------------------------ MLM LLR
@pytest.mark.parametrize("window", [40, 41])
def test_llr_equals_hand_computation(chloroplast, tiny_mlm, rng, window):
    df = _snvs(chloroplast, [500, 1234, 77_000], rng)
    out = va.mlm_llr(tiny_mlm, chloroplast, df, window=window, rc=False)
    g = chloroplast.genome
    for row, got in zip(df.itertuples(), out.itertuples()):
        start = row.pos - 1 - window // 2
        seq = g.fetch(row.chrom, start, start + window)
        lp = _masked_lp(tiny_mlm, seq, window // 2)
        assert seq[window // 2] == row.ref
        assert got.status == "ok"
        assert got.llr == pytest.approx(lp[IDX[row.alt]] - lp[IDX[row.ref]], abs=1e-5)
        assert got.logp_ref == pytest.approx(lp[IDX[row.ref]], abs=1e-5)


def test_rc_average_uses_complemented_alleles_at_mirrored_position(chloroplast, tiny_mlm, rng):
    window = 40  # even: the reverse strand's variant index is W//2 - 1, not W//2
    df = _snvs(chloroplast, [2_000, 50_001], rng)
    out = va.mlm_llr(tiny_mlm, chloroplast, df, window=window, rc=True)
    for row, got in zip(df.itertuples(), out.itertuples()):
        start = row.pos - 1 - window // 2
        seq = chloroplast.genome.fetch(row.chrom, start, start + window)
        rev = str(Seq(seq).reverse_complement())
        fwd_lp = _masked_lp(tiny_mlm, seq, window // 2)
        rev_lp = _masked_lp(tiny_mlm, rev, window // 2 - 1)
        assert rev[window // 2 - 1] == COMP[row.ref]
        llr_f = fwd_lp[IDX[row.alt]] - fwd_lp[IDX[row.ref]]
        llr_r = rev_lp[IDX[COMP[row.alt]]] - rev_lp[IDX[COMP[row.ref]]]
        assert got.llr == pytest.approx((llr_f + llr_r) / 2, abs=1e-5)
        # the naive alternatives are measurably different: uncomplemented alleles / unmirrored position
        wrong_bases = rev_lp[IDX[row.alt]] - rev_lp[IDX[row.ref]]
        wrong_pos = _masked_lp(tiny_mlm, rev, window // 2)
        wrong_pos = wrong_pos[IDX[COMP[row.alt]]] - wrong_pos[IDX[COMP[row.ref]]]
        assert abs(got.llr - (llr_f + wrong_bases) / 2) > 1e-4
        assert abs(got.llr - (llr_f + wrong_pos) / 2) > 1e-4


class _Counting:
    """Wraps a model and records how many sequences each log_probs / masked_sites call received (and, for
    masked_sites, how many sites)."""

    def __init__(self, model):
        self.model, self.info, self.calls, self.sites = model, model.info, [], []

    def log_probs(self, seqs, masked=None, *, batch_size=64):
        self.calls.append(len(seqs))
        return self.model.log_probs(seqs, masked, batch_size=batch_size)

    def masked_sites(self, seqs, row_of, offsets):
        self.calls.append(len(seqs))
        self.sites.append(len(offsets))
        return self.model.masked_sites(seqs, row_of, offsets)


def test_one_masked_pass_scores_all_three_alternatives(chloroplast, tiny_mlm):
    chrom = chloroplast.genome.chroms[0]
    ref = chloroplast.genome.fetch(chrom, 999, 1000)
    site = pd.DataFrame([(chrom, 1000, ref, a) for a in "ACGT" if a != ref], columns=["chrom", "pos", "ref", "alt"])
    counting = _Counting(tiny_mlm)
    together = va.mlm_llr(counting, chloroplast, site, rc=True)
    assert counting.calls == [1, 1] and counting.sites == [1, 1]  # one masked site per strand for the 3 alternatives
    apart = pd.concat([va.mlm_llr(tiny_mlm, chloroplast, site.iloc[[i]], rc=True) for i in range(3)])
    np.testing.assert_allclose(together["llr"], apart["llr"], atol=1e-6)
    # and many sites share one batched forward per strand
    counting.calls.clear()
    many = pd.concat([site.assign(pos=p, ref=chloroplast.genome.fetch(chrom, p - 1, p)) for p in range(3000, 3040)])
    many = many[many["ref"] != many["alt"]]
    va.mlm_llr(counting, chloroplast, many, rc=True, batch_size=64, packed=False)
    assert counting.calls == [40, 40]  # the per-site reference: one window per site, batched
    counting.calls.clear()
    va.mlm_llr(counting, chloroplast, many, rc=True, batch_size=64)
    assert counting.calls == [1, 1]  # packed: the 40 neighbouring sites share one row per strand
    assert counting.sites[-2:] == [40, 40]  # each masked alone (cones from the row's one clean pass)


def test_sequence_llr_on_a_pasted_sequence(tiny_mlm, tiny_clm, rng):
    seq = "".join(rng.choice(list("ACGT"), 30))
    i = 11
    alt = "A" if seq[i] != "A" else "G"
    f = _masked_lp(tiny_mlm, seq, i)
    r = _masked_lp(tiny_mlm, str(Seq(seq).reverse_complement()), 30 - 1 - i)
    expect = (f[IDX[alt]] - f[IDX[seq[i]]] + r[IDX[COMP[alt]]] - r[IDX[COMP[seq[i]]]]) / 2
    assert va.sequence_llr(tiny_mlm, seq, i + 1, alt) == pytest.approx(expect, abs=1e-5)
    alt_seq = seq[:i] + alt + seq[i + 1:]
    lp_ref, lp_alt = tiny_clm.log_probs([seq])[0], tiny_clm.log_probs([alt_seq])[0]
    d = sum(lp_alt[IDX[b], k] for k, b in enumerate(alt_seq)) - sum(lp_ref[IDX[b], k] for k, b in enumerate(seq))
    assert va.sequence_llr(tiny_clm, seq, i + 1, alt, rc=False) == pytest.approx(d, abs=1e-4)
    with pytest.raises(va.VariantError, match="outside"):
        va.sequence_llr(tiny_mlm, seq, 31, "A")


def test_variant_window_is_exact_for_a_finite_receptive_field(chloroplast, tiny_mlm, rng):
    """2·R+1 bases is all the masked position sees: same LLR as GPN-style longer windows (odd and even)."""
    df = _snvs(chloroplast, [5_000, 90_000], rng)
    assert variant_window(tiny_mlm) == 2 * tiny_mlm.info.receptive_field + 1
    short = va.mlm_llr(tiny_mlm, chloroplast, df)
    for w in (64, 101):
        np.testing.assert_allclose(short["llr"], va.mlm_llr(tiny_mlm, chloroplast, df, window=w)["llr"], atol=1e-5)
    # one base less of context on each side changes the answer (the receptive field is not overstated)
    shorter = va.mlm_llr(tiny_mlm, chloroplast, df, window=variant_window(tiny_mlm) - 2)
    assert np.abs(short["llr"] - shorter["llr"]).max() > 1e-5


def test_big_chromosomes_are_read_window_by_window(chloroplast, tiny_mlm, rng):
    df = _snvs(chloroplast, [4_000, 100_000, 154_000], rng)
    cached = va.mlm_llr(tiny_mlm, chloroplast, df, window=31)
    lazy = va.mlm_llr(tiny_mlm, chloroplast, df, window=31,
                      _cache=va.ChromCache(chloroplast.genome, max_bp=1000))
    np.testing.assert_allclose(cached["llr"], lazy["llr"], atol=1e-6)
    bad = df.assign(ref=[{"A": "C"}.get(r, "A") for r in df["ref"]])
    assert (va.mlm_llr(tiny_mlm, chloroplast, bad, _cache=va.ChromCache(chloroplast.genome, max_bp=1000))
            ["status"] == va.REASON_REF).all()


def test_fetch_at_a_bgzf_block_boundary(yeast):
    """pyfaidx 0.9 fails on a start exactly at a BGZF block boundary (yeast chrIV:1218177); Genome.fetch works
    around it: the base equals the one read through a wider window."""
    g = yeast.genome
    assert g.fetch("chrIV", 1218176, 1218177) == g.fetch("chrIV", 1218170, 1218180)[6]
    assert g.fetch("chrIV", 1218176, 1218300) == g.fetch("chrIV", 1218170, 1218300)[6:]


def test_contig_edge_windows_shift_and_stay_exact(chloroplast, tiny_mlm):
    g = chloroplast.genome
    chrom = g.chroms[0]
    n = g.lengths[chrom]
    window = 31
    for pos in (1, 3, n):
        ref = g.fetch(chrom, pos - 1, pos)
        alt = "A" if ref != "A" else "C"
        out = va.mlm_llr(tiny_mlm, chloroplast, pd.DataFrame([(chrom, pos, ref, alt)],
                                                             columns=["chrom", "pos", "ref", "alt"]),
                         window=window, rc=False)
        start = 0 if pos < window else n - window
        seq = g.fetch(chrom, start, start + window)
        lp = _masked_lp(tiny_mlm, seq, pos - 1 - start)
        assert out["llr"].iat[0] == pytest.approx(lp[IDX[alt]] - lp[IDX[ref]], abs=1e-5)


def test_llr_matches_gpn_definition_on_random_gpn_model(tmp_path, chloroplast, rng):
    """Our masked LLR through the HF adapter == GPN's run_vep recipe on the raw GPNForMaskedLM logits."""
    from hf_builders import build_gpn

    from glm_explore.models import load_model

    raw, tok = build_gpn(tmp_path)  # the same random-weight GPN the HF adapter tests use
    vocab = tok.get_vocab()
    adapter = load_model(str(tmp_path))
    assert adapter.info.objective == "mlm"

    W = 64  # GPN's windows are even (512): pos_rev = W // 2 - 1
    df = _snvs(chloroplast, [1_500, 9_999, 120_000], rng)
    ours = va.mlm_llr(adapter, chloroplast, df, window=W, rc=True)

    def gpn_llr(seq: str, pos: int, ref: str, alt: str) -> float:  # MLMforVEPModel.get_llr
        ids = tok(seq.lower(), add_special_tokens=False)["input_ids"]
        ids[pos] = tok.mask_token_id
        with torch.no_grad():
            logits = raw(input_ids=torch.tensor([ids])).logits[0, pos]
        return float(logits[vocab[alt.lower()]] - logits[vocab[ref.lower()]])

    for row, got in zip(df.itertuples(), ours.itertuples()):
        pos0 = row.pos - 1
        start, end = pos0 - W // 2, pos0 + W // 2  # run_vep.get_tokenized_seq
        seq_fwd = chloroplast.genome.fetch(row.chrom, start, end).upper()
        seq_rev = str(Seq(seq_fwd).reverse_complement())
        pos_fwd, pos_rev = W // 2, W // 2 - 1
        ref_rev, alt_rev = str(Seq(row.ref).reverse_complement()), str(Seq(row.alt).reverse_complement())
        assert seq_fwd[pos_fwd] == row.ref and seq_rev[pos_rev] == ref_rev
        expected = (gpn_llr(seq_fwd, pos_fwd, row.ref, row.alt) + gpn_llr(seq_rev, pos_rev, ref_rev, alt_rev)) / 2
        assert got.llr == pytest.approx(expected, abs=1e-4)


# ------------------------------------------------------------------------------------------ CLM
def test_clm_delta_equals_hand_computation(chloroplast, tiny_clm, rng):
    df = _snvs(chloroplast, [800, 30_000], rng)
    W = 33
    for reduce in ("sum", "mean"):
        for both in (False, True):
            out = va.clm_delta(tiny_clm, chloroplast, df, window=W, reduce=reduce, both_strands=both)
            for row, got in zip(df.itertuples(), out.itertuples()):
                start = row.pos - 1 - W // 2
                ref_seq = chloroplast.genome.fetch(row.chrom, start, start + W)
                alt_seq = ref_seq[:W // 2] + row.alt + ref_seq[W // 2 + 1:]

                def ll(s: str, reduce: str = reduce) -> float:
                    lp = tiny_clm.log_probs([s])[0]
                    total = sum(lp[IDX[b], i] for i, b in enumerate(s))
                    return total / len(s) if reduce == "mean" else total
                exp = ll(alt_seq) - ll(ref_seq)
                if both:
                    exp = (exp + ll(str(Seq(alt_seq).reverse_complement())) -
                           ll(str(Seq(ref_seq).reverse_complement()))) / 2
                assert got.llr == pytest.approx(exp, abs=1e-4), (reduce, both)


def test_score_variants_dispatch_and_region_class(chloroplast, tiny_mlm, tiny_clm, rng):
    df = _snvs(chloroplast, [100, 60_000, 110_000], rng)
    for model, col in ((tiny_mlm, "logp_ref"), (tiny_clm, "ll_ref")):
        out = va.score_variants(model, chloroplast, df, window=21)
        assert col in out and out["llr"].notna().all()
        chrom = chloroplast.genome.chroms[0]
        assert list(out["region_class"]) == [CLASSES[chloroplast.labels[chrom][p - 1]] for p in df["pos"]]


# ------------------------------------------------------------------------------------------ bad rows
def test_bad_rows_get_their_reasons(chloroplast, tiny_mlm):
    g = chloroplast.genome
    chrom = g.chroms[0]
    ref = g.fetch(chrom, 99, 100)
    wrong = [b for b in "ACGT" if b != ref][0]
    alt = [b for b in "ACGT" if b not in (ref, wrong)][0]
    rows = [
        (chrom, 100, ref, alt, "ok"),
        (f"chr{chrom}", 100, ref, alt, "ok"),  # chr-prefix alias
        (chrom, 100, wrong, alt, va.REASON_REF),
        (chrom, 100, ref + "A", alt, va.REASON_INDEL),
        (chrom, 100, ref, "<DEL>", va.REASON_SYMBOLIC),
        (chrom, 100, ref, "N", va.REASON_NON_ACGT),
        (chrom, 100, ref, ref, va.REASON_SAME),
        ("chrNope", 100, ref, alt, va.REASON_CONTIG),
        (chrom, g.lengths[chrom] + 1, "A", "C", va.REASON_RANGE),
        (chrom, 0, "A", "C", va.REASON_RANGE),
    ]
    df = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "expect"])
    out = va.mlm_llr(tiny_mlm, chloroplast, df, window=21)
    assert list(out["status"]) == list(df["expect"])
    assert out["llr"].notna().tolist() == [e == "ok" for e in df["expect"]]
    assert out["llr"].iat[0] == pytest.approx(out["llr"].iat[1])
    with pytest.raises(va.VariantError, match="REF mismatch.*genome has"):
        va.delta_track(tiny_mlm, chloroplast, va.Variant(chrom, 100, wrong, alt))
    with pytest.raises(va.VariantError, match="variants table lacks"):
        va.mlm_llr(tiny_mlm, chloroplast, df.drop(columns="alt"))


def _write_vcf(path, chroms_lengths: dict[str, int], lines: list[str], bgzip: bool = False) -> None:
    header = ["##fileformat=VCFv4.2", *[f"##contig=<ID={c},length={n}>" for c, n in chroms_lengths.items()],
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    text = "\n".join(header + lines) + "\n"
    if bgzip:
        from Bio import bgzf

        with bgzf.BgzfWriter(str(path), "wb") as fh:
            fh.write(text)
    else:
        path.write_text(text)


@pytest.mark.parametrize("bgzip", [False, True])
def test_vcf_reader_reasons_and_summary(tmp_path, chloroplast, bgzip):
    g = chloroplast.genome
    c = g.chroms[0]
    s = g.fetch(c, 0, 2000)
    wrong = [b for b in "ACGT" if b != s[499]][0]
    others = [b for b in "ACGT" if b != s[599]]
    lines = [
        f"{c}\t100\tgood\t{s[99]}\t{others[0] if s[99] != others[0] else 'A'}\t.\t.\t.",
        f"chr{c}\t200\talias\t{s[199]}\t{[b for b in 'ACGT' if b != s[199]][0]}\t.\t.\t.",
        f"{c}\t300\tindel\t{s[299:301]}\t{s[299]}\t.\t.\t.",
        f"{c}\t400\tsymbolic\t{s[399]}\t<DEL>\t.\t.\t.",
        f"{c}\t500\tmismatch\t{wrong}\t{s[499]}\t.\t.\t.",
        f"{c}\t600\tmulti\t{s[599]}\t{others[0]},{others[1]},{s[599]}TT\t.\t.\t.",
        f"{c}\t700\tnonacgt\t{s[699]}\tN\t.\t.\t.",
        f"{c}\t{g.lengths[c] + 5}\trange\tA\tC\t.\t.\t.",
        "chrMissing\t10\tcontig\tA\tC\t.\t.\t.",
    ]
    path = tmp_path / ("t.vcf.gz" if bgzip else "t.vcf")
    _write_vcf(path, {c: g.lengths[c], "chrMissing": 100}, lines, bgzip)
    reader = va.VcfReader(path, chloroplast, batch_size=3)
    oks, bads = zip(*reader)
    ok, bad = pd.concat(oks), pd.concat(bads)
    assert sorted(ok["id"]) == ["alias", "good", "multi", "multi"]
    assert set(ok["chrom"]) == {c}  # resolved names
    reasons = dict(zip(bad["id"], bad["reason"]))
    assert reasons == {"indel": va.REASON_INDEL, "symbolic": va.REASON_SYMBOLIC, "mismatch": va.REASON_REF,
                       "multi": va.REASON_INDEL, "nonacgt": va.REASON_NON_ACGT, "range": va.REASON_RANGE,
                       "contig": va.REASON_CONTIG}
    summ = reader.summary
    assert (summ.records, summ.alleles, summ.scored) == (9, 11, 4)
    assert summ.skipped == {va.REASON_INDEL: 2, va.REASON_SYMBOLIC: 1, va.REASON_REF: 1, va.REASON_NON_ACGT: 1,
                            va.REASON_RANGE: 1, va.REASON_CONTIG: 1}
    assert summ.scored + sum(summ.skipped.values()) == summ.alleles


def test_score_vcf_table_limit_and_score_site(tmp_path, chloroplast, tiny_mlm):
    g = chloroplast.genome
    c = g.chroms[0]
    s = g.fetch(c, 0, 3000)
    lines = [f"{c}\t{p}\tv{p}\t{s[p - 1]}\t{'A' if s[p - 1] != 'A' else 'C'}\t.\t.\t." for p in range(100, 2100, 100)]
    lines.insert(1, f"{c}\t150\tbad\t{s[149]}\t<INS>\t.\t.\t.")
    vcf = tmp_path / "t.vcf"
    _write_vcf(vcf, {c: g.lengths[c]}, lines)
    scores, skipped, summ = va.score_vcf_table(tiny_mlm, chloroplast, vcf, va.VariantScoreSettings(limit=7, chunk_size=3, window=21))
    assert len(scores) == summ.scored == 7 and summ.stopped_at_limit and list(skipped["id"]) == ["bad"]
    direct = va.mlm_llr(tiny_mlm, chloroplast, scores[["chrom", "pos", "ref", "alt"]], window=21)
    np.testing.assert_allclose(scores["llr"], direct["llr"], atol=1e-6)
    site = va.score_site(tiny_mlm, chloroplast, f"chr{c}", 500, window=21)
    assert sorted(site["alt"]) == sorted(set("ACGT") - {s[499]}) and (site["ref"] == s[499]).all()
    assert site["llr"].notna().all()


def test_score_vcf_table_places_snvs_against_a_background_by_brute_force_rank(tmp_path, chloroplast, tiny_mlm):
    """With a background, each SNV's ``llr_pct_class`` is the share of its class's background LLRs ≤ its LLR and
    ``llr_pct_genome`` the base-share-weighted mean over classes (by hand); no background → no columns."""
    from glm_explore.results.calibration import Background, ClassBackground

    g = chloroplast.genome
    c = g.chroms[0]
    s = g.fetch(c, 0, 3000)
    lines = [f"{c}\t{p}\tv{p}\t{s[p - 1]}\t{'A' if s[p - 1] != 'A' else 'C'}\t.\t.\t." for p in range(100, 2100, 150)]
    vcf = tmp_path / "t.vcf"
    _write_vcf(vcf, {c: g.lengths[c]}, lines)
    settings = va.VariantScoreSettings(chunk_size=5, window=21)
    plain, _, _ = va.score_vcf_table(tiny_mlm, chloroplast, vcf, settings)
    assert "llr_pct_class" not in plain
    classes = sorted(plain["region_class"].dropna().unique())
    assert classes, "the toy genome labels its positions"
    rng = np.random.default_rng(5)
    pools = {k: np.sort(rng.normal(plain["llr"].mean(), 1.0, size=40 + 7 * i)) for i, k in enumerate(classes)}
    bases = {k: 10 * (i + 1) for i, k in enumerate(classes)}
    bg = Background("m", "mlm", "g", c, 0, 100, {k: ClassBackground(k, v, np.arange(len(v)), len(v), bases[k], bases[k])
                                                 for k, v in pools.items()})
    scores, _, _ = va.score_vcf_table(tiny_mlm, chloroplast, vcf, settings, background=bg)
    np.testing.assert_allclose(scores["llr"], plain["llr"])
    total = sum(bases.values())
    for row in scores.itertuples():
        assert row.llr_pct_class == np.mean(pools[row.region_class] <= row.llr)
        hand = sum(bases[k] / total * np.mean(v <= row.llr) for k, v in pools.items())
        assert abs(row.llr_pct_genome - hand) < 1e-12


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"chrom\tpos\tref\talt\nchrI\t1\tA\tC\n", "not a VCF"),
    (gzip.compress(b">seq\nACGT\n"), "not a VCF"),
    (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
])
def test_bad_vcf_files_raise_clear_errors(tmp_path, chloroplast, content, match):
    path = tmp_path / "bad.vcf.gz"
    path.write_bytes(content)
    with pytest.raises(va.VariantError, match=match):
        va.VcfReader(path, chloroplast)
    with pytest.raises(va.VariantError, match="not found"):
        va.VcfReader(tmp_path / "missing.vcf", chloroplast)


def _synthetic_vcf(path, data, n: int, rng) -> None:
    g = data.genome
    c = g.chroms[0]
    seq = g.fetch(c)
    pos = np.sort(rng.integers(1, g.lengths[c] + 1, n))
    alt = np.array(list("ACGT"))[rng.integers(0, 4, n)]
    lines = [f"{c}\t{p}\tv{i}\t{seq[p - 1]}\t{a}\t.\t.\t." for i, (p, a) in enumerate(zip(pos, alt))]
    _write_vcf(path, {c: g.lengths[c]}, lines)


def test_streaming_memory_does_not_grow_with_file(tmp_path, chloroplast, rng):
    peaks = {}
    for n in (20_000, 200_000):
        path = tmp_path / f"{n}.vcf"
        _synthetic_vcf(path, chloroplast, n, rng)
        reader = va.VcfReader(path, chloroplast, batch_size=2000)
        tracemalloc.start()
        seen = 0
        for ok, bad in reader:
            seen += len(ok) + len(bad)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert seen == n == reader.summary.alleles
    # 10× the records, same batch: the peak must not scale with the file (a list of all rows would be ~10×)
    assert peaks[200_000] < 1.5 * peaks[20_000], peaks


# ------------------------------------------------------------------------------------------ single-variant views
def test_embedding_shift_equals_hand_computation_and_is_local(chloroplast, tiny_mlm):
    g = chloroplast.genome
    chrom = g.chroms[0]
    ref = g.fetch(chrom, 4999, 5000)
    v = va.Variant(chrom, 5000, ref, "A" if ref != "A" else "G")
    es = va.embedding_shift(tiny_mlm, chloroplast, v, window=61)
    seq = g.fetch(chrom, 4999 - 30, 4999 + 31)
    alt_seq = seq[:30] + v.alt + seq[31:]
    h_ref, h_alt = (np.asarray(h, float) for h in tiny_mlm.hidden_states([seq, alt_seq]))
    a, b = h_ref.mean(0), h_alt.mean(0)
    assert es.euclidean == pytest.approx(np.linalg.norm(b - a), rel=1e-4)
    assert es.cosine_distance == pytest.approx(1 - a @ b / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-6)
    np.testing.assert_allclose(es.local, np.linalg.norm(h_alt - h_ref, axis=1), rtol=1e-4, atol=1e-6)
    rf = tiny_mlm.info.receptive_field
    far = np.abs(np.arange(61) - 30) > rf
    assert es.local[far].max() < 1e-5 and es.local[~far].max() > 1e-3


def test_delta_track_matches_llr_and_is_zero_beyond_receptive_field(chloroplast, tiny_mlm):
    g = chloroplast.genome
    chrom = g.chroms[0]
    ref = g.fetch(chrom, 7999, 8000)
    v = va.Variant(chrom, 8000, ref, "T" if ref != "T" else "C")
    tr = va.delta_track(tiny_mlm, chloroplast, v, half_width=20)
    assert tr.ref.log_probs.shape == tr.alt.log_probs.shape == (4, 41)
    assert tr.positions[tr.offset] == 8000 and tr.alt.seq[tr.offset] == v.alt
    llr = va.mlm_llr(tiny_mlm, chloroplast, pd.DataFrame([(chrom, 8000, v.ref, v.alt)],
                                                        columns=["chrom", "pos", "ref", "alt"]), rc=False)
    assert tr.llr == pytest.approx(llr["llr"].iat[0], abs=1e-5)
    dist = np.abs(np.arange(41) - tr.offset)
    rf = tiny_mlm.info.receptive_field
    assert tr.dependency[dist > rf].max() < 1e-4
    assert tr.dependency[(dist > 0) & (dist <= rf)].max() > 1e-3
    assert np.abs(tr.delta[:, tr.offset]).max() < 1e-5  # the variant column is masked in both


# ------------------------------------------------------------------------------------------ CLI
def test_cli_score_vcf_writes_chunks_and_reports_skips(tmp_path, chloroplast, capsys):
    import pyarrow.parquet as pq

    from glm_explore.cli import main
    from glm_explore.models import load_model

    g = chloroplast.genome
    c = g.chroms[0]
    s = g.fetch(c, 0, 5000)
    lines = [f"{c}\t{p}\tv{p}\t{s[p - 1]}\t{'A' if s[p - 1] != 'A' else 'C'}\t.\t.\t." for p in (300, 1300, 2300, 3300)]
    lines.insert(2, f"{c}\t2000\tbad\t{s[1999]}{s[2000]}\t{s[1999]}\t.\t.\t.")
    vcf = tmp_path / "in.vcf"
    _write_vcf(vcf, {c: g.lengths[c]}, lines)
    out = tmp_path / "scores.parquet"
    rc = main(["score-vcf", str(vcf), "--genome", "chloroplast", "--model", "default-mlm", "--out", str(out),
               "--batch-size", "2", "--quiet", "--max-sv-size", "0"])  # 0 = SNVs only (the default scores indels)
    assert rc == 0
    pf = pq.ParquetFile(out)
    assert pf.metadata.num_rows == 4 and pf.num_row_groups >= 2  # written chunk by chunk
    table = pf.read().to_pandas()
    expected = va.mlm_llr(load_model("default-mlm"), chloroplast, table[["chrom", "pos", "ref", "alt"]])
    np.testing.assert_allclose(table["llr"], expected["llr"], atol=1e-5)
    skipped = pd.read_csv(out.with_suffix(".skipped.tsv"), sep="\t")
    assert list(skipped["id"]) == ["bad"] and skipped["reason"].iat[0] == va.REASON_INDEL
    assert "4 scored" in capsys.readouterr().err

    notvcf = tmp_path / "x.vcf"
    notvcf.write_text("hello\n")
    assert main(["score-vcf", str(notvcf), "--genome", "chloroplast", "--out", str(tmp_path / "y.parquet")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a VCF" in err[0]


# ------------------------------------------------------------------------------------------ demo VCF
def test_demo_vcf_is_labelled_synthetic_and_its_synonymy_is_right(yeast):
    from Bio.SeqFeature import CompoundLocation, SimpleLocation

    header = gzip.open(va.DEMO_VCF, "rt").read(4000)
    assert "SYNTHETIC" in header
    reader = va.VcfReader(va.DEMO_VCF, yeast, batch_size=10_000)
    ok = pd.concat([b for b, _ in reader])
    summ = reader.summary
    assert summ.skipped == {va.REASON_INDEL: 1, va.REASON_SYMBOLIC: 1, va.REASON_REF: 1, va.REASON_RANGE: 1,
                            va.REASON_CONTIG: 1}
    cds = ok[ok["CLASS"] == "CDS"]
    assert len(cds) >= 300 and set(cds["CODON_POS"]) == {"1", "2", "3"}
    assert not ((cds["EFFECT"] == "synonymous") & (cds["CODON_POS"] == "2")).any()  # true for the standard code
    assert {"synonymous", "missense"} <= set(cds["EFFECT"])
    labels = [CLASSES[yeast.labels[c][p - 1]] for c, p in zip(ok["chrom"], ok["pos"])]
    synthetic = ok["id"].str.startswith("synthetic_")
    assert (np.array(labels)[synthetic.to_numpy()] == ok.loc[synthetic, "CLASS"].to_numpy()).all()

    # independent synonymy check with Biopython's own locations (strand, multi-part join) + translate
    f = yeast.annotation.features
    parts = f[f["Feature"] == "CDS"].groupby("ID")
    chrom_seqs: dict[str, str] = {}
    multi = {str(k).removeprefix("CDS:") for k, n in parts.size().items() if n > 1}
    spliced = cds[cds["GENE"].isin(multi)]
    assert len(spliced) >= 5  # multi-part CDSs (introns) are covered
    for r in pd.concat([spliced, cds.sample(80, random_state=0)]).drop_duplicates("id").itertuples():
        feat = parts.get_group(f"CDS:{r.GENE}")
        strand = 1 if feat["Strand"].iat[0] == "+" else -1
        locs = [SimpleLocation(int(s), int(e), strand) for s, e in sorted(zip(feat["Start"], feat["End"]))]
        loc = locs[0] if len(locs) == 1 else CompoundLocation(locs if strand == 1 else locs[::-1])
        seq = chrom_seqs.setdefault(r.chrom, yeast.genome.fetch(r.chrom))
        ref_p = str(loc.extract(Seq(seq)).translate())
        mut = seq[:r.pos - 1] + r.alt + seq[r.pos:]
        alt_p = str(loc.extract(Seq(mut)).translate())
        diff = [i for i, (x, y) in enumerate(zip(ref_p, alt_p)) if x != y]
        expect = "synonymous" if not diff else "nonsense" if alt_p[diff[0]] == "*" else \
            "stop_lost" if ref_p[diff[0]] == "*" else "missense"
        assert r.EFFECT == expect, r
        if diff:
            assert r.AA == f"{ref_p[diff[0]]}{diff[0] + 1}{alt_p[diff[0]]}"


def test_score_summary_and_mann_whitney_match_scipy(rng):
    from scipy import stats

    df = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 40, "llr": np.r_[rng.normal(0, 1, 30), rng.normal(-1, 1, 40)]})
    summ = va.score_summary(df, "g").set_index("g")
    a = df.loc[df.g == "a", "llr"].to_numpy()
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
    assert summ.loc["a", "ci_low"] == pytest.approx(lo) and summ.loc["a", "ci_high"] == pytest.approx(hi)
    cmp = va.compare_groups(a, df.loc[df.g == "b", "llr"], ("a", "b"))
    assert cmp.p_value == pytest.approx(stats.mannwhitneyu(a, df.loc[df.g == "b", "llr"]).pvalue)
    syn = va.synonymy(pd.DataFrame({"EFFECT": ["synonymous", "missense", "nonsense", None]})).tolist()
    assert syn[:3] == ["synonymous", "nonsynonymous", "nonsynonymous"] and pd.isna(syn[3])


def test_cds_summary_table_matches_a_hand_computation(rng):
    """Groups by synonymy, then EFFECT, then codon position; n, mean, t-interval and median by hand."""
    from scipy import stats

    effects = np.array(["synonymous", "missense", "nonsense", "stop_lost", "intergenic"])[rng.integers(0, 5, 200)]
    df = pd.DataFrame({"EFFECT": effects, "CODON_POS": rng.integers(1, 4, 200).astype(str),
                       "llr": rng.normal(-0.5, 1.0, 200)})
    df.loc[df.index[::17], "llr"] = np.nan  # unscored rows are left out
    got = va.cds_summary_table(df)  # no synonymy column: derived from EFFECT
    cds = df[df["EFFECT"] != "intergenic"].dropna(subset=["llr"])
    syn = np.where(cds["EFFECT"] == "synonymous", "synonymous", "nonsynonymous")
    groups = [("nonsynonymous", cds["llr"][syn == "nonsynonymous"]), ("synonymous", cds["llr"][syn == "synonymous"])]
    groups += [(e, cds["llr"][cds["EFFECT"] == e]) for e in sorted(set(cds["EFFECT"]))]
    groups += [(f"codon pos {c}", cds["llr"][cds["CODON_POS"] == c]) for c in ("1", "2", "3")]
    assert list(got.columns) == ["group", "n", "mean", "ci_low", "ci_high", "median"]
    assert list(got["group"]) == [g for g, _ in groups]
    for row, (_, x) in zip(got.itertuples(), groups):
        x = x.to_numpy()
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=x.std(ddof=1) / np.sqrt(len(x)))
        assert (row.n, row.mean, row.median) == (len(x), pytest.approx(x.mean()), pytest.approx(np.median(x)))
        assert row.ci_low == pytest.approx(lo) and row.ci_high == pytest.approx(hi)
    # the same table from a frame that already carries the synonymy column (as score_vcf_table returns)
    pd.testing.assert_frame_equal(va.cds_summary_table(df.assign(synonymy=va.synonymy(df))), got)
    assert va.cds_summary_table(df.assign(EFFECT="intergenic")).empty


def test_vcf_summary_is_frozen_and_readers_hand_out_snapshots(tmp_path, chloroplast):
    import dataclasses

    g = chloroplast.genome
    c = g.chroms[0]
    s = g.fetch(c, 0, 1000)
    lines = [f"{c}\t{p}\tv{p}\t{s[p - 1]}\t{'A' if s[p - 1] != 'A' else 'C'}\t.\t.\t." for p in range(10, 100, 10)]
    lines.append(f"{c}\t500\tindel\t{s[499:501]}\t{s[499]}\t.\t.\t.")
    vcf = tmp_path / "t.vcf"
    _write_vcf(vcf, {c: g.lengths[c]}, lines)
    reader = va.VcfReader(vcf, chloroplast, batch_size=4)
    it = iter(reader)
    next(it)
    first = reader.summary
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.scored = 99
    list(it)
    last = reader.summary
    assert (first.records, first.scored) == (4, 4)  # a snapshot: later batches do not change it
    assert (last.records, last.alleles, last.scored, last.skipped) == (10, 10, 9, {va.REASON_INDEL: 1})
    assert "9 scored" in last.line() and list(last.table()["count"]) == [9, 1]


def test_one_context_rule_for_flanks_and_variant_windows(tiny_mlm):
    from types import SimpleNamespace

    from glm_explore.context import DEFAULT_WINDOW, MAX_FLANK, centered_window_bounds, context_flank

    rf = tiny_mlm.info.receptive_field
    assert context_flank(tiny_mlm) == rf and context_flank(tiny_mlm, cap=rf - 1) == rf - 1
    assert variant_window(tiny_mlm) == 2 * rf + 1
    unbounded = SimpleNamespace(info=SimpleNamespace(receptive_field=None, max_len=600))
    assert context_flank(unbounded) == MAX_FLANK and context_flank(unbounded, cap=256) == 256
    assert context_flank(unbounded, region_length=100) == 250  # fits max_len around the region
    assert context_flank(unbounded, region_length=700) == 0
    assert variant_window(unbounded) == min(DEFAULT_WINDOW, 600)
    assert variant_window(SimpleNamespace(info=SimpleNamespace(receptive_field=None, max_len=4096))) == DEFAULT_WINDOW
    wide = SimpleNamespace(info=SimpleNamespace(receptive_field=285, max_len=100_000))  # the built-in CLM's R
    assert variant_window(wide, cap=None) == 571 and variant_window(wide) == DEFAULT_WINDOW
    assert centered_window_bounds(100, 41, 1000) == (80, 20)  # the variant at index W // 2
    assert centered_window_bounds(100, 40, 1000) == (80, 20)
    assert centered_window_bounds(3, 41, 1000) == (0, 3) and centered_window_bounds(995, 41, 1000) == (959, 36)
    assert centered_window_bounds(5, 41, 20) == (0, 5)  # a contig shorter than the window is used whole


# ------------------------------------------------------------------------------------------ page
PAGE = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "pages" / "variants.py")


def test_page_single_variant_on_chloroplast():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["dataset_key"] = "chloroplast"
    at.run()
    assert not at.exception and not at.error
    assert any("Negative LLR" in i.value for i in at.info)  # the sign convention is stated
    at.number_input(key="variants_pos").set_value(1000)
    at.slider(key="variants_half").set_value(5)
    at.button(key="variants_single_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    table = at.dataframe[0].value
    assert len(table) == 3 and table["llr"].notna().all()  # all three alternatives at the site
    picked = table[table["alt"] == at.session_state["variants_single"].params.alt]
    assert metrics["LLR (this ALT)"] == f"{picked['llr'].iat[0]:+.3f}"
    # a REF that does not match the genome is an error message, not a traceback
    at.text_input(key="variants_ref").set_value("A" if table["ref"].iat[0] != "A" else "C")
    at.button(key="variants_single_go").click().run()
    assert not at.exception and len(at.error) == 1 and "REF mismatch" in at.error[0].value


def test_page_batch_demo_vcf_on_yeast():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["dataset_key"] = "yeast"
    at.run()
    at.number_input(key="variants_limit").set_value(12)
    at.button(key="variants_batch_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("SYNTHETIC" in w.value for w in at.warning)
    assert any("12 scored" in m.value and "REF mismatch: 1" in m.value for m in at.markdown)
    scores = at.dataframe[2].value
    assert len(scores) == 12 and scores["llr"].notna().all() and "region_class" in scores
    # SNVs are placed against the shipped default-mlm background, as score-vcf writes them
    from glm_explore.calibration import shipped_background

    bg = shipped_background("default-mlm", "yeast")
    snv = scores[scores["kind"].fillna("SNV") == "SNV"] if "kind" in scores else scores
    assert len(snv) and snv["llr_pct_genome"].between(0, 1).all()
    for row in snv.itertuples():
        if row.region_class in bg.classes:
            assert row.llr_pct_class == bg.classes[row.region_class].fraction_at_or_below(row.llr)
    assert any("llr_pct_class" in c.value for c in at.caption)


def test_parquet_schema_comes_from_the_declared_columns():
    """Each column's type is the one declared beside its scorer; an undeclared column raises, never becomes text."""
    import pyarrow as pa

    df = pd.DataFrame({"chrom": ["c1", "c1"], "pos": [5, 9], "ref": ["A", "G"], "alt": ["C", "T"],
                       "EFFECT": ["missense", None], "status": ["ok", "ok"], "llr": [-1.5, 0.25],
                       "length": [1.0, np.nan], "region_class": ["CDS", None]})
    table = va.arrow_table(df, ["EFFECT"])
    assert table.schema.types == [pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(),
                                  pa.float64(), pa.int64(), pa.string()]
    assert table.column("length").to_pylist() == [1, None] and table.column("EFFECT").to_pylist() == ["missense", None]
    with pytest.raises(va.UndeclaredColumnError, match="'new_score'"):
        va.parquet_bytes(df.assign(new_score=[0.5, 0.1]), ["EFFECT"])
    with pytest.raises(va.UndeclaredColumnError, match="'EFFECT'"):  # an INFO field only passes when named
        va.arrow_table(df)


def test_variant_score_settings_are_one_frozen_object(tiny_mlm, chloroplast):
    """Overrides go through the settings object; an unknown name or a bad value is refused before any work."""
    s = va.VariantScoreSettings(window=21, rc=False)
    assert va.VariantScoreSettings.from_dict(s.as_dict()) == s
    with pytest.raises(TypeError, match="windw"):
        va.score_variants(tiny_mlm, chloroplast, pd.DataFrame(columns=["chrom", "pos", "ref", "alt"]), windw=21)
    with pytest.raises(va.VariantError, match="clm_reduce"):
        va.VariantScoreSettings(clm_reduce="max")
