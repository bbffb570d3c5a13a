"""``python -m glm_explore browser-export``: one HTML file whose view is the page's (locus, lanes, values)."""

from __future__ import annotations

import json
import re

import numpy as np

from glm_explore import logits as lg
from glm_explore.cli import main

CP = "NC_000932"


def test_browser_export_writes_one_file_with_the_region_and_lanes(tmp_path, chloroplast, default_mlm, one_thread):
    out = tmp_path / "view.html"
    assert main(["browser-export", "--genome", "chloroplast", "--region", f"{CP}:1,101-1,200",
                 "--tracks", "genes,p_ref,logo", "--out", str(out)]) == 0
    html = out.read_text()
    assert "<script src" not in html
    cfg = json.loads(re.search(r"const GLM_VIEW = (\{.*?\});\n", html).group(1))
    assert cfg["locus"] == f"{CP}:1101-1200"
    assert [t["name"] for t in cfg["tracks"]] == ["Genes", "P(ref) · default-mlm", "Logo p·IC (bits) · default-mlm"]
    values = cfg["tracks"][1]["_values"]
    table = lg.position_table(lg.nucleotide_logits(default_mlm, lg.region_window(chloroplast.genome,
                                                                                  f"{CP}:1101-1200", default_mlm)))
    got = np.array(values["values"][1100 - values["start"]:1200 - values["start"]], dtype=float)
    np.testing.assert_allclose(got, table["p_ref"], atol=1e-4)  # the file rounds to 4 decimals


def test_browser_export_bad_region_is_one_line(tmp_path, capsys):
    assert main(["browser-export", "--genome", "chloroplast", "--region", "NOSUCHGENE", "--tracks", "genes",
                 "--out", str(tmp_path / "v.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Unknown locus or gene 'NOSUCHGENE'" in err[0]
    assert not (tmp_path / "v.html").exists()
