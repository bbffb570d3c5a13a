"""The logits page's results: cached predictions, metrics and tracks, the dependency map, MLM vs CLM."""

import streamlit as st

from dashboard import caches, costs, navigation
from dashboard import params as pp
from dashboard.results_cache import session_cached
from dashboard.views import features as features_views
from glm_explore import cost as gc
from glm_explore import dependency
from glm_explore import logits as lg
from glm_explore.errors import InputTooLargeError
from glm_explore.plots import dependency_heatmap, logits_comparison, logits_tracks
from glm_explore.sequence import clean_sequence


def compute(model_text, genome_key, source, payload, mode, rc, progress=None):
    model, data = caches.cached_model(model_text), caches.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    res = lg.nucleotide_logits(model, inp, mode=mode, rc=rc, name="" if source == "region" else source,
                               progress=progress)
    return res, lg.position_table(res, data if source == "region" else None)


@st.cache_data(max_entries=8, show_spinner="Mutating every position (3 per base)…")
def compute_dependency(model_text, genome_key, source, payload):
    model, data = caches.cached_model(model_text), caches.current_data()
    inp = lg.region_window(data.genome, payload, model) if source == "region" else payload
    return dependency.dependency_map(model, inp, name=source)


def cost_agreed(model_text, genome_key, source, payload, mode, rc) -> bool:
    """Whether the Run may compute now: already computed, short, or agreed to after its measured estimate."""
    key = (model_text, genome_key, source, payload, mode, rc)

    def cost_of():
        model, data = caches.cached_model(model_text), caches.current_data()
        inp = lg.region_window(data.genome, payload, model) if source == "region" else clean_sequence(payload)
        seq, offset, n = (inp.seq, inp.offset, inp.region.length) if source == "region" else (inp, 0, len(inp))
        return gc.logits_cost(model, seq, offset, n, mode=lg.resolve_mode(model, mode), rc=rc)

    return costs.gate("logits_cache", key, cost_of, key="logits_cost_go")


def results(model_text, genome_key, source, payload, mode, rc):
    key = (model_text, genome_key, source, payload, mode, rc)
    return session_cached("logits_cache", key, lambda progress: compute(*key, progress=progress),
                          message="Computing predictions…")


def notes(res):
    st.caption(f"{res.label} · {res.model} · {res.mode_label} · {res.length} bp"
               + (f" · context {res.flank} bp each side" if res.flank else ""))
    if res.note:
        st.info(res.note)
    if res.approximate:
        st.warning("Unmasked reconstruction: the model sees the base it predicts, so P(ref) is inflated. "
                   "Use exact masked marginals for scores.")


def metrics(table):
    c1, c2, c3 = st.columns(3)
    c1.metric("Mean log-likelihood", f"{lg.mean_bits_per_base(table['log_p_ref']):.3f} bits/base")
    c2.metric("Mean P(ref)", f"{table['p_ref'].mean():.3f}")
    c3.metric("Top base ≠ ref", f"{table['model_disagrees'].mean():.1%}")


def tracks(res, table, data, logo):
    """The logo / P(ref) / entropy tracks, their table and download; returns the clicked positions."""
    chart = st.plotly_chart(logits_tracks(res, data=data if res.chrom else None, logo=logo),
                            key="logits_tracks_chart", on_select="rerun", selection_mode="points")
    st.download_button("Download table (CSV)", table.to_csv(index=False), f"logits_{res.label}.csv",
                       "text/csv", key="logits_download")
    st.dataframe(table, hide_index=True, height=260)
    return [pt["x"] for pt in (chart.selection.points if chart else []) if "x" in pt]


def to_variants(res, picked):
    """Hand a position of a genome region to the variant page."""
    pos = st.number_input("Position to hand to the variant page (click a bar to pick)", res.start + 1,
                          res.start + res.length, int(picked[0]) if picked else res.start + 1)
    if st.button("Score variants at this position →", key="logits_to_variants"):
        navigation.handoff_region(f"{res.chrom}:{pos}-{pos}", "pages/variants.py")


def dependency_map(run: pp.Run, res, source):
    with st.expander(f"Nucleotide dependency map (≤ {dependency.MAX_DEPENDENCY_BP} bp)"):
        st.caption("d(i, j) = max over the 3 substitutions at query i of max_b |Δ log-odds p_j(b)| "
                   "(Tomaz da Silva et al. 2024); predictions from one unmasked forward per mutant.")
        lo, hi = st.slider("Sub-region (1-based)", int(res.positions[0]), int(res.positions[-1]),
                           (int(res.positions[0]), int(min(res.positions[-1], res.positions[0] + 99))),
                           key="logits_dep_range")
        if st.button("Compute dependency map", key="logits_dep_go"):
            if hi - lo + 1 > dependency.MAX_DEPENDENCY_BP:
                raise InputTooLargeError(f"Pick at most {dependency.MAX_DEPENDENCY_BP} bp (you picked {hi - lo + 1}).")
            st.session_state["logits_dep"] = (run, f"{res.chrom}:{lo}-{hi}" if res.chrom else res.seq[lo - 1:hi])
        if st.session_state.get("logits_dep", (None,))[0] == run:
            dep = compute_dependency(run.model, run.genome, source, st.session_state["logits_dep"][1])
            st.plotly_chart(dependency_heatmap(dep), key="logits_dep_chart")


