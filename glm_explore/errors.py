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


class LocusError(RegionError):
    """A genome-browser locus is neither a region of the genome nor a gene name in its annotation."""


class TrackFileError(GlmExploreError, ValueError):
    """A genome-browser track is unknown, or its file is missing or not a bigWig."""


class AnnotateError(GlmExploreError, ValueError):
    """An annotation option is out of range, or the genome has too few classes to train a head."""


class DesignError(GlmExploreError, ValueError):
    """A design setting is invalid (budget, rounds, fixed positions, GC range, objective, class, motif)."""


class LikenessError(GlmExploreError, ValueError):
    """The sequences to judge cannot be compared (empty, unequal lengths, too few real windows)."""


class TooFewWindowsError(GlmExploreError):
    """Not enough labelled windows (or classes) to fit and score a probe."""


class NoBackgroundError(GlmExploreError, ValueError):
    """No place on a contig can hold a random event of the asked size (contig too short or all N)."""


class VariantError(GlmExploreError, ValueError):
    """A variant or VCF that cannot be read (bad file, bad typed variant)."""


class OutputError(GlmExploreError, ValueError):
    """An output path cannot be written (missing folder, unknown table format)."""


class UsageError(GlmExploreError, ValueError):
    """A command-line argument is malformed or out of range."""


class RayEngineError(GlmExploreError, RuntimeError):
    """The Ray engine cannot run (Ray missing, cluster unreachable) or a Ray job stopped part-way."""


class TrackError(GlmExploreError, ValueError):
    """A track request or a track folder is not usable (mixed settings, missing chunks, no track here)."""


class ContextWidthError(GlmExploreError, ValueError):
    """A context width (or the width grid) is negative, past the full width, or empty."""


class SamplingError(GlmExploreError, ValueError):
    """A generation setting is out of range (length, rounds, temperature, top-k, top-p, method)."""


class CalibrationError(GlmExploreError, ValueError):
    """A score background that cannot be computed, read or applied (no held-out bases, wrong file, other model)."""
