"""The motifs page's results: the window sample, cached attributions and TOMTOM report, its tables and logos;
the TF-MoDISco patterns section (shipped or computed report, counts vs the shuffled control, CWM logos)."""

import numpy as np
import streamlit as st

from dashboard import caches, costs, navigation, warmup
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import attribution as at
from glm_explore import cost as gc
from glm_explore import motifs as mf
from glm_explore import patterns as pt
from glm_explore import region_windows as wn
from glm_explore.embed import PROBE_CAP
from glm_explore.plots import motif_pair_logos
from glm_explore.plots.patterns import pattern_counts_chart, pattern_figure


@st.cache_data(persist="disk", max_entries=4, show_spinner="Finding windows…")
def default_windows(data_key, _data):
    return wn.make_windows(_data, cap_per_class=PROBE_CAP, seed=0)


@st.cache_data(max_entries=8, show_spinner="Matching seqlets and random segments to JASPAR (TOMTOM)…")
def report(key, tax, q, _results):
    return mf.seqlet_report(_results, mf.jaspar_motifs(tax), q=q)


def results(run: pp.Run, model, ws, held):
    """Attribution maps kept in session state (not st.cache_data: the progress bar must not be replayed)."""
    p = run.params
    settings = at.AttributionSettings(target=p.target, probe_class=p.cls, method=p.method, baseline=p.baseline,
                                      n_steps=p.steps, n_baselines=p.nbase)
    rows, fitted = ws.of_class(p.cls, p.n), held["probe"] if p.target == "probe" else None
    if not costs.gate("motifs_results", run, lambda: gc.attribution_windows_cost(model, rows, settings, probe=fitted),
                      key="motifs_cost_go"):
        return None
    return session_cached("motifs_results", run, lambda progress: at.attribute_windows(
        model, rows, settings, probe=fitted, progress=progress), message="Attributing windows…", max_entries=4)


def convergence(rep):
    if not np.isnan(rep.delta_worst):
        (st.success if rep.delta_worst < 0.05 else st.warning)(
            f"Convergence: |Σ attr − (f(x) − f(x′))| is {rep.delta_median:.1%} of f(x) − f(x′) in the median "
            f"window, {rep.delta_worst:.1%} at worst" + ("" if rep.delta_worst < 0.05 else " — raise the IG steps."))


def metrics(rep, res, q):
    seqlets = rep.seqlets
    m1, m2, m3 = st.columns(3)
    m1.metric("Seqlets", f"{len(seqlets):,}", f"|s| ≥ {rep.threshold:.3g}", delta_color="off")
    m2.metric("Windows with a seqlet", f"{seqlets['window'].nunique() if len(seqlets) else 0} / {len(res)}")
    pct = lambda v: "—" if np.isnan(v) else f"{v:.0%}"  # noqa: E731 (no seqlets: no rate)
    m3.metric(f"Match a JASPAR motif (q ≤ {q})", pct(rep.match_rate), f"random segments: {pct(rep.chance_rate)}",
              delta_color="off")


def matched_motifs(rep, res, tax):
    """The summary of matched JASPAR motifs and logos of the three best beside their best seqlet."""
    seqlets, summary = rep.seqlets, rep.summary
    st.subheader("JASPAR motifs the seqlets resemble")
    st.dataframe(summary, hide_index=True, key="motifs_summary")
    lib = mf.jaspar_motifs(tax)
    for row in summary.head(3).itertuples():
        best = seqlets[seqlets["match_1_id"] == row.matrix_id].sort_values("match_1_q").iloc[0]
        values = mf.matched_values(res[int(best["window"])].values, best)
        st.plotly_chart(motif_pair_logos(values, mf.find_motif(row.matrix_id, lib),
                                         title=f"{best['chrom']}:{best['pos_start']}-{best['pos_end']} · "
                                               f"{row.name} ({best['match_1_strand']} strand, "
                                               f"q = {row.best_q:.1e})"),
                        key=f"motifs_pair_{row.Index}")


def all_seqlets(seqlets, cls):
    st.subheader("All seqlets")
    shown = seqlets.drop(columns=["weight", "start", "end", "match_1_offset", "match_1_overlap"])
    st.container(key="motifs_seqlets").dataframe(shown, hide_index=True)  # key: CSS class for browser tests
    st.download_button("Download seqlets (CSV)", shown.to_csv(index=False), f"seqlets_{cls}.csv", "text/csv",
                       key="motifs_download")


