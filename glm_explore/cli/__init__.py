"""``python -m glm_explore <command>``: batch versions of what the pages compute.

One module per command in this package, each with ``add_parser(subparsers)`` (which registers the
subcommand with ``func=run``) and ``run(args) -> int``. Science modules hold no argparse and no
``print``. Every user mistake — a bad argument or a bad file — prints exactly one line on stderr and
exits with code 2; nothing a user types ends in a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import (
    GlmExploreError,
    UsageError,
)
from .common import add_genome_model_args, load_genome_arg, load_model_arg, write_table

__all__ = ["main", "build_parser", "add_genome_model_args", "load_genome_arg", "load_model_arg", "write_table"]

# Command modules of this package, in the order ``--help`` lists them. Add yours here.
COMMANDS: list[str] = ["logits", "score_vcf", "embed", "attribute", "motifs", "check", "train", "evaluate", "report", "generate", "design", "annotate", "context", "attention", "track", "indel_bias", "browser_export", "features"]
COMMANDS += ["background", "score_methods"]  # issue 26: SNV score backgrounds, score methods compared

USAGE_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``error: …``) with exit code 2, not usage + message."""

    def error(self, message: str):  # noqa: D102  (argparse API)
        message = message.removeprefix("argument ")  # "--k: must be between 1 and 6, got 7"
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m glm_explore", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    return "error: " + " ".join(str(exc).split())


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 2 user error, 130 interrupted)."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (GlmExploreError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        print(_one_line(exc), file=sys.stderr)  # always exactly one line
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
