"""``--engine ray`` (glm_explore/distributed/) against the local engine, on one local Ray started here.

Every Ray output is compared with the local engine's output of the same command: the score-vcf Parquet (same
schema; float columns within 1e-6, everything else equal) and skipped-allele TSV (byte for byte), and the embed
Parquet (embeddings within 1e-5, every other column equal), on the chloroplast and on a yeast chromosome. A
worker killed mid-job (the ``GLM_EXPLORE_RAY_FAIL_AFTER`` hook) loses nothing after a resume. The generic pieces
(shard store, pool size, one-line errors, Ray missing) are tested without Ray jobs.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from glm_explore.cli import main
from glm_explore.distributed import ray_engine as eng

pytestmark = pytest.mark.slow  # a local Ray cluster per test module; most tests take 20-40 s

FLOAT_ATOL = 1e-6  # score-vcf: per-allele log-probabilities / LLRs (each shard runs the local scorer on the same batch)
EMBED_ATOL = 1e-5  # embed: pooled float32 hidden states (same windows, same forward batches)


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def ray_local():
    """One local Ray for the whole module (2 CPUs, no dashboard), shut down at the end."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}})
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory, tiny_mlm):
    """The tiny random ConvLM MLM saved as a model folder: the spec string every actor loads it from."""
    from glm_explore.train import save_weights

    out = tmp_path_factory.mktemp("models") / "tiny-mlm"
    save_weights(tiny_mlm.model, out, {"note": "random weights, tests only"})
    return str(out)


