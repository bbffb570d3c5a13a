"""GPN's dilated convolutional MLM (``gpn``'s ``GPNForMaskedLM`` with ``encoder="convnet"``) as a
:class:`~glm_explore.models.cone.ConeNet`: its receptive field from the config and its single-mask cones.

A GPN ConvNet block is ``x + Linear(GELU(conv(LN(x))))`` then ``x + FFN(LN(x))`` with a ``padding="same"``
dilated convolution whose zero padding applies to ``LN(x)``; kernel ``first_kernel_size`` for block 0 and
``rest_kernel_size`` after, dilations from ``gpn.modules.get_dilation_schedule``. The output goes through
``ln_f`` and the MLM head. Only GPN configs this reproduces exactly get cones (:func:`gpn_cone_net` returns
None otherwise): ``encoder == "convnet"``, odd kernels, no auxiliary features, a character tokenizer that
adds no special tokens.

``gpn``'s legacy ConvNet (``gpn.legacy.ConvNetForMaskedLM``, model_type ``"ConvNet"``, the GPN paper's models
such as songlab/gpn-brassicaceae) is :class:`LegacyConvNetCone`: one-hot embedding, ``n_layers`` blocks
``x + LN(GELU(conv(x)))`` then ``x + LN(GELU(Linear(x)))`` (the "same" zero padding applies to ``x`` itself),
one ``kernel_size`` and the same dilation schedule, no final LayerNorm, then the MLM head.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from ..cone import ConeNet, conv_valid
from .config import n_layers


def is_legacy_convnet(cfg) -> bool:
    """Whether ``cfg`` is ``gpn``'s legacy ConvNet (``gpn.legacy.ConvNetConfig``, model_type ``"ConvNet"``)."""
    return getattr(cfg, "model_type", "") == "ConvNet"


