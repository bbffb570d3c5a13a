"""Variant effects page in a real browser: one SNV (LLR checked by masked forwards) and a VCF upload."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pages_common import BAD, CHLORO, chloroplast_seq, use_chloroplast

pytestmark = pytest.mark.browser
COMP = str.maketrans("ACGT", "TGCA")


def _masked_llr(model, seq: str, i: int, ref: str, alt: str) -> float:
    masked = np.zeros((1, len(seq)), dtype=bool)
    masked[0, i] = True
    lp = model.log_probs([seq], masked)[0]
    return float(lp["ACGT".index(alt), i] - lp["ACGT".index(ref), i])


def test_single_variant_llr(app, default_mlm):
    seq = chloroplast_seq()
    pos = next(p for p in range(2000, 2100) if seq[p - 1] != "G")  # ALT defaults to G
    ref, alt = seq[pos - 1], "G"
    use_chloroplast(app, "variants")
    app.page.get_by_label("Position (1-based)").fill(str(pos))
    app.press("Score variant")
    figs = app.wait_charts(1)
    assert any(t["name"].startswith("Δ log P") for t in figs[0]["traces"])
    assert app.table_rows(0) == 3  # the three alternatives at the site
    text = app.main().inner_text()
    assert f"{CHLORO}:{pos}{ref}>{alt}" in text.replace(" ", "")
    shown = float(re.search(r"LLR \(this ALT\)\s*\n?\s*([+-−]?\d+\.\d+)", text).group(1).replace("−", "-"))
    # independent: masked LLR on the forward strand and on the reverse complement, averaged
    rf = default_mlm.info.receptive_field
    lo, hi = pos - 1 - rf - 5, pos + rf + 5
    fwd = seq[lo:hi]
    rev = fwd.translate(COMP)[::-1]
    i = pos - 1 - lo
    want = 0.5 * (_masked_llr(default_mlm, fwd, i, ref, alt)
                  + _masked_llr(default_mlm, rev, len(fwd) - 1 - i, ref.translate(COMP), alt.translate(COMP)))
    assert abs(shown - want) < 2e-3, (shown, want)
    app.screenshot("variant-single")


def test_vcf_upload(app, tmp_path):
    seq = chloroplast_seq()
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    good = [(p, seq[p - 1], other[seq[p - 1]]) for p in (500, 1500, 2500, 3500)]
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={CHLORO},length={len(seq)}>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{CHLORO}\t{p}\t.\t{r}\t{a}\t.\tPASS\t." for p, r, a in good]
    lines.append(f"{CHLORO}\t4000\t.\t{other[seq[3999]]}\t{seq[3999]}\t.\tPASS\t.")  # REF mismatch
    lines.append(f"{CHLORO}\t4100\t.\t{seq[4099:4102]}\t{seq[4099]}\t.\tPASS\t.")  # deletion
    vcf = tmp_path / "chloroplast.vcf"
    vcf.write_text("\n".join(lines) + "\n")

    use_chloroplast(app, "variants")
    app.page.get_by_role("tab", name="Batch (VCF)").click()
    app.radio("VCF", "Upload")
    app.upload("VCF (.vcf or bgzipped .vcf.gz)", vcf)
    app.press("Score VCF")
    text = app.main().inner_text()
    assert "6 records, 6 alleles: 5 scored" in text  # the 2-bp deletion too: indels ≤ 50 bp by default (issue 26)
    assert "REF mismatch: 1" in text and "indel or length-changing" not in text
    assert app.table_rows(0) == 5
    app.screenshot("vcf-upload")

    # this file used to kill the whole server inside htslib (segfault); now it is one clear message
    app.upload("VCF (.vcf or bgzipped .vcf.gz)", BAD / "vcf" / "crash_pos_not_number_with_format.vcf")
    app.press("Score VCF")
    errs = app.errors()
    assert len(errs) == 1 and "line 5" in errs[0] and "columns" in errs[0]
    app.screenshot("vcf-bad")

    app.upload("VCF (.vcf or bgzipped .vcf.gz)", BAD / "vcf" / "binary.vcf")
    app.press("Score VCF")
    errs = app.errors()
    assert len(errs) == 1 and "VCF" in errs[0] and "binary.vcf" in errs[0]
