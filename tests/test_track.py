"""Genome-wide tracks (glm_explore.track): values equal the logits table and a whole-contig brute force,
bigWigs read back, resume skips finished chunks, and bad requests name what to fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glm_explore import logits as lg
from glm_explore import track as tk
from glm_explore.errors import AnnotationError, RegionError
from glm_explore.io.genome import Genome

CP = "NC_000932"
CP_LEN = 154_478


def table_tracks(model, genome, region: str, rc: bool) -> pd.DataFrame:
    """Independent reference: the logits page's table for ``region``, with min LLR from its p_A…p_T."""
    res = lg.nucleotide_logits(model, lg.region_window(genome, region, model), rc=rc)
    table = lg.position_table(res)
    logp = np.log(table[["p_A", "p_C", "p_G", "p_T"]].to_numpy(dtype=float))
    ref = np.log(table["p_ref"].to_numpy(dtype=float))
    alts = np.where(table[["p_A", "p_C", "p_G", "p_T"]].columns.str[-1].to_numpy()[None, :] == table["ref"].to_numpy()[:, None],
                    np.inf, logp)
    return table.assign(min_llr=alts.min(axis=1) - ref)


def compute_plan(model, genome, chunks, **kw) -> dict[str, np.ndarray]:
    """The chunks' values concatenated (chunks of one contiguous span, in order)."""
    vals = [tk.compute_chunk(model, genome, c, **kw) for c in chunks]
    return {n: np.concatenate([v.track(n) for v in vals]) for n in tk.TRACKS}


@pytest.mark.parametrize("fixture,rc", [("default_mlm", True), ("default_clm", False)])
def test_track_equals_logits_table_across_chunk_edges(fixture, rc, request, chloroplast, one_thread):
    """Sampled regions, cut into chunks whose edges fall inside them (and one at the contig end)."""
    model = request.getfixturevalue(fixture)
    for start, end, chunk_bp in [(40_000, 40_260, 97), (CP_LEN - 150, CP_LEN, 64)]:
        chunks = tk.plan_chunks(chloroplast.genome, regions=pd.DataFrame(
            {"Chromosome": [CP], "Start": [start], "End": [end]}), chunk_bp=chunk_bp)
        assert len(chunks) > 1 and chunks[-1].end == end
        got = compute_plan(model, chloroplast, chunks, rc=rc)
        ref = table_tracks(model, chloroplast.genome, f"{CP}:{start + 1}-{end}", rc)
        np.testing.assert_allclose(got["p_ref"], ref["p_ref"], atol=2e-6)
        np.testing.assert_allclose(got["entropy_bits"], ref["entropy_bits"], atol=1e-5)
        np.testing.assert_allclose(got["min_llr"], ref["min_llr"], atol=1e-4)


def n_genome(tmp_path, rng) -> tuple[Genome, str]:
    """A 2-contig FASTA with N runs (one crossing a chunk edge, one at the contig start)."""
    seq = "".join(rng.choice(list("ACGT"), 700))
    seq = "NNNNN" + seq[5:300] + "N" * 40 + seq[340:]  # N at 0..5 and 300..340
    other = "".join(rng.choice(list("ACGT"), 90))
    (tmp_path / "g.fa").write_text(f">c1\n{seq}\n>c2\n{other}\n")
    return Genome(tmp_path / "g.fa"), seq


def brute_whole_contig(model, seq: str) -> dict[str, np.ndarray]:
    """Whole-contig masked marginals, one mask per copy (no packing), both strands averaged by hand."""
    def fn(s):
        return lg.masked_marginals(model, s, exact=False)
    lp = lg.rc_average(fn, seq)
    lp = lp - np.logaddexp.reduce(lp, axis=0, keepdims=True)
    return tk.track_values(lp, seq)


