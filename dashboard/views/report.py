"""The model report page's results: the shipped or cached report, and one drawing function per section."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import caches, costs, navigation
from dashboard.results_cache import session_cached
from dashboard.views.score_methods import which_score
from glm_explore import cost_defaults as cd
from glm_explore import report as rp
from glm_explore.evaluate import learning_curve
from glm_explore.io.datasets import DATASETS
from glm_explore.models.builtin import BUILTIN_MODELS, WEIGHTS_DIR
from glm_explore.models.fingerprint import tensors_fingerprint
from glm_explore.plots.report import class_margin_chart, learning_curve_chart, llr_by_effect_chart, motif_profile_chart

PAGES = {"Nucleotide logits": "pages/logits.py", "Attribution & motifs": "pages/attribution.py"}


def fingerprint() -> str:
    """The current model's weights hash, independent of where they were loaded from (as stored in a report)."""
    return tensors_fingerprint(caches.current_model())


def shipped(genome: str) -> rp.ModelReport | None:
    """The report shipped with the project for the current built-in model on bundled ``genome`` (exact weights)."""
    text = caches.current_model_text()
    if text not in BUILTIN_MODELS or genome not in DATASETS:
        return None
    return rp.shipped_report(text, genome, fingerprint())


def cache_dir() -> Path:
    """Reports computed on this machine, kept across sessions: ``$GLM_EXPLORE_CACHE/reports`` (default
    ``~/.cache/glm-explore``)."""
    root = Path(os.environ.get("GLM_EXPLORE_CACHE") or Path.home() / ".cache" / "glm-explore")
    return root / "reports"


def _cache_path(settings: rp.ReportSettings, genome: str) -> Path:
    key = json.dumps([caches.disk_cache_model_key(), fingerprint(), caches.genome_key(), genome, asdict(settings)],
                     sort_keys=True, default=str)
    return cache_dir() / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.json"


SCALE_ABOVE = cd.SCALE_ABOVE  # parameters: bigger models get sizes measured to finish in about a minute
BUDGET_SECONDS = cd.BUDGET_SECONDS


