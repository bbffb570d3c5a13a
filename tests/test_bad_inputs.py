"""The bad-input corpus (tests/data/bad, manifest cases.toml + regions/regions.tsv) on every surface.

Each case goes through
- the library (the functions the page and the CLI call),
- the CLI: in-process ``cli.main(argv)`` for every case, with the real file descriptors captured
  (``capfd``: exit code 2, exactly one stderr line, no traceback), plus a real
  ``python -m glm_explore`` subprocess for one case of each kind,
- the page: Streamlit's AppTest running the code the sidebar upload form runs after "Load
  genome" (``dashboard.uploads.handle_genome_upload`` with the file's bytes; AppTest cannot drive a file
  uploader), the sidebar model picker, and the region box of the logits page.

The expected outcome of each case is written in the manifest, not derived from the code.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from glm_explore import errors

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
CASES = tomllib.loads((BAD / "cases.toml").read_text())["case"]
REGIONS = [line.split("\t") for line in (BAD / "regions" / "regions.tsv").read_text(encoding="utf-8").splitlines()
           if line and not line.startswith("#")]


def _cases(kind: str) -> list:
    return [pytest.param(c, id=c["file"]) for c in CASES if c["kind"] == kind]


def _exc_type(name: str) -> type[Exception]:
    if hasattr(errors, name):
        return getattr(errors, name)
    return getattr(importlib.import_module("glm_explore.variants"), name)


def _check_error(case: dict, exc: BaseException) -> None:
    assert isinstance(exc, _exc_type(case["expect"])), f"{case['file']}: got {type(exc).__name__}: {exc}"
    assert isinstance(exc, errors.GlmExploreError)
    assert case["contains"].lower() in str(exc).lower(), f"{case['file']}: message {str(exc)!r}"


def _run(case: dict, fn):
    """Call ``fn``; an accepted case returns its result, an error case checks the exception."""
    if case["expect"] == "accepted":
        return fn()
    with pytest.raises(errors.GlmExploreError) as info:
        fn()
    _check_error(case, info.value)
    return None


def _read_fasta_by_hand(path: Path) -> dict[str, str]:
    """Independent reader for the corpus' own clean reference (no Biopython, no pyfaidx)."""
    out: dict[str, str] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            out[name] = ""
        elif name:
            out[name] += line.strip()
    return out


@pytest.fixture(scope="module")
def ref_path(tmp_path_factory) -> Path:
    from glm_explore.io.genome import normalize_fasta

    return normalize_fasta(BAD / "ref.fa", tmp_path_factory.mktemp("ref"))


@pytest.fixture(scope="module")
def ref_genome(ref_path):
    from glm_explore.io.genome import Genome

    return Genome(ref_path)


REF_SEQS = _read_fasta_by_hand(BAD / "ref.fa")


def test_corpus_size_and_manifest_complete():
    """≥ 40 cases, every corpus file is in the manifest, every manifest file exists."""
    files = {str(p.relative_to(BAD)) for p in BAD.rglob("*") if p.is_file()}
    listed = {c["file"] for c in CASES}
    for f in files - {"ref.fa", "cases.toml", "make_corpus.py", "regions/regions.tsv", "cli/args.tsv"}:
        top = "/".join(f.split("/")[:2])
        assert f in listed or top in listed, f"{f} is not in cases.toml"
    missing = [f for f in listed if not (BAD / f).exists() and "no_such" not in f]
    assert not missing
    assert len(CASES) + len(REGIONS) >= 40
    for c in CASES:
        assert c["expect"] == "accepted" or issubclass(_exc_type(c["expect"]), errors.GlmExploreError)


# ============================================================================ library
@pytest.mark.parametrize("case", _cases("fasta"))
def test_library_fasta(case, tmp_path):
    from glm_explore.io.genome import Genome, normalize_fasta

    g = _run(case, lambda: Genome(normalize_fasta(BAD / case["file"], tmp_path)))
    if g is not None:
        assert g.lengths == case["lengths"]
        for name, seq in case.get("seqs", {}).items():
            assert g.fetch(name) == seq


