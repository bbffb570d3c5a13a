"""How models run on this machine: torch threads, batch sizes that fit in free memory, int8 inference.

* :func:`configure_threads` — torch's intra-op threads at most the cores this process may use, once per process
  (``GLM_EXPLORE_THREADS`` overrides; a lower count set by the user or a caller is kept).
* :func:`batch_size_for` — how many windows of ``seq_len`` bases one forward (or forward + backward) may carry
  so its activations fit in a share of the free memory, from the model's shape (:func:`window_bytes`). The
  adapters cap every batch with it, so an 8 GiB laptop and a 24 GiB machine both run the same calls, only in
  smaller or larger batches (the numbers do not depend on the batching).
* :func:`fuse_activations` — transformers' GELUs written as several tensor operations (GPT-2's
  ``NewGELUActivation``, ``FastGELUActivation``, ESM's erf ``gelu``) replaced by torch's one-kernel GELU of the
  same formula: the same numbers up to float rounding, a fifth less time for GPT-2- and ESM-shaped models.
* :func:`quantize_int8` — dynamic int8 quantization of the Linear layers (CPU), the ``--fast`` switch; GPT-2's
  ``Conv1D`` projections become the equivalent ``Linear`` first (:func:`linear_from_conv1d`), so they are
  quantized too.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

THREADS_ENV = "GLM_EXPLORE_THREADS"
MEMORY_SHARE = 0.5  # share of the free memory one batch's activations may take
ACTIVATION_CAP = int(1.5 * 2**30)  # and never more than this (bytes): bigger CPU batches are no faster, only heavier
FALLBACK_FREE = 4 * 2**30  # free memory assumed where the OS does not say (bytes)
FLOAT = 4  # bytes per float32 activation
INT8_SUFFIX = " · int8"  # appended to the model name when the fast (int8) switch is on

_threads_done = False


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def configure_threads(force: bool = False) -> int:
    """Torch's intra-op threads from this machine's cores, once per process; returns the count in use.

    ``GLM_EXPLORE_THREADS`` (a positive integer) wins. Otherwise a count above :func:`available_cores` (torch's
    default can count cores this process may not use) is lowered to it, and a lower count — set by the user's
    ``OMP_NUM_THREADS`` or by a caller that reserved fewer cores, e.g. a Ray actor — is kept. Later calls change
    nothing unless ``force``.
    """
    global _threads_done
    if _threads_done and not force:
        return torch.get_num_threads()
    _threads_done = True
    wanted = os.environ.get(THREADS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        torch.set_num_threads(int(wanted))
    elif torch.get_num_threads() > available_cores():
        torch.set_num_threads(available_cores())
    return torch.get_num_threads()


def free_memory_bytes() -> int:
    """Memory available to new allocations (bytes): ``MemAvailable`` of /proc/meminfo (Linux), else the OS's
    available physical pages, else :data:`FALLBACK_FREE`."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return FALLBACK_FREE


@dataclass(frozen=True)
class ActivationShape:
    """What sets a model's activation memory: ``layers`` blocks of width ``dim`` with a position-wise inner
    layer of ``inner`` units, ``heads`` attention heads (0: no attention), ``vocab`` output logits per token,
    ``bases_per_token`` (1 for characters and BPE — its tokens are counted as bases, an upper bound — k for
    k-mers) and ``special_tokens`` around a window."""

    layers: int
    dim: int
    inner: int
    heads: int
    vocab: int
    bases_per_token: int = 1
    special_tokens: int = 0


