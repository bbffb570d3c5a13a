"""The sidebar every page shares: model and genome pickers (values in session state), the upload form."""

from __future__ import annotations

import streamlit as st

from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET
from glm_explore.models.builtin import BUILTIN_MODELS
from glm_explore.models.capabilities import capability_matrix

from .caches import FAST_STATE, GENOME_STATE, MODEL_STATE, USER_DATASET, current_model, kept_key
from .errors import user_errors
from .model_keys import HF_CHOICE, ModelKey, is_hf_text
from .uploads import handle_genome_upload
from .urls import GENOME_URL, MODEL_URL, genome_from_link, model_from_link, show_shared_notes


def model_options(state_key: str = MODEL_STATE) -> dict[str, str]:
    """Model choices: picker text → label (with the HF models chosen in the sidebar / under ``state_key``)."""
    opts = {k: label for k, (_, label) in BUILTIN_MODELS.items()}
    for text in dict.fromkeys([st.session_state.get(MODEL_STATE, ""), st.session_state.get(state_key, "")]):
        if is_hf_text(text) and text != HF_CHOICE:
            opts[text] = ModelKey.parse(text).label
    opts[HF_CHOICE] = "Hugging Face / local model…"
    return opts


def dataset_options() -> dict[str, str]:
    opts = {k: d.label for k, d in DATASETS.items()}
    if "user_genome" in st.session_state:
        opts[USER_DATASET] = f"Your genome: {st.session_state['user_genome']['name']}"
    return opts


def _hf_inputs_changed(prefix: str, target: str) -> None:
    spec = (st.session_state.get(f"{prefix}_model_spec") or "").strip()
    trust = bool(st.session_state.get(f"{prefix}_trust_remote_code", False))
    st.session_state[target] = ModelKey.of_hf(spec, trust).text if spec else HF_CHOICE


def hf_model_inputs(prefix: str = "hf", container=None, target: str = MODEL_STATE) -> tuple[str, bool]:
    """Text input for a HF folder / cached id + a trust_remote_code checkbox (warns naming the code).

    Editing either sets ``st.session_state[target]`` to the model's key text.
    """
    from glm_explore.models.hf import remote_code_files

    box = container or st.sidebar
    current = st.session_state.get(target, "")
    if is_hf_text(current) and current != HF_CHOICE and f"{prefix}_model_spec" not in st.session_state:
        key = ModelKey.parse(current)
        st.session_state[f"{prefix}_trust_remote_code"], st.session_state[f"{prefix}_model_spec"] = \
            key.trust_remote_code, key.name
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


def upload_genome_form() -> None:
    """Sidebar form: FASTA (+ GFF3/GTF/BED) → validated, indexed user genome in session state."""
    with st.sidebar.expander("Load your own genome"):
        with st.form("upload_genome", clear_on_submit=False):
            fasta = st.file_uploader("FASTA (.fa, .fasta, .fa.gz)", type=["fa", "fasta", "fna", "gz"])
            ann = st.file_uploader("Annotation (GFF3/GTF/BED, optional)", type=["gff", "gff3", "gtf", "bed", "gz"])
            ok = st.form_submit_button("Load genome")
        if ok:
            handle_genome_upload(fasta, ann)


def _restore_pickers() -> None:
    """Picker values before the pickers are drawn: st.switch_page (the region hand-off) clears every
    widget's state, these two included, so they come back from plain copies; a session's first run
    takes them from the link (``?model=…&genome=…``)."""
    for state, url_key, from_link in ((MODEL_STATE, MODEL_URL, model_from_link),
                                      (GENOME_STATE, GENOME_URL, genome_from_link)):
        if state not in st.session_state:
            kept = st.session_state.get(kept_key(state))
            st.session_state[state] = kept if kept is not None else from_link(st.query_params.get(url_key))


def sidebar() -> None:
    """Model and genome pickers shared by every page (values in ``st.session_state``)."""
    _restore_pickers()
    show_shared_notes()
    models = model_options()
    st.sidebar.selectbox("Model", list(models), format_func=models.get, key=MODEL_STATE)
    if is_hf_text(st.session_state[MODEL_STATE]):
        hf_model_inputs("hf")
    st.sidebar.toggle("Fast inference (int8)", key=FAST_STATE,
                      help="Int8 dynamic quantization of the model's Linear layers on CPU: faster on large models, "
                           "slightly different numbers, every result labelled '· int8'; no gradient attributions.")
    model_capabilities()
    # The genome picker is drawn above the upload form but created after it: a successful upload sets
    # dataset_key, which Streamlit forbids once the widget with that key exists in this run.
    genome_slot = st.sidebar.container()
    upload_genome_form()
    datasets = dataset_options()
    if st.session_state[GENOME_STATE] not in datasets:
        st.session_state[GENOME_STATE] = DEFAULT_DATASET
    genome_slot.selectbox("Genome", list(datasets), format_func=datasets.get, key=GENOME_STATE)
    st.session_state[kept_key(MODEL_STATE)] = st.session_state[MODEL_STATE]
    st.session_state[kept_key(GENOME_STATE)] = st.session_state[GENOME_STATE]
