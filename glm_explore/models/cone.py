"""Single-mask predictions of a convolutional MLM without one full forward per mask.

Masking position p of a :class:`~glm_explore.models.convnet.ConvLM` MLM changes block b's output only
within ``a_b = s_1 + … + s_b`` bases of p (``s_b = (k_b − 1)·d_b / 2``, the block's half-span), and the
prediction at p reads block b's output only within ``n_b = R − a_b`` bases (``R = a_B``, the receptive
field). Two exact ways to get ``log P(· | row with only p masked)`` at p follow:

* **cone** (many sites in one row): one *clean* (unmasked) pass over the row keeps every block's input;
  each site then recomputes only the positions both changed and needed, ``w_b = min(a_b, n_b)`` on each
  side of p, reading everything else from the clean pass. For the default MLM that is 325 position-blocks
  per site instead of 9 × 143 when masks are packed R + 1 apart (:mod:`glm_explore.variants.packing`).
* **shrink** (isolated sites): the site's ``2R + 1`` context only, each block evaluated only where the
  prediction at p still needs it (``n_b`` on each side): about half the work of a full window; the first
  block's convolution reads the 6 one-hot input channels through weights folded with the embedding
  (6 input channels instead of the width), the costliest layer of the shrunken context.

Both reproduce the model's zero padding at row ends (a block's input is zero outside the row), so a
row cut at a contig end is scored exactly as the model scores it there. Results equal the full masked
forward up to float32 rounding of convolutions over different lengths (tests: < 1e-5).
:func:`single_mask_log_probs` picks the cheaper way per row from the costs of :class:`ConePlan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .convnet import MASK_CHANNEL, N_CHANNELS, ConvBlock, ConvLM, channels_from_codes

SITE_CHUNK = 256  # sites per gathered batch (memory: SITE_CHUNK × (2R+1) × width floats)


@dataclass(frozen=True)
class ConePlan:
    """Per-block radii of a ConvLM MLM. ``spans[b]`` half-span s of block b, ``cone[b]`` radius of block
    b's outputs recomputed per site in cone mode (``min(a_b, n_b)``), ``need[b]`` radius still needed
    after block b (``n_b``); ``weights[b]`` relative cost of one output position of block b (kernel + 1:
    the convolution and the position-wise linear layer)."""

    spans: tuple[int, ...]
    cone: tuple[int, ...]
    need: tuple[int, ...]
    weights: tuple[int, ...]

    @property
    def receptive_field(self) -> int:
        return sum(self.spans)

    def clean_cost(self, length: int) -> float:
        """Cost of the clean pass over ``length`` bases (position-blocks, weighted)."""
        return float(length * sum(self.weights))

    def cone_cost(self) -> float:
        """Cost of one site in cone mode."""
        return float(sum(w * (2 * c + 1) for w, c in zip(self.weights, self.cone)))

    def shrink_cost(self) -> float:
        """Cost of one site in shrink mode."""
        return float(sum(w * (2 * n + 1) for w, n in zip(self.weights, self.need)))


def cone_plan(model: ConvLM) -> ConePlan:
    """The :class:`ConePlan` of an MLM ConvLM (raises ValueError for a causal one)."""
    cfg = model.config
    if cfg.objective != "mlm":
        raise ValueError("single-mask cones are defined for masked LMs only")
    spans = [(k - 1) * d // 2 for k, d in zip(cfg.kernel_sizes, cfg.dilations)]
    R = sum(spans)
    after = np.cumsum(spans)
    need = [R - int(a) for a in after]
    cone = [min(int(a), n) for a, n in zip(after, need)]
    return ConePlan(tuple(spans), tuple(cone), tuple(need), tuple(k + 1 for k in cfg.kernel_sizes))


def _block_valid(block: ConvBlock, x: torch.Tensor) -> torch.Tensor:
    """One block without padding: (M, L, D) → (M, L − 2s, D), the outputs whose inputs are all in ``x``.

    The convolution runs as a 2-D one on a channels-last view of ``x``, so the (M, L, D) layout the
    position-wise layers use needs no transposed copies."""
    s = block.pad[0]
    weight = block.conv.weight.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # (D, D, 1, k)
    h = torch.nn.functional.conv2d(x.unsqueeze(1).permute(0, 3, 1, 2), weight, block.conv.bias,
                                   dilation=(1, block.conv.dilation[0])).permute(0, 2, 3, 1).squeeze(1)
    x = x[:, s:x.shape[1] - s] + block.norm1(block.act1(h))
    return x + block.norm2(block.act2(block.ffn(x)))


def _head_log_probs(model: ConvLM, h: torch.Tensor) -> torch.Tensor:
    """States (M, D) at the masked positions → log-probs (M, 4) over A,C,G,T."""
    return torch.log_softmax(model.head(h).float(), dim=-1)


def _first_block_from_channels(model: ConvLM, x: torch.Tensor) -> torch.Tensor:
    """Embedding + first block without padding, from input channels (M, 6, L) (all-zero columns = outside the
    row): (M, L − 2s, D). The embedding is affine in one-hot columns, so the first convolution of the
    embedded input is one convolution of the 6 input channels with the weights folded together (6 input
    channels instead of D), and an all-zero column stays exactly zero, as the model's zero padding."""
    block = model.blocks[0]
    folded = model.embed.weight + model.embed.bias[:, None]  # (D, 6): embedding of each one-hot channel
    weight = torch.einsum("odk,dc->ock", block.conv.weight, folded)  # (D, 6, k)
    s = block.pad[0]
    h = torch.nn.functional.conv1d(x, weight, block.conv.bias, dilation=block.conv.dilation)
    h0 = x[:, :, s:x.shape[2] - s].transpose(1, 2) @ folded.T  # (M, L − 2s, D): the embedded input, residual
    out = h0 + block.norm1(block.act1(h.transpose(1, 2)))
    return out + block.norm2(block.act2(block.ffn(out)))


