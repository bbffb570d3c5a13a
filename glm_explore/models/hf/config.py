"""Facts read from a transformers config, whose field names differ between model families."""

from __future__ import annotations

GPN_MODEL_TYPES = {"GPN", "ConvNet", "GPNRoFormer", "GPNStar"}


def first_attr(obj, *names):
    """The first of ``names`` that ``obj`` has with a non-None value."""
    for n in names:
        v = getattr(obj, n, None)
        if v is not None:
            return v
    return None


def n_layers(cfg) -> int:
    """Number of blocks (0 when the config does not say)."""
    return int(first_attr(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers") or 0)


def hidden_dim(cfg) -> int:
    """Width of the hidden states (0 when the config does not say)."""
    return int(first_attr(cfg, "hidden_size", "n_embd", "d_model", "dim") or 0)


def token_limit(cfg) -> int | None:
    """Most tokens the model reads (its position embeddings), or None when unbounded."""
    if getattr(cfg, "model_type", "") in GPN_MODEL_TYPES and getattr(cfg, "encoder", "") != "roformer":
        return None  # convolutional GPN: no position embeddings, any length
    n = first_attr(cfg, "max_position_embeddings", "n_positions", "max_seq_len", "max_sequence_length")
    if not n or getattr(cfg, "position_embedding_type", "absolute") not in ("absolute", None):
        return None if not n or getattr(cfg, "model_type", "") != "esm" else int(n) - 2
    if getattr(cfg, "model_type", "") in {"roberta", "xlm-roberta", "camembert", "esm"}:
        n -= (getattr(cfg, "pad_token_id", 0) or 0) + 1  # positions start after padding_idx
    return int(n)