@pytest.mark.parametrize("case", _cases("annotation"))
def test_library_annotation(case, ref_path):
    from glm_explore.io.datasets import load_genome_data

    data = _run(case, lambda: load_genome_data(ref_path, BAD / case["file"]))
    if data is not None:
        ann = data.annotation
        assert len(ann.features) == case["n_features"]
        if case["contains"]:
            assert any(case["contains"] in w for w in ann.warnings), ann.warnings
        else:
            assert ann.warnings == []
        # every kept feature lies on the genome (clipped at contig ends)
        for chrom, end in zip(ann.features["Chromosome"], ann.features["End"]):
            assert end <= len(REF_SEQS[chrom])


@pytest.mark.parametrize("case", _cases("vcf"))
def test_library_vcf(case, ref_genome):
    import pandas as pd

    from glm_explore.variants import VcfReader

    def read():
        reader = VcfReader(BAD / case["file"], ref_genome)
        batches = list(reader)
        reader.close()
        return reader.summary, batches

    out = _run(case, read)
    if out is not None:
        summary, batches = out
        ok = pd.concat([b[0] for b in batches]) if batches else pd.DataFrame(columns=["chrom", "pos", "ref"])
        skipped = pd.concat([b[1] for b in batches]) if batches else pd.DataFrame(columns=["reason"])
        assert summary.scored == len(ok) == case["scored"]
        assert summary.alleles == len(ok) + len(skipped)
        # every scored allele's REF is the reference base (checked on the hand-read FASTA)
        for chrom, pos, ref in zip(ok["chrom"], ok["pos"], ok["ref"]):
            assert REF_SEQS[chrom][pos - 1] == ref.upper()
        if case["contains"]:
            assert any(case["contains"] in r for r in skipped["reason"]), list(skipped["reason"])
        else:
            assert len(skipped) == 0


@pytest.mark.parametrize("case", _cases("model"))
def test_library_model(case):
    from glm_explore.models import load_model

    model = _run(case, lambda: load_model(str(BAD / case["file"])))
    if model is not None:
        lp = model.log_probs(["ACGTACGTAC"])
        assert lp.shape == (1, 4, 10)


@pytest.mark.parametrize("text,expect,word", REGIONS, ids=[r[0] for r in REGIONS])
def test_library_region(text, expect, word, ref_genome):
    from glm_explore.io.genome import fetch_window

    case = {"file": text, "expect": expect, "contains": word}
    w = _run(case, lambda: fetch_window(ref_genome, text))
    if w is not None:  # accepted: the fetched bases are the 1-based inclusive slice of the hand-read FASTA
        m = re.match(r"\s*(?:chr)?(\w+?)\s*:\s*([\d,]+)\s*(?:-|\.\.)\s*([\d,]+)", text)
        chrom, a, b = m.group(1), int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
        assert w.seq == REF_SEQS[chrom][a - 1:b]


# ============================================================================ CLI (in-process, real fds)
def _cli(argv: list[str], capfd) -> tuple[int, str, str]:
    from glm_explore import cli

    rc = cli.main(argv)
    out, err = capfd.readouterr()
    return rc, out, err


def _check_cli(case: dict, rc: int, err: str) -> None:
    assert "Traceback" not in err
    if case["expect"] == "accepted":
        assert rc == 0, err
    else:
        assert rc == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"stderr has {len(lines)} lines: {err!r}"
        assert lines[0].startswith("error: ")
        assert case["contains"].lower() in lines[0].lower()


def _cli_argv(case: dict, ref_path: Path, out_dir: Path) -> list[str]:
    f = str(BAD / case["file"])
    if case["kind"] == "fasta":
        return ["check", "--genome", f]
    if case["kind"] == "annotation":
        return ["check", "--genome", f"{ref_path},{f}"]
    if case["kind"] == "model":
        return ["check", "--genome", str(ref_path), "--model", f]
    if case["kind"] == "vcf":
        return ["score-vcf", f, "--genome", str(ref_path), "--model", "default-mlm", "--out",
                str(out_dir / "scores.parquet"), "--quiet", "--max-sv-size", "0"]  # the SNV-only path (indels skipped)
    raise AssertionError(case["kind"])


