"""Any Hugging Face DNA language model behind the :class:`~glm_explore.models.base.GenomicLM` protocol.

* :mod:`.loading` — safe, offline loading (:func:`load_hf_model`, :func:`resolve_model_dir`,
  :func:`remote_code_files`);
* :mod:`.alignment` — tokens ↔ nucleotides (:class:`TokenAligner`: special tokens, token limit, the
  base ↔ token map; the tokenizer kind's own rules are a strategy of :mod:`glm_explore.models.tokenization`);
* :mod:`.adapter` — :class:`HFAdapter`, the model behind the protocol;
* :mod:`.config` — facts read from a transformers config.
"""

from __future__ import annotations

from .adapter import HFAdapter
from .alignment import TokenAligner, Tokens, normalise_log
from .loading import HOW_TO_DOWNLOAD, detect_objective, load_hf_model, remote_code_files, resolve_model_dir

_normalise_log = normalise_log  # older name (bench/bench_hf.py)

__all__ = ["HFAdapter", "load_hf_model", "resolve_model_dir", "remote_code_files", "HOW_TO_DOWNLOAD",
           "TokenAligner", "Tokens", "detect_objective", "normalise_log"]