def _write_vcf(path, contigs: dict[str, int], lines: list[str]) -> None:
    header = ["##fileformat=VCFv4.2", *[f"##contig=<ID={c},length={n}>" for c, n in contigs.items()],
              '##INFO=<ID=NOTE,Number=1,Type=String,Description="free text">',
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    path.write_text("\n".join(header + lines) + "\n")


def _vcf_with_every_skip(path, genome, chrom: str, n: int, seed: int) -> None:
    """``n`` random SNVs on ``chrom`` (one multi-allelic) plus one allele of every skip reason, in VCF order."""
    rng = np.random.default_rng(seed)
    seq = genome.fetch(chrom)
    pos = np.sort(rng.choice(np.arange(200, len(seq) - 200), n, replace=False))
    lines = []
    for i, p in enumerate(pos):
        ref = seq[p - 1]
        alts = [b for b in "ACGT" if b != ref]
        alt = ",".join(alts[:2]) if i == 3 else alts[i % 3]
        lines.append(f"{chrom}\t{p}\tv{i}\t{ref}\t{alt}\t.\t.\tNOTE=n{i}")
    wrong = [b for b in "ACGT" if b != seq[pos[5] - 1]][0]
    extra = [f"{chrom}\t{pos[2]}\tindel\t{seq[pos[2] - 1]}{seq[pos[2]]}\t{seq[pos[2] - 1]}\t.\t.\t.",
             f"{chrom}\t{pos[5]}\tmismatch\t{wrong}\t{seq[pos[5] - 1]}\t.\t.\t.",
             f"{chrom}\t{pos[8]}\tsym\t{seq[pos[8] - 1]}\t<DEL>\t.\t.\t.",
             f"{chrom}\t{pos[9]}\tnonacgt\t{seq[pos[9] - 1]}\tN\t.\t.\t.",
             f"{chrom}\t{len(seq) + 5}\trange\tA\tC\t.\t.\t.",
             "chrNope\t10\tcontig\tA\tC\t.\t.\t."]
    for k, line in zip((3, 6, 10, 12, 14, 15), extra):
        lines.insert(k, line)
    contigs = {chrom: len(seq), "chrNope": 1000}
    _write_vcf(path, contigs, lines)


def _score(capsys, vcf, out, *extra) -> tuple[int, list[str]]:
    rc = main(["score-vcf", str(vcf), "--out", str(out), "--quiet", *extra])
    return rc, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def _same_scores(local, ray) -> None:
    """Same schema, same rows in the same order; float columns within FLOAT_ATOL, the rest equal."""
    import pyarrow.parquet as pq

    a, b = pq.read_table(local), pq.read_table(ray)
    assert a.schema.equals(b.schema, check_metadata=False)
    da, db = a.to_pandas(), b.to_pandas()
    assert len(da) == len(db) > 0
    floats = [c for c in da if da[c].dtype.kind == "f"]
    assert {"llr", "logp_ref", "logp_alt"} <= set(floats)
    np.testing.assert_allclose(db[floats].to_numpy(), da[floats].to_numpy(), atol=FLOAT_ATOL, rtol=0)
    pd.testing.assert_frame_equal(db.drop(columns=floats), da.drop(columns=floats))


@pytest.fixture(scope="module")
def chloro_vcf(tmp_path_factory, chloroplast, tiny_dir):
    """A chloroplast VCF with every skip reason, scored by the local engine (the reference)."""
    folder = tmp_path_factory.mktemp("chloro_vcf")
    vcf = folder / "in.vcf"
    _vcf_with_every_skip(vcf, chloroplast.genome, chloroplast.genome.chroms[0], 40, seed=3)
    rc = main(["score-vcf", str(vcf), "--genome", "chloroplast", "--model", tiny_dir, "--out",
               str(folder / "local.parquet"), "--batch-size", "7", "--quiet", "--max-sv-size", "0"])  # SNVs only
    assert rc == 0
    return vcf, folder


# ------------------------------------------------------------------------------------------------ score-vcf
def test_score_vcf_ray_equals_local_on_chloroplast(ray_local, chloro_vcf, tiny_dir, capsys):
    vcf, folder = chloro_vcf
    rc, err = _score(capsys, vcf, folder / "ray.parquet", "--genome", "chloroplast", "--model", tiny_dir,
                     "--batch-size", "7", "--engine", "ray", "--actors", "2", "--max-sv-size", "0")
    assert rc == 0, err
    _same_scores(folder / "local.parquet", folder / "ray.parquet")
    local_skips = (folder / "local.skipped.tsv").read_text()
    assert (folder / "ray.skipped.tsv").read_text() == local_skips
    reasons = set(pd.read_csv(folder / "ray.skipped.tsv", sep="\t")["reason"])
    assert reasons == {"indel or length-changing", "REF mismatch", "symbolic or missing ALT", "non-ACGT allele",
                       "position out of range", "unknown contig"}
    # 41 scorable alleles (40 SNVs, one with two ALTs) in chunks of ≤ 7 → 6 shards, all computed
    assert "41 scored" in err[-1] and "6 shards on Ray (0 resumed, 6 computed)" in err[-1]
    assert not (folder / "ray.parquet.ray-work").exists()  # the work folder goes once the output is written


def test_score_vcf_ray_scores_indels_like_local_with_max_sv_size(ray_local, chloro_vcf, tiny_dir, capsys):
    """--max-sv-size through Ray: the indel the SNV-only run skipped is scored, rows and skips equal local."""
    vcf, folder = chloro_vcf
    args = ["--genome", "chloroplast", "--model", tiny_dir, "--batch-size", "7", "--max-sv-size", "50"]
    rc, err = _score(capsys, vcf, folder / "local-sv.parquet", *args)
    assert rc == 0, err
    rc, err = _score(capsys, vcf, folder / "ray-sv.parquet", *args, "--engine", "ray", "--actors", "2")
    assert rc == 0, err
    _same_scores(folder / "local-sv.parquet", folder / "ray-sv.parquet")
    assert (folder / "ray-sv.skipped.tsv").read_text() == (folder / "local-sv.skipped.tsv").read_text()
    scored = pd.read_parquet(folder / "ray-sv.parquet")
    assert (scored["kind"] != "SNV").any() and "indel or length-changing" not in set(
        pd.read_csv(folder / "ray-sv.skipped.tsv", sep="\t")["reason"])


def test_score_vcf_ray_equals_local_on_a_yeast_chromosome_with_limit(ray_local, yeast, tmp_path, capsys):
    vcf = tmp_path / "chrI.vcf"
    _vcf_with_every_skip(vcf, yeast.genome, "chrI", 24, seed=5)
    common = ["--genome", "yeast", "--model", "default-mlm", "--batch-size", "6", "--limit", "20"]
    rc, err_local = _score(capsys, vcf, tmp_path / "local.parquet", *common)
    assert rc == 0
    rc, err_ray = _score(capsys, vcf, tmp_path / "ray.parquet", *common, "--engine", "ray")
    assert rc == 0, err_ray
    _same_scores(tmp_path / "local.parquet", tmp_path / "ray.parquet")
    assert (tmp_path / "ray.skipped.tsv").read_text() == (tmp_path / "local.skipped.tsv").read_text()
    # the summary (records, alleles, scored, skips, the limit note) is the local one, word for word
    assert err_ray[-1].startswith(err_local[-1].split(". Wrote")[0])
    assert "stopped at the requested limit" in err_ray[-1]
    assert len(pd.read_parquet(tmp_path / "ray.parquet")) == 20


def test_a_killed_worker_loses_no_records_after_resume(ray_local, chloro_vcf, tiny_dir, capsys, monkeypatch):
    vcf, folder = chloro_vcf
    out = folder / "killed.parquet"
    args = ["--genome", "chloroplast", "--model", tiny_dir, "--batch-size", "7", "--engine", "ray", "--actors", "1",
            "--max-sv-size", "0"]  # SNVs only, as the local reference
    monkeypatch.setenv(eng.FAIL_AFTER_ENV, "2")  # the one actor dies (os._exit) when asked for a 3rd shard
    rc, err = _score(capsys, vcf, out, *args)
    assert rc == 2 and "resume" in err[-1] and err[-1].startswith("error: the Ray job stopped")
    work = eng.work_dir_for(out)
    saved = sorted(work.glob("shard-*.parquet"))
    assert 1 <= len(saved) <= 2 and not out.exists()
    monkeypatch.delenv(eng.FAIL_AFTER_ENV)
    rc, err = _score(capsys, vcf, out, *args)
    assert rc == 0, err
    assert f"6 shards on Ray ({len(saved)} resumed, {6 - len(saved)} computed)" in err[-1]
    _same_scores(folder / "local.parquet", out)
    assert (folder / "killed.skipped.tsv").read_text() == (folder / "local.skipped.tsv").read_text()


def test_a_user_error_inside_an_actor_is_one_line(ray_local, chloro_vcf, tmp_path, capsys):
    vcf, _ = chloro_vcf
    rc, err = _score(capsys, vcf, tmp_path / "x.parquet", "--genome", "chloroplast", "--model",
                     str(tmp_path / "no_such_model"), "--engine", "ray", "--actors", "1")
    assert rc == 2 and len(err) == 1 and err[0].startswith("error: No model folder at"), err
    assert not (tmp_path / "x.parquet").exists() and not eng.work_dir_for(tmp_path / "x.parquet").exists()


# ------------------------------------------------------------------------------------------------ embed
@pytest.mark.parametrize("genome,model,chroms", [("chloroplast", "tiny", ""), ("yeast", "default-mlm", "chrI")])
def test_embed_ray_equals_local(ray_local, tiny_dir, tmp_path, capsys, genome, model, chroms):
    spec = tiny_dir if model == "tiny" else model
    common = ["embed", "--genome", genome, "--model", spec, "--cap", "6", "--no-umap", "--no-metrics",
              "--batch-size", "8", *(["--chroms", chroms] if chroms else [])]
    assert main([*common, "--out", str(tmp_path / "local.parquet")]) == 0
    assert main([*common, "--out", str(tmp_path / "ray.parquet"), "--engine", "ray", "--shard-size", "8",
                 "--actors", "2"]) == 0
    a, b = pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "ray.parquet")
    assert len(a) == len(b) > 8  # more than one shard
    ea, eb = np.stack(a.pop("embedding")), np.stack(b.pop("embedding"))
    np.testing.assert_allclose(eb, ea, atol=EMBED_ATOL, rtol=0)
    np.testing.assert_allclose(b[["pca1", "pca2"]], a[["pca1", "pca2"]], atol=1e-4)
    pd.testing.assert_frame_equal(b.drop(columns=["pca1", "pca2"]), a.drop(columns=["pca1", "pca2"]))
    assert "shards on Ray (0 resumed" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ track
