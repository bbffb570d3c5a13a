"""A short content hash of a model's weights, for caches that outlive the process (disk caches)."""

from __future__ import annotations

import hashlib

from .base import GenomicLM


def tensors_fingerprint(model: GenomicLM) -> str:
    """16 hex digits of SHA-1 over the weight tensors alone (names and bytes, state-dict order): the same for the
    same weights wherever they are loaded from — what a shipped result (the default's report) is checked against.
    A model without a torch ``network`` gets its name's hash."""
    import torch

    h = hashlib.sha1()
    net = model.network
    if net is None:
        h.update(model.info.name.encode())
    for name, tensor in (net.state_dict().items() if net is not None else []):
        h.update(name.encode())
        h.update(tensor.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def weights_fingerprint(model: GenomicLM) -> str:
    """16 hex digits of SHA-1 over the model's source, name and every weight tensor (in state-dict order).

    Two loads of the same weights give the same fingerprint; retrained or other weights give another.
    A model without a torch ``network`` is fingerprinted by its source and name only.
    """
    import torch

    h = hashlib.sha1(f"{model.info.source}\0{model.info.name}\0".encode())
    net = model.network
    for name, tensor in (net.state_dict().items() if net is not None else []):
        h.update(name.encode())
        h.update(tensor.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]
