"""Shared Streamlit helpers for app.py and pages/: cached loaders, the sidebar, error display.

Pages import this module; ``glm_explore`` (the library) never imports Streamlit.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from glm_explore.datasets import DATASETS, DEFAULT_DATASET, GenomeData, load_dataset, load_genome_data
from glm_explore.errors import GlmExploreError, InputTooLargeError
from glm_explore.genome import MAX_FASTA_BYTES, normalize_fasta
from glm_explore.models.base import GenomicLM
from glm_explore.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL, load_builtin

USER_DATASET = "upload"
MAX_UPLOAD_BYTES = MAX_FASTA_BYTES


@st.cache_resource(show_spinner="Loading model…", max_entries=4)
def cached_builtin_model(key: str) -> GenomicLM:
    return load_builtin(key)


@st.cache_resource(show_spinner="Loading genome and annotation…", max_entries=4)
def cached_dataset(key: str) -> GenomeData:
    return load_dataset(key)


@st.cache_resource(show_spinner="Indexing your genome…", max_entries=2)
def cached_user_dataset(fasta: str, annotation: str | None, name: str) -> GenomeData:
    return load_genome_data(fasta, annotation, name=name, description="Uploaded by you.")


def model_options() -> dict[str, str]:
    """Sidebar model choices: key → label."""
    return {k: label for k, (_, label) in BUILTIN_MODELS.items()}


def dataset_options() -> dict[str, str]:
    opts = {k: d.label for k, d in DATASETS.items()}
    if "user_genome" in st.session_state:
        opts[USER_DATASET] = f"Your genome: {st.session_state['user_genome']['name']}"
    return opts


def current_model() -> GenomicLM:
    """The model picked in the sidebar (cached; never mutated)."""
    return cached_builtin_model(st.session_state.get("model_key", DEFAULT_MODEL))


def current_data() -> GenomeData:
    """The genome picked in the sidebar (cached)."""
    key = st.session_state.get("dataset_key", DEFAULT_DATASET)
    if key == USER_DATASET and "user_genome" in st.session_state:
        u = st.session_state["user_genome"]
        return cached_user_dataset(u["fasta"], u["annotation"], u["name"])
    return cached_dataset(key if key in DATASETS else DEFAULT_DATASET)


@contextlib.contextmanager
def user_errors():
    """Show errors as ``st.error`` messages, never as tracebacks."""
    try:
        yield
    except GlmExploreError as exc:
        st.error(str(exc))
    except Exception as exc:  # last line of defence in front of an audience
        st.error(f"Something went wrong ({type(exc).__name__}: {exc}). Your loaded data is kept; "
                 "change the inputs and try again.")


def _save_upload(upload, folder: Path) -> Path:
    if upload.size > MAX_UPLOAD_BYTES:
        raise InputTooLargeError(f"{upload.name} is {upload.size / 2**20:.0f} MiB; uploads are limited to "
                                 f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB.")
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


# Temp folders holding uploads of this process: removed on failure, when replaced, and at exit.
_UPLOAD_DIRS: set[Path] = set()


def _remove_upload_dir(folder: str | Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _UPLOAD_DIRS.discard(Path(folder))


@atexit.register
def _remove_all_upload_dirs() -> None:
    for folder in list(_UPLOAD_DIRS):
        _remove_upload_dir(folder)


def load_uploaded_genome(fasta, ann=None) -> GenomeData:
    """Validate and index an uploaded FASTA (+ optional annotation); make it the current genome.

    ``fasta`` / ``ann`` are Streamlit ``UploadedFile``-like objects (``name``, ``size``,
    ``getvalue()``). Files go to a fresh temp folder that is removed if validation fails, when a
    later upload replaces it, and at exit. Raises a ``GlmExploreError`` for bad input; the previous
    genome stays loaded then.
    """
    tmp = Path(tempfile.mkdtemp(prefix="glm_explore_upload_"))
    _UPLOAD_DIRS.add(tmp)
    try:
        raw = _save_upload(fasta, tmp)
        fa = normalize_fasta(raw, tmp / "clean")
        raw.unlink()
        ann_path = str(_save_upload(ann, tmp)) if ann is not None else None
        data = load_genome_data(fa, ann_path, name=fasta.name)  # validate before switching
    except BaseException:
        _remove_upload_dir(tmp)
        raise
    old = st.session_state.get("user_genome", {}).get("dir")
    st.session_state["user_genome"] = {"fasta": str(fa), "annotation": ann_path, "name": fasta.name, "dir": str(tmp)}
    st.session_state["dataset_key"] = USER_DATASET
    if old and Path(old) != tmp:
        _remove_upload_dir(old)
    return data


def handle_genome_upload(fasta, ann=None) -> None:
    """What the sidebar form does on "Load genome": load, then report warnings / success / the error."""
    if fasta is None:
        st.error("Choose a FASTA file first.")
        return
    with user_errors():
        data = load_uploaded_genome(fasta, ann)
        for w in data.annotation.warnings if data.annotation else []:
            st.warning(w)
        st.success(f"Loaded {fasta.name}: {len(data.genome.chroms)} contig(s), {data.genome.total_length:,} bp.")


def upload_genome_form() -> None:
    """Sidebar form: FASTA (+ GFF3/GTF/BED) → validated, indexed user genome in session state."""
    with st.sidebar.expander("Load your own genome"):
        with st.form("upload_genome", clear_on_submit=False):
            fasta = st.file_uploader("FASTA (.fa, .fasta, .fa.gz)", type=["fa", "fasta", "fna", "gz"])
            ann = st.file_uploader("Annotation (GFF3/GTF/BED, optional)", type=["gff", "gff3", "gtf", "bed", "gz"])
            ok = st.form_submit_button("Load genome")
        if ok:
            handle_genome_upload(fasta, ann)


def sidebar() -> None:
    """Model and dataset pickers shared by every page (values in ``st.session_state``)."""
    st.session_state.setdefault("model_key", DEFAULT_MODEL)
    st.session_state.setdefault("dataset_key", DEFAULT_DATASET)
    models = model_options()
    st.sidebar.selectbox("Model", list(models), format_func=models.get, key="model_key")
    datasets = dataset_options()
    if st.session_state["dataset_key"] not in datasets:
        st.session_state["dataset_key"] = DEFAULT_DATASET
    st.sidebar.selectbox("Genome", list(datasets), format_func=datasets.get, key="dataset_key")
    upload_genome_form()


def handoff_region(region: str, page: str | None = None) -> None:
    """Hand a 1-based ``chrom:start-end`` region to other pages (session state + URL query string).

    ``page`` (e.g. ``"pages/logits.py"``) switches to that page right away.
    """
    st.session_state["handoff_region"] = region
    st.query_params["region"] = region
    if page:
        st.switch_page(page)


def incoming_region(default: str) -> str:
    """The region handed over by another page or the URL (``?region=chrI:1001-1512``), else ``default``."""
    return st.query_params.get("region") or st.session_state.get("handoff_region") or default
