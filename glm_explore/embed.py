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

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Protocol

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


@dataclass(frozen=True)
class EmbedSettings:
    """Everything an embedding depends on besides the model and the windows (one object for the page, the CLI,
    the local driver and the Ray actors).

    ``layers``: indices (0 = input embedding, -1 = last), one int, or ``"all"``; ``pooling`` one of
    :data:`POOLINGS` over the ``center`` bp; ``rc`` reverse-complement averaging (None: on for MLMs);
    ``batch_size`` windows per forward; ``crop`` feed only the part that can influence the pooled positions.
    :meth:`resolved` fixes ``layers`` and ``rc`` for one model (what a Ray actor gets).
    """

    layers: tuple[int, ...] | str = (-1,)
    pooling: str = DEFAULT_POOLING
    center: int = 100
    rc: bool | None = None
    batch_size: int = 128
    crop: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.layers, str):
            ks = [self.layers] if isinstance(self.layers, int | np.integer) else self.layers
            object.__setattr__(self, "layers", tuple(int(k) for k in ks))

    def resolved(self, model: GenomicLM) -> EmbedSettings:
        """These settings with the model's non-negative layer indices and its RC default filled in."""
        return replace(self, layers=tuple(normalize_layers(model, self.layers)),
                       rc=model.info.is_mlm if self.rc is None else bool(self.rc))

    def as_dict(self) -> dict:
        return {**asdict(self), "layers": self.layers if isinstance(self.layers, str) else list(self.layers)}

    @classmethod
    def from_dict(cls, values: dict) -> EmbedSettings:
        return cls(**values)


class ShardSource(Protocol):
    """Slices of windows already embedded elsewhere (the Ray engine's shard store): ``.npy`` bytes per slice."""

    def done(self, shard: int) -> bool: ...

    def load(self, shard: int) -> bytes: ...


def shard_slices(n: int, shard_size: int) -> list[slice]:
    """The windows of shard ``k``: ``[k·shard_size, (k+1)·shard_size)`` (the last one shorter)."""
    return [slice(s, min(n, s + shard_size)) for s in range(0, n, shard_size)]


def vectors_bytes(vectors: np.ndarray) -> bytes:
    """Pooled vectors ``(n, n_layers, D)`` as ``.npy`` bytes (what a Ray actor sends back; no pickling)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(vectors, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def vectors_from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def embed_windows(model: GenomicLM, seqs: Sequence[str], settings: EmbedSettings | None = None, *,
                  progress: Progress | None = None, name: str = "", shards: ShardSource | None = None,
                  shard_size: int | None = None, **changes) -> Embeddings:
    """Pooled embeddings of equal-length windows → :class:`Embeddings` with ``vectors`` (N, n_layers, D): the one
    driver of ``embed`` for both engines.

    ``settings``: an :class:`EmbedSettings` (``changes``: fields to override, e.g. ``layers=[1, 3]``).
    ``rc=None`` means on for MLMs, off for CLMs. ``progress(fraction, message)`` is called after each batch.
    With ``shards`` (the Ray engine's store) the windows are taken in slices of ``shard_size``
    (:func:`shard_slices`): a slice the store holds is read from it, any other is embedded here. Inference only.
    """
    seqs = list(seqs)
    if not seqs:
        raise ValueError("no windows to embed")
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        raise ValueError("all windows must have the same length")
    base = settings if settings is not None else EmbedSettings()
    s = (replace(base, **changes) if changes else base).resolved(model)
    if shards is None:
        vectors = _embed(model, seqs, s, progress)
    else:
        vectors = np.concatenate([vectors_from_bytes(shards.load(k)) if shards.done(k) else _embed(model, seqs[sl], s)
                                  for k, sl in enumerate(shard_slices(len(seqs), shard_size or len(seqs)))])
    return Embeddings(vectors=vectors, layers=s.layers, model=name or model.info.name, pooling=s.pooling,
                      center=s.center, rc=s.rc, window_length=length)


def _embed(model: GenomicLM, seqs: list[str], s: EmbedSettings, progress: Progress | None = None) -> np.ndarray:
    """The ``(N, n_layers, D)`` float32 vectors of ``seqs`` under resolved settings ``s``."""
    length, batch_size, layer_idx = len(seqs[0]), s.batch_size, list(s.layers)
    sl = pool_slice(length, s.pooling, s.center)
    lo, hi = crop_bounds(length, s.pooling, s.center, model.info.receptive_field) if s.crop else (0, length)
    sl = slice(sl.start - lo, sl.stop - lo)
    strands = 2 if s.rc else 1
    out = None
    done, total = 0, len(seqs) * strands
    for i in range(0, len(seqs), batch_size):
        batch = [x[lo:hi] for x in seqs[i:i + batch_size]]
        fwd = hidden_layers(model, batch, layer_idx, batch_size=batch_size)
        pooled = np.stack([h[:, sl].mean(axis=1) for h in fwd], axis=1)  # (B, n_layers, D)
        done += len(batch)
        if s.rc:
            rev = hidden_layers(model, [reverse_complement(x) for x in batch], layer_idx, batch_size=batch_size)
            pooled_rev = np.stack([h[:, ::-1][:, sl].mean(axis=1) for h in rev], axis=1)
            pooled = (pooled + pooled_rev) / 2
            done += len(batch)
        if out is None:
            out = np.empty((len(seqs), *pooled.shape[1:]), dtype=np.float32)
        out[i:i + len(batch)] = pooled
        if progress:
            progress(done / total, f"embedded {min(i + batch_size, len(seqs)):,}/{len(seqs):,} windows")
    return out


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