def activation_shape(model) -> ActivationShape:
    """The :class:`ActivationShape` of a loaded model, from its transformers config when it has one (GPN's
    convolutional encoder has no attention), else from ``model.info`` (built-in CNN: inner width = width)."""
    from .hf.config import GPN_MODEL_TYPES, first_attr

    info = model.info
    k = max(1, int(info.capabilities.k))
    cfg = getattr(getattr(model, "network", None), "config", None)
    if cfg is None or not hasattr(cfg, "to_dict"):
        return ActivationShape(max(1, info.n_layers), max(1, info.dim), max(1, info.dim), 0, 6, k, 0)
    D = max(1, info.dim)
    conv = getattr(cfg, "model_type", "") in GPN_MODEL_TYPES and getattr(cfg, "encoder", "") != "roformer"
    heads = 0 if conv else int(first_attr(cfg, "num_attention_heads", "n_head", "num_heads", "n_heads") or 0)
    inner = int(first_attr(cfg, "intermediate_size", "n_inner", "ffn_dim", "d_ff") or 4 * D)
    aligner = getattr(model, "aligner", None)
    specials = len(getattr(aligner, "prefix", [])) + len(getattr(aligner, "suffix", []))
    return ActivationShape(max(1, info.n_layers), D, inner, heads, int(getattr(cfg, "vocab_size", 0) or 4), k,
                           specials)


def window_bytes(shape: ActivationShape, seq_len: int, *, grad: bool = False) -> int:
    """Peak activation bytes of one window of ``seq_len`` bases (float32), T = ⌈seq_len / bases_per_token⌉ +
    special tokens:

    * inference: every layer's states (``(layers + 1)·T·D``, kept when all hidden states are returned), one
      block's transients (``T·(4D + inner)``), the attention scores and their softmax (``2·heads·T²``) and
      the logits with their log-softmax (``2·T·vocab``);
    * ``grad`` (attributions: forward + backward): every block keeps its activations for the backward pass,
      ``layers·(T·(6D + inner) + 2·heads·T²)``, plus the input states (``T·D``) and ``3·T·vocab`` for the
      logits, their log-softmax and its gradient.
    """
    T = math.ceil(int(seq_len) / shape.bases_per_token) + shape.special_tokens
    D, inner, H, V, L = shape.dim, shape.inner, shape.heads, shape.vocab, shape.layers
    if grad:
        floats = L * (T * (6 * D + inner) + 2 * H * T * T) + T * D + 3 * T * V
    else:
        floats = (L + 1) * T * D + T * (4 * D + inner) + 2 * H * T * T + 2 * T * V
    return int(floats * FLOAT)


def batch_size_for(model, seq_len: int, free_bytes: int | None = None, *, requested: int = 64,
                   grad: bool = False, share: float = MEMORY_SHARE) -> int:
    """Windows of ``seq_len`` bases per forward pass: as many as fit in ``share`` of ``free_bytes`` (default:
    :func:`free_memory_bytes` now), and in :data:`ACTIVATION_CAP` whatever the free memory (so a 100 M-parameter
    model's peak stays near 4 GiB on a big machine too: a 512-token batch of that size already runs the CPU's
    matrix kernels at full speed), by :func:`window_bytes`, at most ``requested`` and at least 1. ``model``
    None (nothing known about it) gives ``requested``."""
    requested = max(1, int(requested))
    if model is None or int(seq_len) <= 0:
        return requested
    free = free_memory_bytes() if free_bytes is None else int(free_bytes)
    budget = min(int(share * free), ACTIVATION_CAP)
    fit = budget // max(1, window_bytes(activation_shape(model), seq_len, grad=grad))
    return max(1, min(requested, fit))


def fuse_activations(net: torch.nn.Module) -> int:
    """Replace, in place, activations that transformers composes from several tensor operations by torch's fused
    kernel of the same function: ``NewGELUActivation`` / ``FastGELUActivation`` (the tanh GELU,
    ``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))``) → ``nn.GELU(approximate="tanh")``; ESM's module-level erf
    ``gelu`` (``x·0.5·(1 + erf(x/√2))``, called by ``EsmIntermediate``) → ``torch.nn.functional.gelu``. Outputs
    are unchanged up to float32 rounding (tests: < 1e-5). Returns how many activations were replaced (ESM: its
    intermediate layers)."""
    import sys

    names = {"NewGELUActivation", "FastGELUActivation"}
    swaps = [(name, m) for name, m in net.named_modules() if type(m).__name__ in names]
    for name, _ in swaps:
        parent, _, leaf = name.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, leaf, torch.nn.GELU(approximate="tanh"))
    esm = [m for m in net.modules() if type(m).__name__ == "EsmIntermediate"]
    for m in esm[:1]:
        module = sys.modules[type(m).__module__]
        if getattr(module, "gelu", None) is not torch.nn.functional.gelu:
            module.gelu = torch.nn.functional.gelu  # the same erf GELU as one kernel, for every ESM model
    return len(swaps) + len(esm)


