"""A Hugging Face model picked in the sidebar of a real browser: typed path, capability matrix, errors."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_sidebar_hf_model_loads_and_shows_capabilities(app, bert_dir):
    app.open()
    app.select("Model", "Hugging Face / local model", where=app.sidebar())
    assert any("Enter a Hugging Face model folder" in e for e in app.errors())
    app.type_text("Model folder or cached id", str(bert_dir), where=app.sidebar())
    app.assert_clean()
    assert app.errors() == []
    assert "Model: tiny-char-bert" in app.main().inner_text()
    caps = app.expand("What this model supports", where=app.sidebar())
    caps.locator('[data-testid="stDataFrame"]').first.wait_for()
    home_caps = app.expand("capability matrix", where=app.main())
    assert home_caps.locator('[data-testid="stDataFrame"]').count() == 1
    # the selection is shared: another page (reached through the navigation) keeps the same model
    app.sidebar().get_by_role("link", name="Nucleotide logits").click()
    app.wait_idle()
    assert urlsplit(app.location()).path == "/logits"
    spec = app.sidebar().get_by_label("Model folder or cached id", exact=True)
    assert spec.input_value() == str(bert_dir)
    app.screenshot("hf-model")


def test_sidebar_missing_model_and_remote_code_warning(app):
    app.open()
    app.select("Model", "Hugging Face / local model", where=app.sidebar())
    app.type_text("Model folder or cached id", "nobody-here/no-such-dna-model", where=app.sidebar())
    errs = app.errors()
    assert errs and any("hf download nobody-here/no-such-dna-model" in e for e in errs)
    app.sidebar().get_by_text("Trust remote code").click()
    app.wait_idle()
    assert "runs Python code" in app.sidebar().inner_text()