def gpn_dilations(cfg) -> list[int]:
    """Dilation of each block, as ``gpn.modules.get_dilation_schedule`` (new GPN, ``num_hidden_layers`` blocks)
    or ``gpn.legacy.get_dilation_schedule`` (legacy ConvNet, ``n_layers`` blocks; the same rule) computes it."""
    return [min(int(cfg.dilation_max), int(cfg.dilation_base) ** ((i % int(cfg.dilation_cycle))
                                                                   // int(cfg.dilation_double_every)))
            for i in range(n_layers(cfg))]


def gpn_kernels(cfg) -> list[int]:
    """Kernel size of each block: ``first_kernel_size`` then ``rest_kernel_size`` (legacy ConvNet:
    ``kernel_size`` for every block)."""
    if is_legacy_convnet(cfg):
        return [int(cfg.kernel_size)] * n_layers(cfg)
    return [int(cfg.first_kernel_size if i == 0 else cfg.rest_kernel_size) for i in range(n_layers(cfg))]


def gpn_receptive_field(cfg) -> int | None:
    """Bases on each side that can influence one output of a GPN ConvNet, new or legacy
    (``Σ (k_b − 1)·d_b / 2``), or None when the config is not a convolutional GPN with odd ("same"-centred)
    kernels."""
    convnet = is_legacy_convnet(cfg) or (getattr(cfg, "model_type", "") == "GPN"
                                         and getattr(cfg, "encoder", "") == "convnet")
    if not convnet:
        return None
    kernels = gpn_kernels(cfg)
    if any(k % 2 == 0 for k in kernels):
        return None
    return sum((k - 1) * d // 2 for k, d in zip(kernels, gpn_dilations(cfg)))


class _OneHotIdsCone(ConeNet):
    """What both GPN ConvNets share as a :class:`ConeNet`: rows of token ids through the model's id embedding
    (``embedding``), the mask token's embedding at masked positions, the blocks ``layers`` run whole for the clean
    pass, and a head over the A,C,G,T ids (``base_ids``) of the logits :meth:`logits` gives."""

    def __init__(self, model, mask_id: int, base_ids: np.ndarray, embedding, layers: list) -> None:
        cfg = model.config
        self.model, self.mask_id, self.embedding, self.layers = model, int(mask_id), embedding, layers
        self.base_ids = torch.as_tensor(np.asarray(base_ids, dtype=np.int64))
        self.spans = tuple((k - 1) * d // 2 for k, d in zip(gpn_kernels(cfg), gpn_dilations(cfg)))

    def embed(self, codes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ids = torch.where(mask, torch.full_like(codes, self.mask_id), codes)
        return self.embedding(input_ids=ids)

    def masked_input(self) -> torch.Tensor:
        return self.embedding(input_ids=torch.tensor([[self.mask_id]]))[0, 0]

    def clean_states(self, codes: torch.Tensor) -> Iterator[torch.Tensor]:
        h = self.embedding(input_ids=codes[None])
        for layer in self.layers:
            yield h[0]
            h = layer(h)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Final states (M, D) → the MLM head's logits (M, vocab)."""
        raise NotImplementedError

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.logits(h).float()[:, self.base_ids], dim=-1)


class GPNCone(_OneHotIdsCone):
    """A ``GPNForMaskedLM`` ConvNet block by block (rows are token ids; ``base_ids`` the A,C,G,T ids)."""

    def __init__(self, model, mask_id: int, base_ids: np.ndarray) -> None:
        super().__init__(model, mask_id, base_ids, model.model.embeddings, list(model.model.encoder.layer))
        cfg = model.config
        D, inter = int(cfg.hidden_size), int(cfg.intermediate_size)
        # cost of one output position in D² multiply-adds: convolution (k / groups), its linear layer, the FFN
        self.weights = tuple(k / (1 if i == 0 or not cfg.depthwise else D) + 1 + 2 * inter / D
                             for i, k in enumerate(gpn_kernels(cfg)))
        self.width = max(D, inter // 2)  # the FFN's (·, I) activation is the largest tensor

    def block_valid(self, b: int, x: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        seq = self.layers[b].conv  # LN, transpose, conv, transpose, GELU, Linear, Dropout
        norm, conv, act, lin = seq[0], seq[2], seq[4], seq[5]
        s = self.spans[b]
        h = conv_valid(conv, norm(x) * inside.unsqueeze(-1))  # "same" padding: zeros into the conv beyond the row
        x = x[:, s:x.shape[1] - s] + lin(act(h))
        return x + self.layers[b].ffn(x)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.model.cls(self.model.model.ln_f(h))


class LegacyConvNetCone(_OneHotIdsCone):
    """``gpn``'s legacy ``ConvNetForMaskedLM`` block by block (rows are token ids; ``base_ids`` the A,C,G,T ids).

    Block: ``x + LN(GELU(conv(x)))`` (``padding="same"``: the convolution reads ``x`` zero beyond the row)
    then ``x + LN(GELU(Linear(x)))``; input the one-hot ids (width ``hidden_size``), no final LayerNorm."""

    def __init__(self, model, mask_id: int, base_ids: np.ndarray) -> None:
        super().__init__(model, mask_id, base_ids, model.model.embedding, list(model.model.encoder))
        # cost of one output position in D² multiply-adds: the (D → D, k taps) convolution and the FFN's Linear
        self.weights = tuple(float(k + 1) for k in gpn_kernels(model.config))
        self.width = int(model.config.hidden_size)

    def block_valid(self, b: int, x: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        layer = self.layers[b]
        seq = layer.conv  # transpose, conv, transpose, GELU, LN
        conv, act, norm = seq[1], seq[3], seq[4]
        s = self.spans[b]
        h = conv_valid(conv, x * inside.unsqueeze(-1))  # "same" padding: the conv reads zeros beyond the row
        x = x[:, s:x.shape[1] - s] + norm(act(h))
        return x + layer.ffn(x)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.model.cls(h)


def _legacy_layers_match(model) -> bool:
    """Whether a legacy ConvNet's encoder is ``n_layers`` ConvLayers with the config's kernels and dilations."""
    cfg = model.config
    layers = list(getattr(getattr(model, "model", None), "encoder", None) or [])
    if len(layers) != n_layers(cfg) or not hasattr(model.model, "embedding"):
        return False
    for layer, k, d in zip(layers, gpn_kernels(cfg), gpn_dilations(cfg)):
        conv = getattr(layer, "conv", [None, None])[1]
        if not isinstance(conv, torch.nn.Conv1d) or conv.kernel_size != (k,) or conv.dilation != (d,):
            return False
    return True


def gpn_cone_net(model, aligner) -> GPNCone | LegacyConvNetCone | None:
    """The :class:`GPNCone` (or :class:`LegacyConvNetCone`) of a loaded GPN MLM whose outputs cones reproduce
    exactly, else None."""
    cfg = model.config
    if gpn_receptive_field(cfg) is None or int(getattr(cfg, "n_aux_features", 0) or 0):
        return None
    if aligner.k != 1 or aligner.prefix or aligner.suffix or aligner.mask_id is None:
        return None
    if not hasattr(model, "cls"):
        return None
    if is_legacy_convnet(cfg):
        if not _legacy_layers_match(model) or aligner.mask_id >= int(cfg.hidden_size):
            return None
        return LegacyConvNetCone(model, aligner.mask_id, aligner.base_ids)
    encoder = getattr(getattr(model, "model", None), "encoder", None)
    layers = list(getattr(encoder, "layer", []))
    if len(layers) != n_layers(cfg):
        return None
    return GPNCone(model, aligner.mask_id, aligner.base_ids)
