"""Attribution maps: which bases make the model predict this?

A **target** is a small differentiable function ``f(x) -> (N,)`` over one-hot inputs ``x`` of
shape (N, 4, L), built on the model's :meth:`~glm_explore.models.base.GenomicLM.onehot_forward`.
Targets are ``torch.nn.Module`` s, so captum's DeepLift can hook the model inside them.

===================== =====================================================================
``mlm_position``      log P(reference base at p | x with p masked) — MLM. The reference base
                      is fixed (taken from the sequence), and position p itself is fed the
                      mask token, so p has no influence: its attribution is 0 and its ISM is
                      undefined (NaN).
``mlm_span``          pseudo-log-likelihood of a span ``[start, end)``:
                      Σ_i Σ_b x[b, i] · log P(b | x with i masked) — MLM. Each span position
                      needs its own masked copy; copies are batched with
                      :func:`glm_explore.logits.mask_groups` (positions farther apart than the
                      receptive field R share one copy, exact), so one input costs
                      min(span, R + 1) forward passes (``Target.copies``).
``clm_span``          log-likelihood of a span Σ_i Σ_b x[b, i] · log P(b | x_<i) — CLM, one pass.
``probe``             log P(class | v) of a region-class :class:`~glm_explore.results.LinearProbe`
                      (the embedding explorer's logistic regression), where v is the probe's
                      layers' hidden states mean-pooled over a span ``[start, end)`` (averaged
                      with the reverse-complement strand when the probe was fit that way) —
                      any model with a differentiable ``onehot_hidden``. On a window of the
                      probe's own length with the span = its pooled centre, v is exactly the
                      embedding the probe was fit on.
===================== =====================================================================

For the span targets the scored base is the input's own (``x``-weighted), so a mutant is scored
on its own sequence; for ``mlm_position`` it is the fixed reference base.

Methods (captum, ``(4, L)`` maps): Integrated Gradients (baselines ``zeros``, ``uniform`` 0.25
and ``shuffle`` = dinucleotide-shuffled copies of the input, averaged over ``n_baselines``
shuffles, via tangermeme's Euler-path ``dinucleotide_shuffle``), Saliency (the signed gradient),
Input × Gradient and DeepLift. IG and DeepLift report captum's convergence delta
Σ attr − (f(x) − f(x′)). ``correct=True`` applies the one-hot gradient correction (subtract, at
each position, the mean of the gradient over the 4 bases) before multiplying by ``x − x′``;
corrected maps no longer satisfy completeness, so the delta is reported for the uncorrected map.

In-silico saturation mutagenesis (:func:`saturation_mutagenesis`): f(mutant) − f(reference) for
every position × alternative base, batched; positions outside the target's receptive field are
0 without a forward pass (exact for finite receptive fields).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from .errors import GlmExploreError, InvalidSequenceError, UnsupportedByModelError
from .genome import Region
from .logits import mask_groups
from .models.base import GenomicLM, Progress
from .results import Attributions, ISMResult, LinearProbe
from .sequence import encode, one_hot

TARGETS = {
    "mlm_position": "log P(ref) at a position (masked) — MLM",
    "mlm_span": "pseudo-log-likelihood of a span (each position masked) — MLM",
    "clm_span": "log-likelihood of a span — CLM",
    "probe": "probe: log P(region class | embedding) — the embedding explorer's linear probe",
}
METHODS = {
    "integrated_gradients": "Integrated Gradients",
    "saliency": "Saliency (gradient)",
    "input_x_gradient": "Input × Gradient",
    "deeplift": "DeepLift",
}
BASELINES = {
    "zeros": "all zeros",
    "uniform": "uniform 0.25",
    "shuffle": "dinucleotide-shuffled input",
}
# captum's DeepLift has rules for these non-linear modules only; anything else is back-propagated as
# a plain gradient, which breaks DeepLift's summation-to-delta.
_DEEPLIFT_UNRELIABLE = (nn.GELU, nn.SiLU, nn.Mish, nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d, nn.Hardswish,
                        nn.MultiheadAttention, nn.Softmax2d)


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------

class Target(nn.Module):
    """A scalar function of one-hot input (N, 4, L) → (N,); see the module docstring.

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
        inner = getattr(model, "model", None)
        if isinstance(inner, nn.Module):  # registered so captum's DeepLift hooks see its layers
            self.net = inner

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
        if not callable(getattr(model, "onehot_hidden", None)):
            raise UnsupportedByModelError(f"{model.info.name} has no differentiable path to its hidden states, so "
                                          "the probe target cannot be attributed; pick a likelihood target.")
        n = model.info.n_layers
        if any(not -n - 1 <= k <= n for k in probe.layers):
            raise GlmExploreError(f"The probe uses layers {list(probe.layers)}, but {model.info.name} has 0..{n}.")
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
    from .embed import pool_slice

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


