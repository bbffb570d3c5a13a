"""The logits page's *Stored genome-wide track* section (AppTest): a stored track is found and drawn for
the region of the form without computing anything, and agrees with the page's own computation."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from helpers import app_on_page

from glm_explore import track as tk

CP = "NC_000932"


@pytest.fixture(scope="module")
def stored(tmp_path_factory, chloroplast, default_mlm):
    """A default-MLM track (RC-averaged) over 1001-1200 of the chloroplast, in ROOT/mlm/."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tracks")
    regions = pd.DataFrame({"Chromosome": [CP], "Start": [1000], "End": [1200]})
    chunks = tk.plan_chunks(chloroplast, regions=regions, chunk_bp=100)
    tk.run_track(default_mlm, chloroplast, chunks, tk.ChunkStore(root / "mlm"))
    return root


def arr(v) -> np.ndarray:
    """A trace's x / y from the chart's JSON (plotly writes numpy arrays as base64 ``bdata``)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v, dtype=float)


def chart_figure(at, key: str) -> dict:
    """The plotly JSON of the chart whose element id holds ``key``."""
    charts = [c for c in at.get("plotly_chart") if key in c.proto.id]
    assert len(charts) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return json.loads(charts[0].proto.spec)


def test_stored_track_found_and_drawn_without_computing(stored, monkeypatch):
    monkeypatch.setenv("GLM_EXPLORE_TRACKS", str(stored))
    at = app_on_page("logits")
    assert not at.exception and not at.error
    assert "logits_cache" not in at.session_state or not at.session_state["logits_cache"]  # nothing computed
    fig = chart_figure(at, "logits_track_chart")
    want = tk.read_track(stored / "mlm", CP, 1000, 1200)
    lines = {t["name"]: t for t in fig["data"]}
    x = arr(lines["stored P(ref)"]["x"])
    assert x[0] == 1001 and len(x) == 200
    np.testing.assert_allclose(arr(lines["stored P(ref)"]["y"]), want["p_ref"], rtol=1e-6)
    np.testing.assert_allclose(arr(lines["stored min"]["y"]), want["min_llr"], rtol=1e-6)

    at.checkbox(key="logits_rc").set_value(True)  # the track is RC-averaged exact marginals: same as this Run
    at.button(key="logits_go").click().run()
    assert not at.exception and not at.error
    diff = [m for m in at.metric if m.label.startswith("Max |stored")]
    assert len(diff) == 1 and float(diff[0].value) < 1e-5

    at.text_input(key="logits_region").set_value(f"{CP}:3001-3050")
    at.button(key="logits_go").click().run()
    assert not at.exception and any("no values" in i.value for i in at.info)


def test_stored_track_folder_typed_by_hand_and_bad_folder(stored, monkeypatch, tmp_path):
    monkeypatch.setenv("GLM_EXPLORE_TRACKS", str(tmp_path))  # nothing to find here
    at = app_on_page("logits")
    assert not at.get("plotly_chart") and any("No stored track" in c.value for c in at.caption)
    at.text_input(key="logits_track_dir").set_value(str(tmp_path)).run()
    assert not at.exception and at.error and "track.json" in at.error[0].value
    at.text_input(key="logits_track_dir").set_value(str(stored / "mlm")).run()
    assert not at.exception and not at.error
    assert len(chart_figure(at, "logits_track_chart")["data"]) == 3
