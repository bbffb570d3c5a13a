"""Model adapters behind the :class:`~glm_explore.models.base.GenomicLM` protocol.

:func:`load_model` is the one entry point: it dispatches through the loader registry of
:mod:`.registry` — a built-in key (``default-mlm``, ``default-clm``), a local directory holding a
built-in-style ConvLM (``config.json`` + ``model.safetensors``), or a Hugging Face folder / cached id
(:mod:`.hf`). What each model can serve is declared in ``model.info.capabilities``
(:class:`Capabilities`); :class:`BaseAdapter` holds the shared adapter defaults.
"""

from __future__ import annotations

from .adapter import BaseAdapter
from .base import Capabilities, GenomicLM, ModelInfo
from .builtin import BUILTIN_MODELS, DEFAULT_MODEL, load_builtin
from .registry import LOADERS, load_model, loader_for, register_loader

__all__ = ["GenomicLM", "ModelInfo", "Capabilities", "BaseAdapter", "BUILTIN_MODELS", "DEFAULT_MODEL",
           "load_model", "load_builtin", "register_loader", "loader_for", "LOADERS"]
