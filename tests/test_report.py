"""The model report's assembly: sections wired to their modules, JSON round trip, tour, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from oracles import NeighbourMLM

from glm_explore.report import (
    LOOK_FOR,
    SECTIONS,
    ModelReport,
    ReportSettings,
    build_report,
    sections_arg,
    tour_stops,
)
from glm_explore.report import heldout as ho


@pytest.fixture(scope="module")
def oracle():
    rng = np.random.default_rng(3)
    return NeighbourMLM(rng.dirichlet(np.ones(4), size=16))


@pytest.fixture(scope="module")
def small_report(oracle, chloroplast):
    seen: list[float] = []
    settings = ReportSettings(windows_per_class=3, sections=("classes", "genomes", "showcase"))
    rep = build_report(oracle, chloroplast, settings=settings, progress=lambda f, m: seen.append(f),
                       fingerprint="abc")
    return rep, seen


def test_class_section_equals_the_heldout_functions_called_directly(small_report, oracle, chloroplast):
    rep, _ = small_report
    split = ho.heldout_split(chloroplast)
    base = ho.fair_baseline(oracle, split)
    windows = ho.class_windows(chloroplast, split, per_class=3, length=512, seed=0)
    per_base = ho.score_windows(oracle, chloroplast, windows, base)
    pd.testing.assert_frame_equal(rep.table("classes").reset_index(drop=True),
                                  ho.class_table(per_base, seed=0).reset_index(drop=True))
    assert rep.baseline == base.name and rep.split["chrom"] == split.chrom and rep.split["start"] == split.start
    genomes = rep.table("genomes")
    everything = rep.table("classes").set_index("class").loc["all"]
    assert len(genomes) == 1 and genomes["genome"].iat[0] == chloroplast.name
    assert genomes["bits_model"].iat[0] == pytest.approx(everything["bits_model"])


def test_progress_stays_in_0_1_and_only_grows(small_report):
    _, seen = small_report
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= a <= b <= 1.0 for a, b in zip(seen, seen[1:]))


def test_json_round_trip_keeps_every_table_and_the_metadata(small_report, tmp_path):
    rep, _ = small_report
    back = ModelReport.load(rep.save(tmp_path / "r" / "report.json"))
    assert (back.model, back.fingerprint, back.genome, back.baseline) == (rep.model, "abc", rep.genome, rep.baseline)
    assert back.settings["sections"] == ["classes", "genomes", "showcase"]
    for name, table in rep.tables.items():
        got = back.table(name)
        assert list(got.columns) == list(table.columns)
        for col in table.columns:
            if pd.api.types.is_numeric_dtype(table[col]) and not pd.api.types.is_bool_dtype(table[col]):
                np.testing.assert_allclose(got[col].to_numpy(float), table[col].to_numpy(float), rtol=1e-5)
            else:
                assert list(got[col]) == list(table[col])
    assert back.table("motif_ranking").empty, "a section not computed is an empty table"
    bad = json.loads(rep.to_json()) | {"format": 99}
    with pytest.raises(ValueError, match="format"):
        ModelReport.from_json(json.dumps(bad))


def test_tour_has_one_stop_per_class_where_the_model_wins_best_first():
    show = pd.DataFrame({"class": ["CDS", "CDS", "intron", "tRNA", "mystery"],
                         "region": ["c:1-10", "c:11-20", "c:21-30", "c:31-40", "c:41-50"],
                         "gain_bits": [0.2, 0.5, -0.1, 0.3, 0.05]})
    stops = tour_stops(show)
    assert list(stops["region"]) == ["c:11-20", "c:31-40", "c:41-50"], "best CDS window, no losing intron"
    assert stops["look_for"].iat[0] == LOOK_FOR["CDS"] and stops["look_for"].iat[2]
    assert tour_stops(show.iloc[:0]).empty


def test_sections_are_checked():
    assert sections_arg("all") == SECTIONS
    assert sections_arg("motifs, classes") == ("motifs", "classes")
    with pytest.raises(ValueError, match="unknown section"):
        sections_arg("classes,bogus")
    with pytest.raises(ValueError):
        sections_arg(" , ")


@pytest.mark.slow  # ~2 min: the report command end to end
def test_report_command_writes_json_and_tables(tmp_path):
    out = tmp_path / "rep"
    proc = subprocess.run([sys.executable, "-m", "glm_explore", "report", "--genome", "chloroplast",
                           "--sections", "classes,showcase", "--windows-per-class", "2", "--other-genomes", "none",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rep = ModelReport.load(out / "report.json")
    assert rep.model == "default-mlm" and len(rep.fingerprint) == 16
    tsv = pd.read_csv(out / "classes.tsv", sep="\t")
    np.testing.assert_allclose(tsv["bits_model"], rep.table("classes")["bits_model"], rtol=1e-5)
    assert "bits/base per class" in proc.stderr


def test_shipped_report_is_matched_by_weights_wherever_they_are_loaded_from(tmp_path):
    """The shipped report names the default's tensors: a copy of the weights elsewhere (a fresh clone) matches it,
    other weights do not."""
    import shutil

    from glm_explore.models.builtin import WEIGHTS_DIR, load_builtin, load_convlm_dir
    from glm_explore.models.fingerprint import tensors_fingerprint
    from glm_explore.report import shipped_report

    copy = shutil.copytree(WEIGHTS_DIR / "yeast-mlm", tmp_path / "elsewhere" / "yeast-mlm")
    here, there = load_builtin("default-mlm"), load_convlm_dir(copy, name="default-mlm")
    assert tensors_fingerprint(here) == tensors_fingerprint(there)
    assert shipped_report("default-mlm", "yeast", tensors_fingerprint(there)) is not None
    assert shipped_report("default-mlm", "yeast", tensors_fingerprint(load_builtin("default-clm"))) is None
