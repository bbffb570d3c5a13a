"""A short content hash of a model's weights, for caches that outlive the process (disk caches)."""

from __future__ import annotations

import hashlib

from .base import GenomicLM


def _with_tensors(h, model: GenomicLM) -> str:
    """Feed every weight tensor of ``model`` (name, then bytes, state-dict order) into ``h``; 16 hex digits."""
    import torch

    net = model.network
    for name, value in (net.state_dict().items() if net is not None else []):
        h.update(name.encode())
        _feed(h, value, torch)
    return h.hexdigest()[:16]


def _feed(h, value, torch) -> None:
    """A state-dict entry's bytes: a tensor's (a quantized one's integers, scale and zero point), each member
    of a tuple (int8 layers' packed weight and bias), else its text (e.g. a dtype)."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.is_quantized:
            h.update(f"{t.q_scale() if t.qscheme() == torch.per_tensor_affine else ''}".encode())
            t = t.int_repr()
        h.update(t.reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    elif isinstance(value, (tuple, list)):
        for v in value:
            _feed(h, v, torch)
    else:
        h.update(repr(value).encode())


def tensors_fingerprint(model: GenomicLM) -> str:
    """16 hex digits of SHA-1 over the weight tensors alone (names and bytes, state-dict order): the same for the
    same weights wherever they are loaded from — what a shipped result (the default's report) is checked against.
    A model without a torch ``network`` gets its name's hash."""
    return _with_tensors(hashlib.sha1(b"" if model.network is not None else model.info.name.encode()), model)


def weights_fingerprint(model: GenomicLM) -> str:
    """16 hex digits of SHA-1 over the model's source, name and every weight tensor (in state-dict order).

    Two loads of the same weights give the same fingerprint; retrained or other weights give another.
    A model without a torch ``network`` is fingerprinted by its source and name only.
    """
    return _with_tensors(hashlib.sha1(f"{model.info.source}\0{model.info.name}\0".encode()), model)
