"""Tiny Hugging Face DNA models built offline for the tests (saved with save_pretrained).

Character-level BERT (MLM), GPT-2 and Llama (CLM), a Nucleotide-Transformer-style 6-mer ESM (MLM), a
DNABERT-2-style BPE BERT (tokenizer trained here) and a random-weight GPN. Each builder saves model +
tokenizer into ``folder`` and returns ``(model, tokenizer)`` (the in-memory originals, the
independent reference for the adapter).
"""

from __future__ import annotations

import itertools

import torch

from glm_explore.models.hf.char_tokenizer import char_tokenizer  # noqa: F401  (shared with bench/real_size.py)

BASES = "ACGT"


def build_char_bert(folder):
    from transformers import BertConfig, BertForMaskedLM

    tok, vocab = char_tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], pad_token="[PAD]",
                                cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
                                       num_attention_heads=2, intermediate_size=32, max_position_embeddings=1400,
                                       pad_token_id=0)).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_char_gpt2(folder):
    from transformers import GPT2Config, GPT2LMHeadModel

    tok, vocab = char_tokenizer(["[PAD]", "[UNK]", "[BOS]"], template=False, pad_token="[PAD]", bos_token="[BOS]",
                                eos_token="[BOS]")
    torch.manual_seed(1)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_embd=16, n_layer=2, n_head=2, n_positions=96,
                                       bos_token_id=vocab["[BOS]"], eos_token_id=vocab["[BOS]"])).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_char_llama(folder):
    """Character Llama CLM (rotary positions, grouped-query attention): a cache-capable CLM besides GPT-2."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tok, vocab = char_tokenizer(["[PAD]", "[UNK]", "[BOS]"], template=False, pad_token="[PAD]", bos_token="[BOS]",
                                eos_token="[BOS]")
    torch.manual_seed(5)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                         max_position_embeddings=128, bos_token_id=vocab["[BOS]"],
                                         eos_token_id=vocab["[BOS]"], pad_token_id=vocab["[PAD]"])).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_kmer_esm(folder, k: int = 6):
    """Nucleotide-Transformer-style: ESM MLM, vocabulary of all 6-mers + single bases + N."""
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"] + \
        ["".join(p) for p in itertools.product(BASES, repeat=k)] + list(BASES) + ["N"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = EsmTokenizer(str(folder / "vocab.txt"))
    torch.manual_seed(2)
    model = EsmForMaskedLM(EsmConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                                     pad_token_id=1, mask_token_id=2, position_embedding_type="absolute")).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_bpe_bert(folder, training_seq: str):
    """DNABERT-2-style: BPE tokenizer trained on a few kb, BERT MLM."""
    from tokenizers import Tokenizer, models, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tk = Tokenizer(models.BPE(unk_token="[UNK]"))
    trainer = trainers.BpeTrainer(vocab_size=80, special_tokens=specials, initial_alphabet=list(BASES),
                                  show_progress=False)
    tk.train_from_iterator([training_seq[i:i + 200] for i in range(0, len(training_seq), 200)], trainer)
    v = tk.get_vocab()
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", v["[CLS]"]), ("[SEP]", v["[SEP]"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(3)
    model = BertForMaskedLM(BertConfig(vocab_size=len(v), hidden_size=16, num_hidden_layers=2,
                                       num_attention_heads=2, intermediate_size=32, max_position_embeddings=128,
                                       pad_token_id=v["[PAD]"])).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_gpn(folder):
    """Random-weight GPN (convnet, one-hot embedding) with GPN's lower-case character vocabulary."""
    import gpn

    gpn.register_auto_classes()
    from gpn.model import GPNConfig, GPNForMaskedLM

    tok, vocab = char_tokenizer(["[PAD]", "[MASK]", "[UNK]"], lower=True, template=False, pad_token="[PAD]",
                                mask_token="[MASK]")
    torch.manual_seed(4)
    model = GPNForMaskedLM(GPNConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32,
                                     num_hidden_layers=2, first_kernel_size=5, rest_kernel_size=3,
                                     dilation_cycle=2)).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok


def build_gpn_varied(folder, *, seed: int = 6, scale: float = 0.4, **config):
    """Random-weight GPN ConvNet of a chosen shape (``config``: GPNConfig fields, e.g. ``bias``, ``depthwise``,
    kernels and dilation schedule), every parameter redrawn at ``scale`` (LayerNorm weights around 1) so
    predictions differ clearly from uniform; GPN's lower-case character tokenizer."""
    import gpn

    gpn.register_auto_classes()
    from gpn.model import GPNConfig, GPNForMaskedLM

    tok, vocab = char_tokenizer(["[PAD]", "[MASK]", "[UNK]"], lower=True, template=False, pad_token="[PAD]",
                                mask_token="[MASK]")
    shape = dict(hidden_size=16, intermediate_size=24, num_hidden_layers=4, first_kernel_size=5,
                 rest_kernel_size=3, dilation_cycle=3)
    shape.update(config)
    torch.manual_seed(seed)
    model = GPNForMaskedLM(GPNConfig(vocab_size=len(vocab), **shape)).eval()
    return _redrawn_and_saved(model, tok, folder, scale)


def build_gpn_legacy(folder, *, seed: int = 8, scale: float = 0.4, **config):
    """Random-weight legacy GPN ConvNet (``gpn.legacy.ConvNetForMaskedLM``, model_type "ConvNet", the GPN
    paper's architecture) of a chosen shape (``config``: ConvNetConfig fields — ``n_layers``, ``kernel_size``,
    dilation schedule), every parameter redrawn at ``scale`` (LayerNorm weights around 1) so predictions
    differ clearly from uniform; GPN's lower-case character tokenizer ([PAD], [MASK], [UNK], a, c, g, t)."""
    import gpn

    gpn.register_auto_classes()
    from gpn.legacy import ConvNetConfig, ConvNetForMaskedLM

    tok, vocab = char_tokenizer(["[PAD]", "[MASK]", "[UNK]"], lower=True, template=False, pad_token="[PAD]",
                                mask_token="[MASK]")
    shape = dict(hidden_size=16, n_layers=3, kernel_size=5, dilation_cycle=3)
    shape.update(config)
    torch.manual_seed(seed)
    model = ConvNetForMaskedLM(ConvNetConfig(vocab_size=len(vocab), **shape)).eval()
    return _redrawn_and_saved(model, tok, folder, scale)


def _redrawn_and_saved(model, tok, folder, scale: float):
    """Every parameter of ``model`` redrawn at ``scale`` (LayerNorm weights around 1, so predictions differ clearly
    from uniform), the model and ``tok`` saved to ``folder``; returns ``(model, tok)``."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            is_norm_weight = name.endswith("weight") and p.dim() == 1
            p.copy_(1 + scale * torch.randn_like(p) if is_norm_weight else scale * torch.randn_like(p))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return model, tok
