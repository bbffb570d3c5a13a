"""Safety rules read from the source: no unsafe unpickling, remote code never implied, upload caps.

The scans parse every Python file of the package, the pages, dashboard/ and app.py with ``ast`` (not
grep), so comments and strings do not count and keyword arguments are read as written.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.joinpath("glm_explore").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"),
                  *ROOT.joinpath("dashboard").rglob("*.py"), ROOT / "app.py"])


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(func: ast.expr) -> str:
    """Dotted name of a call target: ``torch.load``, ``pickle.loads``, ``from_pretrained``…"""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _kw(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_unsafe_unpickling(path):
    tree = ast.parse(path.read_text(), str(path))
    for call in _calls(tree):
        name = _name(call.func)
        if name == "torch.load":
            assert _is_true(_kw(call, "weights_only")), f"{path}:{call.lineno}: torch.load without weights_only=True"
        assert name not in ("pickle.load", "pickle.loads", "joblib.load", "dill.load", "cloudpickle.load"), \
            f"{path}:{call.lineno}: {name} can run code from a file"
        if name in ("np.load", "numpy.load"):
            assert not _is_true(_kw(call, "allow_pickle")), f"{path}:{call.lineno}: np.load(allow_pickle=True)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_trust_remote_code_never_defaults_to_true(path):
    tree = ast.parse(path.read_text(), str(path))
    for call in _calls(tree):
        assert not _is_true(_kw(call, "trust_remote_code")), \
            f"{path}:{call.lineno}: trust_remote_code=True passed literally"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            pos = args.posonlyargs + args.args
            for arg, default in zip(pos[len(pos) - len(args.defaults):], args.defaults):
                assert not (arg.arg == "trust_remote_code" and _is_true(default)), f"{path}:{node.lineno}"
            for arg, default in zip(args.kwonlyargs, args.kw_defaults):
                assert not (arg.arg == "trust_remote_code" and _is_true(default)), f"{path}:{node.lineno}"


def test_scan_sees_the_loaders():
    """The scan is not vacuous: the package does load weights and pass trust_remote_code somewhere."""
    names = {_name(c.func) for p in SOURCES for c in _calls(ast.parse(p.read_text()))}
    assert "torch.load" in names or "load_file" in names
    text = "".join(p.read_text() for p in SOURCES)
    assert "trust_remote_code" in text and "weights_only=True" in text


def test_scanner_catches_violations(tmp_path):
    bad = ast.parse("import torch\nm = torch.load('x.bin')\nf(trust_remote_code=True)\n"
                    "def g(trust_remote_code=True): pass\n")
    calls = list(_calls(bad))
    assert any(_name(c.func) == "torch.load" and not _is_true(_kw(c, "weights_only")) for c in calls)
    assert any(_is_true(_kw(c, "trust_remote_code")) for c in calls)


def test_upload_caps_agree():
    """Streamlit's server.maxUploadSize (MB) and dashboard.uploads.MAX_UPLOAD_BYTES are the same limit."""
    from dashboard import uploads

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] * 2**20 == uploads.MAX_UPLOAD_BYTES
