"""``python -m glm_explore track`` end to end (in-process): files, resume, progress, one-line errors."""

from __future__ import annotations

import numpy as np
import pyBigWig

from glm_explore import logits as lg
from glm_explore.cli import main

CP = "NC_000932"


def test_track_cli_writes_bigwigs_and_resumes(tmp_path, capsys, chloroplast, default_mlm, one_thread):
    bed = tmp_path / "r.bed"
    bed.write_text(f"{CP}\t5000\t5090\n")
    out = tmp_path / "trk"
    argv = ["track", "--genome", "chloroplast", "--regions", str(bed), "--out", str(out), "--chunk-bp", "50"]
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "p_ref.bw" in cap.out and "min_llr.bw" in cap.out and "skipped.bed" in cap.out
    assert "0 reused" in cap.err and "bp/s" in cap.err  # the tqdm bar on stderr
    bw = pyBigWig.open(str(out / "p_ref.bw"))
    assert bw.chroms() == {CP: 154_478}
    stored = np.array(bw.values(CP, 5000, 5090))
    assert np.isnan(bw.values(CP, 4990, 5000)).all()  # outside the BED: no values
    bw.close()
    table = lg.position_table(lg.nucleotide_logits(default_mlm, lg.region_window(chloroplast.genome, f"{CP}:5001-5090",
                                                                                 default_mlm), rc=True))
    np.testing.assert_allclose(stored, table["p_ref"], atol=2e-6)
    before = (out / "p_ref.bw").read_bytes()
    assert main([*argv, "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "2 reused" in cap.err and "bp/s" not in cap.err
    assert (out / "p_ref.bw").read_bytes() == before
    assert "igv" in (out / "README.md").read_text().lower()


def test_track_cli_one_line_errors_write_nothing(tmp_path, capsys):
    past = tmp_path / "past.bed"
    past.write_text(f"{CP}\t154000\t155000\n")
    cases = [(["--regions", str(past)], "runs past the end"),
             (["--chrom", "chrZZ"], "chrZZ"),
             (["--chrom", CP, "--out", str(tmp_path / "past.bed" / "x")], "cannot write")]
    for extra, words in cases:
        argv = ["track", "--genome", "chloroplast", "--out", str(tmp_path / "o"), *extra]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("error:") and words in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["past.bed"]