@pytest.mark.parametrize("dataset,spans", [("chloroplast", [(0, 2500), (50_000, 51_700)]), ("yeast", [(9_000, 11_200)])])
def test_track_chunks_ray_equal_local(ray_local, tiny_dir, tmp_path, request, dataset, spans):
    tr = pytest.importorskip("glm_explore.track")
    from glm_explore.distributed import EngineOptions, track_chunks_ray
    from glm_explore.models import load_model

    genome = request.getfixturevalue(dataset).genome
    chrom = genome.chroms[0]
    regions = pd.DataFrame({"Chromosome": [chrom] * len(spans), "Start": [s for s, _ in spans],
                            "End": [e for _, e in spans]})
    chunks = tr.plan_chunks(genome, regions=regions, chunk_bp=800)
    assert len(chunks) >= 3
    model = load_model(tiny_dir)
    local = tr.ChunkStore(tmp_path / "local")
    tr.run_track(model, genome, chunks, local, batch_size=64)
    store = tr.ChunkStore(tmp_path / "ray")
    store.claim(tr.track_settings(model, genome))
    store.save(chunks[1], local.load(chunks[1]))  # one chunk already stored: resumed, not recomputed
    fracs = []
    run = track_chunks_ray(tiny_dir, dataset, chunks, store, batch_size=64, opts=EngineOptions(actors=2),
                           progress=lambda f, msg: fracs.append(f))
    assert (run.resumed, run.computed) == (1, len(chunks) - 1) and fracs[-1] == pytest.approx(1.0)
    for chunk in chunks:
        a, b = local.load(chunk), store.load(chunk)
        for name in tr.TRACKS:
            np.testing.assert_allclose(b.track(name), a.track(name), atol=FLOAT_ATOL, rtol=0, equal_nan=True)
        pd.testing.assert_frame_equal(b.skipped, a.skipped)
    paths = tr.run_track(model, genome, chunks, store, batch_size=64)  # every chunk stored: only assembles
    start, end = spans[0][0] + 101, spans[0][0] + 400
    pd.testing.assert_frame_equal(tr.read_track(tmp_path / "ray", chrom, start, end),
                                  tr.read_track(tmp_path / "local", chrom, start, end))
    assert paths["skipped"].exists()


