"""What every command shares: ``--genome`` / ``--model``, argument checks, and the one table writer.

Argument types here raise ``argparse.ArgumentTypeError``; the parser turns that into one line on
stderr and exit code 2, before any genome or model is loaded.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import (
    OutputError,
)

TABLE_SUFFIXES = (".parquet", ".csv", ".tsv")


def add_genome_model_args(p: argparse.ArgumentParser, *, model: bool = True) -> None:
    """The ``--genome`` / ``--model`` options shared by every command."""
    p.add_argument("--genome", default="default",
                   help="'default' (yeast), a bundled key (yeast, chloroplast), or FASTA[,ANNOTATION] paths")
    if model:
        p.add_argument("--model", default="default-mlm",
                       help="default-mlm, default-clm, or a local model directory / cached Hugging Face id")
        p.add_argument("--fast", action="store_true",
                       help="int8 dynamic quantization of the model's Linear layers (CPU): faster, slightly different "
                            "numbers, labelled '· int8'; no gradient attributions")


def load_genome_arg(spec: str):
    """GenomeData for a ``--genome`` value (a cleaned copy of an unindexed FASTA lives until exit)."""
    from ..io.datasets import load_genome_spec

    tmp = tempfile.mkdtemp(prefix="glm_explore_cli_")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return load_genome_spec(spec, clean_dir=tmp)


def load_model_arg(spec: str, *, fast: bool = False):
    """The model of a ``--model`` value (``fast``: the ``--fast`` int8 switch)."""
    from ..models import load_model

    return load_model(spec, fast=fast)


def int_range(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """argparse type: an integer in ``lo..hi`` (no upper bound when ``hi`` is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def float_range(lo: float, hi: float, *, open_lo: bool = False) -> Callable[[str], float]:
    """argparse type: a number in ``[lo, hi]`` (``(lo, hi]`` with ``open_lo``)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not (lo < value if open_lo else lo <= value) or not value <= hi:
            raise argparse.ArgumentTypeError(f"must be in {'(' if open_lo else '['}{lo}, {hi}], got {text}")
        return value
    parse.__name__ = "number"
    return parse


def output_path(suffixes: tuple[str, ...] = TABLE_SUFFIXES) -> Callable[[str], str]:
    """argparse type: a file to write, whose folder exists and whose suffix is one of ``suffixes``."""
    def parse(text: str) -> str:
        path = Path(text)
        if not text.strip() or path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder or empty; give a file name such as "
                                             f"out{suffixes[0]}")
        if suffixes and path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: use a {', '.join(suffixes)} file name")
        if not path.parent.exists():
            raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} of {text!r} does not exist; "
                                             "create it first")
        return text
    parse.__name__ = "output file"
    return parse


def existing_file(text: str) -> str:
    """argparse type: a file that exists."""
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no file {text!r}" + (" (it is a folder)" if Path(text).is_dir() else ""))
    return text


def output_dir(text: str) -> Path:
    """argparse type: a folder to write into (created if missing; its parent must exist; not a file)."""
    path = Path(text)
    if not text.strip() or path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is a file or empty; give a folder name such as report/")
    if not path.parent.exists():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} of {text!r} does not exist; create it first")
    return path


def weights_dir(text: str) -> Path:
    """argparse type: a folder of built-in model weights (``model.safetensors`` + ``config.json``)."""
    path = Path(text)
    missing = [n for n in ("model.safetensors", "config.json") if not (path / n).is_file()]
    if missing:
        raise argparse.ArgumentTypeError(f"{text!r} is not a weights folder (missing {', '.join(missing)})")
    return path


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table for people: ``.parquet``, ``.csv`` or ``.tsv`` by the file name (the one writer)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise OutputError(f"Cannot write {str(path)!r}: use a .parquet, .csv or .tsv file name.")
    if not path.parent.exists():
        raise OutputError(f"The folder {str(path.parent)!r} does not exist; create it or choose another path.")
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")


def note(message: str) -> None:
    """A progress or summary line for people, on stderr (stdout carries results)."""
    print(message, file=sys.stderr, flush=True)


def stderr_progress() -> Callable[[float, str], None]:
    """A ``progress(fraction, message)`` callback drawing one self-overwriting stderr line, with the time left
    (:func:`glm_explore.cost.eta_progress`)."""
    from ..cost import eta_progress

    def progress(frac: float, msg: str) -> None:
        print(f"\r{msg} {frac:5.0%}\033[K", end="", file=sys.stderr, flush=True)
    return eta_progress(progress)


COST_LOG = "GLM_EXPLORE_COST_LOG"  # a file: each costed job appends its estimate and its measured time (JSON line)


def say_cost(cost) -> None:
    """Before a long job (:attr:`glm_explore.cost.Cost.long`): its estimate on stderr, and how to stop it."""
    if cost.long:
        note(f"This will take {cost.text()}. Ctrl-C stops it.")


@contextmanager
def costed(cost, job: str) -> Iterator[None]:
    """The job run inside: :func:`say_cost` first; afterwards, when the environment names a file in
    :data:`COST_LOG`, one JSON line appended to it — ``job``, the estimate (``estimate_s``, ``units``, ``unit``,
    ``per_unit_s``, ``fixed_s``, ``probe``) and the job's measured wall time ``actual_s`` (seconds), so a bench
    can check estimates against what happened (``bench/real_size.py``)."""
    say_cost(cost)
    t0 = time.perf_counter()
    yield
    actual = time.perf_counter() - t0
    log = os.environ.get(COST_LOG)
    if log:
        with open(log, "a") as fh:
            fh.write(json.dumps({"job": job, "estimate_s": cost.seconds, "units": cost.units, "unit": cost.unit,
                                 "per_unit_s": cost.per_unit, "fixed_s": cost.fixed, "probe": cost.probe,
                                 "actual_s": actual}) + "\n")
