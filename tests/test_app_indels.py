"""AppTest: the variant page's Indel / SV tab (scores, z-score, aligned tracks, one-line errors) and the
length-bias section, on the chloroplast with the default CLM (fast)."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

from glm_explore import variants as va

CP = "NC_000932"


@pytest.fixture(scope="module")
def chloroplast_seq(chloroplast):
    return chloroplast.genome.fetch(CP)


def _open(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"model": "default-clm", "genome": "chloroplast", **query})
    at.switch_page("pages/variants.py")
    return at.run()


def test_indel_tab_scores_an_indel_with_its_z_score(chloroplast, chloroplast_seq, default_clm):
    s = chloroplast_seq
    ref, alt = s[2999:3005], s[2999]
    at = _open({"tab": "indel", "ichrom": CP, "ipos": "3000", "iref": ref, "ialt": alt, "nulls": "4", "half": "10"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="variants_indel_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    want = va.score_events(default_clm, chloroplast, pd.DataFrame([(CP, 3000, ref, alt)],
                                                                  columns=["chrom", "pos", "ref", "alt"]),
                           null_events=4)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Score (sum, alt − ref)"] == f"{want['llr'].iat[0]:+.3f}"
    assert metrics["Per-base mean (alt − ref)"] == f"{want['llr_mean'].iat[0]:+.5f}"
    assert metrics["Length-corrected z"] == f"{want['llr_z'].iat[0]:+.2f}"
    assert any("length-matched" in c.value for c in at.caption)  # the CLM method is stated
    table = next(d.value for d in at.dataframe if "alt_base" in d.value.columns)
    assert (table["alt_base"] == "-").sum() == 5 and "".join(table["ref_base"]) == s[2990:3015]
    assert at.query_params["iref"] == ref and at.query_params["tab"] == "indel"


def test_indel_tab_errors_say_what_to_fix(chloroplast_seq):
    at = _open({"tab": "indel", "ichrom": CP, "ipos": "3000", "iref": chloroplast_seq[2999], "ialt": "<DEL>"})
    at.button(key="variants_indel_go").click().run()
    assert not at.exception
    errs = [e.value for e in at.error]
    assert len(errs) == 1 and "END" in errs[0]


def test_length_bias_section_runs_on_demand():
    at = _open({})
    assert not at.exception
    at.button(key="variants_bias_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fits = next(d.value for d in at.dataframe if "slope" in d.value.columns)
    row = fits[(fits["kind"] == "all") & (fits["score"] == "llr")].iloc[0]
    assert row["n"] == 100 and row["ci_low"] < row["slope"] < row["ci_high"]  # the CLM default: 100 events
    assert any("per bp of length change" in m.value for m in at.markdown)

