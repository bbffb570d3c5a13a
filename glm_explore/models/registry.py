"""Where :func:`load_model` finds models: a small registry of loaders, one per model family.

A loader is a pair of small functions: ``claims(spec) -> bool`` (is this spec mine?) and
``load(spec, **options) -> GenomicLM``. :func:`load_model` asks the registered loaders in order
and the first that claims the spec loads it. Adding a model family is one call::

    @register_loader("my-family", claims=lambda spec: spec.startswith("my:"))
    def load_my_family(spec: str, **options) -> GenomicLM:
        ...

Registered here: ``builtin`` (``default-mlm`` / ``default-clm`` / ``default``), ``convlm-dir`` (a folder
with a ConvLM ``config.json`` + ``model.safetensors``) and, last, ``huggingface`` (any other folder or a
model id in the local Hugging Face cache; it explains what is wrong with specs that are neither).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError
from .base import GenomicLM
from .builtin import BUILTIN_MODELS, DEFAULT_MODEL, load_builtin, load_convlm_dir


@dataclass(frozen=True)
class Loader:
    """One model family: ``claims(spec)`` says whether ``load(spec, **options)`` should load it."""

    name: str
    claims: Callable[[str], bool]
    load: Callable[..., GenomicLM]


LOADERS: list[Loader] = []


def register_loader(name: str, *, claims: Callable[[str], bool], before: str | None = None
                    ) -> Callable[[Callable[..., GenomicLM]], Callable[..., GenomicLM]]:
    """Decorator: register ``load`` for the specs ``claims`` accepts (after the others, or ``before``
    the loader named so — e.g. ``before="huggingface"``, which claims every remaining spec)."""
    def add(load: Callable[..., GenomicLM]) -> Callable[..., GenomicLM]:
        names = [lo.name for lo in LOADERS]
        if name in names:
            raise ValueError(f"a loader named {name!r} is already registered")
        at = names.index(before) if before in names else len(LOADERS)
        LOADERS.insert(at, Loader(name, claims, load))
        return load
    return add


def loader_for(spec: str) -> Loader:
    """The first registered loader that claims ``spec`` (ModelLoadError if none does)."""
    for loader in LOADERS:
        if loader.claims(spec):
            return loader
    raise ModelLoadError(f"Cannot load model {spec!r}: use {', '.join(BUILTIN_MODELS)} or a local model directory.")


def load_model(spec: str, *, fast: bool = False, **options) -> GenomicLM:
    """Load a model by ``spec``: built-in key, ConvLM directory, or a Hugging Face folder / cached id.

    ``default`` is an alias of the default MLM. ``options`` go to the loader (the Hugging Face loader
    takes ``trust_remote_code``; the built-in loaders ignore them). ``fast``: int8 dynamic quantization of
    the Linear layers (:func:`~glm_explore.models.runtime.make_fast`; labelled ``· int8`` in the name).
    """
    from .runtime import configure_threads, make_fast

    configure_threads()  # once per process: torch threads from the cores (GLM_EXPLORE_THREADS overrides)
    model = loader_for(spec).load(spec, **options)
    return make_fast(model) if fast else model


# ------------------------------------------------------------------------------- built-in families

def is_convlm_dir(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a built-in-style ConvLM ``config.json``."""
    cfg = Path(path).expanduser() / "config.json"
    if not cfg.is_file():
        return False
    try:
        data = json.loads(cfg.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "kernel_sizes" in data and "dilations" in data


@register_loader("builtin", claims=lambda spec: spec == "default" or spec in BUILTIN_MODELS)
def _load_builtin(spec: str, **options) -> GenomicLM:
    return load_builtin(DEFAULT_MODEL if spec == "default" else spec)


@register_loader("convlm-dir", claims=is_convlm_dir)
def _load_convlm_dir(spec: str, **options) -> GenomicLM:
    return load_convlm_dir(Path(spec).expanduser())


@register_loader("huggingface", claims=lambda spec: True)
def _load_huggingface(spec: str, *, trust_remote_code: bool = False) -> GenomicLM:
    from .hf import load_hf_model

    return load_hf_model(spec, trust_remote_code=trust_remote_code)
