"""``python -m glm_explore <command>``: batch versions of what the pages compute.

Each command lives in its tool module as ``add_cli(subparsers)``, which registers a subparser
whose ``func(args) -> int`` runs it. User errors print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import GlmExploreError

# Tool modules that register a subcommand with add_cli(subparsers). Add yours here.
COMMAND_MODULES: list[str] = ["logits", "variants", "check", "embed", "attribution"]


def add_genome_model_args(p: argparse.ArgumentParser) -> None:
    """The ``--genome`` / ``--model`` options shared by every command."""
    p.add_argument("--genome", default="default",
                   help="'default' (yeast), a bundled key (yeast, chloroplast), or FASTA[,ANNOTATION] paths")
    p.add_argument("--model", default="default-mlm",
                   help="default-mlm, default-clm, or a local model directory / cached Hugging Face id")


def load_genome_arg(spec: str):
    """GenomeData for a ``--genome`` value."""
    from .datasets import DATASETS, DEFAULT_DATASET, load_dataset, load_genome_data

    key = DEFAULT_DATASET if spec == "default" else spec
    if key in DATASETS:
        return load_dataset(key)
    fasta, _, ann = spec.partition(",")
    return load_genome_data(_clean_user_fasta(fasta), ann or None, name=fasta.replace("\\", "/").rsplit("/", 1)[-1])


def _clean_user_fasta(fasta: str) -> str:
    """A user FASTA without a ``.fai`` index is validated and cleaned like an upload
    (:func:`genome.normalize_fasta`, into a temp folder removed at exit); an indexed one is used as is."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    from .genome import normalize_fasta

    if Path(fasta + ".fai").exists():
        return fasta
    tmp = tempfile.mkdtemp(prefix="glm_explore_cli_")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return str(normalize_fasta(fasta, tmp))


def load_model_arg(spec: str):
    from .models import load_model

    return load_model(spec)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m glm_explore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"glm_explore.{name}").add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (GlmExploreError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)  # always exactly one line
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