def test_chunked_values_equal_whole_contig_brute_force_and_skip_n_runs(tiny_mlm, tmp_path, rng):
    genome, seq = n_genome(tmp_path, rng)
    chunks = tk.plan_chunks(genome, chroms=["c1"], chunk_bp=320)
    got = compute_plan(tiny_mlm, genome, chunks)
    want = brute_whole_contig(tiny_mlm, seq)
    n_pos = np.array([b == "N" for b in seq])
    for name in tk.TRACKS:
        assert np.isnan(got[name][n_pos]).all() and np.isfinite(got[name][~n_pos]).all()
        np.testing.assert_allclose(got[name][~n_pos], want[name][~n_pos], atol=1e-5)
    skipped = pd.concat([tk.compute_chunk(tiny_mlm, genome, c).skipped for c in chunks])
    assert [(r.start, r.end) for r in skipped.itertuples()] == [(0, 5), (300, 320), (320, 340)]
    assert (skipped["reason"] == tk.compute.REASON_N).all()


def test_min_llr_entropy_by_hand():
    p = np.array([[0.7, 0.1], [0.1, 0.2], [0.1, 0.3], [0.1, 0.4]])  # columns: ref A, ref T
    v = tk.track_values(np.log(p), "AT")
    np.testing.assert_allclose(v["p_ref"], [0.7, 0.4], rtol=1e-6)
    np.testing.assert_allclose(v["min_llr"], [np.log(0.1 / 0.7), np.log(0.1 / 0.4)], rtol=1e-6)
    h = [-(0.7 * np.log2(0.7) + 3 * 0.1 * np.log2(0.1)), -sum(q * np.log2(q) for q in (0.1, 0.2, 0.3, 0.4))]
    np.testing.assert_allclose(v["entropy_bits"], h, rtol=1e-6)


def test_bigwigs_read_back_with_header_values_and_skipped_bed(tiny_mlm, tmp_path, rng):
    import pyBigWig

    genome, seq = n_genome(tmp_path, rng)
    chunks = tk.plan_chunks(genome, chunk_bp=256)
    paths = tk.run_track(tiny_mlm, genome, chunks, tk.ChunkStore(tmp_path / "out"))
    whole = brute_whole_contig(tiny_mlm, seq)
    for name in tk.TRACKS:
        bw = pyBigWig.open(str(paths[name]))
        assert bw.chroms() == {"c1": len(seq), "c2": 90}
        vals = np.array(bw.values("c1", 0, len(seq)))
        n_pos = np.array([b == "N" for b in seq])
        assert np.isnan(vals[n_pos]).all()
        np.testing.assert_allclose(vals[~n_pos], whole[name][~n_pos], atol=1e-5)
        assert np.isfinite(bw.values("c2", 0, 90)).all()
        bw.close()
    bed = pd.read_csv(paths["skipped"], sep="\t", comment="#", header=None, names=["chrom", "start", "end", "reason"])
    assert bed[["chrom", "start", "end"]].values.tolist() == [["c1", 0, 5], ["c1", 300, 340]]  # joined over chunks
    readme = paths["readme"].read_text()
    assert "IGV" in readme and "UCSC" in readme and "bigDataUrl" in readme and "tiny-mlm" in readme
    df = tk.read_track(tmp_path / "out", "c1", 295, 305)
    assert df["pos"].tolist() == list(range(296, 306))
    assert np.isnan(df["p_ref"].iloc[5:]).all() and np.isfinite(df["p_ref"].iloc[:5]).all()
    np.testing.assert_allclose(df["min_llr"].iloc[:5], whole["min_llr"][295:300], atol=1e-5)
    assert tk.find_tracks([tmp_path]) == [tmp_path / "out"]
    assert tk.find_tracks([tmp_path], genome_name="other") == []


