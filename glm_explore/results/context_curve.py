"""Prediction quality vs visible context (the rules: :mod:`glm_explore.context_curve`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, eq=False)
class ContextCurve:
    """Prediction quality vs visible context (see :mod:`glm_explore.context_curve`).

    ``points``: one row per (position, width): ``chrom``, ``pos`` (0-based), ``label`` (region class),
    ``window`` (bootstrap block id), ``width`` (bases), ``log_p_ref`` (natural log), ``p_ref``, ``bits``
    (−log2 P(ref)). ``curve``: one row per (class, width), classes in
    :data:`~glm_explore.io.annotation.CLASSES` order then ``"all"``: ``bits`` (mean), ``ci_lo``/``ci_hi``
    (95 % bootstrap over windows), ``p_ref`` (mean) with ``p_ref_lo``/``p_ref_hi``. ``w90``: one row per
    class (see :func:`glm_explore.context_curve.w90_width`): ``w90`` and its bootstrap CI ``w90_lo``/``w90_hi`` (NaN when the class
    gains nothing from context). ``full_width`` = F; ``receptive_field`` = R (None: unbounded).
    """

    points: pd.DataFrame
    curve: pd.DataFrame
    w90: pd.DataFrame
    widths: tuple[int, ...]
    full_width: int
    receptive_field: int | None
    model: str
    objective: str
    truncation: str
    note: str = ""

    @property
    def truncation_label(self) -> str:
        return {"mask": "bases beyond ±w fed the mask token", "crop": "input cut to ±w (masked centre)",
                "left": "input cut to w bases on the left"}[self.truncation]
