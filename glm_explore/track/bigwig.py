"""Track files: one bigWig per track, the skipped-span BED, a README note; and reading them back (the pyBigWig
reading and writing itself is :mod:`glm_explore.io.bigwig`).

Files in a track folder (see :func:`write_outputs`): ``p_ref.bw``, ``entropy_bits.bw``, ``min_llr.bw``
(one value per base, 0-based in the file as bigWig is; no entry where a value is missing), ``skipped.bed``
(``chrom start end reason``) and ``README.md`` (what the numbers are, how to load them in IGV / UCSC).
:func:`read_track` returns the stored values of a region as a table with 1-based positions.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.bigwig import read_bigwig, write_bigwig
from ..io.datasets import as_genome
from .chunks import Chunk, TrackError
from .compute import SKIP_COLUMNS, TRACKS

SUFFIX = ".bw"
SKIPPED_BED = "skipped.bed"
README = "README.md"
DESCRIPTIONS = {
    "p_ref": "P(reference base), 0..1",
    "entropy_bits": "entropy of the predicted A/C/G/T distribution, 0..2 bits",
    "min_llr": "minimum over the 3 alternatives of log P(alt) - log P(ref), natural log (negative = constrained)",
}
_SACCER3_CHRI = 230_218  # UCSC sacCer3 / SGD R64 chrI length: the bundled yeast genome's names and lengths match


def ordered(genome, chunks: list[Chunk]) -> list[Chunk]:
    """``chunks`` sorted in genome order (a bigWig's entries follow its header); overlaps are an error."""
    rank = {c: i for i, c in enumerate(as_genome(genome).chroms)}
    out = sorted(chunks, key=lambda c: (rank[c.chrom], c.start))
    for a, b in zip(out, out[1:]):
        if a.chrom == b.chrom and b.start < a.end:
            raise TrackError(f"Chunks {a} and {b} overlap; plan the chunks with plan_chunks.")
    return out


def merged_skips(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Skipped spans of consecutive chunks with touching ends and the same reason joined into one row."""
    rows: list[list] = []
    for df in frames:
        for r in df.itertuples(index=False):
            if rows and rows[-1][0] == r.chrom and rows[-1][2] == r.start and rows[-1][3] == r.reason:
                rows[-1][2] = r.end
            else:
                rows.append([r.chrom, r.start, r.end, r.reason])
    return pd.DataFrame(rows, columns=SKIP_COLUMNS)


def readme_text(settings: dict | None, genome, chunks: list[Chunk], n_skipped_bp: int) -> str:
    """The README note of a track folder: what each file holds and how to look at it in IGV or UCSC."""
    genome = as_genome(genome)
    s = settings or {}
    covered = sum(c.length for c in chunks)
    lines = [f"# Genome-wide track of {s.get('model', 'a model')} on {genome.name}", "",
             f"Made by `python -m glm_explore track`: {covered:,} bp in {len(chunks)} chunk(s), "
             f"{s.get('mode_label', '')}; {n_skipped_bp:,} bp skipped (see `{SKIPPED_BED}`).", "",
             "| file | per-base value |", "|---|---|"]
    lines += [f"| `{n}{SUFFIX}` | {d} |" for n, d in DESCRIPTIONS.items()]
    lines += [f"| `{SKIPPED_BED}` | spans without values: chrom, start, end (0-based BED), reason |", "",
              "Values equal the *Nucleotide logits* page's table at the same positions (exact masked marginals, "
              "reverse-complement averaged, for a masked LM; next-token for a causal LM). Contig ends are "
              "computed with the context that exists there.", "",
              "## IGV (desktop or igv.org/app)", ""]
    if "chrI" in genome.lengths and genome.lengths["chrI"] == _SACCER3_CHRI:
        lines.append("Choose the genome *S. cerevisiae (sacCer3)*: its contig names and lengths match these files.")
    else:
        lines.append("Load the genome FASTA first (*Genomes → Load Genome from File…*, the FASTA with its `.fai`).")
    lines += ["Then *File → Load from File…* and pick the `.bw` files (several at once). Right-click a track for "
              "*Set Data Range* (P(ref): 0–1; entropy: 0–2; min LLR: e.g. −6–0).", "",
              "## UCSC Genome Browser", "",
              "bigWigs must be on a web server the browser can reach (any HTTPS URL). Paste under "
              "*My Data → Custom Tracks* one line per file, e.g.", "", "```"]
    lines += [f"track type=bigWig name={n} description=\"{d}\" bigDataUrl=https://YOUR.HOST/path/{n}{SUFFIX}"
              for n, d in DESCRIPTIONS.items()]
    lines += ["```", "", "On your machine: `bigWigInfo p_ref.bw` (UCSC tools) or `pyBigWig.open('p_ref.bw').chroms()`.", ""]
    return "\n".join(lines)


def write_outputs(store, genome, chunks: list[Chunk]) -> dict[str, Path]:
    """The bigWigs (header: every contig of ``genome``), ``skipped.bed`` and ``README.md`` in ``store.out_dir``."""
    genome = as_genome(genome)
    chunks = ordered(genome, chunks)
    missing = [c for c in chunks if not store.done(c)]
    if missing:
        raise TrackError(f"{len(missing)} chunk(s) are not computed yet (first: {missing[0]}); run the track again.")
    header = [(c, genome.lengths[c]) for c in genome.chroms]
    out_dir = store.out_dir
    paths = {name: out_dir / f"{name}{SUFFIX}" for name in TRACKS}
    for name, path in paths.items():
        write_bigwig(path, header, ((c.chrom, c.start, store.load(c).track(name)) for c in chunks))
    skipped = merged_skips([store.load(c).skipped for c in chunks])
    paths["skipped"] = out_dir / SKIPPED_BED
    body = skipped.to_csv(sep="\t", index=False, header=False)
    paths["skipped"].write_text("#chrom\tstart\tend\treason\n" + body)
    paths["readme"] = out_dir / README
    n_bp = int((skipped["end"] - skipped["start"]).sum()) if len(skipped) else 0
    paths["readme"].write_text(readme_text(store.settings(), genome, chunks, n_bp))
    return paths


def find_tracks(roots: list[str | Path], *, genome_name: str | None = None) -> list[Path]:
    """Track folders (a ``track.json`` beside the bigWigs) among ``roots`` and their direct sub-folders,
    sorted; with ``genome_name`` only those made on that genome."""
    import json

    found = []
    for root in map(Path, roots):
        for folder in [root, *(sorted(root.iterdir()) if root.is_dir() else [])]:
            meta = folder / "track.json"
            if meta.is_file() and all((folder / f"{n}{SUFFIX}").is_file() for n in TRACKS):
                with contextlib.suppress(ValueError, OSError):
                    if genome_name is None or json.loads(meta.read_text()).get("genome") == genome_name:
                        found.append(folder)
    return sorted(set(found))


def read_track(out_dir: str | Path, chrom: str, start: int, end: int) -> pd.DataFrame:
    """Stored values of ``chrom[start:end]`` (0-based half-open) → one row per position:
    ``chrom, pos`` (1-based) and the :data:`TRACKS` columns (NaN where the track has no value)."""
    out_dir = Path(out_dir)
    df = pd.DataFrame({"chrom": chrom, "pos": np.arange(start + 1, end + 1)})
    for name in TRACKS:
        path = out_dir / f"{name}{SUFFIX}"
        if not path.is_file():
            raise TrackError(f"No {path.name} in {out_dir}: is it a folder written by `python -m glm_explore track`?")
        df[name] = read_bigwig(path, chrom, start, end)
    return df
