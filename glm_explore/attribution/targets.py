"""Attribution targets: scalar functions ``f(x) -> (N,)`` of one-hot input ``x`` (N, 4, L).

Each target is a ``torch.nn.Module`` built on the model's
:meth:`~glm_explore.models.base.GenomicLM.onehot_forward` (``probe``: ``onehot_hidden``), so
captum's DeepLift can hook the model inside it. See :data:`TARGETS` and the package docstring
(:mod:`glm_explore.attribution`) for what each one computes.

:func:`default_span` is the one rule for the default target position/span of a sequence;
:func:`default_target` builds that target, and
:func:`~glm_explore.attribution.drivers.attribute_region` and
:func:`~glm_explore.attribution.drivers.attribute_windows` both go through it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import GlmExploreError, InvalidSequenceError, LayerError, UnsupportedByModelError
from ..logits import mask_groups
from ..models.adapter import layer_index
from ..models.base import GenomicLM
from ..models.capabilities import supports_probe_target
from ..results import LinearProbe
from ..sequence import encode

TARGETS = {
    "mlm_position": "log P(ref) at a position (masked) — MLM",
    "mlm_span": "pseudo-log-likelihood of a span (each position masked) — MLM",
    "clm_span": "log-likelihood of a span — CLM",
    "probe": "probe: log P(region class | embedding) — the embedding explorer's linear probe",
}


class Target(nn.Module):
    """A scalar function of one-hot input (N, 4, L) → (N,); see the package docstring.

    Attributes used by the attribution functions (all optional on custom modules):
    ``description`` (str), ``copies`` (forward passes per input), :meth:`influence` and
    ``undefined`` (positions whose ISM is undefined).
    """

    description: str = "custom target"
    copies: int = 1
    undefined: tuple[int, ...] = ()

    def __init__(self, model: GenomicLM) -> None:
        super().__init__()
        self.lm = model
        if model.network is not None:  # registered so captum's DeepLift hooks see its layers
            self.net = model.network

    def influence(self, length: int) -> np.ndarray:
        """(L,) bool: positions that can change the target (all unless the receptive field is finite)."""
        return np.ones(length, dtype=bool)

    def _rf(self) -> int | None:
        return self.lm.info.receptive_field


def _check_span(start: int, end: int, length: int) -> None:
    if not 0 <= start < end <= length:
        raise GlmExploreError(f"Span {start + 1}-{end} (1-based) is not inside the {length} bp window; "
                              "choose positions within the window.")


class MaskedPositionTarget(Target):
    """log P(x_p = reference base | x with p masked) for an MLM (natural log)."""

    def __init__(self, model: GenomicLM, seq: str, position: int, *, origin: int = 0) -> None:
        super().__init__(model)
        if not model.info.is_mlm:
            raise GlmExploreError(f"{model.info.name} is a causal LM: the masked-position target needs an MLM. "
                                  "Pick the CLM span target instead.")
        _check_span(position, position + 1, len(seq))
        code = int(encode(seq[position])[0])
        if code > 3:
            raise InvalidSequenceError(f"Position {position + 1} is '{seq[position]}', not A/C/G/T: "
                                       "choose a position with a known base.")
        self.position, self.ref = position, code
        self.undefined = (position,)
        self.description = f"log P({seq[position]} at {origin + position + 1} | rest), position masked"

    def influence(self, length: int) -> np.ndarray:
        rf = self._rf()
        out = np.zeros(length, dtype=bool)
        lo, hi = (0, length) if rf is None else (max(0, self.position - rf), min(length, self.position + rf + 1))
        out[lo:hi] = True
        out[self.position] = False
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        masked = torch.zeros(x.shape[0], x.shape[2], dtype=torch.bool, device=x.device)
        masked[:, self.position] = True
        logits = self.lm.onehot_forward(x, masked)
        return torch.log_softmax(logits[:, :, self.position], dim=1)[:, self.ref]


class _SpanTarget(Target):
    """A target over ``[self.start, self.end)`` that sees R bases each side of the span."""

    start: int
    end: int

    def influence(self, length: int) -> np.ndarray:
        rf = self._rf()
        out = np.zeros(length, dtype=bool)
        lo, hi = (0, length) if rf is None else (max(0, self.start - rf), min(length, self.end + rf))
        out[lo:hi] = True
        return out


class MaskedSpanTarget(_SpanTarget):
    """Pseudo-log-likelihood of ``[start, end)`` for an MLM: each span position masked in turn.

    Batching: the span positions are split into :func:`~glm_explore.logits.mask_groups` with the
    model's receptive field R (positions ≥ R + 1 apart share a masked copy, which is exact), so an
    input is expanded to ``copies`` = min(span, R + 1) masked copies inside one forward call.
    """

    def __init__(self, model: GenomicLM, start: int, end: int, length: int, *, origin: int = 0) -> None:
        super().__init__(model)
        if not model.info.is_mlm:
            raise GlmExploreError(f"{model.info.name} is a causal LM: the pseudo-likelihood target needs an MLM.")
        _check_span(start, end, length)
        self.start, self.end = start, end
        groups = [g + start for g in mask_groups(end - start, self._rf())]
        mask = np.zeros((len(groups), length), dtype=bool)
        for row, g in enumerate(groups):
            mask[row, g] = True
        self.register_buffer("group_mask", torch.from_numpy(mask), persistent=False)
        self.copies = len(groups)
        self.description = f"pseudo-log-likelihood of {origin + start + 1}-{origin + end} (each position masked)"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, g = x.shape[0], self.copies
        xx = x.repeat_interleave(g, dim=0)
        masked = self.group_mask.repeat(n, 1)
        lp = torch.log_softmax(self.lm.onehot_forward(xx, masked), dim=1)
        picked = (lp * xx).sum(dim=1) * masked  # (N·G, L): log P(own base) where masked
        return picked.sum(dim=1).view(n, g).sum(dim=1)


class CausalSpanTarget(Target):
    """log-likelihood Σ_{i in span} log P(x_i | x_<i) of ``[start, end)`` for a CLM (one pass)."""

    def __init__(self, model: GenomicLM, start: int, end: int, length: int, *, origin: int = 0) -> None:
        super().__init__(model)
        if model.info.is_mlm:
            raise GlmExploreError(f"{model.info.name} is a masked LM: the CLM span target needs a causal LM. "
                                  "Pick the pseudo-likelihood target instead.")
        _check_span(start, end, length)
        self.start, self.end = start, end
        self.description = f"log-likelihood of {origin + start + 1}-{origin + end} (next-token)"

    def influence(self, length: int) -> np.ndarray:
        rf = self._rf()
        out = np.zeros(length, dtype=bool)
        out[0 if rf is None else max(0, self.start - rf):self.end] = True
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lp = torch.log_softmax(self.lm.onehot_forward(x), dim=1)
        return (lp * x)[:, :, self.start:self.end].sum(dim=(1, 2))


class ProbeTarget(_SpanTarget):
    """log P(``cls`` | pooled embedding of ``[start, end)``) under a fitted :class:`LinearProbe` (natural log).

    The features are recomputed differentiably: the probe's layers from the model's
    ``onehot_hidden`` (one pass), each mean-pooled over the span and concatenated in the probe's
    layer order; with ``probe.rc`` the reverse complement (``x`` flipped on both axes: A,C,G,T
    order makes complementing a flip of the base axis) is run too, its states flipped back in
    position and pooled over the same span, and the two vectors averaged (as
    :func:`glm_explore.embed.embed_windows` does).
    """

    def __init__(self, model: GenomicLM, probe: LinearProbe, cls: str, start: int, end: int, length: int, *,
                 origin: int = 0) -> None:
        super().__init__(model)
        if probe.model != model.info.name:
            raise GlmExploreError(f"The probe was fit on embeddings of {probe.model}, not {model.info.name}: "
                                  "fit a probe with this model on the embedding explorer first.")
        if not supports_probe_target(model):
            raise UnsupportedByModelError(f"{model.info.name} has no differentiable path to its hidden states, so "
                                          "the probe target cannot be attributed; pick a likelihood target.")
        try:
            [layer_index(k, model.info.n_layers, model.info.name) for k in probe.layers]
        except LayerError as exc:
            raise GlmExploreError(f"The probe uses layers {list(probe.layers)}, but {exc}") from None
        _check_span(start, end, length)
        self.start, self.end, self.layers, self.rc = start, end, list(probe.layers), probe.rc
        self.k = probe.class_index(cls)
        for name in ("weight", "bias", "mean", "scale"):
            self.register_buffer(name, torch.as_tensor(getattr(probe, name), dtype=torch.float32), persistent=False)
        self.reuses_modules = probe.rc  # the model runs twice (both strands)
        where = f"{origin + start + 1}-{origin + end}" if end - start > 1 else f"{origin + start + 1}"
        self.description = (f"log P({cls} | layer {'+'.join(map(str, probe.layers))} embedding of {where}"
                            f"{', both strands' if probe.rc else ''}) under the region-class probe")

    def _pooled(self, x: torch.Tensor, flip: bool) -> torch.Tensor:
        states = self.lm.onehot_hidden(x.flip(1, 2) if flip else x, self.layers)
        return torch.cat([(h.flip(1) if flip else h)[:, self.start:self.end].mean(dim=1) for h in states], dim=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) the probe's input features for one-hot ``x`` (N, 4, L)."""
        v = self._pooled(x, False)
        return (v + self._pooled(x, True)) / 2 if self.rc else v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = ((self.features(x) - self.mean) / self.scale) @ self.weight.T + self.bias
        return torch.log_softmax(z, dim=1)[:, self.k]