def default_target(model: GenomicLM, seq: str, kind: str | None = None, *, origin: int = 0) -> Target:
    """The default target for a window: MLM → log P(ref) at the centre; CLM → LL of the whole window.
    ``origin`` (0-based genome start of ``seq``) labels the description."""
    kind = kind or ("mlm_position" if model.info.is_mlm else "clm_span")
    centre = len(seq) // 2
    while kind == "mlm_position" and centre < len(seq) - 1 and seq[centre] not in "ACGT":
        centre += 1
    return make_target(model, seq, kind, *((centre,) if kind == "mlm_position" else (0, len(seq))), origin=origin)


# ---------------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------------

def dinucleotide_shuffles(seq: str | np.ndarray, n: int = 1, *, seed: int = 0) -> np.ndarray:
    """(n, 4, L) float32 dinucleotide-shuffled copies of ``seq`` (string or (4, L) one-hot).

    tangermeme's ``dinucleotide_shuffle`` (Altschul–Erickson: a random Eulerian path through the
    dinucleotide graph): each copy keeps the first and last base and every dinucleotide count.
    N (all-zero columns) are shuffled as a fifth letter.
    """
    from tangermeme.ersatz import dinucleotide_shuffle

    x = one_hot(seq) if isinstance(seq, str) else np.asarray(seq, dtype=np.float32)
    X = torch.from_numpy(np.ascontiguousarray(x))[None]
    out = dinucleotide_shuffle(X, n=n, random_state=seed, allow_N=True)
    return out[0].to(torch.float32).numpy()


def make_baselines(seq: str, baseline: str, n: int = 1, *, seed: int = 0) -> np.ndarray:
    """(k, 4, L) reference inputs for IG / DeepLift: 'zeros', 'uniform' (0.25) or 'shuffle' (k = n)."""
    x = one_hot(seq)
    if baseline == "zeros":
        return np.zeros_like(x)[None]
    if baseline == "uniform":
        return np.full_like(x, 0.25)[None]
    if baseline == "shuffle":
        return dinucleotide_shuffles(seq, n, seed=seed)
    raise GlmExploreError(f"Unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}.")


# ---------------------------------------------------------------------------------------------
# Gradient methods (captum)
# ---------------------------------------------------------------------------------------------

def correct_gradients(grad: np.ndarray) -> np.ndarray:
    """One-hot gradient correction: subtract the per-position mean over the 4 bases ((…, 4, L))."""
    return grad - grad.mean(axis=-2, keepdims=True)


def deeplift_warnings(target: nn.Module) -> list[str]:
    """Why captum's DeepLift may not satisfy its rules on ``target`` (empty when it should)."""
    bad = sorted({type(m).__name__ for m in target.modules() if isinstance(m, _DEEPLIFT_UNRELIABLE)})
    out = []
    if bad:
        out.append(f"DeepLift is unreliable here: the model uses {', '.join(bad)}, which captum's DeepLift has "
                   "no rule for (they are back-propagated as plain gradients), so the attributions need not sum "
                   "to f(x) − f(x′). Check the convergence delta; prefer Integrated Gradients or ISM.")
    seen: dict[int, int] = {}
    for m in target.modules():
        seen[id(m)] = seen.get(id(m), 0) + 1
    if any(c > 1 for c in seen.values()) or getattr(target, "reuses_modules", False):
        out.append("DeepLift: a module is registered twice or run twice (e.g. both strands of a probe target); "
                   "captum's DeepLift needs every non-linearity used once.")
    return out