def linear_from_conv1d(net: torch.nn.Module) -> int:
    """Replace, in place, every transformers ``Conv1D`` (GPT-2's projections: ``x @ W + b`` with ``W`` of shape
    (in, out)) by the ``nn.Linear`` computing the same (weight ``Wᵀ``). Returns how many were replaced."""
    swaps = [(name, m) for name, m in net.named_modules() if type(m).__name__ == "Conv1D" and hasattr(m, "nf")]
    for name, m in swaps:
        lin = torch.nn.Linear(m.weight.shape[0], m.weight.shape[1], bias=m.bias is not None)
        with torch.no_grad():
            lin.weight.copy_(m.weight.T)
            if m.bias is not None:
                lin.bias.copy_(m.bias)
        parent, _, leaf = name.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, leaf, lin)
    return len(swaps)


def quantize_int8(module: torch.nn.Module) -> tuple[torch.nn.Module, int]:
    """Dynamic int8 quantization, in place, of every ``torch.nn.Linear`` of ``module`` (weights int8, activations
    quantized on the fly; CPU inference only): ``(module, Linear layers quantized)``. Convolutions, embeddings and
    norms stay float32."""
    names = {name for name, m in module.named_modules() if isinstance(m, torch.nn.Linear)}
    _quantize_named(module, names)
    return module, len(names)


INT8_NOTE = ("int8 dynamic quantization of the Linear layers (--fast): log-probabilities and states differ "
             "slightly from full precision (and with how windows are batched: activation scales are per batch); "
             "gradients are not available")


def make_fast(model):
    """``model`` with its Linear layers quantized to int8 in place (:func:`quantize_int8`), labelled: the name gets
    :data:`INT8_SUFFIX`, ``info.card['int8']`` the number of layers quantized, ``capabilities.approximations``
    an ``int8`` note, and gradient features are declared unavailable (quantized layers have no backward).
    The built-in CNN keeps its 6-channel input layer in float (the cones read its weights)."""
    from dataclasses import replace

    from ..errors import UnsupportedByModelError
    from .convnet import ConvLM

    net = getattr(model, "network", None)
    if net is None:
        raise UnsupportedByModelError(f"{model.info.name} is not a torch model: the fast (int8) switch needs one.")
    if model.info.card.get("int8"):
        return model
    keep = {"embed"} if isinstance(net, ConvLM) else set()
    linear_from_conv1d(net)
    names = {name for name, m in net.named_modules() if isinstance(m, torch.nn.Linear) and name not in keep}
    _quantize_named(net, names)
    info, caps = model.info, model.info.capabilities
    caps = replace(caps, onehot_forward=False, onehot_hidden=False,
                   approximations=tuple(a for a in caps.approximations if a[0] != "int8") + (("int8", INT8_NOTE),))
    model.info = replace(info, name=info.name + INT8_SUFFIX, card={**info.card, "int8": len(names)},
                         capabilities=caps)
    if hasattr(model, "supports_onehot"):
        model.supports_onehot = False
    return model


def _quantize_named(net: torch.nn.Module, names: set[str]) -> None:
    """Quantize (int8, dynamic, in place) the Linear layers of ``net`` named in ``names``."""
    import warnings

    try:
        from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic
    except ImportError:  # pragma: no cover - very old torch
        from torch.quantization import default_dynamic_qconfig, quantize_dynamic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization deprecation notice
        quantize_dynamic(net, {n: default_dynamic_qconfig for n in names}, dtype=torch.qint8, inplace=True)
