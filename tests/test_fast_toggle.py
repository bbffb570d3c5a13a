"""The sidebar's fast-inference (int8) toggle: the model every page gets is the int8 copy, labelled."""

from __future__ import annotations

from helpers import ROOT


def _app(fast: bool | None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["dataset_key"] = "chloroplast"
    if fast is not None:
        at.session_state["fast_int8"] = fast
    at.run()  # the home page
    assert not at.exception
    return at


def test_fast_toggle_is_off_by_default():
    at = _app(None)
    toggle = at.sidebar.toggle(key="fast_int8")
    assert toggle.label == "Fast inference (int8)" and toggle.value is False
    assert any(h.value == "Model: default-mlm" for h in at.subheader)


def test_fast_toggle_on_swaps_in_the_labelled_int8_model():
    at = _app(True)
    assert at.toggle(key="fast_int8").value is True
    assert any(h.value == "Model: default-mlm · int8" for h in at.subheader)
    caps = next(d.value for d in at.dataframe if "what" in d.value.columns).set_index("what")  # capability matrix
    assert caps.loc["Fast inference (int8)", "value"] == "approximate"
    assert caps.loc["Gradient attribution (saliency, IG, DeepLIFT)", "value"] == "unsupported"