def _shrink(model: ConvLM, plan: ConePlan, windows: torch.Tensor) -> torch.Tensor:
    """Codes (M, 2R+1) centred on the masked sites (−1 = outside the row) → log-probs (M, 4)."""
    valid = windows >= 0
    R = plan.receptive_field
    mask = torch.zeros_like(valid)
    mask[:, R] = True
    x = channels_from_codes(windows.clamp(min=0), mask) * valid.unsqueeze(1)
    h = _first_block_from_channels(model, x)
    valid = valid[:, plan.spans[0]:valid.shape[1] - plan.spans[0]]
    h = h * valid.unsqueeze(-1)
    for block, s in zip(model.blocks[1:], plan.spans[1:]):
        h = _block_valid(block, h)
        valid = valid[:, s:valid.shape[1] - s]
        h = h * valid.unsqueeze(-1)
    return _head_log_probs(model, h[:, 0])


def _cone(model: ConvLM, plan: ConePlan, codes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """One row of codes (L,) and masked offsets (M,) → log-probs (M, 4), each site masked alone."""
    L = codes.shape[0]
    states = model.layer_states(channels_from_codes(codes[None]), list(range(len(model.blocks))))
    pad = plan.receptive_field + max(plan.spans)
    padded = [torch.nn.functional.pad(s[0], (0, 0, pad, pad)) for s in states]  # zero input outside the row
    mask_vec = torch.zeros(1, N_CHANNELS)
    mask_vec[0, MASK_CHANNEL] = 1.0
    masked_embed = model.embed(mask_vec)  # (1, D)
    out = []
    for j in range(0, len(offsets), SITE_CHUNK):
        off = offsets[j:j + SITE_CHUNK]
        h, w_prev = masked_embed.expand(len(off), -1).unsqueeze(1), 0  # (M, 1, D): the changed block input
        for b, (block, s, w) in enumerate(zip(model.blocks, plan.spans, plan.cone)):
            r_in = w + s
            rel = torch.arange(-r_in, r_in + 1)
            idx = off[:, None] + rel[None]  # (M, 2·r_in+1) positions in the row
            x = padded[b][idx + pad]
            x[:, r_in - w_prev:r_in + w_prev + 1] = h
            h = _block_valid(block, x)
            h = h * ((idx[:, s:idx.shape[1] - s] >= 0) & (idx[:, s:idx.shape[1] - s] < L)).unsqueeze(-1)
            w_prev = w
        out.append(_head_log_probs(model, h[:, 0]))
    return torch.cat(out) if out else torch.zeros(0, 4)


@torch.inference_mode()
def single_mask_log_probs(model: ConvLM, rows: list[np.ndarray], row_of: np.ndarray, offsets: np.ndarray
                          ) -> np.ndarray:
    """(M, 4) log P(b | ``rows[row_of[m]]`` with only position ``offsets[m]`` masked), at that position.

    ``rows``: integer code arrays (0–4, :func:`glm_explore.sequence.encode`), each the whole input the
    model sees (zero padding beyond both ends). Rows with many sites use the cone (one clean pass shared),
    the others the shrunken context, whichever :class:`ConePlan` says is cheaper; isolated sites of all
    rows are batched together. Equals :meth:`ConvLM.forward_channels` on the row with that single mask.
    """
    plan = cone_plan(model)
    R = plan.receptive_field
    row_of = np.asarray(row_of, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    out = np.zeros((len(offsets), 4), dtype=np.float64)
    order = np.argsort(row_of, kind="stable")
    bounds = np.searchsorted(row_of[order], np.arange(len(rows) + 1))
    shrink_sites, shrink_windows = [], []
    for r, codes in enumerate(rows):
        sites = order[bounds[r]:bounds[r + 1]]
        if not len(sites):
            continue
        if plan.clean_cost(len(codes)) + len(sites) * plan.cone_cost() < len(sites) * plan.shrink_cost():
            lp = _cone(model, plan, torch.from_numpy(np.asarray(codes, dtype=np.int64)),
                       torch.from_numpy(offsets[sites]))
            out[sites] = lp.numpy()
            continue
        padded = np.concatenate([np.full(R, -1), np.asarray(codes, dtype=np.int64), np.full(R, -1)])
        shrink_windows.append(padded[offsets[sites][:, None] + np.arange(2 * R + 1)[None]])
        shrink_sites.append(sites)
    if shrink_sites:
        sites, windows = np.concatenate(shrink_sites), torch.from_numpy(np.concatenate(shrink_windows))
        for j in range(0, len(sites), SITE_CHUNK):
            out[sites[j:j + SITE_CHUNK]] = _shrink(model, plan, windows[j:j + SITE_CHUNK]).numpy()
    return out
