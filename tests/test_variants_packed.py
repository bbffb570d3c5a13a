"""Packed variant scoring (issue 14 §1): many masked sites per forward, local CLM deltas, chromosome cache.

Every packed score is checked against an independent computation: one hand-cut centred window per site
fed to the model's own ``log_probs`` (the brute force), a closed-form oracle model, and the
one-window-per-site reference path (``packed=False``) on the default models and the demo VCF.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from Bio.Seq import Seq
from oracles import NeighbourMLM

from glm_explore import variants as va
from glm_explore.context import variant_window
from glm_explore.io.genome import Genome
from glm_explore.variants.packing import context_rows

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}
IDX = {b: i for i, b in enumerate("ACGT")}
COLS = ["chrom", "pos", "ref", "alt"]


pytestmark = pytest.mark.usefixtures("one_thread_module")  # tiny models on a shared machine: one torch thread


@pytest.fixture(scope="module")
def small_genome(tmp_path_factory) -> Genome:
    """Four contigs: 3 kb with N runs, 40 bp, 12 bp (shorter than tiny_mlm's 17-bp window) and 2 bp."""
    rng = np.random.default_rng(7)
    seq = list("".join(rng.choice(list("ACGT"), 3000)))
    seq[100:110] = "N" * 10
    seq[2000:2003] = "NNN"
    contigs = {"c1": "".join(seq), **{f"c{k}": "".join(rng.choice(list("ACGT"), n)) for k, n in ((2, 40), (3, 12), (4, 2))}}
    path = tmp_path_factory.mktemp("fa") / "small.fa"
    path.write_text("".join(f">{c}\n{s}\n" for c, s in contigs.items()))
    return Genome(path)


def _all_alts(genome: Genome, sites) -> pd.DataFrame:
    """Every alternative (3 per site: multi-allelic) at 1-based ``sites`` = [(chrom, pos)], ACGT refs only."""
    rows = []
    for c, p in sites:
        ref = genome.fetch(c, p - 1, p)
        rows += [(c, p, ref, a) for a in "ACGT" if ref in IDX and a != ref]
    return pd.DataFrame(rows, columns=COLS)


def _edge_and_n_sites(g: Genome, R: int, rng) -> list[tuple[str, int]]:
    n1 = g.lengths["c1"]
    pos = set(range(1, R + 4)) | set(range(n1 - R - 3, n1 + 1)) | set(range(90, 125)) | set(range(1990, 2015))
    pos |= set(range(500, 700)) | {int(x) for x in rng.integers(1, n1 + 1, 60)}
    sites = [("c1", p) for p in sorted(pos)]
    return sites + [(c, p) for c in ("c2", "c3", "c4") for p in range(1, g.lengths[c] + 1)]


def _brute_llr(model, g: Genome, df: pd.DataFrame, window: int, rc: bool = True) -> np.ndarray:
    """One centred window per variant, cut by hand (GPN's rule, shifted onto the contig), one masked forward
    per strand, batch of one; the reverse strand at the mirrored index with complemented alleles."""
    out = []
    for r in df.itertuples():
        n, p = g.lengths[r.chrom], r.pos - 1
        L = min(window, n)
        start = min(max(0, p - window // 2), n - L)
        seq, i = g.fetch(r.chrom, start, start + L), p - start
        assert seq[i] == r.ref
        llr = []
        strands = [(seq, i, r.ref, r.alt), (str(Seq(seq).reverse_complement()), L - 1 - i, COMP[r.ref], COMP[r.alt])]
        for s, k, ref, alt in strands[:2 if rc else 1]:
            m = np.zeros((1, L), dtype=bool)
            m[0, k] = True
            lp = model.log_probs([s], m)[0][:, k]
            llr.append(lp[IDX[alt]] - lp[IDX[ref]])
        out.append(np.mean(llr))
    return np.array(out)


# ------------------------------------------------------------------------------------------ layout
def test_packed_rows_hold_each_sites_own_context_and_masks_never_see_each_other(small_genome, rng):
    g, R, row_len = small_genome, 8, 64
    sites = _edge_and_n_sites(g, R, rng)
    chroms, pos0 = [c for c, _ in sites], np.array([p - 1 for _, p in sites])
    pk = va.pack_sites(chroms, pos0, g.lengths, R, row_len)
    rows = pk.sequences({c: g.fetch(c) for c in g.chroms})
    assert (pk.lengths <= row_len).all() and [len(s) for s in rows] == list(pk.lengths)
    for c, p, r, off in zip(chroms, pos0, pk.site_row, pk.site_offset):
        n, row = g.lengths[c], rows[r]
        lo, hi = max(0, p - R), min(n, p + R + 1)
        assert row[off - (p - lo):off + (hi - p)] == g.fetch(c, lo, hi)  # the whole context, in place
        if lo == 0:  # the context starts at the contig start: so does the row (the model pads there)
            assert off == p
        if hi == n:
            assert off + (n - p) == len(row)
    for r in range(len(rows)):
        offs = np.sort(pk.site_offset[pk.site_row == r])
        assert (np.diff(offs) > R).all()  # no masked site inside another's receptive field


def test_a_dense_region_costs_about_r_plus_one_bases_per_site_and_strand(small_genome):
    """Overlapping contexts are shared: every site of 2 kb costs ≈ R+1 row bases, not a 2R+1 window."""
    R = 8
    pos0 = np.arange(200, 2200)
    pk = va.pack_sites(["c1"] * len(pos0), pos0, small_genome.lengths, R, 1024)
    per_site = pk.lengths.sum() / len(pos0)
    assert per_site < 1.1 * (R + 1) < 2 * R + 1, per_site
    with pytest.raises(ValueError, match="shorter than one site"):
        va.pack_sites(["c1"], [5], small_genome.lengths, R, 2 * R)


def test_context_rows_hold_whole_contexts_and_end_only_at_contig_ends_or_far_from_sites(small_genome, rng):
    g, R, row_len = small_genome, 8, 60
    chroms, pos0 = [], []
    for c in g.chroms:
        n = g.lengths[c]
        ps = np.unique(np.concatenate([[0, n - 1], rng.integers(0, n, 25), np.arange(min(30, n))]))
        chroms += [c] * len(ps)
        pos0 += ps.tolist()
    pk = context_rows(chroms, pos0, g.lengths, R, row_len)
    rows = pk.sequences({c: g.fetch(c) for c in g.chroms})
    assert (pk.lengths <= row_len).all() and (pk.site_row >= 0).all()
    for c, p, r, off in zip(chroms, pos0, pk.site_row, pk.site_offset):
        (rc, a, b), = pk.rows[r]
        assert rc == c and a + off == p and rows[r][off] == g.fetch(c, p, p + 1)
        assert a <= max(0, p - R) and b >= min(g.lengths[c], p + R + 1)  # the whole context is in the row
    for r, ((c, a, b),) in enumerate(pk.rows):
        p = np.array(pos0)[pk.site_row == r]
        assert a == 0 or p.min() - a >= R  # a row starts at the contig start or R before its first site
        assert b == g.lengths[c] or b - p.max() - 1 >= R
    with pytest.raises(ValueError, match="shorter than one site"):
        context_rows(["c1"], [5], g.lengths, R, 2 * R)


# ------------------------------------------------------------------------------------------ MLM exactness
@pytest.mark.parametrize("cones", [True, False], ids=["masked-sites-cones", "packed-masks"])
@pytest.mark.parametrize("window", [None, 40])
def test_packed_mlm_equals_one_window_per_site_brute_force(small_genome, tiny_mlm, rng, window, cones):
    """Contig ends, contigs shorter than the window, N in the window, dense runs, 3 alternatives per site,
    both strands: packed == brute force (< 1e-5) and == the packed=False reference — through the CNN's
    single-mask cones (``masked_sites``) and through masks packed R + 1 apart (models without it)."""
    g = small_genome
    if not cones:
        tiny_mlm = _Counting(tiny_mlm)
    df = _all_alts(g, _edge_and_n_sites(g, tiny_mlm.info.receptive_field, rng))
    assert df["chrom"].isin(["c3", "c4"]).any() and len(df) > 1000
    W = window or variant_window(tiny_mlm)
    packed = va.mlm_llr(tiny_mlm, g, df, window=window)
    assert (packed["status"] == "ok").all()
    brute = _brute_llr(tiny_mlm, g, df, W)
    np.testing.assert_allclose(packed["llr"], brute, atol=1e-5, rtol=0)
    ref = va.mlm_llr(tiny_mlm, g, df, window=window, packed=False)
    np.testing.assert_allclose(packed[["logp_ref", "logp_alt", "llr"]], ref[["logp_ref", "logp_alt", "llr"]],
                               atol=1e-5, rtol=0)
    fwd = va.mlm_llr(tiny_mlm, g, df.iloc[::7], window=window, rc=False)
    np.testing.assert_allclose(fwd["llr"], _brute_llr(tiny_mlm, g, df.iloc[::7], W, rc=False), atol=1e-5, rtol=0)


def test_packed_mlm_matches_a_closed_form_oracle(small_genome, rng):
    """NeighbourMLM (R = 1): LLR = log T[left,right][alt] − log T[left,right][ref], 0 when a neighbour is off
    the contig or N; the reverse strand sees the complemented neighbours swapped."""
    table = rng.uniform(0.1, 1.0, (16, 4))
    model = NeighbourMLM(table)
    T = np.log(table / table.sum(1, keepdims=True))
    g = small_genome
    df = _all_alts(g, _edge_and_n_sites(g, 1, rng))
    got = va.mlm_llr(model, g, df)
    code = {**IDX, "N": 4}

    def strand(left: str, right: str, ref: str, alt: str) -> float:
        if code[left] > 3 or code[right] > 3:
            return 0.0
        row = T[4 * code[left] + code[right]]
        return row[IDX[alt]] - row[IDX[ref]]
    exp = []
    for r in df.itertuples():
        s, p = g.fetch(r.chrom), r.pos - 1
        left, right = (s[p - 1] if p > 0 else "N"), (s[p + 1] if p + 1 < len(s) else "N")
        rl, rr = COMP.get(right, "N"), COMP.get(left, "N")
        exp.append((strand(left, right, r.ref, r.alt) + strand(rl, rr, COMP[r.ref], COMP[r.alt])) / 2)
    np.testing.assert_allclose(got["llr"], exp, atol=1e-12)


def test_packed_default_mlm_equals_the_per_site_reference(yeast, default_mlm):
    """A few hundred yeast sites with the default MLM: contig start and end, a dense run, sparse sites on
    several chromosomes, 3 alternatives at some: packed == one 285-bp window per site (< 1e-5)."""
    g = yeast.genome
    n1 = g.lengths["chrI"]
    rng = np.random.default_rng(3)
    sites = [("chrI", p) for p in [*range(1, 9), *range(140, 147), *range(n1 - 7, n1 + 1), *range(5000, 5100)]]
    sites += [(c, int(p)) for c in ("chrII", "chrIII", "chrVI") for p in rng.integers(300, g.lengths[c] - 300, 30)]
    df = _all_alts(g, sites)
    df = pd.concat([df.iloc[:90], df.iloc[90::3]])  # all alternatives at the edges, one in three elsewhere
    assert df[["chrom", "pos"]].drop_duplicates().shape[0] > 200
    packed = va.score_variants(default_mlm, yeast, df)
    ref = va.score_variants(default_mlm, yeast, df, packed=False)
    assert (packed["status"] == "ok").all() and list(packed["region_class"]) == list(ref["region_class"])
    assert np.abs(packed["llr"] - ref["llr"]).max() < 1e-5


class _Counting:
    """A model wrapper recording the (n, L) of every log_probs call; ``info`` may be replaced. It declares no
    ``masked_sites`` (as a bounded-receptive-field model other than the built-in CNN), so masks are packed."""

    def __init__(self, model, **info):
        caps = replace(model.info.capabilities, masked_sites=False)
        self.model, self.info, self.calls = model, replace(model.info, capabilities=caps, **info), []

    def log_probs(self, seqs, masked=None, *, batch_size=64):
        self.calls.append((len(seqs), len(seqs[0])))
        return self.model.log_probs(seqs, masked, batch_size=batch_size)


def test_unbounded_models_and_short_windows_keep_one_window_per_site(chloroplast, tiny_mlm):
    c = chloroplast.genome.chroms[0]
    df = _all_alts(chloroplast.genome, [(c, p) for p in range(3000, 3020)])
    packed = _Counting(tiny_mlm)
    a = va.mlm_llr(packed, chloroplast, df)
    L, R = packed.calls[0][1], tiny_mlm.info.receptive_field
    assert packed.calls == [(1, L)] * 2 and L < 20 * (2 * R + 1)  # 20 neighbours: one shared row per strand
    unbounded = _Counting(tiny_mlm, receptive_field=None)  # e.g. a transformer: no packing, 512-bp windows
    b = va.mlm_llr(unbounded, chloroplast, df)
    assert unbounded.calls == [(20, 512)] * 2
    np.testing.assert_allclose(a["llr"], b["llr"], atol=1e-5)  # 512 bp ⊃ the receptive field: same LLR
    short = _Counting(tiny_mlm)
    va.mlm_llr(short, chloroplast, df, window=15)  # shorter than 2R+1: the window cuts context, per site
    assert short.calls == [(20, 15)] * 2 and not va.uses_packing(tiny_mlm, 15) and va.uses_packing(tiny_mlm, 17)


# ------------------------------------------------------------------------------------------ CLM
@pytest.mark.parametrize("window", [None, 101])
def test_clm_local_delta_equals_full_recomputation(small_genome, tiny_clm, rng, window):
    g, R = small_genome, tiny_clm.info.receptive_field
    df = _all_alts(g, _edge_and_n_sites(g, R, rng)[::3])
    W = window or variant_window(tiny_clm, cap=512)

    def ll(s: str) -> float:  # whole-window Σ log P(x_t | x_<t) in float64, N terms left out
        lp = tiny_clm.log_probs([s])[0].astype(np.float64)
        return sum(lp[IDX[b], t] for t, b in enumerate(s) if b in IDX)
    for reduce in ("sum", "mean"):
        got = va.clm_delta(tiny_clm, g, df, window=window, reduce=reduce, both_strands=True)
        exp = []
        for r in df.itertuples():
            n, p = g.lengths[r.chrom], r.pos - 1
            L = min(W, n)
            start = min(max(0, p - W // 2), n - L)
            ref = g.fetch(r.chrom, start, start + L)
            alt = ref[:p - start] + r.alt + ref[p - start + 1:]
            d = (ll(alt) - ll(ref) + ll(str(Seq(alt).reverse_complement())) - ll(str(Seq(ref).reverse_complement()))) / 2
            exp.append(d / L if reduce == "mean" else d)
        np.testing.assert_allclose(got["llr"], exp, atol=1e-5, rtol=0)
        full = va.clm_delta(tiny_clm, g, df, window=window, reduce=reduce, both_strands=True, packed=False)
        np.testing.assert_allclose(got[["ll_ref", "ll_alt"]], full[["ll_ref", "ll_alt"]], atol=2e-4, rtol=0)


def test_clm_alt_forwards_cover_only_the_bases_a_substitution_changes(chloroplast, tiny_clm):
    R = tiny_clm.info.receptive_field
    c = chloroplast.genome.chroms[0]
    df = _all_alts(chloroplast.genome, [(c, 4000), (c, 9000)])
    counting = _Counting(tiny_clm)
    va.clm_delta(counting, chloroplast, df, window=301, both_strands=False)
    assert counting.calls == [(2, 301), (6, 2 * R + 1)]  # 2 reference windows once, 6 alts over 2R+1 bases


# ------------------------------------------------------------------------------------------ genome cache, VCF
def test_chromosome_cache_reads_each_chromosome_once_when_the_genome_fits(yeast, monkeypatch):
    g = yeast.genome
    order = ["chrI", "chrII", "chrIII", "chrI", "chrII", "chrIII", "chrI"]
    expect = [g.fetch(c, 10, 11) for c in order]
    reads = []
    monkeypatch.setattr(g, "fetch", lambda c, s=0, e=None, _f=g.fetch: reads.append(c) or _f(c, s, e))
    whole = va.ChromCache(g)  # 12 Mb: every chromosome stays once read
    assert [whole[c][10] for c in order] == expect and reads == ["chrI", "chrII", "chrIII"]
    reads.clear()
    streaming = va.ChromCache(g, max_total_bp=1_000_000)  # does not fit: the last two chromosomes stay
    assert [streaming[c][10] for c in order] == expect and reads == order  # each switch past two rereads
    reads.clear()
    assert [streaming["chrIII"][10], streaming["chrI"][10]] == [expect[2], expect[0]] and reads == []


def test_demo_vcf_scores_through_the_cli_equal_the_per_site_reference(tmp_path, yeast, default_mlm):
    """score-vcf (packed, the default) writes the same Parquet rows and skip list as the per-site path."""
    import pyarrow.parquet as pq

    from glm_explore.cli import main

    packed_out = tmp_path / "packed.parquet"
    assert main(["score-vcf", str(va.DEMO_VCF), "--genome", "yeast", "--model", "default-mlm", "--out",
                 str(packed_out), "--quiet", "--max-sv-size", "0", "--background", "none"]) == 0
    ref_out = tmp_path / "ref.parquet"
    summary = va.write_vcf_scores(default_mlm, yeast, va.DEMO_VCF, ref_out, tmp_path / "ref.skipped.tsv",
                                  va.VariantScoreSettings(packed=False))
    a, b = pq.read_table(packed_out), pq.read_table(ref_out)
    assert a.schema == b.schema and a.num_rows == b.num_rows == summary.scored > 1000
    a, b = a.to_pandas(), b.to_pandas()
    num = ["logp_ref", "logp_alt", "llr"]
    pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num))
    assert np.abs(a[num].to_numpy() - b[num].to_numpy()).max() < 1e-5
    assert (tmp_path / "packed.skipped.tsv").read_bytes() == (tmp_path / "ref.skipped.tsv").read_bytes()
