"""What a loaded model can do on each page, and how exactly: the capability matrix.

Everything here reads the model's declaration (``model.info.capabilities``, a
:class:`~glm_explore.models.base.Capabilities`) and ``model.info``; nothing probes the adapter.
"""

from __future__ import annotations

import pandas as pd

from .base import Capabilities, GenomicLM
from .tokenization import kind_named

EXACT, APPROX, UNSUPPORTED = "exact", "approximate", "unsupported"


def capabilities(model: GenomicLM) -> Capabilities:
    """The model's declared :class:`Capabilities`."""
    return model.info.capabilities


def supports_onehot(model: GenomicLM) -> bool:
    """Whether ``model.onehot_forward`` works (gradient attributions through one-hot bases)."""
    return model.info.capabilities.onehot_forward


def supports_probe_target(model: GenomicLM) -> bool:
    """Whether the region-class probe target can be attributed: one-hot input and ``onehot_hidden``."""
    caps = model.info.capabilities
    return caps.onehot_forward and caps.onehot_hidden


def _tokenization_label(model: GenomicLM) -> str:
    kind = kind_named(model.info.tokenization)
    return kind.label(model.info.capabilities.k) if kind is not None else model.info.tokenization


def base_tokens(model: GenomicLM) -> bool:
    """Whether the model reads one token per base (its per-base outputs are its own, not derived from tokens)."""
    kind = kind_named(model.info.tokenization)
    return kind is not None and kind.base_tokens


def capability_matrix(model: GenomicLM) -> pd.DataFrame:
    """One row per fact / feature: columns ``what``, ``value`` and ``note``.

    The first rows describe the model (objective, tokenization, max length, layers, width); the
    others say for each page or score whether it is ``exact``, ``approximate`` or ``unsupported``
    for this model, and why.
    """
    info = model.info
    char, mlm = base_tokens(model), info.is_mlm
    notes = dict(info.capabilities.approximations)
    token_note = notes.get("log_probs", "")
    rows: list[tuple[str, str, str]] = [
        ("Objective", "masked LM" if mlm else "causal LM",
         "predicts a hidden base from both sides" if mlm else "predicts the next base from the left"),
        ("Tokenization", info.tokenization, _tokenization_label(model)),
        ("Max length", f"{info.max_len:,} bp", "longest region one forward pass can read"),
        ("Layers", str(info.n_layers), f"hidden width {info.dim}" + (
            "" if info.capabilities.every_layer else "; only the last layer's states are exposed")),
        ("Receptive field", "unbounded" if info.receptive_field is None else f"{info.receptive_field} bp",
         "exact masked marginals batch many masks per copy" if info.receptive_field is not None
         else "one masked copy per token: slow on long regions" if mlm else ""),
    ]
    if info.card.get("remote_code"):
        rows.append(("Remote code", "allowed", ", ".join(info.card["remote_code"])))
    rows.append(("Embeddings / UMAP", EXACT if char else APPROX, notes.get("hidden_states", "one row per base")))
    if mlm:
        rows.append(("Masked marginals (logits)", EXACT if char else APPROX,
                     token_note or "each base masked and predicted from both sides"))
        rows.append(("Next-base probabilities", UNSUPPORTED, "a masked LM has no left-to-right prediction"))
        rows.append(("Variant LLR", EXACT if char else APPROX,
                     "log P(alt) − log P(ref) at the masked variant position" if char else
                     f"through the token containing the variant: {token_note}"))
    else:
        rows.append(("Masked marginals (logits)", UNSUPPORTED, "a causal LM has no mask token: use next-base"))
        rows.append(("Next-base probabilities", EXACT if char else APPROX,
                     notes.get("first_base", "P(x_i | x_<i) from one forward pass") if char else token_note))
        rows.append(("Variant LLR", EXACT if char else APPROX,
                     "difference of whole-sequence log-likelihoods" + ("" if char else f"; {token_note}")))
    if supports_onehot(model):
        rows.append(("Gradient attribution (saliency, IG, DeepLIFT)", EXACT, "through the one-hot input"))
    else:
        rows.append(("Gradient attribution (saliency, IG, DeepLIFT)", UNSUPPORTED,
                     f"the model reads {info.tokenization} tokens, not bases; use ISM" if not char
                     else "no embedding matrix to feed one-hot bases through; use ISM"))
    if supports_probe_target(model):
        rows.append(("Probe attribution target", EXACT,
                     "log P(region class) under the embedding explorer's probe, through one-hot hidden states"))
    else:
        rows.append(("Probe attribution target", UNSUPPORTED,
                     "needs hidden states differentiable in one-hot bases; the likelihood targets remain"))
    rows.append(("In-silico mutagenesis (ISM)", EXACT if char else APPROX,
                 "every single-base substitution scored with the model" + ("" if char else "; " + token_note)))
    rows.append(("Motifs (from attributions)", EXACT if char else APPROX, "seqlets from ISM or gradient maps"))
    why = why_no_attention(model)
    rows.append(("Attention maps", UNSUPPORTED if why else EXACT,
                 why.split(". ")[0].split("; ")[0] if why else
                 "per layer and head, token attention mapped to bases (summed over each token's bases)"))
    if info.capabilities.masked_sites:
        rows.append(("Fast variant / track scoring", EXACT, "each site masked alone: one clean pass, then only "
                     "the site's receptive-field cone is recomputed"))
    if info.card.get("int8"):
        rows.append(("Fast inference (int8)", APPROX, info.capabilities.note("int8")))
    if info.capabilities.caches_prefix:
        rows.append(("Fast variant scoring (shared prefix)", EXACT, "the window left of the variant runs once "
                     "(key / value cache), then the ref and alt suffixes"))
    return pd.DataFrame(rows, columns=["what", "value", "note"])


def attention_heads(model: GenomicLM) -> int:
    """Attention heads per block declared by the model's config (0 when it has none)."""
    from .hf.config import first_attr  # lazy: the HF adapters import this module's neighbours

    cfg = getattr(getattr(model, "model", None), "config", None)
    return int(first_attr(cfg, "num_attention_heads", "n_head", "num_heads", "n_heads") or 0) if cfg else 0


def why_no_attention(model: GenomicLM) -> str | None:
    """Why ``model`` has no attention weights to show (for :mod:`glm_explore.attention`), or None when it has."""
    from .hf import HFAdapter
    from .hf.config import GPN_MODEL_TYPES

    name = model.info.name
    if not isinstance(model, HFAdapter):
        return (f"{name} is a convolutional network: it has no attention layers. Attention maps need a Hugging "
                "Face transformer model (BERT, ESM / Nucleotide Transformer, GPT-2, …); use the nucleotide "
                "dependency map to see which positions it relates.")
    if getattr(model.model.config, "model_type", "") in GPN_MODEL_TYPES:
        return (f"{name} is a GPN model, which does not return attention weights; use the nucleotide dependency "
                "map to see which positions it relates.")
    if attention_heads(model) == 0:
        return (f"{name}'s config declares no attention heads, so it has no attention weights to show; use the "
                "nucleotide dependency map instead.")
    return None


def feature_status(model: GenomicLM, feature: str) -> tuple[str, str]:
    """(status, note) of one ``feature`` row of :func:`capability_matrix` (prefix match)."""
    df = capability_matrix(model)
    hit = df[df["what"].str.startswith(feature)]
    if hit.empty:
        raise KeyError(f"unknown feature {feature!r}; choose one of {', '.join(df['what'])}")
    return str(hit.iloc[0]["value"]), str(hit.iloc[0]["note"])
