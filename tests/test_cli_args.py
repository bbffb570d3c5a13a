"""Bad command-line arguments (tests/data/bad/cli/args.tsv) through the real CLI, each in its own subprocess.

Every case must end with exit code 2 and exactly one stderr line starting ``error:`` that contains the words the
manifest names — never a traceback, never a silently accepted value, never a file written. The subprocesses run
a few at a time (one module-scoped pool) so the corpus costs seconds, not minutes.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tests" / "data" / "bad" / "cli" / "args.tsv"


def _cases() -> list[tuple[str, str, list[str]]]:
    out = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        case_id, argv, words = line.split("\t")
        out.append((case_id, argv, [w for w in words.split("|") if w]))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Run every case once (4 at a time); each gets its own empty temp folder."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}

    def run(case):
        case_id, argv, _ = case
        tmp = tmp_path_factory.mktemp(case_id)
        args = shlex.split(argv.format(tmp=tmp, missing=tmp / "no_such_folder"))
        proc = subprocess.run([sys.executable, "-m", "glm_explore", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)
        return case_id, (proc, tmp)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, CASES))


def test_corpus_has_at_least_30_cases_with_unique_ids():
    ids = [c[0] for c in CASES]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    assert all(words for _, _, words in CASES), "every case names the words its message must contain"


@pytest.mark.parametrize("case_id,argv,words", CASES, ids=[c[0] for c in CASES])
def test_bad_argument_is_one_line_exit_2(results, case_id, argv, words):
    proc, tmp = results[case_id]
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}; stderr: {proc.stderr[-500:]}"
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    for word in words:
        assert word.lower() in err.lower(), f"{word!r} not in {err!r}"
    assert proc.stdout == "", "a failed command prints no results"
    assert not [p for p in tmp.rglob("*") if p.is_file()], "a failed command leaves no output file"
