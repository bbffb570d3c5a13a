"""Small frozen result objects passed from compute functions to plots (see DESIGN.md).

Each carries its arrays plus what produced them (model, region, parameters). Coordinates inside are
0-based; ``positions`` give the 1-based coordinates users see. One module per domain:

* :mod:`.coordinates` — the coordinate mix-in shared by results over one sequence
* :mod:`.logits` — :class:`PositionLogits`, :class:`DependencyMap`
* :mod:`.embeddings` — :class:`Embeddings`, :class:`Projection`, :class:`Separation`,
  :class:`LinearProbe`, :class:`WindowSet`
* :mod:`.attribution` — :class:`Attributions`, :class:`ISMResult`, :class:`SeqletReport`
* :mod:`.indels` — :class:`IndelView`, :class:`LengthBias`
* :mod:`.variants` — :class:`Variant`, :class:`EmbeddingShift`, :class:`VariantTracks`, :class:`GroupComparison`,
  :class:`VcfSummary`

Import them from here: ``from glm_explore.results import PositionLogits``.
"""

from .attribution import Attributions, ISMResult, SeqletReport
from .embeddings import Embeddings, LinearProbe, Projection, Separation, WindowSet
from .indels import IndelView, LengthBias
from .logits import DependencyMap, PositionLogits
from .variants import EmbeddingShift, GroupComparison, Variant, VariantTracks, VcfSummary

__all__ = [
    "Attributions", "DependencyMap", "EmbeddingShift", "Embeddings", "GroupComparison", "ISMResult",
    "IndelView", "LengthBias", "LinearProbe", "PositionLogits", "Projection", "SeqletReport", "Separation",
    "Variant", "VariantTracks", "VcfSummary", "WindowSet",
]
