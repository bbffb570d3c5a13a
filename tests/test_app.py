"""AppTest: app.py and the home page, on both bundled genomes and both default models."""

from __future__ import annotations

import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest


def _contigs(at: AppTest):
    """The contig table of the home page (the one with a 'chrom' column)."""
    return next(d.value for d in at.dataframe if "chrom" in d.value.columns)


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


def test_app_opens_on_yeast_with_default_mlm():
    at = _app().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.sidebar.selectbox(key="model_key").value == "default-mlm"
    assert at.sidebar.selectbox(key="dataset_key").value == "yeast"
    text = " ".join(s.value for s in at.subheader)
    assert "default-mlm" in text and "Yeast" in text
    contigs = _contigs(at)
    assert len(contigs) == 16 and contigs["length"].sum() == 12_071_326


@pytest.mark.parametrize("model, genome, n_contigs", [("default-clm", "chloroplast", 1), ("default-mlm", "chloroplast", 1)])
def test_sidebar_switches_model_and_genome(model, genome, n_contigs):
    # AppTest drops sidebar widgets from its tree after a rerun under st.navigation, so the choice is
    # made through session state (the selectboxes' keys) before the first run.
    at = _app()
    at.session_state["model_key"] = model
    at.session_state["dataset_key"] = genome
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="model_key").value == model
    assert at.sidebar.selectbox(key="dataset_key").value == genome
    text = " ".join(s.value for s in at.subheader)
    assert model in text and "chloroplast" in text
    assert len(_contigs(at)) == n_contigs
