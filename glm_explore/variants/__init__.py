"""Reference vs alternate alleles: variant scores from a genomic language model, and VCF streaming.

Scores (all natural log):

* **MLM masked LLR** (GPN, Benegas et al. 2023; :mod:`.mlm`): a window centred on the variant, the
  variant position masked, one forward; ``llr = log P(alt) − log P(ref)`` at that position, by
  default averaged with the reverse-complement strand.
* **CLM Δ log-likelihood** (Evo-style; :mod:`.clm`): ``score(alt window) − score(ref window)`` with
  ``score = Σ_t log P(x_t | x_<t)``, optionally averaged with the reverse-complement strand.
* **Embedding shift** and **delta track** for one variant (:mod:`.views`).

**Sign convention** (:data:`SIGN_CONVENTION`): negative = the alternate allele is less likely under
the model than the reference = more constrained / more likely deleterious. There is no universal
cutoff; compare distributions (:mod:`.stats`).

Variants go in as a DataFrame ``chrom, pos, ref, alt`` (``pos`` 1-based, as in VCF) and come out
with score columns added. The window a model sees around a variant is decided in
:mod:`glm_explore.context`. Modules:

* :mod:`.validate` — :class:`VariantError`, skip reasons, :func:`check_variant`, the chromosome cache
* :mod:`.windows` — windows around variants, the model's own SNV rule
* :mod:`.mlm`, :mod:`.clm` — the two scores; :mod:`.score` — :func:`score_variants` / :func:`score_site` dispatch
* :mod:`.packing` — many masked sites per forward (bounded receptive field): :func:`pack_sites`,
  :func:`packed_site_log_probs`; every scorer takes ``packed=False`` for the one-window-per-site reference
* :mod:`.views` — :func:`embedding_shift`, :func:`delta_track`, :func:`sequence_llr`
* :mod:`.settings` — :class:`VariantScoreSettings`, the one settings object of every variant-scoring call
* :mod:`.vcf` — :class:`VcfReader` (over :class:`glm_explore.io.vcf.VcfRecords`), :class:`VcfChunks` (chunks and
  the ``limit`` rule), :func:`score_vcf`, :func:`score_vcf_table`; :mod:`.parquet` — the Parquet schema built from
  the columns each scorer declares, :func:`write_vcf_scores` (``score-vcf``'s one driver), :func:`parquet_bytes`
* :mod:`.indels` — :class:`Event`, normalisation (trim + left-align), :func:`check_event`, the size cap;
  :mod:`.indel_scores` — CLM length-matched Δ / MLM pseudo-log-likelihood per event; :mod:`.length_bias` —
  :func:`length_bias` (score vs length of random intergenic indels) and :class:`NullScores` (the
  length-corrected z-score); :mod:`.indel_views` — :func:`indel_view` (aligned ref / alt tracks);
  :func:`score_events` in :mod:`.score` (``score_variants(..., max_sv_size=1000)`` routes rows there)
* :mod:`.stats` — :func:`score_summary`, :func:`cds_summary_table`, :func:`compare_groups`, :func:`synonymy`

The typed :class:`~glm_explore.results.Variant` and the result objects (``EmbeddingShift``,
``VariantTracks``, ``GroupComparison``, ``VcfSummary``) live in :mod:`glm_explore.results` and are
re-exported here.
"""

from ..results import EmbeddingShift, GroupComparison, Variant, VariantTracks, VcfSummary
from .clm import clm_delta, local_alt_totals, sequence_log_likelihood, token_log_likelihoods
from .indel_scores import EXACT_MAX_BP, event_scores, method_label, pseudo_log_likelihood
from .indel_views import checked_event, indel_view
from .indels import (
    DEFAULT_MAX_SV_SIZE,
    REASON_BND,
    REASON_INS_SEQ,
    REASON_SV_END,
    REASON_SV_SIZE,
    Event,
    check_event,
    normalize,
)
from .length_bias import NullScores, default_bias_events, length_bias
from .mlm import masked_site_log_probs, mlm_llr, uses_packing
from .packing import Packing, pack_sites, packed_site_log_probs
from .parquet import UndeclaredColumnError, arrow_table, chunk_table, parquet_bytes, write_vcf_scores
from .score import EVENT_COLUMNS, SIGN_CONVENTION, score_events, score_site, score_variants
from .settings import VariantScoreSettings
from .stats import NONSYNONYMOUS, cds_summary_table, compare_groups, score_summary, synonymy
from .validate import (
    OK,
    REASON_CONTIG,
    REASON_INDEL,
    REASON_NON_ACGT,
    REASON_RANGE,
    REASON_REF,
    REASON_SAME,
    REASON_SYMBOLIC,
    ChromCache,
    VariantError,
    check_variant,
)
from .vcf import DEMO_NOTE, DEMO_VCF, VcfChunks, VcfReader, score_vcf, score_vcf_table
from .views import delta_track, embedding_shift, embedding_shift_from_states, sequence_llr

__all__ = [
    "DEFAULT_MAX_SV_SIZE", "EVENT_COLUMNS", "EXACT_MAX_BP", "Event", "NullScores", "REASON_BND", "REASON_INS_SEQ",
    "REASON_SV_END", "REASON_SV_SIZE", "check_event", "checked_event", "default_bias_events", "event_scores",
    "indel_view", "length_bias", "method_label", "normalize", "pseudo_log_likelihood", "score_events",
    "DEMO_NOTE", "DEMO_VCF", "NONSYNONYMOUS", "OK", "REASON_CONTIG", "REASON_INDEL", "REASON_NON_ACGT",
    "REASON_RANGE", "REASON_REF", "REASON_SAME", "REASON_SYMBOLIC", "SIGN_CONVENTION",
    "ChromCache", "EmbeddingShift", "GroupComparison", "Packing", "Variant", "VariantError", "VariantTracks",
    "UndeclaredColumnError", "VariantScoreSettings", "VcfChunks", "VcfReader", "VcfSummary", "arrow_table",
    "chunk_table",
    "cds_summary_table", "check_variant", "clm_delta", "compare_groups",
    "delta_track", "embedding_shift", "embedding_shift_from_states", "local_alt_totals", "masked_site_log_probs",
    "mlm_llr", "pack_sites", "packed_site_log_probs", "parquet_bytes", "score_site", "score_summary",
    "score_variants", "score_vcf", "score_vcf_table", "sequence_llr", "sequence_log_likelihood", "synonymy",
    "token_log_likelihoods", "uses_packing", "write_vcf_scores",
]
