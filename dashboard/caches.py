"""Models and genomes loaded once per process (``st.cache_resource``), and the ones the sidebar picked."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import ModuleType

import streamlit as st

from glm_explore.errors import GlmExploreError
from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET, GenomeData, load_dataset, load_genome_data
from glm_explore.models.base import GenomicLM
from glm_explore.models.builtin import DEFAULT_MODEL, load_builtin
from glm_explore.models.fingerprint import weights_fingerprint

from .model_keys import HF_CHOICE, ModelKey

MODEL_STATE, GENOME_STATE = "model_key", "dataset_key"  # the sidebar pickers' session-state keys
FAST_STATE = "fast_int8"  # the sidebar's fast-inference (int8) toggle
USER_DATASET = "upload"  # genome picker choice: the genome uploaded in this session


def cached_model(text: str, fast: bool | None = None) -> GenomicLM:
    """The model a picker's text names (:class:`~dashboard.model_keys.ModelKey`); never mutated. ``fast``: its
    int8 copy (labelled ``· int8``); None: as the sidebar's fast-inference toggle says."""
    return _cached_model(text, bool(st.session_state.get(FAST_STATE, False)) if fast is None else bool(fast))


@st.cache_resource(show_spinner="Loading model…", max_entries=4)
def _cached_model(text: str, fast: bool = False) -> GenomicLM:
    key = ModelKey.parse(text)
    if key.hf or fast:
        from glm_explore.models import load_model

        return load_model(key.name, fast=fast, **({"trust_remote_code": key.trust_remote_code} if key.hf else {}))
    return load_builtin(key.name)


@st.cache_resource(show_spinner="Loading genome and annotation…", max_entries=4)
def cached_dataset(key: str) -> GenomeData:
    return load_dataset(key)


@st.cache_resource(show_spinner="Indexing your genome…", max_entries=2)
def cached_user_dataset(fasta: str, annotation: str | None, name: str) -> GenomeData:
    return load_genome_data(fasta, annotation, name=name, description="Uploaded by you.")


def kept_key(state: str) -> str:
    """Plain (non-widget) copy of a picker's value: it survives when Streamlit drops widget state."""
    return f"_kept_{state}"


def picked(state: str, default: str) -> str:
    """A sidebar picker's value, else its kept copy (widget state dropped), else ``default``."""
    return st.session_state.get(state, st.session_state.get(kept_key(state), default))


def current_model_text() -> str:
    """What the sidebar's model picker holds (the default model before the sidebar ran)."""
    return picked(MODEL_STATE, DEFAULT_MODEL)


def current_model() -> GenomicLM:
    """The model picked in the sidebar (cached; never mutated)."""
    text = current_model_text()
    if text == HF_CHOICE:
        raise GlmExploreError("Enter a Hugging Face model folder or cached model id in the sidebar "
                              "(or pick a built-in model).")
    try:
        key = ModelKey.parse(text)
    except GlmExploreError:
        key = ModelKey(DEFAULT_MODEL)
    return cached_model(key.text)


def current_data() -> GenomeData:
    """The genome picked in the sidebar (cached)."""
    key = picked(GENOME_STATE, DEFAULT_DATASET)
    if key == USER_DATASET and "user_genome" in st.session_state:
        u = st.session_state["user_genome"]
        return cached_user_dataset(u["fasta"], u["annotation"], u["name"])
    return cached_dataset(key if key in DATASETS else DEFAULT_DATASET)


def genome_key() -> str:
    """Identifies the current genome in result keys: picker choice, name and file (two uploads differ)."""
    data = current_data()
    return f"{picked(GENOME_STATE, DEFAULT_DATASET)}:{data.name}:{data.genome.path}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _weights_fingerprint(text: str, _model: GenomicLM) -> str:
    return weights_fingerprint(_model)


def disk_cache_model_key(*modules: ModuleType) -> str:
    """The current model's key for caches persisted to disk: its picker text, a hash of its weights and
    of the code of ``modules`` (a persisted result is never served for other weights or code)."""
    text = current_model_text()
    code = hashlib.sha1(b"".join(Path(m.__file__).read_bytes() for m in modules)).hexdigest()[:16]
    return f"{text}:{_weights_fingerprint(text, current_model())}:{code}"
