"""The learned-features page's results: the shipped or computed dictionary, its headline against the controls,
the sortable feature table, concept-first search (region class / JASPAR motif / landmark → the features that track
it, beside the k-mer baseline), and one feature's card (logo, class enrichment, landmark profile, top genome sites
with a hand-off to the logits page, its activation track over a region)."""

from __future__ import annotations

import streamlit as st

from dashboard import caches, costs, navigation
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore import cost as gc
from glm_explore.features import FeatureSettings, build_dictionary
from glm_explore.features.dictionary import shipped_dictionary
from glm_explore.features.query import (
    CONCEPT_KINDS,
    activation_track,
    concept_choices,
    concept_search,
    feature_label,
    region_track,
)
from glm_explore.plots.features import (
    concept_chart,
    enrichment_chart,
    feature_track,
    headline_chart,
    landmark_profile,
    pfm_logo,
)
from glm_explore.region_windows import region_string
from glm_explore.results.features import FeatureDictionary, FeatureTrack

DICTIONARIES = {"block1": "block 1 convolution channels", "block2": "block 2 convolution channels",
                "sae": "TopK SAE on the last layer"}
SETTINGS = {"block1": FeatureSettings(source="channels", layer=1), "block2": FeatureSettings(source="channels", layer=2),
            "sae": FeatureSettings(source="sae", layer=-1)}
TABLE_COLUMNS = ["feature", "best_name", "best_q", "best_class", "odds_ratio", "ci_low", "ci_high", "class_q",
                 "best_landmark", "landmark_z", "auroc", "kmer_auroc", "fimo_fraction", "rank_random", "rank_shuffled",
                 "beats_both", "n_sites"]
TRACK_FLANK = 100  # bases of context read each side of a track's region (then cut off)


@st.cache_resource(max_entries=6, show_spinner="Reading the precomputed dictionary…")
def _shipped(model_key: str, genome: str, which: str, fingerprint: str) -> FeatureDictionary | None:
    return shipped_dictionary(model_key, genome, SETTINGS[which], fingerprint)


def shipped(model, which: str) -> FeatureDictionary | None:
    """The shipped dictionary for the current built-in model (exact weights) and bundled genome, else None."""
    from glm_explore.io.datasets import DATASETS, DEFAULT_DATASET
    from glm_explore.models.builtin import BUILTIN_MODELS
    from glm_explore.models.fingerprint import tensors_fingerprint

    text, genome = caches.current_model_text(), caches.picked(caches.GENOME_STATE, DEFAULT_DATASET)
    if text not in BUILTIN_MODELS or genome not in DATASETS:
        return None
    return _shipped(text, genome, which, tensors_fingerprint(model))


def computed(run: pp.Run, model, data) -> FeatureDictionary | None:
    """A dictionary computed in this session (minutes), under a progress bar; None while the run waits for
    *Run anyway* after its measured cost."""
    if not costs.gate("features_results", run, lambda: gc.features_cost(model, data, SETTINGS[run.params.which]),
                      key="features_cost_go"):
        return None
    return session_cached("features_results", run, lambda progress: build_dictionary(
        model, data, SETTINGS[run.params.which], progress=progress), message="Building the feature dictionary…",
        max_entries=2)


def show_headline(fd: FeatureDictionary) -> None:
    b = fd.headline["beats_both"]
    named = fd.headline["named"]
    c = st.columns(4)
    c[0].metric("Features beating both controls", f"{b['k']} / {b['n']}",
                help=f"95 % CI {b['ci_low']:.1%}–{b['ci_high']:.1%} (Clopper–Pearson)")
    for col, run in zip(c[1:], ("trained", "random weights", "shuffled sequences")):
        if run in named:
            col.metric(f"Named, {run}", f"{named[run]['k']} / {named[run]['n']}",
                       help=f"TOMTOM q < {fd.headline['q']}; 95 % CI {named[run]['ci_low']:.1%}–"
                            f"{named[run]['ci_high']:.1%}")
    st.caption(f"{fd.source} of {fd.model} on {fd.genome}. Motifs recovered by features beating both controls: "
               f"{', '.join(fd.recovered()) or 'none'}. " + " ".join(fd.notes))
    st.plotly_chart(headline_chart(fd), key="features_headline")


