"""The attribution page's results: the cached attribution, its notes, the tracks with FIMO hits, seqlets."""

import numpy as np
import streamlit as st

from dashboard import caches, costs, probe, warmup
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import attribution as at
from glm_explore import cost as gc
from glm_explore import motifs as mf
from glm_explore.plots import attribution_tracks, motif_pair_logos

SEQLET_COLUMNS = ["pos_start", "pos_end", "sequence", "score", "match_1_id", "match_1_name", "match_1_p",
                  "match_1_q", "match_2_id", "match_2_name", "match_2_p"]


def results(run: pp.Run, held: dict | None):
    """Results kept in session state (not st.cache_data: the progress bar must not be replayed); None while a
    long run waits for *Run anyway* (its measured cost shown)."""
    p = run.params
    settings = at.AttributionSettings(target=p.target, target_spec=p.spec, method=p.method, baseline=p.baseline,
                                      n_steps=p.steps, n_baselines=p.nbase, correct=p.correct, ism=p.ism,
                                      probe_class=p.probe_class or None)
    if not costs.gate("attribution_results", run, lambda: gc.attribution_cost(
            caches.cached_model(run.model), caches.current_data().genome, p.region, settings,
            probe=held and held["probe"]), key="attribution_cost_go"):
        return None
    return session_cached("attribution_results", run, lambda progress: at.attribute_region(
        caches.cached_model(run.model), caches.current_data().genome, p.region, settings,
        probe=held and held["probe"], progress=progress))


@st.cache_data(max_entries=16, show_spinner="Matching seqlets to JASPAR (TOMTOM)…")
def seqlet_table(_result, key, tax_group):
    return mf.match_seqlets(mf.call_seqlets(_result), mf.jaspar_motifs(tax_group))


def probe_target(held: dict | None):
    """What the probe target would use (the held probe), or a button that fits one."""
    with st.expander("Region-class probe target" + (f" — {held['source']}" if held else "")):
        if held:
            st.caption(f"Classes: {', '.join(held['probe'].classes)} · held-out macro-F1 "
                       f"{held['probe'].heldout_macro_f1:.3f}. The target pools the probe's layers over its centre "
                       f"{held['probe'].center} bp of the region (or the span you type).")
        else:
            probe.probe_fit_button("attribution_fit_probe")


def notes(run: pp.Run, attr, ism_res, shown):
    """The target's value, the method's notes and the convergence check."""
    p = run.params
    f_x = attr.target_value if attr is not None else ism_res.reference_value
    value = f"{f_x:.3f} (P = {np.exp(f_x):.3g})" if p.target in ("mlm_position", "probe") else f"{f_x:.2f} nats"
    st.caption(f"{shown.label} · {run.model} · target: {shown.target} = {value}")
    for note in shown.notes + (ism_res.notes if ism_res is not None and attr is not None else ()):
        st.info(note)
    if attr is not None and attr.delta is not None:
        (st.success if attr.relative_delta < 0.01 else st.warning)(
            f"Convergence delta Σ attr − (f(x) − f(x′)) = {attr.delta:+.2e} over the whole context window "
            f"({attr.relative_delta:.2%} of f(x) − f(x′) = {attr.target_value - attr.baseline_value:+.3f}).")


def fimo_hits(shown, lib):
    """The motif picked for FIMO and its hits in the region (None: no motif picked)."""
    motif = st.selectbox("FIMO: scan the region with a JASPAR motif", ["(none)"] + [m.label for m in lib],
                         key="attribution_fimo")
    if motif == "(none)":
        return None
    hits = mf.scan_motif(shown.seq, mf.find_motif(motif.split()[0], lib), start=shown.start)
    st.caption(f"{len(hits)} FIMO hit(s) of {motif} at p ≤ 1e-4 (both strands).")
    return hits


def seqlets(table, attr, ism_res, lib):
    """The seqlet table and the logos of the three best matched seqlets beside their JASPAR motifs."""
    st.subheader(f"Seqlets: {len(table)} (|s| ≥ {table.attrs.get('threshold', float('nan')):.3g})")
    st.dataframe(table[[c for c in SEQLET_COLUMNS if c in table]], hide_index=True, key="attribution_seqlets")
    values = attr.values if attr is not None else ism_res.logo_values
    for row in table.head(3).itertuples():
        if row.match_1_id:
            st.plotly_chart(motif_pair_logos(mf.matched_values(values, row), mf.find_motif(row.match_1_id, lib),
                                             title=f"{row.pos_start}-{row.pos_end}: best match "
                                                   f"{row.match_1_name} ({row.match_1_strand} strand, "
                                                   f"p = {row.match_1_p:.1e})"),
                            key=f"attribution_pair_{row.Index}")


def show_result(run: pp.Run, held, data):
    """Everything under the form for a Run."""
    computed = results(run, held)
    if computed is None:
        return
    attr, ism_res = computed
    shown, p = attr if attr is not None else ism_res, run.params
    notes(run, attr, ism_res, shown)
    lib = mf.jaspar_motifs(p.tax)
    warmup.wait_for_motif_tools()  # TOMTOM / FIMO compiled once, in the background
    hits = fimo_hits(shown, lib)
    table = seqlet_table(shown, run, p.tax)
    st.plotly_chart(attribution_tracks(shown, ism=ism_res, data=data, hits=hits, seqlets=table),
                    key="attribution_chart")
    st.download_button("Download per-position table (CSV)", at.attribution_table(attr, ism_res).to_csv(
        index=False), f"attribution_{shown.label}.csv", "text/csv", key="attribution_download")
    seqlets(table, attr, ism_res, lib)