def _batch(target: nn.Module, batch_size: int) -> int:
    return max(1, batch_size // max(1, int(getattr(target, "copies", 1))))


@torch.no_grad()
def score(target: nn.Module, x: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """(N,) target values for one-hot inputs (N, 4, L)."""
    x = np.asarray(x, dtype=np.float32)
    b = _batch(target, batch_size)
    out = [target(torch.from_numpy(x[i:i + b])).double().numpy() for i in range(0, len(x), b)]
    return np.concatenate(out) if out else np.zeros(0)


def attribute(target: nn.Module, seq: str, *, method: str = "integrated_gradients", baseline: str = "zeros",
              n_steps: int = 50, n_baselines: int = 10, correct: bool = False, seed: int = 0,
              batch_size: int = 64, model: str = "", chrom: str | None = None, start: int = 0,
              progress: Progress | None = None) -> Attributions:
    """Attribution map of ``target`` over ``seq`` with a captum ``method`` (see :data:`METHODS`).

    Returns :class:`~glm_explore.results.Attributions` whose ``values`` (4, L) are the map shown in
    the logo (for Saliency the gradient at the observed base; Input × Gradient, IG and DeepLift:
    (x − x′) ⊙ gradient-like term) and ``hypothetical`` (4, L) the gradient-like term for every base
    (Saliency's gradient, IG's path-averaged gradient, DeepLift's multipliers), corrected when
    ``correct``. ``baseline`` / ``n_steps`` / ``n_baselines`` apply to IG and DeepLift (shuffled
    baselines are averaged, n_baselines of them). ``chrom``/``start`` place ``seq`` in a genome.
    """
    from captum.attr import DeepLift, InputXGradient, IntegratedGradients, Saliency

    if method not in METHODS:
        raise GlmExploreError(f"Unknown attribution method {method!r}; choose one of {', '.join(METHODS)}.")
    target = target.eval()
    x = torch.from_numpy(one_hot(seq))[None]
    notes: list[str] = []
    if "N" in seq:
        notes.append("The window contains N (all-zero one-hot columns); their attributions are 0.")
    params = {"correct": correct}
    delta, f_base = None, None
    f_x = float(score(target, x.numpy())[0])
    if method in {"saliency", "input_x_gradient"}:
        x.requires_grad_(True)
        grad = Saliency(target).attribute(x, abs=False).detach().numpy()[0]
        hyp = correct_gradients(grad) if correct else grad
        if method == "input_x_gradient" and not correct:
            values = InputXGradient(target).attribute(x).detach().numpy()[0]
        else:
            values = hyp * x.detach().numpy()[0]
        if progress:
            progress(1.0, "gradients done")
    else:
        if baseline not in BASELINES:
            raise GlmExploreError(f"Unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}.")
        bases = make_baselines(seq, baseline, n_baselines, seed=seed)
        params |= {"baseline": baseline, "n_baselines": len(bases)}
        if method == "integrated_gradients":
            params["n_steps"] = n_steps
            explainer = IntegratedGradients(target, multiply_by_inputs=False)
        else:
            notes += deeplift_warnings(target)
            explainer = DeepLift(target, multiply_by_inputs=False)
        hyps, vals, deltas, f_bs = [], [], [], []
        for k, b in enumerate(bases):
            bt = torch.from_numpy(np.ascontiguousarray(b))[None]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # captum's "setting forward/backward hooks" chatter
                if method == "integrated_gradients":
                    g = explainer.attribute(x, baselines=bt, n_steps=n_steps,
                                            internal_batch_size=_batch(target, batch_size))
                else:
                    g = explainer.attribute(x, baselines=bt)
            g = g.detach().numpy()[0]
            diff = x.numpy()[0] - b
            full = diff * g
            f_b = float(score(target, b[None])[0])
            deltas.append(float(full.sum() - (f_x - f_b)))  # captum's convergence delta, computed on the map
            f_bs.append(f_b)
            hyp_k = correct_gradients(g) if correct else g
            hyps.append(hyp_k)
            vals.append(diff * hyp_k)
            if progress:
                progress((k + 1) / len(bases), f"baseline {k + 1}/{len(bases)}")
        hyp, values = np.mean(hyps, axis=0), np.mean(vals, axis=0)
        delta, f_base = float(np.mean(deltas)), float(np.mean(f_bs))
        if method == "deeplift" and abs(delta) > 0.01 * max(abs(f_x - f_base), 1e-6):
            notes.append(f"DeepLift's convergence delta is {delta:+.3g} ({abs(delta) / max(abs(f_x - f_base), 1e-9):.0%}"
                         " of f(x) − f(x′)): treat this map with care.")
    return Attributions(
        values=values.astype(np.float32), hypothetical=hyp.astype(np.float32), seq=seq, method=method,
        target=getattr(target, "description", type(target).__name__), model=model, target_value=f_x,
        baseline_value=f_base, delta=delta, params=params, chrom=chrom, start=start, notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# In-silico saturation mutagenesis
# ---------------------------------------------------------------------------------------------

def single_mutants(seq: str, positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All single-base substitutions of ``seq`` at ``positions`` (default all A/C/G/T positions).

    Returns ``(x, pos, base)``: one-hot mutants (M, 4, L), their 0-based positions (M,) and new base
    codes (M,), position-major, bases in A,C,G,T order skipping the reference. N positions are skipped.
    """
    codes = encode(seq)
    ref = one_hot(seq)
    positions = np.nonzero(codes < 4)[0] if positions is None else np.asarray(positions, dtype=int)
    positions = positions[codes[positions] < 4]
    pos = np.repeat(positions, 3)
    alts = np.array([[b for b in range(4) if b != codes[p]] for p in positions], dtype=int).reshape(-1)
    x = np.repeat(ref[None], len(pos), axis=0)
    rows = np.arange(len(pos))
    x[rows, :, pos] = 0.0
    x[rows, alts, pos] = 1.0
    return x, pos, alts


def saturation_mutagenesis(target: nn.Module, seq: str, *, batch_size: int = 64, model: str = "",
                           chrom: str | None = None, start: int = 0, within: tuple[int, int] | None = None,
                           progress: Progress | None = None) -> ISMResult:
    """ISM: ``delta[b, i]`` = f(seq with base b at i) − f(seq), natural-log units of the target.

    The reference base has delta 0. Positions in the target's ``undefined`` set (the masked
    position of ``mlm_position``) and N positions are NaN. Positions outside the target's
    ``influence`` (receptive field) are 0 without a forward pass. Mutants are scored in batches
    of ``batch_size`` forward passes (divided by the target's ``copies``). ``within`` = (lo, hi)
    mutates only ``seq[lo:hi]`` (the rest is NaN: not computed), e.g. the region inside a context.
    """
    target = target.eval()
    L = len(seq)
    codes = encode(seq)
    influence = target.influence(L) if hasattr(target, "influence") else np.ones(L, dtype=bool)
    undefined = [p for p in getattr(target, "undefined", ()) if 0 <= p < L]
    influence = influence.copy()
    influence[undefined] = False
    outside = np.zeros(L, dtype=bool)
    if within is not None:
        outside[:within[0]] = outside[within[1]:] = True
        influence[outside] = False
    x, pos, alts = single_mutants(seq, np.nonzero(influence)[0])
    ref_value = float(score(target, one_hot(seq)[None])[0])
    values = np.empty(len(x))
    b = _batch(target, batch_size)
    for i in range(0, len(x), b):
        values[i:i + b] = score(target, x[i:i + b], batch_size=batch_size)
        if progress:
            progress(min(1.0, (i + b) / max(1, len(x))), f"mutants {min(i + b, len(x))}/{len(x)}")
    delta = np.zeros((4, L))
    delta[alts, pos] = values - ref_value
    delta[:, codes > 3] = np.nan
    delta[:, undefined] = np.nan
    delta[:, outside] = np.nan
    notes = []
    if undefined:
        notes.append(f"Position {', '.join(str(p + start + 1) for p in undefined)} is the masked target position: "
                     "the model never sees its base, so its ISM is undefined (shown blank).")
    if not influence.all():
        n_out = int((~influence).sum()) - len(undefined) - int(outside.sum())
        if n_out > 0:
            notes.append(f"{n_out} positions lie outside the model's receptive field around the target: their "
                         "effect is exactly 0 (not computed).")
    return ISMResult(delta=delta.astype(np.float32), seq=seq, target=getattr(target, "description", "custom"),
                     model=model, reference_value=ref_value, chrom=chrom, start=start,
                     n_forward=int(len(x)) * int(getattr(target, "copies", 1)), notes=tuple(notes))



# ---------------------------------------------------------------------------------------------
# A genome region in, cropped maps out (what the page and scripts call)
# ---------------------------------------------------------------------------------------------

MAX_ATTRIBUTION_BP = 1000


def parse_target_spec(spec: str, region: Region) -> tuple[int, int] | None:
    """``'1030'`` or ``'1001-1060'`` (1-based genome coordinates inside ``region``) → 0-based
    half-open offsets into the region; blank → None (the default target)."""
    spec = (spec or "").replace(",", "").strip()
    if not spec:
        return None
    try:
        a, _, b = spec.partition("-")
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise GlmExploreError(f"Cannot read target position {spec!r}: write one 1-based position (e.g. "
                              f"{region.start + 1}) or a span (e.g. {region.start + 1}-{region.end}).") from None
    if not region.start + 1 <= lo <= hi <= region.end:
        raise GlmExploreError(f"Target {spec} is outside the region {region}: pick positions inside it.")
    return lo - 1 - region.start, hi - region.start


def attribute_region(model: GenomicLM, genome, region: Region | str, *, target: str | None = None,
                     target_spec: str = "", method: str = "integrated_gradients", baseline: str = "zeros",
                     n_steps: int = 50, n_baselines: int = 10, correct: bool = False, ism: bool = False,
                     flank: int | None = None, max_len: int = MAX_ATTRIBUTION_BP, batch_size: int = 64,
                     probe: LinearProbe | None = None, probe_class: str | None = None,
                     progress: Progress | None = None) -> tuple[Attributions | None, ISMResult | None]:
    """Attribution (and optionally ISM) of a target over a genome ``region``, cropped to the region.

    The model sees ``flank`` bases of context each side (default: its receptive field, at most 256;
    cut at contig edges). ``target`` defaults to ``mlm_position`` (MLM) / ``clm_span`` (CLM);
    ``target_spec`` is a 1-based position or span inside the region (blank: the region centre for a
    position target, the whole region for a span, the probe's own pooling for ``probe``).
    ``method='ism'`` runs ISM only.
    """
    from .genome import fetch_window, parse_region

    if isinstance(region, str):
        region = parse_region(region)
    rf = model.info.receptive_field
    flank = min(256, rf if rf is not None else 256) if flank is None else flank
    win = fetch_window(genome, region, flank=flank, max_len=max_len)
    kind = target or ("mlm_position" if model.info.is_mlm else "clm_span")
    span = parse_target_spec(target_spec, win.region)
    lo, hi = win.offset, win.offset + win.region.length
    if span is None:
        if kind == "mlm_position":
            centre = lo + win.region.length // 2
            ok = [i for i in range(lo, hi) if win.seq[i] in "ACGT"]
            if not ok:
                raise InvalidSequenceError(f"Region {win.region} has no A/C/G/T base to target.")
            span = (min(ok, key=lambda i: abs(i - centre)), 0)
        elif kind == "probe" and probe is not None:
            span = probe_span(probe, lo, hi)
        else:
            span = (lo, hi)
    else:
        span = (span[0] + lo, span[1] + lo)
    tgt = make_target(model, win.seq, kind, span[0], None if kind == "mlm_position" else span[1],
                      origin=win.context.start, probe=probe, probe_class=probe_class)
    common = dict(model=model.info.name, chrom=win.context.chrom, start=win.context.start)
    attr = ism_res = None
    if method != "ism":
        attr = attribute(tgt, win.seq, method=method, baseline=baseline, n_steps=n_steps, n_baselines=n_baselines,
                         correct=correct, batch_size=batch_size, progress=progress, **common)
        attr = attr.crop(lo, hi)
        if win.note:
            attr = replace(attr, notes=attr.notes + (win.note,))
    if ism or method == "ism":
        ism_res = saturation_mutagenesis(tgt, win.seq, batch_size=batch_size, within=(lo, hi), progress=progress,
                                         **common).crop(lo, hi)
    return attr, ism_res


def attribute_windows(model: GenomicLM, windows: pd.DataFrame, *, target: str | None = None,
                      probe: LinearProbe | None = None, probe_class: str | None = None,
                      method: str = "integrated_gradients", baseline: str = "zeros", n_steps: int = 50,
                      n_baselines: int = 2, correct: bool = False, batch_size: int = 64,
                      progress: Progress | None = None) -> list[Attributions]:
    """One attribution map per window, for seqlets across many windows (:func:`glm_explore.motifs.seqlets_many`).

    ``windows`` has one row per window with ``chrom``, ``start`` (0-based) and ``sequence`` (e.g.
    the rows of a :class:`~glm_explore.results.WindowSet` table). Each window is its own context.
    ``target``: ``'probe'`` (log P(``probe_class``), pooled as the probe was fit — on the windows
    the probe was fit on this is exactly its score), or a likelihood target at its default
    (``None`` / ``'default'`` → :func:`default_target`: MLM log P(ref) at the centre, CLM
    log-likelihood of the window).
    """
    if method not in METHODS:
        raise GlmExploreError(f"Unknown attribution method {method!r} for many windows; choose one of "
                              f"{', '.join(METHODS)}.")
    if len(windows) == 0:
        raise GlmExploreError("No windows to attribute: choose a class that has windows in the sample.")
    out = []
    for i, row in enumerate(windows.itertuples(index=False)):
        seq = str(row.sequence)
        if target == "probe":
            tgt = make_target(model, seq, "probe", *probe_span(probe, 0, len(seq)) if probe else (0, 1),
                              origin=int(row.start), probe=probe, probe_class=probe_class)
        else:
            tgt = default_target(model, seq, None if target == "default" else target, origin=int(row.start))
        out.append(attribute(tgt, seq, method=method, baseline=baseline, n_steps=n_steps, n_baselines=n_baselines,
                             correct=correct, batch_size=batch_size, model=model.info.name, chrom=str(row.chrom),
                             start=int(row.start)))
        if progress:
            progress((i + 1) / len(windows), f"window {i + 1}/{len(windows)}")
    return out


def attribution_table(attr: Attributions | None, ism: ISMResult | None = None) -> pd.DataFrame:
    """One row per position (for downloads / the CLI): ``chrom, pos`` (1-based), ``ref``, ``attr_A..T``
    and ``attribution`` (Σ over bases) from ``attr``; ``ism_A..T`` (Δ target) and ``ism_importance``
    (−mean Δ) from ``ism``."""
    main = attr if attr is not None else ism
    if main is None:
        raise GlmExploreError("Nothing to tabulate: run an attribution method or ISM first.")
    df = pd.DataFrame({"chrom": main.chrom, "pos": main.positions, "ref": list(main.seq)})
    if attr is not None:
        for b, base in enumerate("ACGT"):
            df[f"attr_{base}"] = attr.values[b]
        df["attribution"] = attr.per_position
    if ism is not None:
        for b, base in enumerate("ACGT"):
            df[f"ism_{base}"] = ism.delta[b]
        df["ism_importance"] = ism.importance
    return df
