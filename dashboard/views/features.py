"""The learned-features page's results: the shipped or computed dictionary, its headline against the controls,
the sortable feature table and one feature's card (logo, class enrichment, landmark profile, top genome sites
with a hand-off to the logits page)."""

from __future__ import annotations

import streamlit as st

from dashboard import caches, navigation
from dashboard import params as pp
from dashboard.results_cache import session_cached
from glm_explore.features import FeatureSettings, build_dictionary
from glm_explore.features.dictionary import shipped_dictionary
from glm_explore.plots.features import enrichment_chart, headline_chart, landmark_profile, pfm_logo
from glm_explore.region_windows import region_string
from glm_explore.results.features import FeatureDictionary

DICTIONARIES = {"block1": "block 1 convolution channels", "block2": "block 2 convolution channels",
                "sae": "TopK SAE on the last layer"}
SETTINGS = {"block1": FeatureSettings(source="channels", layer=1), "block2": FeatureSettings(source="channels", layer=2),
            "sae": FeatureSettings(source="sae", layer=-1)}
TABLE_COLUMNS = ["feature", "best_name", "best_q", "best_class", "odds_ratio", "ci_low", "ci_high", "class_q",
                 "best_landmark", "landmark_z", "auroc", "kmer_auroc", "rank_random", "rank_shuffled", "beats_both", "n_sites"]


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


def computed(run: pp.Run, model, data) -> FeatureDictionary:
    """A dictionary computed in this session (minutes), under a progress bar."""
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
                                "odds_ratio": st.column_config.NumberColumn("OR", format="%.2f")})


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
