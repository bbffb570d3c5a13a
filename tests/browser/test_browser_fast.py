"""The sidebar's fast-inference (int8) toggle in a real browser: the page's model becomes the labelled int8 copy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_fast_toggle_labels_the_model(app):
    app.open()
    assert "Model: default-mlm" in app.main().inner_text()
    app.sidebar().get_by_text("Fast inference (int8)").click()
    app.wait_idle()
    app.assert_clean()
    assert "Model: default-mlm · int8" in app.main().inner_text()
    caps = app.expand("What this model supports", where=app.sidebar())
    caps.locator('[data-testid="stDataFrame"]').first.wait_for()
    app.screenshot("fast-int8")
