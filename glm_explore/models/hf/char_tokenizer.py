"""A character-level DNA tokenizer built with ``tokenizers`` (one token per base), for models made here: the tests'
tiny Hugging Face models and ``bench/real_size.py``'s random-weight public shapes (e.g. GPN's a/c/g/t one)."""

from __future__ import annotations

BASES = "ACGT"


def char_tokenizer(specials: list[str], *, lower: bool = False, template: bool = True, **special_kw):
    """``(PreTrainedTokenizerFast, vocab)``: a WordLevel vocabulary of ``specials`` then A, C, G, T, N (or lower-case
    a, c, g, t with ``lower``), one token per character; ``template`` wraps sequences in ``[CLS] … [SEP]``;
    ``special_kw`` (``pad_token=…``) go to the fast tokenizer."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    letters = [b.lower() for b in BASES] if lower else list(BASES) + ["N"]
    vocab = {t: i for i, t in enumerate(specials + letters)}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    if template:
        tk.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", **special_kw), vocab
