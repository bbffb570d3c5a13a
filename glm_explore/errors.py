"""Exceptions a user can cause. Each message says what is wrong and what to do.

Pages show them with ``st.error``; the CLI prints one line and exits non-zero.
"""


class GlmExploreError(Exception):
    """Base class for every error caused by user input."""


class InvalidSequenceError(GlmExploreError, ValueError):
    """A DNA sequence contains characters we cannot read, or is empty."""


class FastaError(GlmExploreError, ValueError):
    """A FASTA file is empty, truncated, binary or otherwise unreadable."""


class AnnotationError(GlmExploreError, ValueError):
    """A GFF3/GTF/BED/GenBank annotation cannot be read or does not match the genome."""


class RegionError(GlmExploreError, ValueError):
    """A region string is malformed, off the contig, or too long."""


class ModelLoadError(GlmExploreError, RuntimeError):
    """A model directory or id cannot be loaded (missing files, unsafe weights, no network)."""


class InputTooLargeError(GlmExploreError, ValueError):
    """An upload or request is over the documented size cap."""


class ObjectiveError(GlmExploreError, ValueError):
    """A computation needs the other objective (e.g. masked marginals from a causal LM)."""


class UnsupportedByModelError(GlmExploreError, NotImplementedError):
    """The loaded model cannot do this (e.g. gradients through a k-mer tokenizer); says what to use instead."""


class LayerError(GlmExploreError, ValueError):
    """A layer index is outside the model's layers."""
