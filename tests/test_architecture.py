"""The layout promised in docs/ARCHITECTURE.md, checked on the source (ast), not on a list kept by hand.

- imports point down only: pages / app → dashboard → glm_explore; inside the library
  cli → plots / tools → models → results (frozen dataclasses) → io → base (errors, sequence), and plots
  never import tools (they draw result objects);
- the library never imports Streamlit or the dashboard; nothing but ``cli`` parses arguments or prints;
- no library module is over ~400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "glm_explore"
MAX_LINES = 420  # "~400": a module past this becomes a subpackage

BASE = {"errors", "sequence"}
IO = {"io"}  # glm_explore/io/: genome, annotation, datasets, FASTA, VCF, bigWig


def _module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute names of every glm_explore / streamlit / dashboard / argparse import in ``path``,
    skipping the ``if __name__ == "__main__":`` block (a script entry point may call the CLI)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if node.module:
                out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # `from . import x` names a module
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "glm_explore" or len(parts) == 1:
        return "root"
    top = parts[1]
    if top in BASE:
        return "base"
    if top == "__main__":
        return "cli"
    if top in IO:
        return "io"
    if top in {"results", "models", "cli", "plots"}:
        return top
    return "tools"


ALLOWED = {  # layer → layers it may import
    "base": {"base"},
    "io": {"base", "io"},
    "results": {"base", "io", "results"},
    "models": {"base", "io", "results", "models"},
    "tools": {"base", "io", "results", "models", "tools"},
    "plots": {"base", "io", "results", "plots"},  # never tools: a plot draws results
    "cli": {"base", "io", "results", "models", "tools", "plots", "cli"},
}

LIB_FILES = sorted(p for p in LIB.rglob("*.py") if "data" not in p.relative_to(LIB).parts)


@pytest.mark.parametrize("path", LIB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_imports_point_down(path):
    module = _module_name(path)
    layer = _layer(module)
    if layer == "root":
        return
    for name in _imports(path):
        assert not name.startswith(("streamlit", "dashboard")), f"{module} imports {name}: the library never does"
        if name.startswith("glm_explore."):
            assert _layer(name) in ALLOWED[layer], f"{module} ({layer}) imports {name} ({_layer(name)})"


@pytest.mark.parametrize("path", LIB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_cli_parses_arguments_or_prints(path):
    if _layer(_module_name(path)) == "cli" or path.name == "__main__.py":
        return
    assert "argparse" not in _imports(path), f"{path.name} imports argparse: put the command in glm_explore/cli/"
    calls = [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]
    assert not calls, f"{path.name} calls print() at line {calls[0].lineno}: return values or take a progress callback"


@pytest.mark.parametrize("path", LIB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_module_over_400_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines: split it into a subpackage"


def test_dashboard_and_pages_import_down_only():
    """Pages and app.py may import the dashboard and the library; the dashboard never imports a page."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        names = _imports(path)
        assert not any(n.startswith("pages") for n in names), f"{path.name} imports a page"
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        assert not any(n.startswith("pages") for n in _imports(path)), f"{path.name} imports a page"


def test_layer_rules_catch_a_violation(tmp_path):
    """The checker itself: an io module importing a tool is reported, and so is a plot importing a tool."""
    fake = LIB / "io" / "genome.py"
    assert _layer(_module_name(fake)) == "io"
    assert _layer("glm_explore.attribution.targets") == "tools"
    assert "tools" not in ALLOWED["io"] and "cli" not in ALLOWED["tools"]
    src = tmp_path / "glm_explore" / "io" / "genome.py"
    src.parent.mkdir(parents=True)
    src.write_text("from ..attribution import attribute\nfrom .. import logits\n")
    names = _imports(src, tmp_path)
    assert "glm_explore.attribution" in names and "glm_explore.logits" in names
    assert {_layer(n) for n in names} - ALLOWED["io"] == {"tools"}

    plot = tmp_path / "glm_explore" / "plots" / "logits.py"
    plot.parent.mkdir(parents=True)
    plot.write_text("from ..logits import logo_heights\nfrom ..results.logits import entropy_bits\nfrom .common import rect_xy\n")
    layers = {n: _layer(n) for n in _imports(plot, tmp_path)}
    assert layers["glm_explore.logits.logo_heights"] == "tools"
    assert layers["glm_explore.results.logits.entropy_bits"] == "results"
    assert {n for n, layer in layers.items() if layer not in ALLOWED["plots"]} == {"glm_explore.logits",
                                                                                   "glm_explore.logits.logo_heights"}


