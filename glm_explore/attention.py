"""Attention weights of transformer models, mapped from tokens to nucleotides.

Only Hugging Face transformer models that return attention weights (``output_attentions=True``) have
them; convolutional models (the built-in ConvLM, GPN) raise
:class:`~glm_explore.errors.UnsupportedByModelError`, and :func:`supports_attention` tells a page to
grey the control out first.

**Token → nucleotide rule.** Let a(t, u) be the weight query token t puts on key token u (a row of
the model's softmax, summing to 1 over all tokens, special tokens included) and |u| the number of
bases token u covers (1 for character models, k for a k-mer, the offsets' length for BPE). For query
base i in token t(i) and key base j in token t(j)::

    A[i, j] = a(t(i), t(j)) / |t(j)|

* queries are **copied**: every base of a token attends as its token does;
* keys are **split evenly** over the bases of the key token.

The weight on special tokens ([CLS], [SEP], BOS, …) is **dropped** and reported per query base as
``special_mass``, so each row sums to ``1 − special_mass[i]`` over the bases (no renormalisation:
a head that parks its attention on [CLS] shows as a faint row, not as a made-up pattern). Character
tokenizers map one to one: ``A`` is the token matrix without the special rows and columns. The token
↔ base map is the adapter's own (:meth:`~glm_explore.models.hf.HFAdapter.tokenize`), the one every
other per-base output uses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
import pandas as pd
import torch

from .errors import InputTooLargeError, LayerError, UnsupportedByModelError
from .models.base import GenomicLM
from .models.capabilities import attention_heads, why_no_attention
from .models.hf import HFAdapter, Tokens
from .results.attention import AttentionMaps
from .sequence import clean_sequence

MAX_ATTENTION_BP = 1000       # longest sequence mapped: (layers, heads, L, L) grows with L²
MAX_ATTENTION_VALUES = 200_000_000  # layers × heads × L × L floats kept (~800 MB of float32)

_EAGER_LOCK = threading.Lock()  # the model's attention implementation is switched for one call


def supports_attention(model: GenomicLM) -> bool:
    """Whether :func:`attention_maps` can serve ``model`` (a transformer with attention heads), for
    greying out the control. A model can still refuse at run time if its code returns no weights."""
    return why_no_attention(model) is None


def require_attention(model: GenomicLM) -> None:
    """Raise :class:`~glm_explore.errors.UnsupportedByModelError` saying why, unless :func:`supports_attention`."""
    why = why_no_attention(model)
    if why:
        raise UnsupportedByModelError(why)


def _check_numbers(values: Iterable[int] | None, n: int, what: str, name: str) -> tuple[int, ...]:
    """1-based numbers (negative from the end: -1 = last) → sorted unique 1..n; all when None."""
    if values is None:
        return tuple(range(1, n + 1))
    out = []
    for v in values:
        k = n + 1 + int(v) if int(v) < 0 else int(v)
        if not 1 <= k <= n:
            raise LayerError(f"{name} has {what}s 1..{n} (-1 = last); got {what} {v}. Choose a {what} between "
                             f"1 and {n}.")
        out.append(k)
    if not out:
        raise LayerError(f"Choose at least one {what} (1..{n}).")
    return tuple(sorted(set(out)))


def token_attention(model: HFAdapter, ids: np.ndarray) -> np.ndarray:
    """(n_layers, n_heads, T, T) float32 attention of one token sequence ``ids`` (T,), specials included.

    Attention weights come only from the 'eager' attention code path; the model is switched to it
    for this one forward pass (same outputs, slower) and switched back.
    """
    net = model.model
    with _EAGER_LOCK:
        before = getattr(net.config, "_attn_implementation", None)
        switch = before not in (None, "eager") and hasattr(net, "set_attn_implementation")
        try:
            if switch:
                net.set_attn_implementation("eager")
            with torch.inference_mode():
                out = net(input_ids=torch.from_numpy(np.asarray(ids, dtype=np.int64))[None], output_attentions=True)
        except IndexError as exc:  # position embeddings exhausted
            raise InputTooLargeError(f"Input too long for {model.info.name} ({len(ids)} tokens): use a shorter "
                                     "sequence.") from exc
        except (ValueError, NotImplementedError) as exc:  # the model cannot use eager attention
            raise UnsupportedByModelError(f"{model.info.name} cannot return attention weights ({exc}).") from exc
        finally:
            if switch:
                net.set_attn_implementation(before)
    att = getattr(out, "attentions", None)
    if not att or any(a is None for a in att):
        raise UnsupportedByModelError(f"{model.info.name} returned no attention weights (its attention code does "
                                      "not expose them); use the nucleotide dependency map instead.")
    return torch.stack([a[0] for a in att]).float().numpy()


def tokens_to_bases(att: np.ndarray, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Token attention (..., T, T) → nucleotide attention (..., L, L) and special-token mass (..., L).

    The rule of the module docstring: query rows copied to every base of the token, key columns
    split evenly over the bases of the key token, special-token columns summed into the mass.
    """
    bt = tokens.base_tok
    rows = np.asarray(att)[..., bt, :]  # (..., L, T): each base's query row is its token's
    size = tokens.tok_len[bt].astype(rows.dtype)  # (L,) bases in the key token of base j
    nuc = rows[..., bt] / size
    special = rows[..., tokens.tok_len == 0].sum(axis=-1)
    return nuc.astype(np.float32), special.astype(np.float32)


