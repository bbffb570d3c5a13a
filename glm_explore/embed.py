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
For the built-in ConvLM all requested layers come from one forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .models.base import GenomicLM, Progress
from .results import Embeddings
from .sequence import encode, reverse_complement

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
    """Layer spec → sorted unique non-negative indices in ``0..n_layers``. ``"all"`` = every layer."""
    n = model.info.n_layers
    if isinstance(layers, str):
        if layers != "all":
            raise ValueError(f"layers must be 'all' or integers, got {layers!r}")
        return _all_layers(model)
    if isinstance(layers, int | np.integer):
        layers = [int(layers)]
    out = []
    for layer in layers:
        k = n + 1 + layer if layer < 0 else layer
        if not 0 <= k <= n:
            raise ValueError(f"{model.info.name} has layers 0..{n} (or -1 for the last); got {layer}")
        out.append(k)
    return sorted(set(out))


def _convlm_layers(model, seqs: list[str], layers: list[int]) -> list[np.ndarray] | None:
    """All requested layers of a built-in ConvLM from ONE forward pass: ``[(N, L, D), …]``; else None."""
    from .models.convnet import ConvLM, channels_from_codes

    net = getattr(model, "model", None)
    if not isinstance(net, ConvLM) or len({len(s) for s in seqs}) != 1:
        return None
    codes = torch.from_numpy(np.stack([encode(s) for s in seqs]))
    h = net.embed(net.prepare(channels_from_codes(codes)).transpose(1, 2))
    states = {0: h}
    for i, block in enumerate(net.blocks[:max(layers)], start=1):
        h = block(h)
        states[i] = h
    clm = net.config.objective == "clm"
    return [(states[k][:, 1:] if clm else states[k]).float().numpy() for k in layers]