def test_resume_computes_only_missing_chunks(tiny_mlm, tmp_path, rng, monkeypatch):
    genome, _ = n_genome(tmp_path, rng)
    chunks = tk.plan_chunks(genome, chunk_bp=100)  # 7 + 1 chunks
    assert len(chunks) == 8
    calls: list[tk.Chunk] = []
    real = tk.local.compute_chunk

    def flaky(model, g, chunk, **kw):
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed mid-run after 3 chunks
        calls.append(chunk)
        return real(model, g, chunk, **kw)

    store = tk.ChunkStore(tmp_path / "out")
    monkeypatch.setattr(tk.local, "compute_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        tk.run_track(tiny_mlm, genome, chunks, store)
    assert calls == chunks[:3] and all(store.done(c) for c in chunks[:3]) and not store.done(chunks[3])
    assert not list(store.chunk_dir.glob(".*tmp"))  # no half-written file left
    calls.clear()
    monkeypatch.setattr(tk.local, "compute_chunk", lambda *a, **kw: calls.append(a[2]) or real(*a, **kw))
    first = tk.run_track(tiny_mlm, genome, chunks, store)
    assert calls == chunks[3:]
    calls.clear()
    again = tk.run_track(tiny_mlm, genome, chunks, store)
    assert calls == [] and again == first
    fresh = tk.run_track(tiny_mlm, genome, chunks, tk.ChunkStore(tmp_path / "fresh"))
    for name in tk.TRACKS:
        assert fresh[name].read_bytes() == first[name].read_bytes()  # resumed output = output of one run


def test_settings_are_checked_on_resume_and_missing_chunks_refused(tiny_mlm, tiny_clm, tmp_path, rng):
    genome, _ = n_genome(tmp_path, rng)
    chunks = tk.plan_chunks(genome, chroms=["c2"], chunk_bp=50)
    store = tk.ChunkStore(tmp_path / "out")
    tk.run_track(tiny_mlm, genome, chunks, store)
    with pytest.raises(tk.TrackError, match="other settings.*tiny-clm"):
        tk.run_track(tiny_clm, genome, chunks, store)
    with pytest.raises(tk.TrackError, match="rc"):
        tk.run_track(tiny_mlm, genome, chunks, store, rc=False)
    with pytest.raises(tk.TrackError, match="not computed"):
        tk.ChunkStore(tmp_path / "empty").assemble(genome, chunks)


def test_plan_chunks_cover_merged_regions_in_genome_order(chloroplast, tmp_path):
    bed = tmp_path / "r.bed"
    bed.write_text(f"track name=x\n{CP}\t500\t700\n{CP}\t100\t250\n{CP}\t200\t300\n")
    regions = tk.read_regions_bed(bed, chloroplast)
    chunks = tk.plan_chunks(chloroplast, regions=regions, chunk_bp=80)
    assert [(c.start, c.end) for c in chunks] == [(100, 180), (180, 260), (260, 300), (500, 580), (580, 660),
                                                  (660, 700)]
    assert [c.index for c in chunks] == list(range(6))
    whole = tk.plan_chunks(chloroplast, chunk_bp=100_000)
    assert [(c.start, c.end) for c in whole] == [(0, 100_000), (100_000, CP_LEN)]


def test_bad_requests_name_what_to_fix(chloroplast, yeast, tmp_path):
    with pytest.raises(RegionError, match="chrZZ"):
        tk.plan_chunks(chloroplast, chroms=["chrZZ"])
    past = tmp_path / "past.bed"
    past.write_text(f"{CP}\t100\t200\n{CP}\t154000\t160000\n")
    with pytest.raises(RegionError, match="runs past the end"):
        tk.read_regions_bed(past, chloroplast)
    unknown = tmp_path / "u.bed"
    unknown.write_text("ctgA\t1\t10\n")
    with pytest.raises(RegionError, match="ctgA"):
        tk.read_regions_bed(unknown, yeast)
    bad = tmp_path / "bad.bed"
    bad.write_text(f"{CP}\t100\n")
    with pytest.raises(AnnotationError, match="3 tab-separated"):
        tk.read_regions_bed(bad, chloroplast)
    with pytest.raises(RegionError, match=".bed"):
        tk.read_regions_bed(tmp_path / "r.txt", chloroplast)
    assert [c.chrom for c in tk.plan_chunks(yeast, chroms=["16", "chrI"], chunk_bp=10_000_000)] == ["chrI", "chrXVI"]
