"""Independent references for the browser tests: the bundled chloroplast read by hand (gzip + text)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
CHLORO = "NC_000932"


@lru_cache(maxsize=1)
def chloroplast_seq() -> str:
    """The chloroplast genome, uppercase, read without pyfaidx / Biopython (BGZF is valid gzip)."""
    lines = gzip.decompress((ROOT / "glm_explore/data/chloroplast/genome.fa.gz").read_bytes()).decode().splitlines()
    assert lines[0].startswith(">" + CHLORO)
    return "".join(lines[1:]).upper()


def use_chloroplast(app, url_path: str = "") -> None:
    """Open a page and pick the chloroplast genome in the sidebar (small and fast)."""
    app.open(url_path)
    app.select("Genome", "chloroplast", where=app.sidebar())
