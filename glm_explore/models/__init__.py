"""Model adapters behind the :class:`~glm_explore.models.base.GenomicLM` protocol."""
