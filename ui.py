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
from glm_explore.embed import PROBE_CAP
from glm_explore.errors import GlmExploreError, InputTooLargeError
from glm_explore.genome import MAX_FASTA_BYTES, normalize_fasta
from glm_explore.models.base import GenomicLM
from glm_explore.models.builtin import BUILTIN_MODELS, DEFAULT_MODEL, load_builtin
from glm_explore.models.capabilities import capability_matrix, supports_probe_target

USER_DATASET = "upload"
MAX_UPLOAD_BYTES = MAX_FASTA_BYTES


@st.cache_resource(show_spinner="Loading model…", max_entries=4)
def cached_builtin_model(key: str) -> GenomicLM:
    """A model by its sidebar key: a built-in key, or ``hf:<0|1>:<folder or cached id>`` (see :func:`hf_key`)."""
    if key.startswith("hf:"):
        from glm_explore.models import load_model

        trust, spec = parse_hf_key(key)
        return load_model(spec, trust_remote_code=trust)
    return load_builtin(key)


cached_model = cached_builtin_model  # clearer name for pages that load any model by key


@st.cache_resource(show_spinner="Loading genome and annotation…", max_entries=4)
def cached_dataset(key: str) -> GenomeData:
    return load_dataset(key)


@st.cache_resource(show_spinner="Indexing your genome…", max_entries=2)
def cached_user_dataset(fasta: str, annotation: str | None, name: str) -> GenomeData:
    return load_genome_data(fasta, annotation, name=name, description="Uploaded by you.")


HF_OPTION = "hf"  # sidebar choice "Hugging Face / local model…" before a folder / id is entered


def hf_key(spec: str, trust_remote_code: bool = False) -> str:
    """Model key of a Hugging Face folder / cached id: ``hf:<0|1>:<spec>`` (1 = remote code allowed)."""
    return f"hf:{int(bool(trust_remote_code))}:{spec.strip()}"


def parse_hf_key(key: str) -> tuple[bool, str]:
    """(trust_remote_code, spec) of an :func:`hf_key`."""
    return key[3] == "1", key[5:]


def model_options(state_key: str = "model_key") -> dict[str, str]:
    """Model choices: key → label (with the HF models chosen in the sidebar / under ``state_key``)."""
    opts = {k: label for k, (_, label) in BUILTIN_MODELS.items()}
    for key in dict.fromkeys([st.session_state.get("model_key", ""), st.session_state.get(state_key, "")]):
        if key.startswith("hf:"):
            opts[key] = f"HF: {parse_hf_key(key)[1]}" + (" (remote code allowed)" if parse_hf_key(key)[0] else "")
    opts[HF_OPTION] = "Hugging Face / local model…"
    return opts


def dataset_options() -> dict[str, str]:
    opts = {k: d.label for k, d in DATASETS.items()}
    if "user_genome" in st.session_state:
        opts[USER_DATASET] = f"Your genome: {st.session_state['user_genome']['name']}"
    return opts


def current_model() -> GenomicLM:
    """The model picked in the sidebar (cached; never mutated)."""
    key = st.session_state.get("model_key", DEFAULT_MODEL)
    if key == HF_OPTION:
        raise GlmExploreError("Enter a Hugging Face model folder or cached model id in the sidebar "
                              "(or pick a built-in model).")
    return cached_builtin_model(key if key in BUILTIN_MODELS or key.startswith("hf:") else DEFAULT_MODEL)


def _hf_inputs_changed(prefix: str, target: str) -> None:
    spec = (st.session_state.get(f"{prefix}_model_spec") or "").strip()
    trust = bool(st.session_state.get(f"{prefix}_trust_remote_code", False))
    st.session_state[target] = hf_key(spec, trust) if spec else HF_OPTION


def hf_model_inputs(prefix: str = "hf", container=None, target: str = "model_key") -> tuple[str, bool]:
    """Text input for a HF folder / cached id + a trust_remote_code checkbox (warns naming the code).

    Editing either sets ``st.session_state[target]`` to the model's :func:`hf_key`.
    """
    from glm_explore.models.hf import remote_code_files

    box = container or st.sidebar
    current = st.session_state.get(target, "")
    if current.startswith("hf:") and f"{prefix}_model_spec" not in st.session_state:
        st.session_state[f"{prefix}_trust_remote_code"], st.session_state[f"{prefix}_model_spec"] = \
            parse_hf_key(current)
    spec = box.text_input("Model folder or cached id", key=f"{prefix}_model_spec",
                          placeholder="/path/to/model or org/name", on_change=_hf_inputs_changed,
                          args=(prefix, target),
                          help="Loaded offline from a local folder or the local Hugging Face cache.")
    trust = box.checkbox("Trust remote code", key=f"{prefix}_trust_remote_code", on_change=_hf_inputs_changed,
                         args=(prefix, target),
                         help="Let the model run Python files shipped with it (needed by HyenaDNA, Caduceus…).")
    files = remote_code_files(spec) if spec and spec.strip() else []
    if trust:
        box.warning("This runs Python code from the model's folder with your permissions: "
                    + (", ".join(files) if files else "whatever its config names (none found yet)") + ".")
    elif files:
        box.info(f"This model ships code ({', '.join(files)}); it loads only if you trust it.")
    return (spec or "").strip(), bool(trust)


