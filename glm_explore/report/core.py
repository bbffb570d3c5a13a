"""The model report: what a loaded model learned beyond k-mer counting, section by section.

:func:`build_report` runs the sections on one genome (plus per-genome totals on others) and returns a
:class:`ModelReport` — plain tables that :meth:`ModelReport.save` writes as one JSON file and
:meth:`ModelReport.load` reads back (the default model's report ships that way, so the page opens at once).

Sections (each a module of this package; the definitions are in ``SCIENCE.md``):

* ``classes`` — bits/base and top-1 accuracy per region class on held-out windows, model vs the fair count
  baseline of the same context, block-bootstrap CIs (:mod:`.heldout`); ``genomes``: the same totals per genome;
* ``motifs`` — P(ref) over JASPAR FIMO hits in held-out promoters ±20 bp, model vs baseline (:mod:`.motif_profile`);
* ``variants`` — LLR per effect class on held-out SNVs, AUROCs with CIs (:mod:`.variant_sanity`);
* ``embedding`` — region-class probe macro-F1 vs k-mer frequencies (:func:`glm_explore.reduce.compare_separation`);
* ``showcase`` — per class, the held-out windows where the model beats the baseline most.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ..io.datasets import GenomeData
from ..models.base import GenomicLM, Progress

SECTIONS = ("classes", "genomes", "motifs", "variants", "embedding", "showcase")
TABLES = ("classes", "genomes", "motif_ranking", "motif_profiles", "variant_scores", "effect_summary", "aurocs",
          "embedding", "showcase")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ReportSettings:
    """How much of each section to compute (the ``report`` command's options; defaults = the shipped report)."""

    windows_per_class: int = 30  # held-out windows per region class (bits per class, showcase)
    window: int = 512  # bp per held-out window
    mask_passes: int | None = 16  # MLM: masked copies per window (a systematic sample of its bases; None = all)
    snvs_per_class: int = 150  # held-out SNVs per effect class
    motif_p: float = 1e-4  # FIMO p-value threshold for motif instances
    motifs_max_hits: int = 200  # instances per motif at most
    motif_flank: int = 20  # bp either side of a motif in its profile
    motif_promoter_bp: int | None = 30_000  # held-out promoter bases scanned (whole promoters, seeded; None = all)
    embed_cap: int = 200  # windows per class and split for the probe (the ``embed`` command's default)
    embed_k: int = 4  # k of the k-mer frequency baseline
    showcase_per_class: int = 3
    keep_profiles: int = 30  # profiles of the top-ranked motifs kept in the saved report
    seed: int = 0
    sections: tuple[str, ...] = SECTIONS


@dataclass
class ModelReport:
    """A computed report: metadata plus one DataFrame per table in :data:`TABLES` (empty when not computed)."""

    model: str
    fingerprint: str
    objective: str
    genome: str
    settings: dict
    split: dict  # held-out span: chrom, start (0-based), end, note
    baseline: str  # the fair count baseline's name
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    created: str = ""

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (an empty frame when that section was not computed)."""
        return self.tables.get(name, pd.DataFrame())

    def to_json(self) -> str:
        meta = {k: v for k, v in asdict(self).items() if k != "tables"}
        tables = {k: json.loads(v.to_json(orient="split", index=False, double_precision=6))
                  for k, v in self.tables.items()}
        return json.dumps({"format": FORMAT_VERSION, **meta, "tables": tables})

    @classmethod
    def from_json(cls, text: str) -> ModelReport:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"report format {data.get('format')!r} is not {FORMAT_VERSION}")
        tables = {k: pd.DataFrame(v["data"], columns=v["columns"]) for k, v in data.pop("tables").items()}
        data.pop("format")
        return cls(**data, tables=tables)

    def save(self, path: str | Path) -> Path:
        """Write the report as one JSON file (``path`` a ``.json`` file name)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, path: str | Path) -> ModelReport:
        return cls.from_json(Path(path).read_text())


