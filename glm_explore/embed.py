"""Window embeddings: per-nucleotide hidden states → one vector per window.

Pooling (over the FORWARD strand's coordinates of a window of length L):

* ``center-mean`` — mean over the centre ``center`` bp ``[(L-center)//2, (L-center)//2 + center)``
  (GPN's default, with center = 100);
* ``window-mean`` — mean over all L positions;
* ``center-position`` — the single position ``L // 2``.

Reverse-complement averaging (GPN): the hidden states of ``reverse_complement(seq)`` are flipped
back in position (RC position ``L-1-i`` ↦ forward position ``i``) BEFORE pooling, then the pooled
forward and reverse vectors are averaged. Default on for masked LMs, off for causal LMs (whose
reverse pass reads the other strand in the other direction, a different context).

Layers: 0 is the input embedding, 1..n the blocks, -1 the last. Several layers give one
``(D,)`` vector each, kept separately in :class:`~glm_explore.results.Embeddings`; concatenate
them with :meth:`Embeddings.features`.

Speed: with a finite receptive field R (``ModelInfo.receptive_field``) and a centre pooling, only
``[centre start − R, centre end + R)`` can influence the pooled positions, so that crop is fed to
the model instead of the whole window (exact, not an approximation; ``crop=False`` turns it off).
For models that declare ``capabilities.one_pass_layers`` (the built-in ConvLM) all requested layers
come from one forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import LayerError
from .models.adapter import layer_index
from .models.base import GenomicLM, Progress
from .results import Embeddings
from .sequence import reverse_complement

POOLINGS = ("center-mean", "window-mean", "center-position")
DEFAULT_POOLING = "center-mean"
PROBE_CAP = 60  # windows per class and split when a region-class probe is fit without the explorer


def pool_slice(length: int, pooling: str, center: int) -> slice:
    """Positions (forward-strand coordinates) that ``pooling`` averages over for a window of ``length``."""
    if pooling == "center-mean":
        if not 1 <= center <= length:
            raise ValueError(f"centre {center} must be between 1 and the window length {length}")
        off = (length - center) // 2
        return slice(off, off + center)
    if pooling == "window-mean":
        return slice(0, length)
    if pooling == "center-position":
        return slice(length // 2, length // 2 + 1)
    raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")


def pool(hidden: np.ndarray, pooling: str = DEFAULT_POOLING, center: int = 100) -> np.ndarray:
    """Pool per-position states ``(N, L, D)`` (or ``(L, D)``) → ``(N, D)`` (or ``(D,)``)."""
    sl = pool_slice(hidden.shape[-2], pooling, center)
    return hidden[..., sl, :].mean(axis=-2)


def _all_layers(model: GenomicLM) -> list[int]:
    return list(range(model.info.n_layers + 1))


def normalize_layers(model: GenomicLM, layers: Sequence[int] | str | int) -> list[int]:
    """Layer spec → sorted unique non-negative indices in ``0..n_layers``. ``"all"`` = every layer.

    Out-of-range layers raise :class:`~glm_explore.errors.LayerError` (a ``ValueError``).
    """
    if isinstance(layers, str):
        if layers != "all":
            raise LayerError(f"layers must be 'all' or integers like -1 or 7,8,9; got {layers!r}")
        return _all_layers(model)
    if isinstance(layers, int | np.integer):
        layers = [int(layers)]
    return sorted({layer_index(k, model.info.n_layers, model.info.name) for k in layers})


def hidden_layers(model: GenomicLM, seqs: list[str], layers: list[int], *, batch_size: int = 64
                  ) -> list[np.ndarray]:
    """Per-position states for equal-length ``seqs``: one ``(N, L, D)`` array per layer in ``layers``.

    One forward pass for models that declare ``capabilities.one_pass_layers`` (their
    ``hidden_layers``), else one :meth:`GenomicLM.hidden_states` call per layer.
    """
    if model.info.capabilities.one_pass_layers:
        return [np.asarray(a) for a in model.hidden_layers(seqs, layers, batch_size=batch_size)]
    return [np.stack(model.hidden_states(seqs, layer=k, batch_size=batch_size)) for k in layers]


def crop_bounds(length: int, pooling: str, center: int, receptive_field: int | None) -> tuple[int, int]:
    """``(lo, hi)`` of the part of a window that can influence the pooled positions (exact crop)."""
    sl = pool_slice(length, pooling, center)
    if receptive_field is None:
        return 0, length
    # a pooled position at ≥ R bases from both crop edges sees exactly what it sees in the whole
    # window; a crop edge clamped to the window edge is the window's own edge
    return max(0, sl.start - receptive_field), min(length, sl.stop + receptive_field)


def embed_windows(model: GenomicLM, seqs: Sequence[str], *, layers: Sequence[int] | str | int = -1,
                  pooling: str = DEFAULT_POOLING, center: int = 100, rc: bool | None = None,
                  batch_size: int = 128, crop: bool = True, progress: Progress | None = None,
                  name: str = "") -> Embeddings:
    """Pooled embeddings of equal-length windows → :class:`Embeddings` with ``vectors`` (N, n_layers, D).

    ``rc=None`` means on for MLMs, off for CLMs. ``progress(fraction, message)`` is called after
    each batch. Inference only (``torch.inference_mode``).
    """
    seqs = list(seqs)
    if not seqs:
        raise ValueError("no windows to embed")
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        raise ValueError("all windows must have the same length")
    layer_idx = normalize_layers(model, layers)
    rc = model.info.is_mlm if rc is None else bool(rc)
    sl = pool_slice(length, pooling, center)
    lo, hi = crop_bounds(length, pooling, center, model.info.receptive_field) if crop else (0, length)
    sl = slice(sl.start - lo, sl.stop - lo)
    strands = 2 if rc else 1
    out = None
    done, total = 0, len(seqs) * strands
    for i in range(0, len(seqs), batch_size):
        batch = [s[lo:hi] for s in seqs[i:i + batch_size]]
        fwd = hidden_layers(model, batch, layer_idx, batch_size=batch_size)
        pooled = np.stack([h[:, sl].mean(axis=1) for h in fwd], axis=1)  # (B, n_layers, D)
        done += len(batch)
        if rc:
            rev = hidden_layers(model, [reverse_complement(s) for s in batch], layer_idx, batch_size=batch_size)
            pooled_rev = np.stack([h[:, ::-1][:, sl].mean(axis=1) for h in rev], axis=1)
            pooled = (pooled + pooled_rev) / 2
            done += len(batch)
        if out is None:
            out = np.empty((len(seqs), *pooled.shape[1:]), dtype=np.float32)
        out[i:i + len(batch)] = pooled
        if progress:
            progress(done / total, f"embedded {min(i + batch_size, len(seqs)):,}/{len(seqs):,} windows")
    return Embeddings(vectors=out, layers=tuple(layer_idx), model=name or model.info.name, pooling=pooling,
                      center=center, rc=rc, window_length=length)


def window_frame(windows, emb: Embeddings | None = None, projections: Sequence = (), *,
                 layers: Sequence[int] | None = None, sequence: bool = False):
    """One row per window for people and files: 1-based ``start``/``end`` (inclusive), ``region``,
    ``class``, ``split``, ``strand``, ``gc``; ``embedding`` (list of floats, the chosen ``layers``
    concatenated) when ``emb`` is given; ``pca1, pca2`` / ``umap1, umap2`` per projection;
    ``sequence`` on request.
    """
    import pandas as pd

    t = windows.table
    out = pd.DataFrame({
        "chrom": t["chrom"].to_numpy(), "start": t["start"].to_numpy() + 1, "end": t["end"].to_numpy(),
        "region": [f"{c}:{s + 1}-{e}" for c, s, e in zip(t["chrom"], t["start"], t["end"])],
        "class": t["label"].to_numpy(), "split": t["split"].to_numpy(), "strand": t["strand"].to_numpy(),
        "gc": t["gc"].to_numpy(),
    })
    if emb is not None:
        out["embedding"] = list(emb.features(None if layers is None else tuple(layers)))
    for proj in projections:
        name = proj.method.lower()
        out[f"{name}1"], out[f"{name}2"] = proj.coords[:, 0], proj.coords[:, 1]
    if sequence:
        out["sequence"] = t["sequence"].to_numpy()
    return out


def fit_region_probe(model: GenomicLM, data, *, layers: Sequence[int] = (-1,), pooling: str = DEFAULT_POOLING,
                     center: int = 100, rc: bool | None = None, batch_size: int = 128, cap_per_class: int = PROBE_CAP,
                     progress: Progress | None = None, **window_params):
    """The region-class probe with the embedding explorer's recipe, in one call.

    :func:`glm_explore.region_windows.make_windows` (``cap_per_class``; ``window_params``: length, stride, seed, …)
    → :func:`embed_windows` → :func:`glm_explore.reduce.fit_probe` on the training windows.
    Returns ``(probe, windows)``.
    """
    from .reduce import fit_probe
    from .region_windows import make_windows

    ws = make_windows(data, center=center, cap_per_class=cap_per_class, **window_params)
    layer_idx = normalize_layers(model, list(layers))
    emb = embed_windows(model, ws.sequences, layers=layer_idx, pooling=pooling, center=center, rc=rc,
                        batch_size=batch_size, progress=progress)
    return fit_probe(emb, ws.labels, ws.train_mask, layers=layer_idx), ws


def one_pass_layers(model: GenomicLM) -> bool:
    """True when every layer comes from one forward pass (declared ``capabilities.one_pass_layers``, e.g.
    the built-in ConvLM), so embedding all layers (for a layer sweep) costs no more than the last one."""
    return model.info.capabilities.one_pass_layers