def mlm_vs_clm(run: pp.Run, source, payload):
    p = run.params
    with st.expander("MLM vs CLM on the same input (both built-in models)"):
        if st.button("Compare MLM and CLM", key="logits_compare"):
            st.session_state["logits_compare_for"] = run
        if st.session_state.get("logits_compare_for") == run:
            both = {k.upper(): results(f"default-{k}", run.genome, source, payload,
                                       "exact" if k == "mlm" else "next", p.rc)[0] for k in ("mlm", "clm")}
            st.plotly_chart(logits_comparison(both, logo=p.logo), key="logits_compare_chart")
            st.caption("The MLM sees both sides of each base; the CLM only the left, so it is least sure "
                       "at the start of motifs and sharpens once the motif has begun.")


def show_result(run: pp.Run, data):
    """Everything under the form for a Run (``run.extra`` is its checked (source, payload))."""
    p, (source, payload) = run.params, run.extra
    if not cost_agreed(run.model, run.genome, source, payload, p.mode, p.rc):
        return
    res, table = results(run.model, run.genome, source, payload, p.mode, p.rc)
    notes(res)
    metrics(table)
    picked = tracks(res, table, data, p.logo)
    features_views.logits_overlay(res)  # opt-in (a checkbox): nothing is computed by default
    if res.chrom:
        to_variants(res, picked)
    if res.length < 2:  # a 1-bp input has no pairs (and a slider needs min < max)
        st.caption("The nucleotide dependency map needs at least 2 positions.")
    else:
        dependency_map(run, res, source)
    mlm_vs_clm(run, source, payload)


# ---------------------------------------------------------------------------------------------
# Stored genome-wide track (python -m glm_explore track): read from its bigWigs, never recomputed
# ---------------------------------------------------------------------------------------------

TRACK_ROOTS_ENV = "GLM_EXPLORE_TRACKS"  # folders searched for track folders (os.pathsep-separated); default tracks/


def _computed_now(run: pp.Run | None, region_text: str, settings: dict):
    """The page's own table for the same region, model, mode and strands as the stored track (else None)."""
    if run is None or run.extra != ("region", region_text) or run.params.mode != settings.get("mode") \
            or run.params.rc != settings.get("rc") or run.model != settings.get("model"):
        return None
    from glm_explore.track import track_values

    res, table = results(run.model, run.genome, "region", region_text, run.params.mode, run.params.rc)
    values = track_values(res.log_probs, res.seq)  # the log-probabilities themselves, not the table's p
    return table[["pos"]].assign(**values)


def stored_track(region_text: str, data, model, run: pp.Run | None = None):
    """A stored track's P(ref) / entropy / min LLR over the region of the form (auto-detected under
    ``$GLM_EXPLORE_TRACKS`` or ``tracks/``, or the folder typed here)."""
    import os

    import numpy as np

    from glm_explore import track as tk
    from glm_explore.io.genome import parse_region
    from glm_explore.plots.track import stored_track_figure

    found = tk.find_tracks(os.environ.get(TRACK_ROOTS_ENV, "tracks").split(os.pathsep), genome_name=data.genome.name)
    with st.expander("Stored genome-wide track", expanded=bool(found or st.session_state.get("logits_track_dir"))):
        st.caption("Values written by `python -m glm_explore track … --out DIR` (bigWigs), read for this region, "
                   "not recomputed. Folders under `tracks/` (or `$GLM_EXPLORE_TRACKS`) are found automatically.")
        typed = st.text_input("Stored track directory", key="logits_track_dir",
                              placeholder=str(found[0]) if found else "tracks/my-track")
        folder = typed.strip() or (str(found[0]) if found else "")
        if not folder:
            st.caption("No stored track for this genome yet.")
            return
        settings = tk.ChunkStore(folder).settings()
        if settings is None:
            raise tk.TrackError(f"{folder} holds no track.json: give a folder written by `python -m glm_explore track`.")
        region = data.genome.check_region(parse_region(region_text))
        table = tk.read_track(folder, region.chrom, region.start, region.end)
        if settings.get("genome") != data.genome.name:
            st.warning(f"This track was made on {settings.get('genome')}, not on the loaded {data.genome.name}.")
        st.caption(f"{folder}: {settings.get('model')} · {settings.get('mode_label')} · {region}"
                   + ("" if settings.get("model") == model.info.name else
                      f" (the sidebar's model is {model.info.name})"))
        if not np.isfinite(table["p_ref"].to_numpy()).any():
            st.info(f"The stored track has no values in {region} (outside its regions, or N).")
            return
        computed = _computed_now(run, region_text, settings)
        if computed is not None:
            diff = np.nanmax(np.abs(computed["p_ref"].to_numpy() - table["p_ref"].to_numpy()))
            st.metric("Max |stored − computed| P(ref)", f"{diff:.1e}")
        st.plotly_chart(stored_track_figure(table, computed=computed), key="logits_track_chart")
