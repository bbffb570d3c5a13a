"""Which model a picker chose, as a value: a built-in key or a Hugging Face folder / cached id.

Pickers (Streamlit selectboxes) hold the key's text; :meth:`ModelKey.parse` reads it back:

* ``default-mlm`` — a built-in model,
* ``hf:<folder or org/name>`` — a Hugging Face model, its shipped code not run,
* ``hf+code:<folder or org/name>`` — the same with ``trust_remote_code`` (never taken from a link).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from glm_explore.errors import GlmExploreError
from glm_explore.models.builtin import BUILTIN_MODELS

HF_CHOICE = "hf"  # picker choice "Hugging Face / local model…" before a folder / id is typed
_HF, _HF_CODE = "hf", "hf+code"


@dataclass(frozen=True)
class ModelKey:
    """A built-in model (``hf=False``, ``name`` in ``BUILTIN_MODELS``) or a Hugging Face one
    (``name`` = folder or cached id; ``trust_remote_code`` lets its shipped Python run)."""

    name: str
    hf: bool = False
    trust_remote_code: bool = False

    @classmethod
    def of_hf(cls, spec: str, trust_remote_code: bool = False) -> ModelKey:
        return cls(spec.strip(), hf=True, trust_remote_code=bool(trust_remote_code))

    @classmethod
    def parse(cls, text: str) -> ModelKey:
        """The key a picker's text names; raises ``GlmExploreError`` saying what is accepted."""
        text = (text or "").strip()
        prefix, sep, spec = text.partition(":")
        if sep and prefix in (_HF, _HF_CODE) and spec.strip():
            return cls.of_hf(spec, trust_remote_code=prefix == _HF_CODE)
        if text in BUILTIN_MODELS:
            return cls(text)
        raise GlmExploreError(f"Unknown model {text!r}: use one of {', '.join(BUILTIN_MODELS)} or "
                              "hf:<model folder or cached id>.")

    @property
    def text(self) -> str:
        """What a picker holds (and :meth:`parse` reads)."""
        if not self.hf:
            return self.name
        return f"{_HF_CODE if self.trust_remote_code else _HF}:{self.name}"

    @property
    def label(self) -> str:
        """How a picker shows it."""
        if not self.hf:
            return BUILTIN_MODELS[self.name][1]
        return f"HF: {self.name}" + (" (remote code allowed)" if self.trust_remote_code else "")

    def shareable(self) -> ModelKey:
        """This key as a link may carry it: remote code is never allowed by opening a link."""
        return replace(self, trust_remote_code=False)


def shareable_text(text: str) -> str:
    """A picker's text as a link may carry it (remote code never allowed; other texts unchanged)."""
    try:
        return ModelKey.parse(text).shareable().text
    except GlmExploreError:
        return text


def is_hf_text(text: str) -> bool:
    """Whether a picker's text is the HF choice or a Hugging Face key (then the folder input is shown)."""
    return text == HF_CHOICE or (":" in text and text.partition(":")[0] in (_HF, _HF_CODE))