def test_track_cli_engine_ray_writes_the_local_bigwigs(ray_local, tiny_dir, chloroplast, tmp_path, capsys):
    tr = pytest.importorskip("glm_explore.track")
    chrom = chloroplast.genome.chroms[0]
    bed = tmp_path / "r.bed"
    bed.write_text(f"{chrom}\t20000\t21500\n")
    common = ["track", "--genome", "chloroplast", "--model", tiny_dir, "--regions", str(bed), "--chunk-bp", "500",
              "--batch-size", "64", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "local")]) == 0
    assert main([*common, "--out", str(tmp_path / "ray"), "--engine", "ray", "--actors", "2"]) == 0
    assert "3 shards on Ray (0 resumed, 3 computed)" in capsys.readouterr().err
    a = tr.read_track(tmp_path / "local", chrom, 20000, 21500)
    b = tr.read_track(tmp_path / "ray", chrom, 20000, 21500)
    assert a["p_ref"].notna().all()
    pd.testing.assert_frame_equal(b, a, atol=FLOAT_ATOL, rtol=0)


# ------------------------------------------------------------------------------------------------ without Ray jobs
def test_engine_ray_without_ray_installed_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    rc = main(["embed", "--genome", "chloroplast", "--out", str(tmp_path / "e.parquet"), "--engine", "ray"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and 'pip install "ray[data]"' in err[0] and "--engine local" in err[0]
    assert not (tmp_path / "e.parquet").exists()


def test_ray_options_need_engine_ray(tmp_path, capsys):
    rc = main(["embed", "--genome", "chloroplast", "--out", str(tmp_path / "e.parquet"), "--actors", "2",
               "--shard-size", "5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--actors, --shard-size only apply with --engine ray" in err[0]


def test_importing_the_library_and_cli_does_not_import_ray():
    code = ("import sys, glm_explore.cli, glm_explore.distributed; glm_explore.cli.build_parser(); "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr


def test_shard_store_is_atomic_resumable_and_keyed_by_job(tmp_path):
    root = tmp_path / "o.parquet.ray-work"
    store = eng.ShardStore(root, {"job": "x", "n": 1}, suffix="bin")
    assert not store.done(3) and not store.cleared
    store.save(3, b"abc")
    assert store.done(3) and store.load(3) == b"abc"
    assert [p.name for p in root.iterdir() if p.name.startswith(".tmp")] == []  # no temp file left behind
    again = eng.ShardStore(root, {"n": 1, "job": "x"}, suffix="bin")  # same job (key order irrelevant): resume
    assert again.done(3) and not again.cleared
    other = eng.ShardStore(root, {"job": "x", "n": 2}, suffix="bin")  # another job: old shards cleared
    assert other.cleared and not other.done(3)
    assert eng.work_dir_for(tmp_path / "o.parquet") == root


def test_pool_size_follows_resources_and_pending_shards():
    class FakeRay:
        @staticmethod
        def cluster_resources():
            return {"CPU": 16.0, "GPU": 2.0}

    opts = eng.EngineOptions
    assert eng.pool_size(FakeRay, opts(), 100) == 16          # one actor per CPU
    assert eng.pool_size(FakeRay, opts(cpus_per_actor=4), 100) == 4
    assert eng.pool_size(FakeRay, opts(gpus_per_actor=0.5), 100) == 4  # 2 GPUs / 0.5
    assert eng.pool_size(FakeRay, opts(), 3) == 3              # never more actors than shards
    assert eng.pool_size(FakeRay, opts(actors=5), 100) == 5


def test_an_unreachable_cluster_fails_before_ray_init(monkeypatch, tmp_path, capsys):
    """--address with nothing listening: one line naming the address, from the pre-flight probe (ray.init, which
    would retry for minutes, is never called), and no output or work folder left behind."""
    import socket

    ray = pytest.importorskip("ray")
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    inits = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda *a, **k: inits.append(k))
    with pytest.raises(eng.RayEngineError, match=f"cannot reach a Ray cluster at {address}"):
        eng.connect(address)
    monkeypatch.setenv("RAY_ADDRESS", f"ray://{address}")
    with pytest.raises(eng.RayEngineError, match=f"ray://{address}"):  # $RAY_ADDRESS is probed the same way
        eng.connect(None)
    monkeypatch.delenv("RAY_ADDRESS")
    vcf, out = tmp_path / "in.vcf", tmp_path / "s.parquet"
    _write_vcf(vcf, {"c1": 1000}, ["c1\t10\tv\tA\tC\t.\t.\t."])
    rc, err = _score(capsys, vcf, out, "--genome", "chloroplast", "--engine", "ray", "--address", address)
    assert rc == 2 and len(err) == 1 and err[0].startswith(f"error: cannot reach a Ray cluster at {address}"), err
    assert inits == [] and not out.exists() and not eng.work_dir_for(out).exists()
    assert eng.cluster_endpoint("ray://head:10001") == ("head", 10001) and eng.cluster_endpoint("auto") is None


def test_ray_failures_become_one_line_with_the_innermost_reason():
    exc = RuntimeError("ray::MapWorker.submit() (pid=1)\n  File x\nValueError: boom here\n")
    msg = str(eng._one_line_error(exc))
    assert "\n" not in msg and "ValueError: boom here" in msg and "resume" in msg