def show_table(fd: FeatureDictionary) -> None:
    t = fd.table[[c for c in TABLE_COLUMNS if c in fd.table.columns]]
    only = st.toggle("Only features that beat both controls", key="features_only_beats")
    st.dataframe(t[t["beats_both"]] if only else t, hide_index=True, key="features_table", height=320,
                 column_config={"best_q": st.column_config.NumberColumn("TOMTOM q", format="%.2g"),
                                "class_q": st.column_config.NumberColumn("class q", format="%.2g"),
                                "best_name": "JASPAR match", "best_class": "class",
                                "odds_ratio": st.column_config.NumberColumn("OR", format="%.2f"),
                                "fimo_fraction": st.column_config.NumberColumn(
                                    "in FIMO hit", format="%.2f",
                                    help="Fraction of the feature's top sites inside a JASPAR FIMO hit (p ≤ 1e-4)")})
    if "fimo_background" in fd.headline:
        st.caption(f"**in FIMO hit**: fraction of a feature's top sites whose position lies inside a FIMO hit "
                   f"(p ≤ 1e-4, both strands) of any JASPAR {fd.settings.get('tax', 'fungi')} motif; chance level "
                   f"(all centre positions of the training windows): {fd.headline['fimo_background']:.2f}.")


def show_card(fd: FeatureDictionary, feature: int) -> None:
    row = fd.table.iloc[feature]
    verdict = "beats both controls" if row["beats_both"] else "does not beat both controls"
    st.subheader(f"Feature {feature}: {row['best_name']} (q = {row['best_q']:.2g}) — {verdict}")
    if "kmer_auroc" in row:
        st.caption(f"Held-out AUROC for {row['best_class']}: feature {row['auroc']:.3f} vs the k-mer logistic "
                   f"baseline {row['kmer_auroc']:.3f} (sequence composition alone).")
    st.caption(f"{int(row['n_sites'])} sites; TOMTOM matches: {row['matches']}. Control rank (empirical p among the "
               f"control's features): random weights {row['rank_random']:.2g}, shuffled {row['rank_shuffled']:.2g}.")
    c1, c2 = st.columns(2)
    c1.plotly_chart(pfm_logo(fd.trained.pfms[feature], title="PFM of the top sites (bits)"), key="features_logo")
    c2.markdown("**Enrichment by region class** (held-out windows)")
    c2.plotly_chart(enrichment_chart(fd.feature_enrichment(feature)), key="features_enrichment")
    prof = fd.profile(feature)
    if len(prof):
        st.markdown("**Landmark profile**")
        st.plotly_chart(landmark_profile(prof), key="features_landmarks")
    show_sites(fd, feature)


def show_sites(fd: FeatureDictionary, feature: int) -> None:
    sites = fd.feature_sites(feature)
    st.markdown("**Top genome sites** (training chromosomes)")
    for r in sites.head(5).itertuples():
        region = region_string(r.chrom, int(r.start), int(r.end))
        c1, c2 = st.columns([3, 1])
        c1.markdown(f"`{region}` · activation {r.activation:.3g} · `{r.sequence}`")
        wide = region_string(r.chrom, max(0, int(r.start) - 45), int(r.end) + 45)
        if c2.button("Open in logits", key=f"features_site_{feature}_{r.rank}"):
            navigation.handoff_region(wide, "pages/logits.py")


def dictionary_key(fd: FeatureDictionary) -> tuple:
    """What identifies a dictionary in result keys."""
    return fd.model, fd.genome, fd.source, fd.fingerprint, fd.settings.get("per_class")


def show_concept_search(model, data, fd: FeatureDictionary) -> None:
    """Concept-first search: a region class, a JASPAR motif (named in the dictionary, or any id / name) or a
    landmark → the features with the highest held-out AUROC for it, beside the k-mer baseline's AUROC."""
    st.subheader("Search by concept")
    st.caption("Pick a concept; every feature is scored on held-out windows (region class: mean activation over the "
               "window's centre; motif: windows with a FIMO hit vs without, max activation; landmark: windows centred "
               "on it vs region-class windows, max within ±span). The dashed line is the **k-mer logistic baseline**'s "
               "AUROC for the same concept on the same windows: a feature tracks the concept beyond composition only "
               "above it.")
    choices = concept_choices(fd)
    c1, c2, c3 = st.columns([1, 2, 1])
    kind = c1.radio("Concept kind", CONCEPT_KINDS, key="features_concept_kind")
    options = choices[kind]
    concept = c2.selectbox("Concept", options, key=f"features_concept_{kind.replace(' ', '_')}") if options else None
    if kind == "motif":
        other = c2.text_input("…or any JASPAR matrix id or TF name", key="features_concept_other",
                              placeholder="e.g. MA0363.3 or REB1").strip()
        concept = other or concept
    if c3.button("Search features", type="primary", key="features_concept_go"):
        if not concept:
            st.error("Pick a concept first.")
            return
        st.session_state["features_concept_for"] = (dictionary_key(fd), kind, concept)
    asked = st.session_state.get("features_concept_for")
    if not asked or asked[0] != dictionary_key(fd):
        return
    _, kind, concept = asked
    hits = session_cached("features_concept_results", (caches.genome_key(), *asked),
                          lambda _p: concept_search(model, data, fd, kind, concept),
                          message=f"Scoring every feature for {concept}…", max_entries=6)
    a = hits.attrs
    st.markdown(f"**{kind}: {a['concept']}** — {int(hits['n_pos'].iloc[0])} positive and "
                f"{int(hits['n_neg'].iloc[0])} negative held-out windows; k-mer baseline AUROC "
                f"**{a['kmer_auroc']:.3f}**; {int(hits['beats_kmer'].sum())} of the top {len(hits)} features beat it.")
    st.plotly_chart(concept_chart(hits), key="features_concept_chart")
    st.dataframe(hits, hide_index=True, key="features_concept_table", height=260,
                 column_config={"q": st.column_config.NumberColumn("TOMTOM q", format="%.2g"),
                                "auroc": st.column_config.NumberColumn("AUROC", format="%.3f"),
                                "kmer_auroc": st.column_config.NumberColumn("k-mer AUROC", format="%.3f"),
                                "delta": st.column_config.NumberColumn("Δ vs k-mer", format="%+.3f")})