def _stage(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """A progress callback mapping a section's own [0, 1] onto [lo, hi] of the whole report."""
    if progress is None:
        return None
    return lambda f, msg: progress(lo + (hi - lo) * min(1.0, max(0.0, f)), msg)


def build_report(model: GenomicLM, data: GenomeData, *, settings: ReportSettings = ReportSettings(),
                 other_genomes: dict[str, GenomeData] | None = None, progress: Progress | None = None,
                 fingerprint: str = "") -> ModelReport:
    """Every section of ``settings.sections`` for ``model`` on ``data`` (held-out span: :func:`heldout_split`).

    ``other_genomes`` (name → data) add rows to the ``genomes`` table (the same held-out totals per genome).
    ``progress(fraction, message)`` follows the whole report.
    """
    from . import heldout

    s = settings
    want = set(s.sections)
    timings: dict[str, float] = {}
    split = heldout.heldout_split(data)
    t0 = time.time()
    baseline = heldout.fair_baseline(model, split)
    timings["baseline"] = time.time() - t0
    tables: dict[str, pd.DataFrame] = {}
    steps = _plan(want)
    done = 0.0

    def step(name: str) -> Progress | None:
        nonlocal done
        lo = done
        done += steps[name]
        return _stage(progress, lo, done)

    if want & {"classes", "showcase", "genomes"}:
        t0 = time.time()
        tables.update(_class_tables(model, data, split, baseline, s, step("classes")))
        if "genomes" in want:
            rows = [_genome_row(data.name, tables["classes"])]
            for name, other in (other_genomes or {}).items():
                osplit = heldout.heldout_split(other)
                obase = heldout.fair_baseline(model, osplit)
                t = _class_tables(model, other, osplit, obase, s, None)["classes"]
                rows.append(_genome_row(name, t))
            tables["genomes"] = pd.DataFrame(rows)
        timings["classes"] = time.time() - t0
    if "motifs" in want:
        t0 = time.time()
        tables.update(_motif_tables(model, data, split, baseline, s, step("motifs")))
        timings["motifs"] = time.time() - t0
    if "variants" in want:
        t0 = time.time()
        tables.update(_variant_tables(model, data, split, s, step("variants")))
        timings["variants"] = time.time() - t0
    if "embedding" in want:
        t0 = time.time()
        tables["embedding"] = embedding_table(model, data, settings=s, progress=step("embedding"))
        timings["embedding"] = time.time() - t0
    if progress:
        progress(1.0, "report done")
    return ModelReport(model=model.info.name, fingerprint=fingerprint, objective=model.info.objective,
                       genome=data.name, settings={**asdict(s), "sections": list(s.sections)},
                       split=dict(chrom=split.chrom, start=split.start, end=split.end, note=split.note),
                       baseline=baseline.name, tables=tables, timings={k: round(v, 1) for k, v in timings.items()},
                       created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def _plan(want: set[str]) -> dict[str, float]:
    """Share of the progress bar per section (rough relative cost on the default model)."""
    cost = {"classes": 3.0, "motifs": 3.0, "variants": 2.0, "embedding": 3.0}
    if not want & {"classes", "showcase", "genomes"}:
        cost.pop("classes")
    cost = {k: v for k, v in cost.items() if k == "classes" or k in want}
    total = sum(cost.values()) or 1.0
    return {k: v / total for k, v in cost.items()}


def _class_tables(model, data, split, baseline, s: ReportSettings, progress) -> dict[str, pd.DataFrame]:
    from . import heldout

    windows = heldout.class_windows(data, split, per_class=s.windows_per_class, length=s.window, seed=s.seed)
    per_base = heldout.score_windows(model, data, windows, baseline, passes=s.mask_passes, progress=progress)
    return {"classes": heldout.class_table(per_base, seed=s.seed),
            "showcase": heldout.showcase_windows(per_base, windows, per_class=s.showcase_per_class)}


def _genome_row(name: str, classes: pd.DataFrame) -> dict:
    """The ``all`` row of a genome's class table, named by the genome."""
    row = classes[classes["class"] == "all"].iloc[0].to_dict()
    return {"genome": name, **{k: v for k, v in row.items() if k != "class"}}


def _motif_tables(model, data, split, baseline, s: ReportSettings, progress) -> dict[str, pd.DataFrame]:
    from . import motif_profile as mp

    hits = mp.promoter_motif_hits(data, split.chrom, split.start, split.end, threshold=s.motif_p,
                                  max_per_motif=s.motifs_max_hits, promoter_bp=s.motif_promoter_bp, seed=s.seed)
    if hits.empty:
        return {"motif_ranking": pd.DataFrame(), "motif_profiles": pd.DataFrame()}
    profiles = mp.motif_profiles(model, data, hits, baseline, flank=s.motif_flank, progress=progress)
    ranking = mp.rank_motifs(profiles)
    keep = set(ranking["motif_id"].head(s.keep_profiles))
    return {"motif_ranking": ranking, "motif_profiles": profiles[profiles["motif_id"].isin(keep)]}


def _variant_tables(model, data, split, s: ReportSettings, progress) -> dict[str, pd.DataFrame]:
    from . import variant_sanity as vs

    snvs = vs.heldout_snvs(data, split.chrom, split.start, split.end, per_class=s.snvs_per_class, seed=s.seed)
    if progress:
        progress(0.0, f"scoring {len(snvs):,} held-out SNVs")
    scores = vs.effect_scores(model, data, snvs)
    return {"variant_scores": scores, "effect_summary": vs.effect_summary(scores),
            "aurocs": vs.effect_aurocs(scores, seed=s.seed)}


def embedding_table(model: GenomicLM, data: GenomeData, *, settings: ReportSettings = ReportSettings(),
                    progress: Progress | None = None) -> pd.DataFrame:
    """Probe macro-F1 (+CI), kNN accuracy and silhouette for the model's last layer, the k-mer baseline and both,
    with the ``embed`` command's defaults (windows from :func:`~glm_explore.region_windows.make_windows`, mean pooling of
    the centre, RC-averaged for MLMs) — the explorer's numbers."""
    from .. import reduce
    from ..embed import embed_windows
    from ..region_windows import make_windows

    ws = make_windows(data, cap_per_class=settings.embed_cap, seed=settings.seed)
    emb = embed_windows(model, ws.sequences, progress=progress)
    seps = reduce.compare_separation(emb.features(emb.layers), ws.sequences, ws.labels, ws.train_mask,
                                     k=settings.embed_k, model_name=model.info.name)
    table = reduce.separation_table(seps)
    lo_hi = [s.macro_f1_ci for s in seps]
    return table.assign(ci_lo=[c[0] for c in lo_hi], ci_hi=[c[1] for c in lo_hi], n_test=[s.n_test for s in seps])


def default_report_path(model_key: str, genome: str) -> Path:
    """Where the shipped report of a built-in model on a bundled genome lives (it may not exist)."""
    from ..io.datasets import DATA_DIR

    return DATA_DIR / "reports" / f"{model_key}--{genome}.json"


def shipped_report(model_key: str, genome: str, fingerprint: str) -> ModelReport | None:
    """The shipped report for ``model_key`` on ``genome`` when it was computed for exactly these weights."""
    path = default_report_path(model_key, genome)
    if not path.exists():
        return None
    report = ModelReport.load(path)
    return report if report.fingerprint == fingerprint else None


def sections_arg(text: str | Sequence[str]) -> tuple[str, ...]:
    """``all`` or comma-separated section names → a tuple of :data:`SECTIONS` (ValueError names the bad ones)."""
    names = SECTIONS if text == "all" else tuple(x.strip() for x in (text.split(",") if isinstance(text, str)
                                                                     else text) if x.strip())
    bad = [x for x in names if x not in SECTIONS]
    if bad or not names:
        raise ValueError(f"unknown section(s) {', '.join(bad) or '(none)'}; choose from all, {', '.join(SECTIONS)}")
    return names

