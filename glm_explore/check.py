"""Validate a genome, annotation, region and model before use (``python -m glm_explore check``).

The same validation the dashboard runs on an upload: :func:`check_inputs` returns what was read
(contigs, features, warnings) or raises the first problem.
"""

from __future__ import annotations

import tempfile

from .io.datasets import load_genome_spec
from .io.genome import MAX_REGION_BP, fetch_window
from .models import load_model


def check_inputs(genome_spec: str, model_spec: str | None = None, region: str | None = None, *,
                 max_len: int = MAX_REGION_BP) -> list[str]:
    """Load ``genome_spec`` (see ``--genome``), optionally a model and a 1-based region.

    Returns human-readable summary lines; raises a :class:`~glm_explore.errors.GlmExploreError`
    naming the first problem. A cleaned copy of an unindexed FASTA lives only during the check.
    """
    with tempfile.TemporaryDirectory(prefix="glm_explore_check_") as tmp:
        data = load_genome_spec(genome_spec, clean_dir=tmp)
        g = data.genome
        lines = [f"genome {data.name}: {len(g.chroms)} contig(s), {g.total_length:,} bp"]
        if data.annotation is not None:
            lines.append(f"annotation {data.annotation.source}: {len(data.annotation.features):,} feature(s)")
            lines += [f"warning: {w}" for w in data.annotation.warnings]
        if region:
            w = fetch_window(g, region, max_len=max_len)
            lines.append(f"region {w.region}: {w.region.length:,} bp")
    if model_spec:
        info = load_model(model_spec).info
        lines.append(f"model {info.name}: {info.objective}, {info.tokenization}-level, {info.n_layers} layers")
    return lines