def hidden_layers(model: GenomicLM, seqs: list[str], layers: list[int], *, batch_size: int = 64
                  ) -> list[np.ndarray]:
    """Per-position states for equal-length ``seqs``: one ``(N, L, D)`` array per layer in ``layers``.

    Uses a model's own ``hidden_layers(seqs, layers)`` when it has one, the one-pass ConvLM path,
    or else one :meth:`GenomicLM.hidden_states` call per layer.
    """
    own = getattr(model, "hidden_layers", None)
    if callable(own):
        return [np.asarray(a) for a in own(seqs, layers)]
    with torch.inference_mode():
        fast = _convlm_layers(model, seqs, layers)
    if fast is not None:
        return fast
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

    :func:`glm_explore.windows.make_windows` (``cap_per_class``; ``window_params``: length, stride, seed, …)
    → :func:`embed_windows` → :func:`glm_explore.reduce.fit_probe` on the training windows.
    Returns ``(probe, windows)``.
    """
    from .reduce import fit_probe
    from .windows import make_windows

    ws = make_windows(data, center=center, cap_per_class=cap_per_class, **window_params)
    layer_idx = normalize_layers(model, list(layers))
    emb = embed_windows(model, ws.sequences, layers=layer_idx, pooling=pooling, center=center, rc=rc,
                        batch_size=batch_size, progress=progress)
    return fit_probe(emb, ws.labels, ws.train_mask, layers=layer_idx), ws


def _parse_layers(text: str) -> list[int] | str:
    if text.strip() == "all":
        return "all"
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        from .errors import GlmExploreError

        raise GlmExploreError(f"--layers must be 'all' or comma-separated integers like -1 or 7,8,9; got {text!r}"
                              ) from exc


def add_cli(subparsers) -> None:
    """``python -m glm_explore embed``: windows → embeddings → PCA/UMAP → parquet (+ separation table)."""
    from .cli import add_genome_model_args

    p = subparsers.add_parser("embed", help="region-class windows → embeddings → PCA/UMAP (parquet)",
                              description="Windows labelled by region class, embedded by the model, reduced "
                                          "to 2-D; prints how well classes separate vs a k-mer baseline.")
    add_genome_model_args(p)
    p.add_argument("--out", required=True, help="output .parquet (or .csv) file")
    p.add_argument("--length", type=int, default=512, help="window length (bp)")
    p.add_argument("--stride", type=int, default=100, help="window stride (bp)")
    p.add_argument("--center", type=int, default=100, help="centre length that must lie in one class (bp)")
    p.add_argument("--cap", type=int, default=200, help="max windows per class and split (0 = no cap)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--chroms", default="", help="comma-separated chromosomes (default all)")
    p.add_argument("--non-overlapping", action="store_true", help="de-duplicate: no two windows overlap")
    p.add_argument("--layers", default="-1", help="'all', or layers to concatenate, e.g. -1 or 7,8,9")
    p.add_argument("--pooling", default=DEFAULT_POOLING, choices=POOLINGS)
    p.add_argument("--rc", choices=["auto", "on", "off"], default="auto",
                   help="reverse-complement averaging (auto: on for MLMs)")
    p.add_argument("--no-umap", action="store_true", help="skip UMAP (PCA only)")
    p.add_argument("--k", type=int, default=4, help="k-mer baseline k (1-6)")
    p.add_argument("--no-metrics", action="store_true", help="skip the separation table")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--probe-out", default=None,
                   help="also write the region-class probe (fit on training windows) as JSON, for "
                        "`attribute --target probe` and `motifs`")
    p.set_defaults(func=_run_cli)


def _run_cli(args) -> int:
    import sys
    from pathlib import Path

    from . import reduce
    from .cli import load_genome_arg, load_model_arg
    from .windows import make_windows

    layers = _parse_layers(args.layers)
    data = load_genome_arg(args.genome)
    model = load_model_arg(args.model)
    chroms = [c for c in args.chroms.split(",") if c.strip()] or None
    ws = make_windows(data, length=args.length, stride=args.stride, center=args.center, chroms=chroms,
                      cap_per_class=args.cap or None, seed=args.seed, non_overlapping=args.non_overlapping)
    print(ws.split_note, file=sys.stderr)
    for note in ws.notes:
        print(note, file=sys.stderr)
    print(ws.counts.to_string(index=False), file=sys.stderr)
    rc = None if args.rc == "auto" else args.rc == "on"

    def progress(frac: float, msg: str) -> None:
        print(f"\r{msg}", end="", file=sys.stderr, flush=True)

    emb = embed_windows(model, ws.sequences, layers=layers, pooling=args.pooling, center=args.center, rc=rc,
                        batch_size=args.batch_size, progress=progress)
    print(file=sys.stderr)
    X = emb.features(emb.layers)
    projections = [reduce.pca_coords(X, seed=args.seed)]
    if not args.no_umap:
        projections.append(reduce.umap_coords(X, seed=args.seed))
    frame = window_frame(ws, emb, projections, layers=emb.layers)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        frame.assign(embedding=[" ".join(f"{v:.5g}" for v in row) for row in frame["embedding"]]).to_csv(
            out, index=False)
    else:
        frame.to_parquet(out, index=False)
    print(f"wrote {len(frame):,} windows × {X.shape[1]} dims to {out}", file=sys.stderr)
    if args.probe_out:
        probe = reduce.fit_probe(emb, ws.labels, ws.train_mask, layers=emb.layers)
        Path(args.probe_out).write_text(probe.to_json())
        print(f"wrote the {len(probe.classes)}-class probe (held-out macro-F1 {probe.heldout_macro_f1:.3f}) to "
              f"{args.probe_out}", file=sys.stderr)
    if not args.no_metrics:
        seps = reduce.compare_separation(X, ws.sequences, ws.labels, ws.train_mask, k=args.k,
                                         model_name=model.info.name)
        print(reduce.separation_table(seps).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def one_pass_layers(model: GenomicLM) -> bool:
    """True when every layer comes from one forward pass (built-in ConvLM, or a model with ``hidden_layers``),
    so embedding all layers (for a layer sweep) costs no more than embedding the last one."""
    from .models.convnet import ConvLM

    return callable(getattr(model, "hidden_layers", None)) or isinstance(getattr(model, "model", None), ConvLM)
