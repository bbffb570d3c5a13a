"""What the user loaded survives page hand-offs (st.switch_page clears every widget's state)."""

from __future__ import annotations


def _sidebar_script() -> None:
    from dashboard.sidebar import sidebar

    sidebar()


def test_model_and_genome_survive_widget_state_reset():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_sidebar_script, default_timeout=60)
    at.run()
    assert at.session_state["dataset_key"] == "yeast"
    at.selectbox(key="dataset_key").set_value("chloroplast")
    at.selectbox(key="model_key").set_value("default-clm")
    at.run()
    assert not at.exception
    kept = {k: at.session_state[k] for k in ("_kept_dataset_key", "_kept_model_key")}
    assert kept == {"_kept_dataset_key": "chloroplast", "_kept_model_key": "default-clm"}

    # after st.switch_page the widget states are gone and only plain session state is left
    # (streamlit ScriptRunner: "Clear widget state on page change"): a fresh session with those keys
    again = AppTest.from_function(_sidebar_script, default_timeout=60)
    for k, v in kept.items():
        again.session_state[k] = v
    again.run()
    assert not again.exception
    assert again.session_state["dataset_key"] == "chloroplast"
    assert again.session_state["model_key"] == "default-clm"
    assert again.selectbox(key="dataset_key").value == "chloroplast"
