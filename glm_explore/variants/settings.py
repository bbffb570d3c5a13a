"""One frozen settings object for variant scoring: :class:`VariantScoreSettings`.

Built once by the page or the CLI and passed, as it is, to :func:`~glm_explore.variants.score_variants`,
:func:`~glm_explore.variants.score_vcf`, :func:`~glm_explore.variants.write_vcf_scores` and (as a plain dict,
:meth:`VariantScoreSettings.as_dict`) to the Ray actors, so an option cannot reach one engine and miss the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..errors import VariantError

CLM_REDUCE = ("sum", "mean")


@dataclass(frozen=True)
class VariantScoreSettings:
    """Everything a variant score depends on besides the model, the genome and the alleles.

    Scoring: ``window`` (bp; None = the model's default, :func:`glm_explore.context.variant_window`), ``rc``
    (average with the reverse-complement strand), ``clm_reduce`` (CLM window score: ``sum`` or ``mean``),
    ``forward_batch`` (sequences per forward pass), ``packed`` (many masked sites per forward where exact;
    False = one window per site, the reference), ``max_sv_size`` (bp; None = SNVs only, else indels / MNVs /
    small SVs up to that size), ``exact_pll`` (MLM indels: whole-window pseudo-log-likelihood) and
    ``null_events`` (random length-matched events for the indel z-score; < 2 = none).
    VCF streaming: ``chunk_size`` (alleles per chunk: the memory bound, one Parquet row group, one Ray shard)
    and ``limit`` (stop after that many scored alleles; None = all).
    """

    window: int | None = None
    rc: bool = True
    clm_reduce: str = "sum"
    forward_batch: int = 64
    packed: bool = True
    max_sv_size: int | None = None
    exact_pll: bool = False
    null_events: int = 0
    chunk_size: int = 2000
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.clm_reduce not in CLM_REDUCE:
            raise VariantError(f"clm_reduce must be one of {', '.join(CLM_REDUCE)}, got {self.clm_reduce!r}.")
        for name in ("forward_batch", "chunk_size"):
            if int(getattr(self, name)) < 1:
                raise VariantError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.limit is not None and int(self.limit) < 1:
            raise VariantError(f"limit must be at least 1 (or None for all), got {self.limit}.")

    def as_dict(self) -> dict:
        """Plain values (what crosses to a Ray actor and keys a resumable job)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> VariantScoreSettings:
        return cls(**values)


def resolve(settings: VariantScoreSettings | None, changes: dict) -> VariantScoreSettings:
    """``settings`` (default: :class:`VariantScoreSettings()`) with ``changes`` (field → value) applied; a name
    that is not a field raises ``TypeError`` naming the fields."""
    base = settings if settings is not None else VariantScoreSettings()
    if not changes:
        return base
    unknown = set(changes) - {f.name for f in fields(VariantScoreSettings)}
    if unknown:
        raise TypeError(f"unknown variant-score setting(s) {', '.join(sorted(unknown))}; the fields are "
                        f"{', '.join(f.name for f in fields(VariantScoreSettings))}")
    return replace(base, **changes)