def default_track_region(fd: FeatureDictionary, feature: int) -> str:
    """The feature's strongest site widened to ~100 bp, else the first 200 bp of the first site's chromosome."""
    sites = fd.feature_sites(feature)
    if len(sites):
        r = sites.iloc[0]
        mid = (int(r["start"]) + int(r["end"])) // 2
        return region_string(str(r["chrom"]), max(0, mid - 50), mid + 50)
    return region_string(str(fd.sites["chrom"].iloc[0]), 1000, 1200) if len(fd.sites) else ""


def show_track(model, data, fd: FeatureDictionary, feature: int) -> None:
    """One feature's activation at every base of a region of the loaded genome (≤ 2 kb)."""
    st.markdown("**Activation track** over a region")
    key = "features_track_region"
    if st.session_state.get("_features_track_feature") != feature:  # a new feature: start on its top site
        st.session_state[key] = default_track_region(fd, feature)
        st.session_state["_features_track_feature"] = feature
    c1, c2 = st.columns([3, 1])
    region = c1.text_input("Region (1-based chrom:start-end, ≤ 2 kb)", key=key)
    if c2.button("Draw activation track", key="features_track_go"):
        st.session_state["features_track_for"] = (dictionary_key(fd), feature, region.strip())
    asked = st.session_state.get("features_track_for")
    if asked and asked[:2] == (dictionary_key(fd), feature):
        track = region_track(model, data.genome, fd, asked[2], feature, flank=TRACK_FLANK)
        st.plotly_chart(feature_track(track), key="features_track_chart")
        st.caption(f"{feature_label(fd, feature)}: max {track.values.max():.3g} at "
                   f"{track.chrom}:{int(track.positions[track.values.argmax()])}; read with {TRACK_FLANK} bp of "
                   "context each side.")


def logits_overlay(res) -> None:
    """On the logits page, under the tracks: an opt-in track of one learned feature's activation along the same
    input (a region, or a pasted / uploaded sequence) from a shipped dictionary of the current model."""
    if not st.checkbox("Overlay a learned feature", key="logits_feature_overlay",
                       help="Adds a track of one feature of a learned-features dictionary (see the Learned features "
                            "page) along this input."):
        return
    model, data = caches.current_model(), caches.current_data()
    avail = {w: fd for w in DICTIONARIES if (fd := shipped(model, w)) is not None}
    if not avail:
        st.info("No learned-features dictionary ships for this model and genome; see the Learned features page.")
        return
    c1, c2 = st.columns(2)
    which = c1.selectbox("Dictionary", list(avail), format_func=DICTIONARIES.get, key="logits_feature_dict")
    fd = avail[which]
    stars = [int(f) for f in fd.table.loc[fd.table["beats_both"], "feature"]] if "beats_both" in fd.table else []
    feature = c2.selectbox("Feature", list(range(fd.n_features)), index=stars[0] if stars else 0,
                           format_func=lambda f: feature_label(fd, f), key=f"logits_feature_pick_{which}")
    if res.chrom:
        track = region_track(model, data.genome, fd, region_string(res.chrom, res.start, res.start + res.length),
                             feature, flank=TRACK_FLANK)
    else:
        track = FeatureTrack(feature=feature, label=feature_label(fd, feature), chrom="sequence", start=0,
                             values=activation_track(model, fd, res.seq, feature), source=fd.source)
    st.plotly_chart(feature_track(track, height=170), key="logits_feature_chart")
