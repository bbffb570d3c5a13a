"""The variants page's "Which score should I use?" in a real browser: the default MLM on yeast opens the shipped
comparison at once — best method per class pair in a sentence, the AUROC chart with CIs, the ranking table."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _sidebar_ready(app) -> None:
    app.sidebar().get_by_role("combobox", name="Genome", exact=True).first.wait_for(timeout=240_000)
    app.wait_idle(240)


def test_variants_page_shows_which_score(app):
    from glm_explore.calibration.methods import MethodComparison, shipped_comparison_path

    res = MethodComparison.load(shipped_comparison_path("default-mlm", "yeast"))
    app.open()
    _sidebar_ready(app)
    app.open("variants", "model=default-mlm&genome=yeast")
    _sidebar_ready(app)
    exp = app.expand("Which score should I use?")
    app.wait_idle(120)
    text = exp.inner_text()
    for pair, method in res.best().items():
        label = res.ranking.set_index(["pair", "method"]).at[(pair, method), "label"]
        assert f"{pair}: best is {label}" in text, text[:3000]
    figs = app.wait_charts(1)
    fig = next(f for f in figs if any(t["name"] == "LLR" for t in f["traces"]))
    assert {t["name"] for t in fig["traces"]} == set(res.ranking["label"])
    assert app.table_rows(0, where=exp) == len(res.ranking)
    app.screenshot("variants-which-score")
