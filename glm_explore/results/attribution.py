"""Attribution maps, saturation mutagenesis and seqlet reports (see :mod:`glm_explore.attribution`,
:mod:`glm_explore.motifs`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .coordinates import OnSequence


@dataclass(frozen=True)
class Attributions(OnSequence):
    """An attribution map of one target over one sequence (see :mod:`glm_explore.attribution`).

    ``values`` (4, L) is the map drawn in the logo (natural-log units of the target; for one-hot
    inputs nonzero mostly at the observed base; negative = pushes the target down).
    ``hypothetical`` (4, L) is the gradient-like term for every base (Saliency: gradient; IG:
    path-averaged gradient; DeepLift: multipliers), after the one-hot correction when
    ``params['correct']``. ``target_value`` = f(x); ``baseline_value`` = f(x′) (mean over
    baselines) and ``delta`` = Σ values − (f(x) − f(x′)) (captum's convergence delta, for the
    uncorrected map) for IG / DeepLift, else None. ``chrom``/``start`` as in :class:`PositionLogits`.
    """

    values: np.ndarray
    hypothetical: np.ndarray
    seq: str
    method: str
    target: str
    model: str
    target_value: float
    baseline_value: float | None = None
    delta: float | None = None
    params: dict | None = None
    chrom: str | None = None
    start: int = 0
    notes: tuple[str, ...] = ()

    @property
    def per_position(self) -> np.ndarray:
        """(L,) attribution summed over the 4 bases."""
        return np.nansum(self.values, axis=0)

    @property
    def relative_delta(self) -> float | None:
        """|delta| / |f(x) − f(x′)| (completeness gap as a fraction), None without a baseline."""
        if self.delta is None or self.baseline_value is None:
            return None
        return abs(self.delta) / max(abs(self.target_value - self.baseline_value), 1e-12)

    def _unplaced_label(self) -> str:
        return f"1-{self.length}"

    def crop(self, lo: int, hi: int) -> Attributions:
        """The map over ``seq[lo:hi]`` (0-based offsets into this map), coordinates shifted."""
        from dataclasses import replace

        return replace(self, values=self.values[:, lo:hi], hypothetical=self.hypothetical[:, lo:hi],
                       seq=self.seq[lo:hi], start=self.start + lo)


@dataclass(frozen=True)
class ISMResult(OnSequence):
    """In-silico saturation mutagenesis of one target over one sequence.

    ``delta`` (4, L): f(sequence with base b at i) − f(reference), natural-log units of the target;
    0 at the reference base, NaN where undefined (the masked target position, N bases).
    ``reference_value`` = f(reference); ``n_forward`` the forward passes it took.
    """

    delta: np.ndarray
    seq: str
    target: str
    model: str
    reference_value: float
    chrom: str | None = None
    start: int = 0
    n_forward: int = 0
    notes: tuple[str, ...] = ()

    @property
    def importance(self) -> np.ndarray:
        """(L,) −mean Δ over the 3 substitutions: how much the reference base supports the target."""
        d = np.asarray(self.delta, dtype=float)
        return -np.nansum(d, axis=0) / 3.0 * np.where(np.isnan(d).all(axis=0), np.nan, 1.0)

    @property
    def logo_values(self) -> np.ndarray:
        """(4, L) the mean effect as a logo: the reference letter with height :attr:`importance`."""
        from ..sequence import one_hot

        return one_hot(self.seq) * np.nan_to_num(self.importance)[None, :]

    def _unplaced_label(self) -> str:
        return f"1-{self.length}"

    def crop(self, lo: int, hi: int) -> ISMResult:
        from dataclasses import replace

        return replace(self, delta=self.delta[:, lo:hi], seq=self.seq[lo:hi], start=self.start + lo)


@dataclass(frozen=True)
class SeqletReport:
    """Seqlets of many windows named by JASPAR (see :func:`glm_explore.motifs.seqlet_report`).

    ``seqlets``: one row per seqlet with its TOMTOM matches; ``summary``: one row per JASPAR motif
    that is some seqlet's best match at q ≤ ``q``; ``match_rate``: the fraction of seqlets with such
    a match; ``chance_rate``: the same fraction for random segments of the same windows with the
    seqlets' lengths and weights; ``threshold``: the pooled |score| threshold; ``delta_median`` /
    ``delta_worst``: the maps' relative convergence deltas (IG / DeepLift; NaN for other methods).
    """

    seqlets: pd.DataFrame
    summary: pd.DataFrame
    match_rate: float
    chance_rate: float
    threshold: float
    q: float
    n_windows: int
    delta_median: float = float("nan")
    delta_worst: float = float("nan")
