"""The Generate & design page's results: samples, how genome-like they are, and designed sequences."""

from __future__ import annotations

import streamlit as st

from dashboard import caches, costs
from dashboard.results_cache import session_cached
from glm_explore import cost_apply as ca
from glm_explore import generate as gen
from glm_explore import genome_likeness as gl
from glm_explore.io.genome import parse_region, parse_span
from glm_explore.plots.generate import divergence_chart, measures_chart, projection_chart, sample_log_prob_chart

SOURCES = ("de novo", "continue a prefix", "in-fill a span of a region")
JUDGES = {"mlm": "default-clm", "clm": "default-mlm"}  # the other objective's built-in model judges the samples


def samples(run, model, data) -> tuple[list[gen.Sample], str] | None:
    """The samples of a Run (computed once per session under a progress bar); None while a long Run waits for
    *Run anyway* (its measured cost in bases (CLM) or rounds (MLM) shown)."""
    p = run.params
    common = dict(n=p.n, temperature=p.temperature, top_k=p.top_k or None, top_p=None if p.top_p >= 1 else p.top_p,
                  seed=p.seed)
    kw = dict(length=p.length, rounds=p.rounds, method=p.method, schedule=p.schedule)
    if p.source == SOURCES[1]:
        kw["prefix"] = p.prefix
    elif p.source == SOURCES[2]:
        kw.update(genome=data.genome, region=parse_region(p.region), span=parse_span(p.span))
    elif model.info.objective == "clm":
        kw["prefix"] = ""

    def cost_of() -> ca.Cost:
        c = ca.generate_cost(model, **kw, **common)
        if not p.judge:
            return c
        a, b = parse_span(p.span) if p.source == SOURCES[2] else (0, p.length)
        n = p.n_real + 2 * p.n  # real + control + the samples
        return ca.plus(c, ca.judge_cost(model, length=b - a, windows=n), f"embedding {n} windows to judge")

    if not costs.gate("generate_samples", run, cost_of, key="generate_cost_go"):
        return None
    return session_cached("generate_samples", run, lambda progress: gen.generate(model, **kw, **common,
                                                                                   progress=progress),
                          message="Sampling…", max_entries=4)


def likeness(run, parts: list[str], model, data, *, label: str = "generated", real_class: str, n_real: int,
             seed: int) -> gl.Likeness:
    """``parts`` (one length) judged against held-out real windows of ``real_class`` (once per session and Run);
    the control set has as many real windows as ``parts``."""

    def build(progress):
        progress(0.05, f"drawing held-out {real_class} windows")
        reference, control = gl.real_windows(data, real_class, len(parts[0]), n_real, n_control=len(parts),
                                             seed=seed)
        progress(0.2, "k-mer spectra, periodicity, motifs, the other model, embeddings")
        judge_model = caches.cached_model(JUDGES[model.info.objective])
        return gl.judge({label: parts}, reference, control, real_class=real_class, other=judge_model,
                        embed_model=model)

    return session_cached("generate_likeness", (run, label), build, message="Comparing with real DNA…",
                          max_entries=4)


def show_samples(found: list[gen.Sample], what: str, model_name: str) -> None:
    """Table of samples (mean log-probs per generated base), the per-base log-prob chart and a FASTA download."""
    table = gen.samples_table(found)
    st.subheader(f"{len(found)} samples: {what}")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"sequence": st.column_config.TextColumn(width="large"),
                                "mean_log_prob": st.column_config.NumberColumn(format="%.3f"),
                                "mean_model_log_prob": st.column_config.NumberColumn(format="%.3f")})
    st.caption("mean_log_prob: nats per generated base under the distribution drawn from (temperature, top-k, "
               "top-p); mean_model_log_prob: under the model's own untempered column. Sample k reproduces with "
               "seed + k − 1 and n = 1.")
    st.plotly_chart(sample_log_prob_chart(found), width="stretch", key="generate_logprob_chart")
    st.download_button("Download FASTA", gen.samples_fasta(found, name=model_name), file_name="samples.fa",
                       mime="text/plain", key="generate_download")


def show_likeness(like: gl.Likeness, label: str = "generated", key: str = "generate") -> None:
    """How genome-like: the per-set summary, k-mer divergence, per-sequence measures and embeddings."""
    st.subheader(f"How genome-like? Against held-out {like.real_class} windows of {like.length} bp")
    s = like.summary
    gen_row = s[s["set"] == label].iloc[0]
    ctl_row = s[s["set"] == gl.CONTROL].iloc[0]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("6-mer JS divergence (bits)", f"{gen_row['js_bits_k6']:.3f}",
              f"{gen_row['js_bits_k6'] - ctl_row['js_bits_k6']:+.3f} vs real control", delta_color="inverse")
    c2.metric("GC fraction", f"{gen_row['gc']:.3f}", f"{gen_row['gc'] - ctl_row['gc']:+.3f} vs real control",
              delta_color="off")
    c3.metric("3-base periodicity", f"{gen_row['period3']:.2f}",
              f"{gen_row['period3'] - ctl_row['period3']:+.2f} vs real control", delta_color="off")
    if "other_bits" in s:
        c4.metric(f"Bits/base under {like.other_model}", f"{gen_row['other_bits']:.3f}",
                  f"{gen_row['other_bits'] - ctl_row['other_bits']:+.3f} vs real control", delta_color="off")
    st.dataframe(s, hide_index=True, width="stretch")
    st.caption("The **control** is a second set of real held-out windows of the same class and size: its distance "
               "to the reference windows is what sampling alone gives, so generated DNA is genome-like when its "
               "numbers sit near the control's. nearest_edit near 0 flags memorised output; fewer bits under the other model "
               "than real DNA means *more predictable* (often low-complexity runs), not more realistic. Definitions: "
               "`glm_explore/genome_likeness.py`.")
    c1, c2 = st.columns(2)
    c1.plotly_chart(divergence_chart(like), width="stretch", key=f"{key}_divergence_chart")
    c2.plotly_chart(projection_chart(like), width="stretch", key=f"{key}_projection_chart")
    st.plotly_chart(measures_chart(like), width="stretch", key=f"{key}_measures_chart")

