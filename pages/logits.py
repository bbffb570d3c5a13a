"""Nucleotide logits: what the model expects at every position (logo, P(ref), entropy, dependencies)."""

from dataclasses import dataclass, replace

import streamlit as st

from dashboard import caches, navigation, params, urls
from dashboard.errors import user_errors
from dashboard.views import logits as views
from glm_explore import logits
from glm_explore.errors import FastaError
from glm_explore.io.fasta import fasta_records

INPUTS = ("Genome region", "Pasted sequence", "FASTA record")
LOGOS = {"information": "p · IC (bits)", "probability": "probability"}


@dataclass(frozen=True)
class LogitsParams(params.PageParams):
    PREFIX = "logits"
    input: str = params.param(INPUTS[0], choices=INPUTS)
    region: str = ""
    paste: str = ""
    record: str = ""
    mode: str = params.param("exact", choices=tuple(logits.MODES))
    rc: bool = False
    logo: str = params.param("information", choices=tuple(LOGOS))


def checked_input(p: LogitsParams, upload) -> tuple[str, str]:
    """(source, payload) of a Run: the region, or a checked sequence (pasted / a record of the uploaded FASTA)."""
    if p.input == "Genome region":
        return "region", p.region
    if p.input == "Pasted sequence":
        return "pasted sequence", logits.sequence_input(p.paste)
    if upload is None:
        raise FastaError("Choose a FASTA file first.")
    recs = fasta_records(upload.getvalue())
    name = p.record.strip() or next(iter(recs))
    if name not in recs:
        raise FastaError(f"No record {name!r} in {upload.name}; it has {', '.join(list(recs)[:5])}.")
    return f"record {name}", logits.sequence_input(recs[name], name=f"record {name!r}")


navigation.require_app()
st.title("Nucleotide logits")
st.markdown("At every position, the model's distribution over A/C/G/T. **MLM**: exact masked marginals "
            "P(x_i | x_{-i}) (position i masked, one copy per position, batched by receptive field) or the fast "
            "unmasked reconstruction (an approximation). **CLM**: next-token P(x_i | x_<i). Logo letters are "
            "p·IC in bits (IC = 2 − entropy) or plain probabilities; natural log in the table.")

run = None  # stays None if loading the model or genome fails below
p = None  # the form's params, once read
with user_errors():
    model, data = caches.current_model(), caches.current_data()
    modes = ["exact", "unmasked"] if model.info.is_mlm else ["next"]
    params.seed(LogitsParams(region=f"{data.genome.chroms[0]}:1001-1200", mode=modes[0]),
                {"mode": modes, "region": params.region_problem(data.genome)})
    kind = st.radio("Input", INPUTS, horizontal=True, key="logits_input")
    with st.form("logits_form"):
        upload = None
        if kind == "Genome region":
            st.text_input("Region of the loaded genome (1-based chrom:start-end, ≤ 2 kb)", key="logits_region")
        elif kind == "Pasted sequence":
            st.text_area("DNA sequence (≤ 2 kb)", key="logits_paste")
        else:
            upload = st.file_uploader("FASTA (first record, or name one below)", key="logits_fasta")
            st.text_input("Record name (optional)", key="logits_record")
        st.selectbox("Mode", modes, format_func=logits.MODES.get, key="logits_mode", disabled=len(modes) == 1,
                     help=None if len(modes) > 1 else "A causal LM has no mask token: masked marginals and the "
                                                      "unmasked reconstruction need a masked LM.")
        st.checkbox("Average with the reverse-complement strand", key="logits_rc")
        st.radio("Logo letters", list(LOGOS), horizontal=True, key="logits_logo", format_func=LOGOS.get)
        submitted = st.form_submit_button("Compute predictions", type="primary", key="logits_go")
    p = params.from_widgets(LogitsParams)
    fasta = p.input == "FASTA record"
    urls.link_box(replace(p, input=INPUTS[0]) if fasta else p,
                  ["An uploaded FASTA cannot travel in a link: the link opens the genome region instead."] * fasta)
    if submitted:
        params.forget_run(LogitsParams)  # a rejected input must not leave the previous run's results
        params.record_run(p, extra=checked_input(p, upload))
    run = params.last_run(LogitsParams)

if run:
    with user_errors():
        views.show_result(run, data)

if p is not None and p.input == "Genome region":  # a stored genome-wide track of this region (no recomputation)
    with user_errors():
        views.stored_track(p.region, data, model, run)