@st.cache_resource(show_spinner="Timing this model on a few windows and SNVs to pick sizes that fit…", max_entries=8)
def default_sizes(model_key: str, data_key: str, _model, _data) -> tuple[dict[str, int], str]:
    """``(sizes, note)``: the page's default ``windows_per_class``, ``snvs_per_class`` and ``embed_cap``
    (:func:`glm_explore.cost_defaults.report_sizes` with this module's :data:`SCALE_ABOVE` and
    :data:`BUDGET_SECONDS`; the sliders' step of 10 applied to SNVs and probe windows), once per model and
    genome."""
    sizes, note = cd.report_sizes(_model, _data, budget=BUDGET_SECONDS, scale_above=SCALE_ABOVE)
    for k in ("snvs_per_class", "embed_cap"):
        sizes[k] = max(cd.REPORT_LOWS[k], sizes[k] // 10 * 10)
    return sizes, note


def computed(run, settings: rp.ReportSettings, model, data, others: dict, genome: str) -> rp.ModelReport | None:
    """The report of a Run: the shipped one when it has these exact weights and sizes, else from the disk cache
    when this model + genome + settings were done before, else computed under a progress bar and saved there —
    after its measured estimate when that is long (None while it waits for *Run anyway*)."""
    ship = shipped(genome)
    if ship is not None and ship.settings == {**asdict(settings), "sections": list(settings.sections)} and (
            set(others) <= set(ship.table("genomes").get("genome", []))):
        return ship  # the same sizes as the shipped report: nothing to compute
    path = _cache_path(settings, str(run.genome))
    if path.exists():
        try:
            return rp.ModelReport.load(path)
        except (ValueError, KeyError, OSError):
            path.unlink(missing_ok=True)  # a stale or broken cache entry is recomputed

    key = (run, path.name)
    if not costs.gate("report_results", key, lambda: cd.report_cost(model, data, settings, others=len(others)),
                      key="report_cost_go"):
        return None

    def build(progress):
        rep = rp.build_report(model, data, settings=settings, other_genomes=others, progress=progress,
                              fingerprint=fingerprint())
        try:
            rep.save(path)
        except OSError:
            pass  # a read-only home still shows the report
        return rep

    return session_cached("report_results", key, build, message="Computing the model report…",
                          max_entries=2)


def header(rep: rp.ModelReport) -> None:
    """Four headline numbers: held-out margin, synonymous-vs-missense AUROC, best motif bump, probe F1 vs k-mers."""
    c1, c2, c3, c4 = st.columns(4)
    classes = rep.table("classes")
    if not classes.empty:
        a = classes[classes["class"] == "all"].iloc[0]
        c1.metric("Held-out bits/base vs counts", f"{a['margin_bits']:+.3f}",
                  f"CI {a['ci_lo']:+.3f} to {a['ci_hi']:+.3f}", delta_color="off", delta_arrow="off",
                  help="model − fair count baseline, all classes; negative = the model predicts better")
    aurocs = rep.table("aurocs")
    if not aurocs.empty:
        row = aurocs.iloc[0]
        c2.metric(f"AUROC {row['pair']}", f"{row['auroc']:.2f}", f"CI {row['ci_lo']:.2f}–{row['ci_hi']:.2f}",
                  delta_color="off", delta_arrow="off", help="0.5 = the LLR cannot tell the two effect classes apart")
    ranking = rep.table("motif_ranking")
    if not ranking.empty:
        top = ranking.iloc[0]
        c3.metric("Best-learned motif", str(top["motif"]), f"bump {top['bump']:+.2f} P(ref)", delta_color="off",
                  delta_arrow="off", help="rise of the model's P(ref) inside the motif over its flanks, minus the "
                                          "count baseline's rise")
    emb = rep.table("embedding")
    if len(emb) >= 2:
        c4.metric("Probe macro-F1 (model vs k-mers)", f"{emb['probe macro-F1'].iat[0]:.3f}",
                  f"{emb['probe macro-F1'].iat[0] - emb['probe macro-F1'].iat[1]:+.3f} vs {emb['features'].iat[1]}",
                  delta_color="normal")


def _section(rep: rp.ModelReport, title: str, table: str, caption: str, empty: str = "Not computed in this report."
             ) -> pd.DataFrame | None:
    """A section's heading and caption; its table, or None (with a note) when the report lacks it."""
    st.subheader(title)
    t = rep.table(table)
    if t.empty:
        st.info(empty)
        return None
    st.caption(caption)
    return t


def classes_section(rep: rp.ModelReport) -> None:
    classes = _section(
        rep, "Where it knows more than k-mers", "classes",
        f"Held-out span: {rep.split['note']} Baseline: {rep.baseline} (order and smoothing chosen on a validation "
        "slice; never more context than the model's receptive field). Per-base class from the annotation. The 'all' "
        "row weights the sampled windows (classes about equally), not the genome's class mix — the model card has the "
        "genome-wide figure. A long-context count model memorises DNA repeated across chromosomes (Ty elements, tRNA "
        "genes, paralogs): compare 'windows_model_better' with n_windows.")
    if classes is None:
        return
    st.plotly_chart(class_margin_chart(classes, baseline="count baseline"), key="report_classes_chart")
    st.dataframe(classes, hide_index=True, key="report_classes")
    genomes = rep.table("genomes")
    if len(genomes) > 1:
        st.markdown("**Per genome** — the same held-out totals: which genome is harder to model?")
        st.dataframe(genomes, hide_index=True, key="report_genomes")


def motifs_section(rep: rp.ModelReport) -> None:
    ranking = _section(rep, "Motif knowledge", "motif_ranking",
                       "JASPAR CORE motifs found by FIMO in held-out promoters; mean P(ref) over aligned instances "
                       "±20 bp. A learned motif shows a bump inside the motif that the count baseline lacks. Ranked "
                       "by that bump.", empty="No JASPAR motif instances in held-out promoters (or not computed).")
    if ranking is None:
        return
    profiles = rep.table("motif_profiles")
    st.dataframe(ranking, hide_index=True, key="report_motifs")
    shown = ranking[ranking["motif_id"].isin(set(profiles["motif_id"]))]
    labels = {r.motif_id: f"{r.motif} ({r.motif_id}, n={r.n})" for r in shown.itertuples()}
    pick = st.selectbox("Profile of", list(labels), format_func=labels.get, key="report_motif_pick")
    if pick:
        st.plotly_chart(motif_profile_chart(profiles, pick), key="report_motif_chart")


def variants_section(rep: rp.ModelReport) -> None:
    scores = _section(rep, "Variant-effect sanity", "variant_scores",
                      "Held-out SNVs made like the demo VCF (coding effects from clean CDSs with Biopython's codon "
                      "table). LLR = log P(alt) − log P(ref) (natural log): negative = the model finds the alt less "
                      "likely, i.e. predicts it more damaging. AUROC = P(LLR of the first class > LLR of the second).")
    if scores is None:
        return
    st.plotly_chart(llr_by_effect_chart(scores), key="report_llr_chart")
    left, right = st.columns(2)
    left.dataframe(rep.table("aurocs"), hide_index=True, key="report_aurocs")
    right.dataframe(rep.table("effect_summary"), hide_index=True, key="report_effects")


def which_score_section(model, data) -> None:
    """"Which score?": the variant-score methods ranked per class pair (AUROC with CI), best per pair in a sentence."""
    st.subheader("Which score?")
    which_score(model, data, key="report_methods")


def embedding_section(rep: rp.ModelReport) -> None:
    emb = _section(rep, "Embedding separation", "embedding",
                   "Region-class probe on held-out windows with the embed command's defaults (the Embedding "
                   "explorer's numbers): last layer, centre pooling, RC-averaged for MLMs, vs k-mer frequencies.")
    if emb is not None:
        st.dataframe(emb, hide_index=True, key="report_embedding")


def showcase_section(rep: rp.ModelReport) -> None:
    show = _section(rep, "Showcase regions", "showcase",
                    "Per class, the held-out windows where the model beats the count baseline most (gain = baseline "
                    "− model bits/base over the window's bases of that class).")
    if show is None:
        return
    st.dataframe(show, hide_index=True, key="report_showcase")
    c1, c2 = st.columns([3, 2])
    pick = c1.selectbox("Open a showcase window", list(show["region"]), key="report_showcase_pick",
                        format_func=lambda r: f"{r} ({show.set_index('region').at[r, 'class']})")
    page = c2.radio("on", list(PAGES), horizontal=True, key="report_showcase_page")
    if st.button("Open →", key="report_open"):
        navigation.handoff_region(pick, PAGES[page])


def downloads(rep: rp.ModelReport) -> None:
    st.download_button("Download the report (JSON)", rep.to_json(), "model_report.json", "application/json",
                       key="report_download")
    with st.expander("How this report was made"):
        st.json({"model": rep.model, "fingerprint": rep.fingerprint, "genome": rep.genome, "created": rep.created,
                 "baseline": rep.baseline, "split": rep.split, "settings": rep.settings, "seconds": rep.timings})


@st.cache_data(max_entries=4)
def builtin_learning_curve(key: str) -> pd.DataFrame:
    """Rows of :func:`glm_explore.evaluate.learning_curve` for a built-in model's shipped card (empty if none)."""
    card = WEIGHTS_DIR / BUILTIN_MODELS[key][0] / "card.json"
    return pd.DataFrame(learning_curve(json.loads(card.read_text()))) if card.exists() else pd.DataFrame()


def learning_section(rep: rp.ModelReport) -> None:
    """For a built-in model: held-out bits of each shipped version against accumulated training CPU-hours."""
    if rep.model not in BUILTIN_MODELS:
        return
    curve = builtin_learning_curve(rep.model)
    if curve.empty:
        return
    st.subheader("Learning curve of the default")
    st.caption("Held-out chrXVI bits/base of every shipped version of this built-in model (model card numbers) "
               "against the training CPU-hours accumulated so far; the dashed line is the fair count baseline on "
               "the same positions, error bars the margin's 95 % CI. A new default ships only when it beats the "
               "previous one with the paired CI excluding 0; the scaling curve of other sizes is in docs/scaling/.")
    st.plotly_chart(learning_curve_chart(curve), key="report_learning_curve")
    st.dataframe(curve, hide_index=True, key="report_learning_table")


def show_report(rep: rp.ModelReport, model=None, data=None) -> None:
    """Every section of ``rep``; with the loaded ``model`` and ``data`` also "Which score?" after the variants."""
    header(rep)
    classes_section(rep)
    motifs_section(rep)
    variants_section(rep)
    if model is not None and data is not None:
        which_score_section(model, data)
    embedding_section(rep)
    showcase_section(rep)
    learning_section(rep)
    downloads(rep)


def tour(genome: str) -> pd.DataFrame:
    """Stops of the journal-club tour from the shipped report (empty when none fits the current model / genome)."""
    rep = shipped(genome)
    return pd.DataFrame() if rep is None else rp.tour_stops(rep.table("showcase"))


def tour_section(genome: str) -> None:
    """Home: one stop per region class where the model beats k-mer counting most, each one click from the logits page."""
    stops = tour(genome)
    if stops.empty:
        return
    st.subheader("Journal-club tour")
    st.caption("Held-out windows chosen by measurement (Model report → Showcase): where this model predicts bases "
               "better than the count baseline. Open one on the logits page and look for:")
    for i, stop in enumerate(stops.itertuples()):
        c1, c2 = st.columns([5, 1])
        c1.markdown(f"**{stop._1}** · `{stop.region}` · {stop.gain_bits:+.2f} bits/base better than counts — "
                    f"{stop.look_for}")
        if c2.button("Open →", key=f"home_tour_{i}"):
            navigation.handoff_region(stop.region, PAGES["Nucleotide logits"])
