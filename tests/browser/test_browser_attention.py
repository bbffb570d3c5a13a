"""Attention on the context page in a real browser: a tiny BERT typed into the sidebar, one head's map over a
chloroplast region, and the partners of the middle base; the default CNN greys the button out."""

from __future__ import annotations

import re

import pytest
from pages_common import CHLORO, use_chloroplast

pytestmark = pytest.mark.browser


def test_attention_heatmap_and_partners_for_a_transformer(app, bert_dir):
    use_chloroplast(app, "context")
    button = app.main().get_by_role("button", name=re.compile("^Show attention"))
    assert button.is_disabled()  # the default model is a CNN
    app.select("Model", "Hugging Face / local model", where=app.sidebar())
    app.type_text("Model folder or cached id", str(bert_dir), where=app.sidebar())
    app.type_text("Region for the dependency map (≤ 5 kb) and attention (≤ 1 kb), 1-based", f"{CHLORO}:3001-3030", submit=False)
    app.type_text("Attention layer (-1 = last)", "1", submit=False)
    app.press(re.compile("^Show attention"))
    figs = app.wait_charts(2, timeout_s=300)
    heat = figs[0]["traces"][0]
    assert heat["type"] == "heatmap" and list(heat["x"])[0] == 3001 and list(heat["x"])[-1] == 3030
    assert list(heat["y"])[0] == 3001 and len(heat["y"]) == 30
    assert "Top partners of position 3,016" in app.main().inner_text()
    app.screenshot("attention")
    app.assert_clean()