@pytest.mark.parametrize("case", [pytest.param(c, id=c["file"]) for c in CASES])
def test_cli_in_process(case, ref_path, tmp_path, capfd):
    rc, out, err = _cli(_cli_argv(case, ref_path, tmp_path), capfd)
    _check_cli(case, rc, err)
    if case["kind"] == "fasta" and rc == 0:
        assert f"{len(case['lengths'])} contig(s), {sum(case['lengths'].values()):,} bp" in out
    if case["kind"] == "vcf" and rc == 0:
        import pandas as pd

        assert len(pd.read_parquet(tmp_path / "scores.parquet")) == case["scored"]


@pytest.mark.parametrize("text,expect,word", REGIONS, ids=[r[0] for r in REGIONS])
def test_cli_region(text, expect, word, ref_path, capfd):
    rc, out, err = _cli(["check", "--genome", str(ref_path), "--region", text], capfd)
    _check_cli({"expect": expect, "contains": word}, rc, err)


# A real process per case costs seconds (torch import); two cover both commands' error paths, the
# in-process runs above cover every case with the same file descriptors captured.
SUBPROCESS_CASES = ["model/convlm_wrong_shapes", "vcf/crash_pos_not_number_with_format.vcf"]


@pytest.mark.parametrize("file", SUBPROCESS_CASES)
def test_cli_subprocess(file, ref_path, tmp_path):
    """The real ``python -m glm_explore`` process: exit code 2, one stderr line, no traceback."""
    case = next(c for c in CASES if c["file"] == file)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([sys.executable, "-m", "glm_explore", *_cli_argv(case, ref_path, tmp_path)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    _check_cli(case, p.returncode, p.stderr)


# ============================================================================ page (AppTest)
def _upload_script(fasta: str, annotation: str | None) -> None:
    """What the sidebar form runs after "Load genome", with the files' bytes as uploads."""
    from pathlib import Path

    from dashboard import uploads

    class Upload:  # the parts of streamlit's UploadedFile that dashboard.uploads uses
        def __init__(self, path: str) -> None:
            self.name = Path(path).name
            self._data = Path(path).read_bytes()
            self.size = len(self._data)

        def getvalue(self) -> bytes:
            return self._data

    uploads.handle_genome_upload(Upload(fasta), Upload(annotation) if annotation else None)


def _upload_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("glm_explore_upload_*")}


def _check_page(case: dict, at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    if case["expect"] == "accepted":
        assert not at.error, [e.value for e in at.error]
    else:
        assert len(at.error) == 1, [e.value for e in at.error]
        assert case["contains"].lower() in at.error[0].value.lower()
        assert "Traceback" not in at.error[0].value


@pytest.mark.parametrize("case", _cases("fasta") + _cases("annotation"))
def test_page_upload(case):
    from streamlit.testing.v1 import AppTest

    fasta = BAD / (case["file"] if case["kind"] == "fasta" else "ref.fa")
    ann = BAD / case["file"] if case["kind"] == "annotation" else None
    before = _upload_dirs()
    at = AppTest.from_function(_upload_script, args=(str(fasta), str(ann) if ann else None), default_timeout=60)
    at.run()
    _check_page(case, at)
    if case["expect"] == "accepted":
        assert len(at.success) == 1
        u = at.session_state["user_genome"]
        assert at.session_state["dataset_key"] == "upload" and Path(u["fasta"]).exists()
        if case["kind"] == "fasta":
            assert f"{sum(case['lengths'].values()):,} bp" in at.success[0].value
        if case["contains"]:
            assert any(case["contains"] in w.value for w in at.warning)
        from dashboard import uploads

        uploads.remove_upload_dir(u["dir"])
    else:
        assert "user_genome" not in at.session_state
    assert _upload_dirs() == before, "the upload's temp folder was not removed"


def test_page_upload_replaces_and_removes_previous_folder():
    """A second upload removes the first one's temp folder; a failed one keeps the loaded genome."""
    from streamlit.testing.v1 import AppTest

    def script(first: str, second: str, bad: str) -> None:
        from pathlib import Path

        import streamlit as st

        from dashboard import uploads

        class Upload:
            def __init__(self, path: str) -> None:
                self.name, self._data = Path(path).name, Path(path).read_bytes()
                self.size = len(self._data)

            def getvalue(self) -> bytes:
                return self._data

        uploads.handle_genome_upload(Upload(first))
        st.session_state["first_dir"] = st.session_state["user_genome"]["dir"]
        uploads.handle_genome_upload(Upload(second))
        st.session_state["second"] = dict(st.session_state["user_genome"])
        uploads.handle_genome_upload(Upload(bad))

    at = AppTest.from_function(script, args=(str(BAD / "fasta/iupac.fa"), str(BAD / "fasta/utf8_bom.fa"),
                                             str(BAD / "fasta/binary.fa")), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.success) == 2 and len(at.error) == 1 and "binary" in at.error[0].value
    assert not Path(at.session_state["first_dir"]).exists()
    assert at.session_state["user_genome"] == at.session_state["second"]  # the failed upload changed nothing
    assert Path(at.session_state["second"]["fasta"]).exists()
    from dashboard import uploads

    uploads.remove_upload_dir(at.session_state["second"]["dir"])


def test_page_upload_over_cap_message():
    """Our own size check (behind Streamlit's server.maxUploadSize) says what the limit is."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        from dashboard import uploads

        class Huge:
            name, size = "big.fa", uploads.MAX_UPLOAD_BYTES + 1

            def getvalue(self) -> bytes:
                raise AssertionError("the size check must come before reading the bytes")

        uploads.handle_genome_upload(Huge())

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "limited to 200 MiB" in at.error[0].value


def test_streamlit_upload_cap_matches_ours():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    from dashboard import uploads

    assert cfg["server"]["maxUploadSize"] * 2**20 == uploads.MAX_UPLOAD_BYTES
    assert cfg["client"]["showErrorDetails"] in ("none", False)  # no tracebacks in the browser


def test_malicious_pickle_never_runs():
    """hf_malicious_pickle's pytorch_model.bin would touch a marker file if unpickled unsafely."""
    from glm_explore.models import load_model

    marker = Path(tempfile.gettempdir()) / "glm_explore_pickle_ran"
    marker.unlink(missing_ok=True)
    with pytest.raises(errors.ModelLoadError):
        load_model(str(BAD / "model" / "hf_malicious_pickle"))
    assert not marker.exists()


def _model_script(spec: str) -> None:
    """The sidebar's 'Hugging Face / local model…' choice with a folder typed in, as every page loads it."""
    import streamlit as st

    from dashboard import caches
    from dashboard.errors import user_errors
    from dashboard.model_keys import ModelKey

    st.session_state["model_key"] = ModelKey.of_hf(spec).text  # what typing the folder sets
    with user_errors():
        model = caches.current_model()
        st.success(f"loaded {model.info.name}")


@pytest.mark.parametrize("case", _cases("model"))
def test_page_model(case):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_model_script, args=(str(BAD / case["file"]),), default_timeout=120)
    at.run()
    _check_page(case, at)
    if case["expect"] == "accepted":
        assert len(at.success) == 1


@pytest.fixture(scope="module")
def ref_upload_state(tmp_path_factory):
    """Session state of a user who uploaded ref.fa (what the sidebar form stores)."""
    from glm_explore.io.genome import normalize_fasta

    fa = normalize_fasta(BAD / "ref.fa", tmp_path_factory.mktemp("upload"))
    return {"fasta": str(fa), "annotation": None, "name": "ref.fa", "dir": str(fa.parent)}


@pytest.mark.parametrize("text,expect,word", REGIONS, ids=[r[0] for r in REGIONS])
def test_page_logits_region(text, expect, word, ref_upload_state):
    """The logits page's region box (AppTest): type the region, press the button."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../pages/logits.py", default_timeout=180)
    at.session_state["user_genome"] = ref_upload_state
    at.session_state["dataset_key"] = "upload"
    at.run()
    at.text_input(key="logits_region").input(text)
    at.selectbox(key="logits_mode").set_value("unmasked")  # one forward: the region handling is what is tested
    at.button(key="logits_go").click()
    at.run()
    _check_page({"expect": expect, "contains": word}, at)
    if expect == "accepted":
        assert at.get("plotly_chart"), "no chart drawn for an accepted region"
