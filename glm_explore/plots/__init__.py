"""Plotly figures from results: each function takes one result or table and returns a Figure; no
model calls here (like ``scanpy.pl``: the tools compute, these draw).

One module per domain, each saying which tool feeds it:

* :mod:`.genome` — bases per region class (``GenomeData.class_counts``)
* :mod:`.logits` — logo / P(ref) / entropy tracks, model comparison, dependency map (:mod:`glm_explore.logits`)
* :mod:`.embeddings` — window projections, probe confusion, layer sweep (:mod:`glm_explore.embed`, :mod:`~glm_explore.reduce`)
* :mod:`.variants` — score histograms, synonymy, ref vs alt tracks (:mod:`glm_explore.variants`)
* :mod:`.attribution` — attribution / ISM / FIMO / annotation tracks (:mod:`glm_explore.attribution`)
* :mod:`.motifs` — seqlet vs JASPAR logos, seqlet and FIMO-hit boxes (:mod:`glm_explore.motifs`)
* :mod:`.compare` — two models' variant scores (:mod:`glm_explore.compare`)
* :mod:`.report` — per-class margins, motif profiles, LLR by effect (:mod:`glm_explore.report`)
* :mod:`.generate` — sample log-probs, genome-likeness charts (:mod:`glm_explore.generate`, :mod:`~glm_explore.genome_likeness`)
* :mod:`.design` — design trajectory (:mod:`glm_explore.design`)
* :mod:`.annotate` — annotation lanes, per-class scores (:mod:`glm_explore.annotate`)
* :mod:`.attention` — attention heatmap, top partners (:mod:`glm_explore.attention`)
* :mod:`.context_curve` — bits vs visible context, banded dependency map (:mod:`glm_explore.context_curve`, :mod:`~glm_explore.dependency`)
* :mod:`.common` — colours, logo letters, annotation lanes (shared)

Coordinates on every x axis are 1-based, as users see them.
"""

from .annotate import annotation_lanes, class_score_chart
from .attention import attention_heatmap, partners_chart
from .attribution import attribution_tracks
from .compare import score_scatter
from .context_curve import banded_dependency_heatmap, context_curve_chart
from .design import design_trajectory
from .embeddings import confusion_heatmap, embedding_scatter, layer_sweep_plot
from .generate import divergence_chart, measures_chart, projection_chart, sample_log_prob_chart
from .genome import class_counts_bar
from .logits import dependency_heatmap, logits_comparison, logits_tracks
from .motifs import motif_pair_logos
from .variants import synonymy_comparison, variant_score_histogram, variant_tracks

__all__ = [
    "annotation_lanes", "attention_heatmap", "attribution_tracks", "banded_dependency_heatmap", "class_counts_bar", "class_score_chart",
    "context_curve_chart", "confusion_heatmap", "dependency_heatmap", "design_trajectory",
    "divergence_chart", "embedding_scatter", "layer_sweep_plot", "logits_comparison", "logits_tracks",
    "measures_chart", "motif_pair_logos", "partners_chart", "projection_chart", "sample_log_prob_chart", "score_scatter",
    "synonymy_comparison", "variant_score_histogram", "variant_tracks",
]
