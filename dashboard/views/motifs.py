"""The motifs page's results: the window sample, cached attributions and TOMTOM report, its tables and logos."""

import numpy as np
import streamlit as st

from dashboard import navigation, warmup
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import attribution as at
from glm_explore import motifs as mf
from glm_explore import windows as wn
from glm_explore.embed import PROBE_CAP
from glm_explore.plots import motif_pair_logos


@st.cache_data(persist="disk", max_entries=4, show_spinner="Finding windows…")
def default_windows(data_key, _data):
    return wn.make_windows(_data, cap_per_class=PROBE_CAP, seed=0)


@st.cache_data(max_entries=8, show_spinner="Matching seqlets and random segments to JASPAR (TOMTOM)…")
def report(key, tax, q, _results):
    return mf.seqlet_report(_results, mf.jaspar_motifs(tax), q=q)


def results(run: pp.Run, model, ws, held):
    """Attribution maps kept in session state (not st.cache_data: the progress bar must not be replayed)."""
    p = run.params
    return session_cached("motifs_results", run, lambda progress: at.attribute_windows(
        model, ws.of_class(p.cls, p.n), probe=held["probe"] if p.target == "probe" else None, target=p.target,
        probe_class=p.cls, method=p.method, baseline=p.baseline, n_steps=p.steps, n_baselines=p.nbase,
        progress=progress), message="Attributing windows…", max_entries=4)


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
    warmup.wait_for_motif_tools()  # TOMTOM compiled once, in the background
    rep = report(run, p.tax, p.q, res)
    st.caption(f"{len(res)} {p.cls} windows · {model.info.name} · {at.METHODS[p.method]} · target: "
               f"{res[0].target}")
    convergence(rep)
    metrics(rep, res, p.q)
    matched_motifs(rep, res, p.tax)
    all_seqlets(rep.seqlets, p.cls)
    to_attribution(res)