def probe_span(probe: LinearProbe, lo: int, hi: int) -> tuple[int, int]:
    """The default pooled span of a probe target inside ``[lo, hi)``: what the probe's pooling pools
    (its centre ``center`` bp, the whole stretch, or the middle base), clipped to the stretch."""
    from ..embed import pool_slice

    sl = pool_slice(hi - lo, probe.pooling, min(probe.center, hi - lo))
    return lo + sl.start, lo + sl.stop


def make_target(model: GenomicLM, seq: str, kind: str, start: int, end: int | None = None, *, origin: int = 0,
                probe: LinearProbe | None = None, probe_class: str | None = None) -> Target:
    """Build a target of ``kind`` (see :data:`TARGETS`) over ``seq``; ``start``/``end`` 0-based half-open.

    ``mlm_position`` uses ``start`` only; ``probe`` needs ``probe`` and ``probe_class``. ``origin``
    (0-based genome start of ``seq``) only labels the description in genome coordinates.
    """
    if kind == "probe":
        if probe is None or probe_class is None:
            raise GlmExploreError("The probe target needs a fitted probe and a class: fit one on the embedding "
                                  "explorer (or `embed --probe-out`) and choose a class.")
        return ProbeTarget(model, probe, probe_class, start, start + 1 if end is None else end, len(seq),
                           origin=origin)
    if kind == "mlm_position":
        return MaskedPositionTarget(model, seq, start, origin=origin)
    end = start + 1 if end is None else end
    if kind == "mlm_span":
        return MaskedSpanTarget(model, start, end, len(seq), origin=origin)
    if kind == "clm_span":
        return CausalSpanTarget(model, start, end, len(seq), origin=origin)
    raise GlmExploreError(f"Unknown target {kind!r}; choose one of {', '.join(TARGETS)}.")


