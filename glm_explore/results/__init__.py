"""Small frozen result objects passed from compute functions to plots (see DESIGN.md).

Each carries its arrays plus what produced them (model, region, parameters). Coordinates inside are
0-based; ``positions`` give the 1-based coordinates users see. One module per domain:

* :mod:`.coordinates` — :class:`OnSequence`, the coordinates shared by results over one sequence
* :mod:`.logits` — :class:`PositionLogits`, :class:`DependencyMap`, :class:`BandedDependencyMap`, and the array
  rules on (4, L) log-probabilities (``log_odds``, ``entropy_bits``, ``logo_heights``, …)
* :mod:`.attention` — :class:`AttentionMaps`
* :mod:`.annotate` — :class:`AnnotationSplit`, :class:`AnnotationFit`, :class:`RegionPrediction`
* :mod:`.design` — :class:`DesignResult`, :class:`Edit`
* :mod:`.generate` — :class:`Sample`, :class:`Likeness`
* :mod:`.context_curve` — :class:`ContextCurve`
* :mod:`.patterns` — :class:`Pattern`, :class:`PatternReport`
* :mod:`.embeddings` — :class:`Embeddings`, :class:`Projection`, :class:`Separation`,
  :class:`LinearProbe`, :class:`WindowSet`
* :mod:`.attribution` — :class:`Attributions`, :class:`ISMResult`, :class:`SeqletReport`
* :mod:`.indels` — :class:`IndelView`, :class:`LengthBias`
* :mod:`.variants` — :class:`Variant`, :class:`EmbeddingShift`, :class:`VariantTracks`, :class:`GroupComparison`,
  :class:`VcfSummary`

Import them from here: ``from glm_explore.results import PositionLogits``.
"""

from .annotate import AnnotationFit, AnnotationSplit, RegionPrediction
from .attention import AttentionMaps
from .attribution import Attributions, ISMResult, SeqletReport
from .context_curve import ContextCurve
from .coordinates import OnSequence
from .design import DesignResult, Edit
from .embeddings import Embeddings, LinearProbe, Projection, Separation, WindowSet
from .generate import Likeness, Sample
from .indels import IndelView, LengthBias
from .logits import BandedDependencyMap, DependencyMap, PositionLogits
from .patterns import Pattern, PatternReport
from .variants import EmbeddingShift, GroupComparison, Variant, VariantTracks, VcfSummary

__all__ = [
    "AnnotationFit", "AnnotationSplit", "AttentionMaps", "Attributions", "BandedDependencyMap", "ContextCurve",
    "DependencyMap", "DesignResult", "Edit", "EmbeddingShift", "Embeddings", "GroupComparison", "ISMResult",
    "IndelView", "LengthBias", "Likeness", "LinearProbe", "OnSequence", "Pattern", "PatternReport",
    "PositionLogits", "Projection", "RegionPrediction", "Sample", "Separation", "SeqletReport", "Variant",
    "VariantTracks", "VcfSummary", "WindowSet",
]
