"""Model adapters behind the :class:`~glm_explore.models.base.GenomicLM` protocol.

:func:`load_model` is the one entry point: a built-in key (``default-mlm``, ``default-clm``) or a
local directory holding a built-in-style ConvLM (``config.json`` + ``model.safetensors``).
Hugging Face directories / cached ids are handled by ``models.hf`` when present.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ModelLoadError
from .base import GenomicLM, ModelInfo
from .builtin import BUILTIN_MODELS, DEFAULT_MODEL, load_builtin, load_convlm_dir

__all__ = ["GenomicLM", "ModelInfo", "BUILTIN_MODELS", "DEFAULT_MODEL", "load_model", "load_builtin"]


def _is_convlm_dir(path: Path) -> bool:
    cfg = path / "config.json"
    if not cfg.exists():
        return False
    try:
        return "kernel_sizes" in json.loads(cfg.read_text()) and "dilations" in json.loads(cfg.read_text())
    except (OSError, ValueError):
        return False


def load_model(spec: str, **kwargs) -> GenomicLM:
    """Load a model by ``spec``: built-in key, ConvLM directory, or (with ``models.hf``) a HF model.

    ``default`` is an alias of the default MLM. Extra keyword arguments go to the HF loader
    (e.g. ``trust_remote_code``).
    """
    if spec == "default":
        spec = DEFAULT_MODEL
    if spec in BUILTIN_MODELS:
        return load_builtin(spec)
    path = Path(spec).expanduser()
    if path.is_dir() and _is_convlm_dir(path):
        return load_convlm_dir(path)
    try:
        from . import hf  # noqa: F401  (issue: any Hugging Face DNA model)
    except ImportError:
        hf = None
    if hf is not None and hasattr(hf, "load_hf_model"):
        return hf.load_hf_model(spec, **kwargs)
    raise ModelLoadError(f"Cannot load model {spec!r}: use {', '.join(BUILTIN_MODELS)} or a local model directory.")
