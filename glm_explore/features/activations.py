"""Per-position feature activations of a model: a layer's hidden states, or a built-in CNN block's
convolution channels.

* :func:`layer_activations` — ``(N, L, D)`` hidden states of ``layer`` through the protocol's
  ``hidden_states(seqs, layer)`` (any model).
* :func:`conv_channels` — ``(N, L, C)`` outputs of block ``block``'s dilated convolution (before its
  GELU and LayerNorm) of a built-in :class:`~glm_explore.models.convnet.ConvLM`, read with a forward
  hook on ``blocks[block - 1].conv``. Channel c at position i is a filter over the bases within the
  block's receptive field (:func:`channel_width`): centred on i for the MLM, ending at i for the CLM.
  These are "features" without any training (Basset-style filter interpretation).
* :func:`sample_windows` — region-class windows of the genome (the embedding explorer's sampler,
  :func:`~glm_explore.region_windows.make_windows`): training chromosomes for sites and the SAE fit,
  the held-out chromosome (yeast: chrXVI) for class enrichment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..errors import UnsupportedByModelError
from ..models.convnet import ConvLM, channels_from_codes
from ..region_windows import make_windows
from ..sequence import encode

if TYPE_CHECKING:
    from ..io.datasets import GenomeData
    from ..models.base import GenomicLM
    from ..results import WindowSet


def convnet_of(model: GenomicLM) -> ConvLM:
    """The :class:`ConvLM` behind a built-in model; :class:`UnsupportedByModelError` for any other model."""
    net = getattr(model, "network", None)
    if not isinstance(net, ConvLM):
        raise UnsupportedByModelError(f"{model.info.name} is not a built-in dilated CNN, so it has no convolution "
                                      "channels to read; use its hidden states with a sparse autoencoder "
                                      "(source 'sae') instead.")
    return net


def n_blocks(model: GenomicLM) -> int:
    return len(convnet_of(model).blocks)


def check_block(model: GenomicLM, block: int) -> int:
    """``block`` (1-based; -1 = last) → 1..n_blocks; :class:`UnsupportedByModelError` outside."""
    n = n_blocks(model)
    b = n + 1 + block if block < 0 else block
    if not 1 <= b <= n:
        raise UnsupportedByModelError(f"{model.info.name} has convolution blocks 1..{n}; got {block}. "
                                      f"Choose a block between 1 and {n}.")
    return b


def channel_width(model: GenomicLM, block: int) -> int:
    """Receptive field (bases) of one output of block ``block``'s convolution: 1 + Σ_{j≤block} (k_j − 1)·d_j."""
    cfg = convnet_of(model).config
    b = check_block(model, block)
    return 1 + sum((k - 1) * d for k, d in zip(cfg.kernel_sizes[:b], cfg.dilations[:b]))


def site_span(objective: str, width: int) -> tuple[int, int]:
    """(bases before, bases after) position i that a feature of receptive field ``width`` reads:
    centred for an MLM (symmetric convolutions), ending at i for a CLM (causal)."""
    if objective == "clm":
        return width - 1, 0
    return width // 2, width - 1 - width // 2


@torch.inference_mode()
def conv_channels(model: GenomicLM, seqs: list[str], block: int, *, batch_size: int = 64) -> np.ndarray:
    """(N, L, C) float32 convolution outputs of block ``block`` (1-based) for equal-length ``seqs``."""
    net = convnet_of(model)
    b = check_block(model, block)
    grabbed: list[torch.Tensor] = []
    hook = net.blocks[b - 1].conv.register_forward_hook(lambda _m, _i, out: grabbed.append(out))
    clm = net.config.objective == "clm"
    out = []
    try:
        for lo in range(0, len(seqs), batch_size):
            codes = torch.from_numpy(np.stack([encode(s) for s in seqs[lo:lo + batch_size]]))
            grabbed.clear()
            net.trunk(net.prepare(channels_from_codes(codes)), upto=b)
            h = grabbed[0].transpose(1, 2)  # (n, L', C)
            out.append((h[:, 1:] if clm else h).float().numpy())  # CLM: drop the BOS column
    finally:
        hook.remove()
    return np.concatenate(out) if out else np.zeros((0, 0, net.config.width), np.float32)


def layer_activations(model: GenomicLM, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> np.ndarray:
    """(N, L, D) float32 hidden states of ``layer`` (0 = embedding, -1 = last) for equal-length ``seqs``."""
    states = model.hidden_states(seqs, layer, batch_size=batch_size)
    return np.stack([np.asarray(s, dtype=np.float32) for s in states])


def sample_windows(data: GenomeData, *, length: int = 300, center: int = 100, per_class: int = 60,
                   seed: int = 0) -> WindowSet:
    """Region-class windows (``per_class`` per class and split; class = the centre ``center`` bp's class):
    training-chromosome windows feed sites and fits, held-out ones (``split == 'test'``) class enrichment."""
    return make_windows(data, length=length, stride=100, center=center, cap_per_class=per_class, seed=seed)
