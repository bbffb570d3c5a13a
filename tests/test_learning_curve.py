"""The default's learning curve: held-out bits per shipped version against accumulated training CPU-hours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glm_explore.evaluate import card_markdown, learning_curve, previous_versions
from glm_explore.plots.report import learning_curve_chart


def _heldout(model_bits: float, margin: float, lo: float, hi: float) -> dict:
    return {"chrom": "chrXVI", "n_positions": 100, "n_windows": 10, "scoring": "x",
            "model": {"bits": model_bits, "accuracy": 0.4}, "baseline": {"name": "b", "bits": model_bits - margin,
                                                                          "accuracy": 0.38},
            "margin_bits": margin, "margin_ci95": [lo, hi], "model_beats_baseline": hi < 0, "windows_model_better": 6}


def _card() -> dict:
    ledger = [dict(steps_from=0, steps_to=100, windows=3200, cpu_hours=1.25),
              dict(steps_from=0, steps_to=50, windows=1600, cpu_hours=0.5),
              dict(steps_from=50, steps_to=50, windows=0, cpu_hours=0.0),  # a resume that only wrote the weights
              dict(steps_from=50, steps_to=80, windows=960, cpu_hours=0.75)]
    legacy = {**_heldout(1.90, -0.01, -0.03, 0.01), "version": "m (100 steps, 3200 windows)"}  # no cpu_hours kept
    kept = {**_heldout(1.88, -0.02, -0.04, 0.00), "version": "m (50 steps, 4800 windows)", "cpu_hours": 1.75}
    return {"name": "m", "objective": "mlm", "architecture": "a", "n_parameters": 1, "training_command": "t",
            "training": {"steps": 80}, "baseline_selection": {"validation": "v"}, "ledger": ledger,
            "history": [legacy, kept], "heldout": _heldout(1.86, -0.03, -0.05, -0.01)}


def test_learning_curve_hours_by_hand():
    rows = learning_curve(_card())
    # legacy entry: the cumulative ledger at the run that reached 100 steps = 1.25; kept: its own 1.75;
    # current: the whole ledger, 1.25 + 0.5 + 0 + 0.75 = 2.5
    assert [r["cpu_hours"] for r in rows] == [1.25, 1.75, 2.5]
    assert [r["model_bits"] for r in rows] == [1.90, 1.88, 1.86]
    assert [r["current"] for r in rows] == [False, False, True]
    assert rows[2]["ci_lo"] == -0.05 and rows[2]["ci_hi"] == -0.01


def test_previous_versions_records_the_cpu_hours_of_the_card_it_replaces(tmp_path):
    import json

    (tmp_path / "card.json").write_text(json.dumps(_card()))
    prior = previous_versions(tmp_path)
    assert prior[-1]["cpu_hours"] == 2.5 and prior[-1]["model"]["bits"] == 1.86
    assert len(prior) == 3


def test_card_markdown_and_chart_show_every_version():
    card = _card()
    md = card_markdown(card)
    assert "**Learning curve**" in md
    assert "| m (current) | 2.50 | 1.8600 | 1.8900 | -0.0300 [-0.0500, -0.0100] |" in md
    fig = learning_curve_chart(pd.DataFrame(learning_curve(card)))
    model, baseline = fig.data
    np.testing.assert_allclose(model.x, [1.25, 1.75, 2.5])
    np.testing.assert_allclose(model.y, [1.90, 1.88, 1.86])
    np.testing.assert_allclose(baseline.y, [1.91, 1.90, 1.89])
    # error bars: the margin's CI around the model's point
    np.testing.assert_allclose(model.error_y.array, [0.02, 0.02, 0.02], atol=1e-12)
    np.testing.assert_allclose(model.error_y.arrayminus, [0.02, 0.02, 0.02], atol=1e-12)
