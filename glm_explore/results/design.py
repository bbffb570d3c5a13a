"""What an in-silico evolution run did (the rules: :mod:`glm_explore.design`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Edit:
    """One substitution: ``position`` 0-based, ``ref`` → ``alt`` bases, made in ``round``, leaving the
    objective at ``objective``. ``label`` is what people read: 1-based ``'12A>G'``."""

    round: int
    position: int
    ref: str
    alt: str
    objective: float

    @property
    def label(self) -> str:
        return f"{self.position + 1}{self.ref}>{self.alt}"


@dataclass(frozen=True)
class DesignResult:
    """What :func:`design` did (see :mod:`glm_explore.design` for the rules).

    ``start`` / ``sequence``: the start and the best designed sequence; ``start_value`` / ``value``
    their objective (``units``). ``trajectory``: one row per round (round 0 = the start) with
    ``round, objective, gain, edits`` (Hamming distance from the start), ``gc`` (fraction),
    ``position`` (1-based), ``ref, alt, edit`` (the edit that made that round's best sequence from
    its parent) and ``evaluated`` (exact evaluations that round). ``edits``: the path from start to
    ``sequence``. ``beam`` / ``beam_values``: the last beam, best first (one sequence for greedy).
    ``stopped`` says why the run ended; ``candidates`` is the cap used (None = every edit exact).
    """

    start: str
    sequence: str
    objective: str
    units: str
    start_value: float
    value: float
    trajectory: pd.DataFrame
    edits: tuple[Edit, ...]
    beam: tuple[str, ...]
    beam_values: tuple[float, ...]
    method: str
    beam_width: int
    rounds: int
    edit_budget: int
    candidates: int | None
    fixed: tuple[int, ...]
    gc_range: tuple[float, float] | None
    seed: int
    stopped: str
    model: str = ""