def default_kind(model: GenomicLM) -> str:
    """The default target kind for ``model``: ``mlm_position`` (MLM) or ``clm_span`` (CLM)."""
    return "mlm_position" if model.info.is_mlm else "clm_span"


def default_span(seq: str, kind: str, lo: int = 0, hi: int | None = None, *, origin: int = 0,
                 probe: LinearProbe | None = None) -> tuple[int, int]:
    """The default target ``[start, end)`` (0-based, offsets into ``seq``) of ``kind`` inside ``seq[lo:hi]``.

    The one default-target rule:

    * ``mlm_position``: the A/C/G/T base nearest the centre ``lo + (hi - lo) // 2`` of the stretch
      (on a tie, the one on the left), as ``(p, p + 1)``; :class:`InvalidSequenceError` when the
      stretch has no A/C/G/T base (``origin``, the 0-based genome start of ``seq``, places it in
      the message).
    * ``probe`` with a ``probe``: what the probe pools (:func:`probe_span`) inside the stretch.
    * otherwise the whole stretch ``(lo, hi)``.
    """
    hi = len(seq) if hi is None else hi
    if kind == "mlm_position":
        centre = lo + (hi - lo) // 2
        known = [i for i in range(lo, hi) if seq[i] in "ACGT"]
        if not known:
            raise InvalidSequenceError(f"Positions {origin + lo + 1}-{origin + hi} have no A/C/G/T base to target: "
                                       "choose a region with known bases.")
        p = min(known, key=lambda i: abs(i - centre))
        return p, p + 1
    if kind == "probe" and probe is not None:
        return probe_span(probe, lo, hi)
    return lo, hi


def default_target(model: GenomicLM, seq: str, kind: str | None = None, *, lo: int = 0, hi: int | None = None,
                   origin: int = 0, probe: LinearProbe | None = None, probe_class: str | None = None) -> Target:
    """The default target of ``kind`` (default :func:`default_kind`) over ``seq[lo:hi]`` (default all of
    ``seq``), placed by :func:`default_span`: MLM → log P(ref) at the known base nearest the centre;
    CLM → log-likelihood of the stretch; probe → the probe's own pooling. ``origin`` (0-based genome
    start of ``seq``) labels the description."""
    kind = kind or default_kind(model)
    start, end = default_span(seq, kind, lo, hi, origin=origin, probe=probe)
    return make_target(model, seq, kind, start, end, origin=origin, probe=probe, probe_class=probe_class)