def attention_maps(model: GenomicLM, seq: str, *, layers: Iterable[int] | None = None,
                   heads: Iterable[int] | None = None, chrom: str | None = None, start: int = 0,
                   name: str = "") -> AttentionMaps:
    """Attention of every (or the chosen) block and head over ``seq``, mapped to nucleotides.

    Parameters
    ----------
    model : a Hugging Face transformer adapter; other models raise UnsupportedByModelError.
    seq : DNA (cleaned: upper case, IUPAC → N), at most :data:`MAX_ATTENTION_BP` bases.
    layers, heads : 1-based block / head numbers (negative from the end); default all.
    chrom, start : where ``seq`` lies on a genome (0-based start), for the coordinates of plots and tables.

    Returns
    -------
    :class:`AttentionMaps` with ``weights`` (n_layers, n_heads, L, L): rows = query bases, columns =
    key bases; each row sums to ``1 − special_mass`` (see the module docstring for the rule).
    """
    require_attention(model)
    seq = clean_sequence(seq)
    if len(seq) > MAX_ATTENTION_BP:
        raise InputTooLargeError(f"The sequence is {len(seq):,} bp; attention maps are limited to "
                                 f"{MAX_ATTENTION_BP:,} bp (they grow with L²). Choose a shorter region.")
    info = model.info
    layer_nums = _check_numbers(layers, info.n_layers, "layer", info.name)
    head_nums = _check_numbers(heads, attention_heads(model), "head", info.name)
    size = len(layer_nums) * len(head_nums) * len(seq) ** 2
    if size > MAX_ATTENTION_VALUES:
        raise InputTooLargeError(f"{len(layer_nums)} layers × {len(head_nums)} heads × {len(seq):,}² bases is too "
                                 "much to keep; choose fewer layers or heads, or a shorter sequence.")
    tokens = model.tokenize(seq)
    att = token_attention(model, tokens.ids)
    if att.shape[:2] != (info.n_layers, attention_heads(model)):
        raise UnsupportedByModelError(f"{info.name} returned attention of shape {att.shape[:2]} (layers, heads), "
                                      f"not the ({info.n_layers}, {attention_heads(model)}) its config declares.")
    att = att[np.array(layer_nums) - 1][:, np.array(head_nums) - 1]
    weights, special = tokens_to_bases(att, tokens)
    return AttentionMaps(weights, special, layer_nums, head_nums, seq, info.name, info.tokenization,
                         chrom=chrom, start=int(start), name=name)


def top_partners(maps: AttentionMaps, position: int, *, layer: int, head: int, k: int = 10) -> pd.DataFrame:
    """The ``k`` bases that query ``position`` (1-based, as in ``maps.positions``) attends to most.

    Columns: ``rank`` (1 = most), ``query`` (1-based), ``position`` (1-based partner; the query itself can
    appear), ``base``, ``distance`` (partner − query, bases), ``weight`` (mapped attention), ``special_mass``
    (the query's weight on special tokens, repeated). Ties are broken by position.
    """
    i = maps.offset_of(position)
    row = maps.matrix(layer, head)[i].astype(np.float64)
    li, hi = maps.index(layer, head)
    order = np.lexsort((np.arange(len(row)), -row))[:max(1, int(k))]
    pos = maps.positions[order]
    return pd.DataFrame({
        "rank": np.arange(1, len(order) + 1), "query": int(position), "position": pos,
        "base": [maps.seq[j] for j in order], "distance": pos - int(position), "weight": row[order],
        "special_mass": float(maps.special_mass[li, hi, i]),
    })