def _classes(path: Path) -> list[ast.ClassDef]:
    return [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.ClassDef)]


def test_every_user_error_class_lives_in_errors_py():
    """A user-caused error is a GlmExploreError subclass defined in glm_explore/errors.py, nowhere else."""
    errors_py = LIB / "errors.py"
    defined = {c.name for c in _classes(errors_py)}
    assert "GlmExploreError" in defined
    outside = []
    for path in LIB_FILES:
        if path == errors_py:
            continue
        for c in _classes(path):
            bases = {ast.unparse(b).split(".")[-1] for b in c.bases}
            if bases & defined:
                outside.append(f"{path.relative_to(ROOT)}: {c.name}")
    assert not outside, f"user-error classes outside glm_explore/errors.py: {outside}"


PY_FILES = sorted(p for p in ROOT.rglob("*.py")
                  if not ({".venv", ".ci-venv", "runs", "node_modules", ".git"} & set(p.relative_to(ROOT).parts)))


def test_no_sys_path_edits():
    """The package is installed (``pip install -e .``; tests get ``pythonpath`` from pyproject): nothing edits sys.path."""
    offenders = []
    for path in PY_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.path":
                offenders.append(str(path.relative_to(ROOT)))
                break
    assert not offenders, f"sys.path edited in {offenders}"


TOKENIZATION_KINDS = {"char", "kmer", "bpe"}
TOKENIZATION_HOME = LIB / "models" / "tokenization"
NOT_TOKENIZATION = {  # files whose use of one of those strings names something else, and why
    LIB / "annotate" / "features.py": '"kmer" is the k-mer count feature head (FeatureSpec.kind), not a tokenizer',
}


def _kind_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, string) of every "char" / "kmer" / "bpe" constant compared with something or used as a dict key."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op in operands:  # `x == "char"`, `x in ("kmer", "bpe")`, `x in {"char"}`
                values = op.elts if isinstance(op, (ast.Tuple, ast.List, ast.Set)) else [op]
                out += [(node.lineno, v.value) for v in values
                        if isinstance(v, ast.Constant) and v.value in TOKENIZATION_KINDS]
        elif isinstance(node, ast.Dict):
            out += [(k.lineno, k.value) for k in node.keys
                    if isinstance(k, ast.Constant) and k.value in TOKENIZATION_KINDS]
    return out


APP_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "dashboard").rglob("*.py"))]


@pytest.mark.parametrize("path", LIB_FILES + APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_tokenization_kinds_are_named_only_by_their_strategies(path):
    """Only glm_explore/models/tokenization/ branches on a tokenizer kind; everything else asks the strategy."""
    if TOKENIZATION_HOME in path.parents or path in NOT_TOKENIZATION:
        return
    hits = _kind_strings(ast.parse(path.read_text(encoding="utf-8")))
    assert not hits, (f"{path.relative_to(ROOT)} branches on a tokenizer kind at line {hits[0][0]} ({hits[0][1]!r}): "
                      "ask the model's strategy (glm_explore.models.tokenization) instead")


def test_tokenization_check_catches_a_branch():
    """The checker itself: comparisons and dict keys are found, assignments and calls are not."""
    src = ('if tok == "char":\n    pass\nok = kind in ("kmer", "x")\nlabel = {"bpe": 1}[tok]\n'
           'info = f(tokenization="char")\nname = "kmer"\n')
    assert _kind_strings(ast.parse(src)) == [(1, "char"), (3, "kmer"), (4, "bpe")]
