"""The annotation page's results: the fitted heads of a Run, and a region annotated by them."""

from __future__ import annotations

import streamlit as st

from dashboard import costs
from dashboard.results_cache import session_cached
from glm_explore import annotate as an
from glm_explore import cost_apply as ca
from glm_explore.plots.annotate import annotation_lanes, class_score_chart
from glm_explore.plots.embeddings import confusion_heatmap


def fitted(run, model, data) -> an.AnnotationFit | None:
    """The model head and the k-mer head of a Run, trained and scored once per session (progress bar); None while
    a long Run waits for *Run anyway* (its measured cost in tiles, the region's included, shown)."""
    p = run.params
    settings = an.AnnotateSettings(head=p.head, windows_per_class=p.windows_per_class,
                                   bases_per_class=p.bases_per_class, kmer_k=p.kmer_k, prior=p.prior, seed=p.seed,
                                   heldout_windows_per_class=p.heldout_per_class or None)
    if not costs.gate("annotate_fits", run, lambda: ca.annotate_cost(model, data, settings, region=p.region),
                      key="annotate_cost_go"):
        return None
    return session_cached("annotate_fits", run,
                          lambda progress: an.fit_annotator(model, data, settings, progress=progress),
                          message="Training the heads on frozen states…", max_entries=2)


def predicted(run, fit: an.AnnotationFit, model, data) -> tuple[an.RegionPrediction, an.RegionPrediction]:
    """The Run's region annotated by the model head and by the k-mer head (once per session)."""
    region, smooth = run.params.region, run.params.smooth

    def build(progress):
        progress(0.1, f"annotating {region}")
        return (an.annotate_region(fit.head, model, data, region, smooth=smooth),
                an.annotate_region(fit.baseline, None, data, region, smooth=smooth))

    return session_cached("annotate_regions", run, build, message="Annotating the region…", max_entries=4)


def show_scores(fit: an.AnnotationFit) -> None:
    """Held-out macro-F1 of both heads with CIs, the paired difference, per-class bars and the confusion matrix."""
    sc = fit.scores.set_index("features")
    m, k = sc.loc["model"], sc.loc["k-mer"]
    lo, hi = fit.diff_ci
    c1, c2, c3 = st.columns(3)
    c1.metric("Held-out macro-F1, model head", f"{m['macro_f1']:.3f}", f"95% CI {m['ci_lo']:.3f}–{m['ci_hi']:.3f}",
              delta_color="off")
    c2.metric("Held-out macro-F1, k-mer head", f"{k['macro_f1']:.3f}", f"95% CI {k['ci_lo']:.3f}–{k['ci_hi']:.3f}",
              delta_color="off")
    c3.metric("Model − k-mer", f"{m['macro_f1'] - k['macro_f1']:+.3f}", f"paired 95% CI {lo:+.3f} to {hi:+.3f}",
              delta_color="normal" if lo > 0 or hi < 0 else "off")
    st.caption(f"{fit.split.note} Scored: {int(m['n_bases']):,} held-out bases in {int(m['n_tiles'])} tiles; the CIs "
               "resample tiles. " + " ".join(fit.notes))
    c1, c2 = st.columns([3, 2])
    c1.plotly_chart(class_score_chart(fit), width="stretch", key="annotate_f1_chart")
    c2.plotly_chart(confusion_heatmap(fit.confusion["model"], title="Model head confusion (held-out bases)"),
                    width="stretch", key="annotate_confusion")
    st.dataframe(fit.metrics, hide_index=True, width="stretch", key="annotate_metrics")


def show_region(pred: an.RegionPrediction, base: an.RegionPrediction, data) -> None:
    """Annotation lanes (true, model head, k-mer head) with per-class probabilities; BED / GFF3 downloads."""
    st.subheader(f"{pred.region}: predicted classes under the annotation")
    st.plotly_chart(annotation_lanes(pred, data=data, baseline=base), width="stretch", key="annotate_lanes")
    segs = an.predicted_segments(pred)
    c1, c2 = st.columns(2)
    c1.download_button("Download predicted segments (BED)", an.segments_bed(segs), file_name="predicted.bed",
                       mime="text/plain", key="annotate_bed")
    c2.download_button("Download predicted segments (GFF3)", an.segments_gff3(segs), file_name="predicted.gff3",
                       mime="text/plain", key="annotate_gff3")
    st.caption(f"{len(segs):,} predicted segments (runs of one most-probable class). BED starts are 0-based (the "
               "format's rule), GFF3 is 1-based inclusive. " + pred.note)
