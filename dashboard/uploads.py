"""Uploaded files (a genome, a VCF) in temp folders: removed on failure, when replaced, and at exit."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from glm_explore.errors import InputTooLargeError
from glm_explore.io.datasets import GenomeData, load_genome_data
from glm_explore.io.genome import MAX_FASTA_BYTES, normalize_fasta

from .caches import GENOME_STATE, USER_DATASET
from .errors import user_errors

MAX_UPLOAD_BYTES = MAX_FASTA_BYTES  # = .streamlit/config.toml server.maxUploadSize (MB) · 2**20

# Temp folders holding uploads of this process.
_UPLOAD_DIRS: set[Path] = set()


def _new_upload_dir(kind: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"glm_explore_{kind}_"))
    _UPLOAD_DIRS.add(folder)
    return folder


def remove_upload_dir(folder: str | Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _UPLOAD_DIRS.discard(Path(folder))


@atexit.register
def _remove_all_upload_dirs() -> None:
    for folder in list(_UPLOAD_DIRS):
        remove_upload_dir(folder)


def save_upload(upload, folder: Path) -> Path:
    """Write a Streamlit ``UploadedFile``-like object (``name``, ``size``, ``getvalue()``) into ``folder``."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise InputTooLargeError(f"{upload.name} is {upload.size / 2**20:.0f} MiB; uploads are limited to "
                                 f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB.")
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


def load_uploaded_genome(fasta, ann=None) -> GenomeData:
    """Validate and index an uploaded FASTA (+ optional annotation); make it the current genome.

    ``fasta`` / ``ann`` are Streamlit ``UploadedFile``-like objects. Files go to a fresh temp folder
    that is removed if validation fails, when a later upload replaces it, and at exit. Raises a
    ``GlmExploreError`` for bad input; the previous genome stays loaded then.
    """
    tmp = _new_upload_dir("upload")
    try:
        raw = save_upload(fasta, tmp)
        fa = normalize_fasta(raw, tmp / "clean")
        raw.unlink()
        ann_path = str(save_upload(ann, tmp)) if ann is not None else None
        data = load_genome_data(fa, ann_path, name=fasta.name)  # validate before switching
    except BaseException:
        remove_upload_dir(tmp)
        raise
    old = st.session_state.get("user_genome", {}).get("dir")
    st.session_state["user_genome"] = {"fasta": str(fa), "annotation": ann_path, "name": fasta.name, "dir": str(tmp)}
    st.session_state[GENOME_STATE] = USER_DATASET
    if old and Path(old) != tmp:
        remove_upload_dir(old)
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


def saved_vcf_upload(upload) -> Path:
    """An uploaded VCF saved to a fresh temp folder; the session's previous VCF folder is removed (and
    this one at exit). Raises ``InputTooLargeError`` past the upload limit."""
    tmp = _new_upload_dir("vcf")
    try:
        path = save_upload(upload, tmp)
    except BaseException:
        remove_upload_dir(tmp)
        raise
    old = st.session_state.get("user_vcf_dir")
    st.session_state["user_vcf_dir"] = str(tmp)
    if old and Path(old) != tmp:
        remove_upload_dir(old)
    return path
