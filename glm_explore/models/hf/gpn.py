"""GPN's dilated convolutional MLM (``gpn``'s ``GPNForMaskedLM`` with ``encoder="convnet"``) as a
:class:`~glm_explore.models.cone.ConeNet`: its receptive field from the config and its single-mask cones.

A GPN ConvNet block is ``x + Linear(GELU(conv(LN(x))))`` then ``x + FFN(LN(x))`` with a ``padding="same"``
dilated convolution whose zero padding applies to ``LN(x)``; kernel ``first_kernel_size`` for block 0 and
``rest_kernel_size`` after, dilations from ``gpn.modules.get_dilation_schedule``. The output goes through
``ln_f`` and the MLM head. Only GPN configs this reproduces exactly get cones (:func:`gpn_cone_net` returns
None otherwise): ``encoder == "convnet"``, odd kernels, no auxiliary features, a character tokenizer that
adds no special tokens.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from ..cone import ConeNet, conv_valid


def gpn_dilations(cfg) -> list[int]:
    """Dilation of each block, as ``gpn.modules.get_dilation_schedule`` computes it from the config."""
    return [min(int(cfg.dilation_max), int(cfg.dilation_base) ** ((i % int(cfg.dilation_cycle))
                                                                   // int(cfg.dilation_double_every)))
            for i in range(int(cfg.num_hidden_layers))]


def gpn_kernels(cfg) -> list[int]:
    """Kernel size of each block: ``first_kernel_size`` then ``rest_kernel_size``."""
    return [int(cfg.first_kernel_size if i == 0 else cfg.rest_kernel_size) for i in range(int(cfg.num_hidden_layers))]


def gpn_receptive_field(cfg) -> int | None:
    """Bases on each side that can influence one output of a GPN ConvNet (``Σ (k_b − 1)·d_b / 2``), or None when
    the config is not a convolutional GPN with odd ("same"-centred) kernels."""
    if getattr(cfg, "model_type", "") != "GPN" or getattr(cfg, "encoder", "") != "convnet":
        return None
    kernels = gpn_kernels(cfg)
    if any(k % 2 == 0 for k in kernels):
        return None
    return sum((k - 1) * d // 2 for k, d in zip(kernels, gpn_dilations(cfg)))


class GPNCone(ConeNet):
    """A ``GPNForMaskedLM`` ConvNet block by block (rows are token ids; ``base_ids`` the A,C,G,T ids)."""

    def __init__(self, model, mask_id: int, base_ids: np.ndarray) -> None:
        cfg = model.config
        self.model, self.mask_id = model, int(mask_id)
        self.base_ids = torch.as_tensor(np.asarray(base_ids, dtype=np.int64))
        self.layers = list(model.model.encoder.layer)
        kernels, dilations = gpn_kernels(cfg), gpn_dilations(cfg)
        self.spans = tuple((k - 1) * d // 2 for k, d in zip(kernels, dilations))
        D, inter = int(cfg.hidden_size), int(cfg.intermediate_size)
        # cost of one output position in D² multiply-adds: convolution (k / groups), its linear layer, the FFN
        self.weights = tuple(k / (1 if i == 0 or not cfg.depthwise else D) + 1 + 2 * inter / D
                             for i, k in enumerate(kernels))
        self.width = max(D, inter // 2)  # the FFN's (·, I) activation is the largest tensor

    def embed(self, codes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ids = torch.where(mask, torch.full_like(codes, self.mask_id), codes)
        return self.model.model.embeddings(input_ids=ids)

    def masked_input(self) -> torch.Tensor:
        return self.model.model.embeddings(input_ids=torch.tensor([[self.mask_id]]))[0, 0]

    def clean_states(self, codes: torch.Tensor) -> Iterator[torch.Tensor]:
        h = self.model.model.embeddings(input_ids=codes[None])
        for layer in self.layers:
            yield h[0]
            h = layer(h)

    def block_valid(self, b: int, x: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        seq = self.layers[b].conv  # LN, transpose, conv, transpose, GELU, Linear, Dropout
        norm, conv, act, lin = seq[0], seq[2], seq[4], seq[5]
        s = self.spans[b]
        h = conv_valid(conv, norm(x) * inside.unsqueeze(-1))  # "same" padding: zeros into the conv beyond the row
        x = x[:, s:x.shape[1] - s] + lin(act(h))
        return x + self.layers[b].ffn(x)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        logits = self.model.cls(self.model.model.ln_f(h)).float()
        return torch.log_softmax(logits[:, self.base_ids], dim=-1)


def gpn_cone_net(model, aligner) -> GPNCone | None:
    """The :class:`GPNCone` of a loaded GPN MLM whose outputs cones reproduce exactly, else None."""
    cfg = model.config
    if gpn_receptive_field(cfg) is None or int(getattr(cfg, "n_aux_features", 0) or 0):
        return None
    if aligner.k != 1 or aligner.prefix or aligner.suffix or aligner.mask_id is None:
        return None
    encoder = getattr(getattr(model, "model", None), "encoder", None)
    layers = list(getattr(encoder, "layer", []))
    if len(layers) != int(cfg.num_hidden_layers) or not hasattr(model, "cls"):
        return None
    return GPNCone(model, aligner.mask_id, aligner.base_ids)
