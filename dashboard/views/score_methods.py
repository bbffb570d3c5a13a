""""Which score should I use?": variant-score methods compared on held-out SNVs of known classes (issue 26 §2),
shown on the variants page and in the model report. The default models' comparison is shipped (opens at once);
any other model's is computed on demand, its cost estimated first, then cached on disk by weights fingerprint."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.results_cache import session_cached
from glm_explore.calibration.methods import (
    DEFAULT_PER_CLASS,
    DEPENDENCY_BAND,
    comparison_for,
    estimate_seconds,
    heldout_method_snvs,
)
from glm_explore.models.fingerprint import tensors_fingerprint
from glm_explore.plots.score_methods import method_auroc_chart
from glm_explore.results.calibration import MethodComparison

INTRO = ("Held-out SNVs of known classes (stop-gained / missense / synonymous from clean CDSs, intergenic, "
         "splice-region = intron donor +1…+6 / acceptor −3…−1 of annotated GT…AG introns, promoter-motif = "
         "high-information columns of JASPAR FIMO hits in promoters), each scored by every method, **every score "
         "oriented so that lower = predicted more deleterious**. AUROC of a pair *a vs b* = P(score of an *a* SNV > "
         "score of a *b* SNV), ties ½: 0.5 = chance, higher = the method ranks the harsher class *b* as more "
         "deleterious. 95 % CIs: stratified bootstrap, 1,000 resamples. Methods: LLR (masked LLR / CLM Δ "
         "log-likelihood), entropy-weighted LLR (LLR · IC / 2), embedding shift (−cosine / −L2 distance of pooled "
         "last-layer embeddings), the dependency row (−max |Δ log-odds| of the model's predictions within "
         f"±{DEPENDENCY_BAND} bp of the site) and, for the shipped default MLM, the default CLM's Δ log-likelihood. "
         "Coding classes differ in codon position too (synonymous SNVs are mostly third positions), so a method can "
         "separate them partly by position.")


def cache_dir() -> Path:
    """Comparisons computed on this machine: ``$GLM_EXPLORE_CACHE/score_methods`` (default ``~/.cache/glm-explore``),
    beside the model report's cache."""
    return Path(os.environ.get("GLM_EXPLORE_CACHE") or Path.home() / ".cache" / "glm-explore") / "score_methods"


@st.cache_resource(show_spinner=False, max_entries=8)
def _weights(model_name: str, source: str, model_id: int, _model) -> str:
    """The loaded model's weights fingerprint, hashed once per loaded model (a 100M model takes a second)."""
    return tensors_fingerprint(_model)


@st.cache_resource(show_spinner=False, max_entries=8)
def _stored(_model, _data, model_name: str, weights: str, genome: str, per_class: int) -> MethodComparison | None:
    """The shipped or disk-cached comparison of these weights on this genome (None when neither exists)."""
    return comparison_for(_model, _data, cache_dir=cache_dir(), per_class=per_class)


def show_comparison(res: MethodComparison, key: str) -> None:
    """Best method per pair in one sentence each, the AUROC chart and the ranking table."""
    for pair in dict.fromkeys(res.ranking["pair"]):
        st.markdown(res.best_sentence(pair))
    st.plotly_chart(method_auroc_chart(res.ranking), key=f"{key}_chart")
    table = res.ranking.drop(columns=["method"]).rename(columns={"label": "method"})
    st.dataframe(table, hide_index=True, key=f"{key}_table",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("auroc", "ci_lo", "ci_hi")})
    clm = res.notes.get("clm", "")
    clm = f"; {clm}" if " " in clm else f"; CLM Δ log-likelihood from {clm}" if clm else ""
    st.caption(f"{res.model} on {res.notes.get('genome', '?')}: SNVs {res.notes.get('snvs', '?')}{clm}; computed in "
               f"{res.notes.get('seconds', '?')} s; weights {res.notes.get('weights', '?')}.")


def which_score(model, data, *, key: str, per_class: int = DEFAULT_PER_CLASS) -> None:
    """The section body for the loaded model: the stored comparison, else the cost first and a button
    (``per_class`` held-out SNVs per class when computed here)."""
    st.caption(INTRO)
    if data.annotation is None or not data.labels:
        st.info(f"{data.name} has no annotation, so there are no SNVs of known classes to compare methods on.")
        return
    weights = _weights(model.info.name, str(model.info.source), id(model), model)
    ident = (model.info.name, weights, data.name)
    res = _stored(model, data, *ident, per_class) or st.session_state.get(f"{key}_results", {}).get(ident)
    if res is not None:
        show_comparison(res, key)
        return
    st.markdown(f"Not computed yet for **{model.info.name}** on {data.name}: it scores {per_class} held-out "
                "SNVs per class with every method (2 forwards per SNV per method, a masked pass, 1,000 bootstrap "
                "resamples per CI).")
    estimates = st.session_state.setdefault(f"{key}_estimates", {})
    if ident not in estimates:
        if st.button("Estimate the cost", key=f"{key}_estimate"):
            with st.spinner("Timing the methods on a few SNVs…"):
                snvs = heldout_method_snvs(data, per_class=per_class)
                estimates[ident] = (estimate_seconds(model, data, snvs), len(snvs))
            st.rerun()
        return
    secs, n = estimates[ident]
    st.markdown(f"Estimated cost: **~{secs / 60:.1f} min** for {n:,} SNVs (timed on 12 of them here; cached on disk "
                "afterwards).")
    if st.button(f"Compare methods (~{secs / 60:.1f} min)", type="primary", key=f"{key}_go"):
        session_cached(f"{key}_results", ident, lambda cb: comparison_for(model, data, compute=True, cache_dir=cache_dir(),
                                                                  per_class=per_class, progress=cb),
                       message="Scoring held-out SNVs with every method…", max_entries=2)
        _stored.clear()  # the disk cache now holds it
        st.rerun()
