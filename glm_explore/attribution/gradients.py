"""Gradient attribution methods through captum: Integrated Gradients, Saliency, Input × Gradient, DeepLift.

Every method returns ``(4, L)`` maps (:class:`~glm_explore.results.Attributions`). IG and DeepLift
report captum's convergence delta Σ attr − (f(x) − f(x′)). ``correct=True`` applies the one-hot
gradient correction (:func:`correct_gradients`) before multiplying by ``x − x′``; corrected maps
no longer satisfy completeness, so the delta is reported for the uncorrected map.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from ..errors import GlmExploreError
from ..models.base import Progress
from ..models.runtime import batch_size_for
from ..results import Attributions
from ..sequence import one_hot
from .baselines import BASELINES, make_baselines
from .scoring import inputs_per_call, score

METHODS = {
    "integrated_gradients": "Integrated Gradients",
    "saliency": "Saliency (gradient)",
    "input_x_gradient": "Input × Gradient",
    "deeplift": "DeepLift",
}
# captum's DeepLift has rules for these non-linear modules only; anything else is back-propagated as
# a plain gradient, which breaks DeepLift's summation-to-delta.
_DEEPLIFT_UNRELIABLE = (nn.GELU, nn.SiLU, nn.Mish, nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d, nn.Hardswish,
                        nn.MultiheadAttention, nn.Softmax2d)


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
                    fits = batch_size_for(getattr(target, "lm", None), x.shape[-1], requested=batch_size, grad=True)
                    g = explainer.attribute(x, baselines=bt, n_steps=n_steps,
                                            internal_batch_size=inputs_per_call(target, fits))
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