def to_attribution(res):
    pick = st.selectbox("Open a window on the attribution page", [str(r.region) for r in res], key="motifs_pick")
    if st.button("Open on the attribution page →", key="motifs_to_attribution"):
        navigation.handoff_region(pick, "pages/attribution.py")


def show_result(run: pp.Run, model, ws, held):
    """Everything under the form for a Run."""
    p = run.params
    res = results(run, model, ws, held)
    if res is None:
        return
    warmup.wait_for_motif_tools()  # TOMTOM compiled once, in the background
    rep = report(run, p.tax, p.q, res)
    st.caption(f"{len(res)} {p.cls} windows · {model.info.name} · {at.METHODS[p.method]} · target: "
               f"{res[0].target}")
    convergence(rep)
    metrics(rep, res, p.q)
    matched_motifs(rep, res, p.tax)
    all_seqlets(rep.seqlets, p.cls)
    to_attribution(res)


# ---------------------------------------------------------------------------------------------
# Patterns across many windows (TF-MoDISco)
# ---------------------------------------------------------------------------------------------

MAX_PATTERN_FIGURES = 8


def shipped_patterns(model, cls: str):
    """The shipped TF-MoDISco report for the current built-in model (exact weights), bundled genome and ``cls``."""
    from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET
    from glm_explore.models.builtin import BUILTIN_MODELS
    from glm_explore.models.fingerprint import tensors_fingerprint

    text, genome = caches.current_model_text(), caches.picked(caches.GENOME_STATE, DEFAULT_DATASET)
    if text not in BUILTIN_MODELS or genome not in DATASETS:
        return None
    return pt.shipped_patterns(text, genome, cls, tensors_fingerprint(model))


def computed_patterns(run: pp.Run, model, ws, held):
    """The Run's report, computed once per session under a progress bar (attribution of the windows and of
    their shuffled copies, then TF-MoDISco on both)."""
    p = run.params
    settings = pt.PatternSettings(n_windows=p.n, target=p.target)
    pt.check_settings(settings, len(ws.of_class(p.cls)))
    warmup.wait_for_motif_tools()  # TOMTOM names the patterns
    return session_cached("patterns_results", run, lambda progress: pt.find_patterns(
        model, ws.of_class(p.cls), settings=settings, region_class=p.cls,
        probe=held["probe"] if held and p.target == "probe" else None, progress=progress),
        message="Attributing windows, then TF-MoDISco (minutes)…", max_entries=2)


def pattern_metrics(rep) -> None:
    """Patterns, JASPAR-named patterns and seqlets in patterns, each beside the shuffled control's."""
    m1, m2, m3 = st.columns(3)
    m1.metric("Patterns", len(rep.patterns), f"shuffled control: {len(rep.control)}", delta_color="off")
    m2.metric(f"Named by JASPAR (q ≤ {rep.q})", rep.named(), f"shuffled control: {rep.named(rep.control)}",
              delta_color="off")
    m3.metric("Seqlets in patterns", sum(p.n_seqlets for p in rep.patterns),
              f"shuffled control: {sum(p.n_seqlets for p in rep.control)}", delta_color="off")


def show_patterns(rep) -> None:
    """A pattern report: counts vs control, the pattern table, CWM logos with seqlet positions, the control."""
    s = rep.settings
    st.caption(f"{rep.n_windows} {rep.region_class} windows of {rep.window_length} bp · {rep.model} · "
               f"{at.METHODS.get(s.get('method'), s.get('method'))} ({s.get('n_steps')} steps, "
               f"{s.get('n_baselines')} {s.get('baseline')} references, gradient-corrected) · target: {rep.target} · "
               f"attribution {rep.attribution_s:.0f} s, TF-MoDISco {rep.modisco_s:.0f} s")
    pattern_metrics(rep)
    st.plotly_chart(pattern_counts_chart(rep), key="patterns_counts")
    st.container(key="patterns_table").dataframe(rep.table(), hide_index=True)
    for i, pat in enumerate(rep.patterns[:MAX_PATTERN_FIGURES]):
        st.plotly_chart(pattern_figure(pat, window_length=rep.window_length, q=rep.q), key=f"patterns_fig_{i}")
    if len(rep.patterns) > MAX_PATTERN_FIGURES:
        st.caption(f"Logos of the first {MAX_PATTERN_FIGURES} patterns; all are in the table and the download.")
    with st.expander(f"Shuffled control: {len(rep.control)} patterns"):
        st.dataframe(rep.table(control=True), hide_index=True, key="patterns_control_table")
    st.download_button("Download the pattern report (JSON)", rep.to_json(), f"patterns_{rep.region_class}.json",
                       "application/json", key="patterns_download")
