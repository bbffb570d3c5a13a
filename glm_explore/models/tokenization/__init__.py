"""Tokenizations as strategies: one module per kind of DNA tokenizer, and the registry that picks one.

* :mod:`.base` — the :class:`Tokenization` interface (encode, tokens → bases, SNV rule, notes, label) and
  the tokenizer's :class:`NucleotideVocab`;
* :mod:`.char`, :mod:`.kmer`, :mod:`.bpe` — the kinds; :mod:`.marginals` — token → base distributions shared
  by the multi-base kinds.

A new kind is one module with a :class:`Tokenization` subclass, listed in :data:`KINDS` (tried in order),
plus a test. Nothing outside this package branches on a kind's name (``tests/test_architecture.py``).
"""

from __future__ import annotations

from ...errors import ModelLoadError
from ...sequence import ALPHABET
from .base import NucleotideVocab, Tokenization, codes, nucleotide_vocab
from .bpe import BpeTokenization
from .char import CharTokenization
from .kmer import KmerTokenization, split_kmers
from .marginals import normalise_log

KINDS: tuple[type[Tokenization], ...] = (CharTokenization, KmerTokenization, BpeTokenization)  # tried in order
_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_named(name: str) -> type[Tokenization] | None:
    """The kind whose label ``ModelInfo.tokenization`` holds (None for a kind this package does not know)."""
    return _BY_NAME.get(name)


def detect(tokenizer, nuc: dict[str, int] | None = None, *, model: str = "This model") -> Tokenization:
    """The strategy serving ``tokenizer``: the first of :data:`KINDS` that claims it.

    Raises :class:`~glm_explore.errors.ModelLoadError` for a tokenizer without A, C, G and T tokens (not a DNA
    tokenizer) or one no kind can align to nucleotides.
    """
    vocab = NucleotideVocab.of(tokenizer, nuc)
    missing = [b for b in ALPHABET if b not in vocab.nuc]
    if missing:  # every DNA tokenizer (char, k-mer, BPE) has A, C, G and T; else predictions are meaningless
        raise ModelLoadError(f"This tokenizer ({type(tokenizer).__name__}) has no token for {', '.join(missing)}: "
                             "it is not a DNA tokenizer. Save the model's own tokenizer next to it "
                             "(tokenizer.save_pretrained).")
    for kind in KINDS:
        k = kind.claims(tokenizer, vocab)
        if k is not None:
            return kind(tokenizer, vocab, k, model)
    raise ModelLoadError(f"Cannot map this tokenizer ({type(tokenizer).__name__}) to nucleotides: it is not "
                         "character-level, non-overlapping k-mer, nor a fast (offset-reporting) BPE tokenizer.")


__all__ = ["KINDS", "BpeTokenization", "CharTokenization", "KmerTokenization", "NucleotideVocab", "Tokenization",
           "codes", "detect", "kind_named", "normalise_log", "nucleotide_vocab", "split_kmers"]
