"""The options of one attribution run (:class:`AttributionSettings`), built once by the page or the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from ..errors import GlmExploreError
from .baselines import BASELINES
from .gradients import METHODS
from .targets import TARGETS

MAX_ATTRIBUTION_BP = 1000


@dataclass(frozen=True)
class AttributionSettings:
    """Everything an attribution depends on besides the model, the sequence(s) and a fitted probe.

    ``target``: a kind in :data:`~glm_explore.attribution.targets.TARGETS`, or None / ``'default'``
    (``mlm_position`` for an MLM, ``clm_span`` for a CLM); ``probe_class``: the class whose
    log P the ``probe`` target attributes. ``method``: one of :data:`~glm_explore.attribution.gradients.METHODS`,
    or ``'ism'`` (ISM only; a region only). ``baseline`` / ``n_steps`` / ``n_baselines``: IG and DeepLift's
    reference, IG's steps, shuffled references averaged. ``correct``: the one-hot gradient correction.
    ``batch_size``: inputs per forward pass. A region only (:func:`~glm_explore.attribution.attribute_region`):
    ``target_spec`` (a 1-based position or span inside the region; blank = the default target),
    ``ism`` (also run ISM), ``flank`` (context bases each side; None = ``attribution_flank(model)``)
    and ``max_len`` (longest region, bp).
    """

    target: str | None = None
    target_spec: str = ""
    method: str = "integrated_gradients"
    baseline: str = "zeros"
    n_steps: int = 50
    n_baselines: int = 10
    correct: bool = False
    ism: bool = False
    flank: int | None = None
    max_len: int = MAX_ATTRIBUTION_BP
    batch_size: int = 64
    probe_class: str | None = None

    def __post_init__(self) -> None:
        if self.target not in (None, "default", *TARGETS):
            raise GlmExploreError(f"Unknown target {self.target!r}; choose one of {', '.join(TARGETS)} "
                                  "(or leave it blank for the model's default).")
        if self.method not in (*METHODS, "ism"):
            raise GlmExploreError(f"Unknown attribution method {self.method!r}; choose one of "
                                  f"{', '.join(METHODS)} or ism.")
        if self.baseline not in BASELINES:
            raise GlmExploreError(f"Unknown baseline {self.baseline!r}; choose one of {', '.join(BASELINES)}.")
        for what, v, lo in (("IG steps", self.n_steps, 1), ("number of baselines", self.n_baselines, 1),
                            ("batch size", self.batch_size, 1), ("longest region", self.max_len, 1),
                            ("flank", 0 if self.flank is None else self.flank, 0)):
            if isinstance(v, bool) or not isinstance(v, Integral) or v < lo:
                raise GlmExploreError(f"The {what} must be a whole number ≥ {lo}, got {v!r}.")

    @property
    def kind(self) -> str | None:
        """The target kind, None for the model's default."""
        return None if self.target == "default" else self.target