def model_capabilities() -> None:
    """Sidebar expander: the capability matrix of the current model."""
    with st.sidebar.expander("What this model supports"):
        with user_errors():
            st.dataframe(capability_matrix(current_model()), hide_index=True)


def current_data() -> GenomeData:
    """The genome picked in the sidebar (cached)."""
    key = st.session_state.get("dataset_key", DEFAULT_DATASET)
    if key == USER_DATASET and "user_genome" in st.session_state:
        u = st.session_state["user_genome"]
        return cached_user_dataset(u["fasta"], u["annotation"], u["name"])
    return cached_dataset(key if key in DATASETS else DEFAULT_DATASET)


def session_cached(store: str, key, fn, *, message: str = "Computing…", max_entries: int = 8):
    """``fn(progress)`` computed once per ``key`` in this session, under a progress bar.

    Results live in ``st.session_state[store]`` (st.cache_data cannot replay a progress bar made
    outside it); past ``max_entries`` the oldest result is dropped.
    """
    cache = st.session_state.setdefault(store, {})
    if key not in cache:
        bar = st.progress(0.0, message)
        cache[key] = fn(lambda f, msg: bar.progress(min(1.0, max(0.0, f)), msg))
        bar.empty()
        while len(cache) > max_entries:
            cache.pop(next(iter(cache)))
    return cache[key]


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
    # st.switch_page (the region hand-off between pages) clears every widget's state, these two
    # pickers included: restore the user's model and genome from plain (non-widget) copies.
    for key, default in (("model_key", DEFAULT_MODEL), ("dataset_key", DEFAULT_DATASET)):
        if key not in st.session_state:
            st.session_state[key] = st.session_state.get(f"_kept_{key}", default)
    models = model_options()
    st.sidebar.selectbox("Model", list(models), format_func=models.get, key="model_key")
    if st.session_state["model_key"] == HF_OPTION or st.session_state["model_key"].startswith("hf:"):
        hf_model_inputs("hf")
    model_capabilities()
    # The genome picker is drawn above the upload form but created after it: a successful upload sets
    # dataset_key, which Streamlit forbids once the widget with that key exists in this run.
    genome_slot = st.sidebar.container()
    upload_genome_form()
    datasets = dataset_options()
    if st.session_state["dataset_key"] not in datasets:
        st.session_state["dataset_key"] = DEFAULT_DATASET
    genome_slot.selectbox("Genome", list(datasets), format_func=datasets.get, key="dataset_key")
    st.session_state["_kept_model_key"] = st.session_state["model_key"]
    st.session_state["_kept_dataset_key"] = st.session_state["dataset_key"]


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


# --------------------------------------------------------------------------------------------
# The region-class probe, shared by the embedding explorer, attribution and motif pages
# --------------------------------------------------------------------------------------------


def _probe_owner() -> str:
    """Which model + genome a probe in session state belongs to."""
    return f"{st.session_state.get('model_key', DEFAULT_MODEL)}|{st.session_state.get('dataset_key', '')}:" \
           f"{current_data().name}"


def remember_probe(probe, windows, source: str) -> None:
    """Keep the probe (and the windows it was fit on) for the current model and genome."""
    st.session_state["region_probe"] = {"owner": _probe_owner(), "probe": probe, "windows": windows,
                                        "source": source}


def current_probe() -> dict | None:
    """``{"probe", "windows", "source"}`` for the current model and genome, or None (also when the
    model cannot take the probe target: no differentiable hidden states)."""
    held = st.session_state.get("region_probe")
    ok = held and held["owner"] == _probe_owner() and supports_probe_target(current_model())
    return held if ok else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _fit_default_probe(owner: str, _model, _data):
    from glm_explore.embed import fit_region_probe

    bar = st.progress(0.0, "Embedding windows for the probe…")
    out = fit_region_probe(_model, _data, seed=0, progress=lambda f, m: bar.progress(f, m))
    bar.empty()
    return out


def probe_fit_button(key: str) -> None:
    """Offer to fit the region-class probe here (last layer, the explorer's default recipe)."""
    st.caption(f"No region-class probe for this model yet. Fit one on the Embedding explorer (your layers and "
               f"windows), or here: last layer, 512-bp windows, centre 100 bp, {PROBE_CAP} windows per class "
               "and split.")
    if st.button("Fit a region-class probe", key=key):
        with user_errors():
            probe, ws = _fit_default_probe(_probe_owner(), current_model(), current_data())
            remember_probe(probe, ws, f"fit here on {probe.n_train} training windows")
            st.rerun()
