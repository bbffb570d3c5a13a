"""In-silico saturation mutagenesis: f(mutant) − f(reference) for every position × alternative base.

Mutants are scored in batches (:func:`~glm_explore.attribution.scoring.input_batches`); positions
outside the target's receptive field are 0 without a forward pass (exact for finite receptive fields).
"""

from __future__ import annotations

import numpy as np
from torch import nn

from ..models.base import Progress
from ..results import ISMResult
from ..sequence import encode, one_hot
from .scoring import input_batches, score


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
    for sl in input_batches(target, x, batch_size):
        values[sl] = score(target, x[sl], batch_size=batch_size)
        if progress:
            progress(sl.stop / max(1, len(x)), f"mutants {sl.stop}/{len(x)}")
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
