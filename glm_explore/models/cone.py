"""Single-mask predictions of a convolutional MLM without one full forward per mask.

Masking position p of a dilated-CNN MLM (the built-in :class:`~glm_explore.models.convnet.ConvLM`, or a
GPN ``ConvNet`` through :mod:`glm_explore.models.hf.gpn`) changes block b's output only within
``a_b = s_1 + … + s_b`` bases of p (``s_b = (k_b − 1)·d_b / 2``, the block's half-span), and the prediction
at p reads block b's output only within ``n_b = R − a_b`` bases (``R = a_B``, the receptive field). Two exact
ways to get ``log P(· | row with only p masked)`` at p follow:

* **cone** (many sites in one row): one *clean* (unmasked) pass over the row keeps every block's input;
  each site then recomputes only the positions both changed and needed, ``w_b = min(a_b, n_b)`` on each
  side of p, reading everything else from the clean pass. For the default MLM that is 325 position-blocks
  per site instead of 9 × 143 when masks are packed R + 1 apart (:mod:`glm_explore.variants.packing`).
* **shrink** (isolated sites): the site's ``2R + 1`` context only, each block evaluated only where the
  prediction at p still needs it (``n_b`` on each side): about half the work of a full window. For the
  built-in CNN the first block's convolution reads the 6 one-hot input channels through weights folded with
  the embedding (6 input channels instead of the width), the costliest layer of the shrunken context.

Both reproduce the model's zero padding at row ends (a convolution's input is zero outside the row), so a
row cut at a contig end is scored exactly as the model scores it there. Results equal the full masked
forward up to float32 rounding of convolutions over different lengths (tests: < 1e-5).
:func:`single_mask_log_probs` picks the cheaper way per row from the costs of :class:`ConePlan`.

A network enters through :class:`ConeNet` (block-by-block access: input embedding, one block without
padding, the prediction head); :class:`ConvLMCone` is the built-in CNN's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .convnet import MASK_CHANNEL, N_CHANNELS, ConvBlock, ConvLM, channels_from_codes

SITE_CHUNK = 256  # most sites per gathered batch
CHUNK_BYTES = 256 * 2**20  # activations of one gathered batch: SITE_CHUNK sites or fewer, within this budget


@dataclass(frozen=True)
class ConePlan:
    """Per-block radii of a dilated-CNN MLM. ``spans[b]`` half-span s of block b, ``cone[b]`` radius of block
    b's outputs recomputed per site in cone mode (``min(a_b, n_b)``), ``need[b]`` radius still needed
    after block b (``n_b``); ``weights[b]`` relative cost of one output position of block b (built-in CNN:
    kernel + 1, the convolution and the position-wise linear layer)."""

    spans: tuple[int, ...]
    cone: tuple[int, ...]
    need: tuple[int, ...]
    weights: tuple[float, ...]

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


def plan_from_spans(spans: list[int], weights: list[float]) -> ConePlan:
    """The :class:`ConePlan` of blocks with half-spans ``spans`` (bases) and per-position costs ``weights``."""
    R = sum(spans)
    after = np.cumsum(spans)
    need = [R - int(a) for a in after]
    cone = [min(int(a), n) for a, n in zip(after, need)]
    return ConePlan(tuple(int(s) for s in spans), tuple(cone), tuple(need), tuple(weights))


def conv_valid(conv: torch.nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` without padding on position-major states: (M, L, C) → (M, L − (k − 1)·d, C_out).

    Runs as a 2-D convolution on a channels-last view of ``x``, so the (M, L, D) layout the position-wise
    layers use needs no transposed copies."""
    weight = conv.weight.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # (D, D/g, 1, k)
    h = torch.nn.functional.conv2d(x.unsqueeze(1).permute(0, 3, 1, 2), weight, conv.bias,
                                   dilation=(1, conv.dilation[0]), groups=conv.groups)
    return h.permute(0, 2, 3, 1).squeeze(1)


class ConeNet:
    """A masked dilated-CNN LM seen block by block, what :func:`single_mask_log_probs` needs.

    Subclasses set ``spans`` (half-span of each block, bases), ``weights`` (relative cost of one output
    position of each block) and ``width`` (state size D), and implement the methods below. Rows are integer
    codes the network's embedding reads (built-in CNN: 0–4 for A,C,G,T,N; GPN: token ids).
    """

    spans: tuple[int, ...]
    weights: tuple[float, ...]
    width: int

    def embed(self, codes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Codes (M, L) and mask (M, L) bool → block-0 input (M, L, D)."""
        raise NotImplementedError

    def masked_input(self) -> torch.Tensor:
        """(D,) block-0 input at a masked position."""
        raise NotImplementedError

    def clean_states(self, codes: torch.Tensor) -> Iterator[torch.Tensor]:
        """Codes (L,) of one unmasked row → the input (L, D) of every block in turn (the whole row, zero
        padding beyond both ends, as the model runs it)."""
        raise NotImplementedError

    def block_valid(self, b: int, x: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        """Block ``b`` without padding: input (M, L, D), ``inside`` (M, L) bool (False: beyond the row, where the
        model's convolution reads zeros) → (M, L − 2s, D), the outputs whose inputs are all in ``x``."""
        raise NotImplementedError

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Final states (M, D) at the masked positions → log-probs (M, 4) over A,C,G,T."""
        raise NotImplementedError

    def first_block(self, codes: torch.Tensor, mask: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        """Embedding + block 0 without padding from codes (M, L) (``inside`` False beyond the row):
        (M, L − 2s, D)."""
        return self.block_valid(0, self.embed(codes, mask) * inside.unsqueeze(-1), inside)

    def site_chunk(self) -> int:
        """Sites per gathered batch: at most :data:`SITE_CHUNK`, activations within :data:`CHUNK_BYTES`."""
        per_site = (2 * sum(self.spans) + 1) * max(1, self.width) * 4 * 4  # ~4 live (2R+1, D) float32 tensors
        return int(max(1, min(SITE_CHUNK, CHUNK_BYTES // per_site)))


class ConvLMCone(ConeNet):
    """The built-in :class:`ConvLM` MLM as a :class:`ConeNet` (codes 0–4 for A,C,G,T,N)."""

    def __init__(self, model: ConvLM) -> None:
        cfg = model.config
        if cfg.objective != "mlm":
            raise ValueError("single-mask cones are defined for masked LMs only")
        self.model = model
        self.spans = tuple((k - 1) * d // 2 for k, d in zip(cfg.kernel_sizes, cfg.dilations))
        self.weights = tuple(float(k + 1) for k in cfg.kernel_sizes)
        self.width = cfg.width

    def embed(self, codes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.model.embed(channels_from_codes(codes, mask).transpose(1, 2))

    def masked_input(self) -> torch.Tensor:
        mask_vec = torch.zeros(1, N_CHANNELS)
        mask_vec[0, MASK_CHANNEL] = 1.0
        return self.model.embed(mask_vec)[0]

    def clean_states(self, codes: torch.Tensor) -> Iterator[torch.Tensor]:
        h = self.embed(codes[None], torch.zeros(1, codes.shape[0], dtype=torch.bool))
        for block in self.model.blocks:
            yield h[0]
            h = block(h)

    def block_valid(self, b: int, x: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        return _block_valid(self.model.blocks[b], x)  # x is zero beyond the row: the block's conv input

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.model.head(h).float(), dim=-1)

    def first_block(self, codes: torch.Tensor, mask: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        x = channels_from_codes(codes.clamp(min=0), mask) * inside.unsqueeze(1)
        return _first_block_from_channels(self.model, x)


def as_cone_net(model: ConvLM | ConeNet) -> ConeNet:
    """``model`` as a :class:`ConeNet` (a built-in ConvLM MLM is wrapped; ValueError for a causal one)."""
    return model if isinstance(model, ConeNet) else ConvLMCone(model)


def cone_plan(model: ConvLM | ConeNet) -> ConePlan:
    """The :class:`ConePlan` of an MLM ConvLM or a :class:`ConeNet` (raises ValueError for a causal ConvLM)."""
    net = as_cone_net(model)
    return plan_from_spans(list(net.spans), list(net.weights))


def _block_valid(block: ConvBlock, x: torch.Tensor) -> torch.Tensor:
    """One built-in block without padding: (M, L, D) → (M, L − 2s, D), the outputs whose inputs are all in ``x``."""
    s = block.pad[0]
    h = conv_valid(block.conv, x)
    x = x[:, s:x.shape[1] - s] + block.norm1(block.act1(h))
    return x + block.norm2(block.act2(block.ffn(x)))


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


def _shrink(net: ConeNet, plan: ConePlan, windows: torch.Tensor) -> torch.Tensor:
    """Codes (M, 2R+1) centred on the masked sites (−1 = outside the row) → log-probs (M, 4)."""
    valid = windows >= 0
    R = plan.receptive_field
    mask = torch.zeros_like(valid)
    mask[:, R] = True
    h = net.first_block(windows.clamp(min=0), mask, valid)
    valid = valid[:, plan.spans[0]:valid.shape[1] - plan.spans[0]]
    h = h * valid.unsqueeze(-1)
    for b, s in enumerate(plan.spans[1:], start=1):
        h = net.block_valid(b, h, valid)
        valid = valid[:, s:valid.shape[1] - s]
        h = h * valid.unsqueeze(-1)
    return net.head(h[:, 0])


def _cone(net: ConeNet, plan: ConePlan, codes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """One row of codes (L,) and masked offsets (M,) → log-probs (M, 4), each site masked alone."""
    L = codes.shape[0]
    pad = max(w + s for w, s in zip(plan.cone, plan.spans))  # the widest block input a site reads, each side
    padded = [torch.nn.functional.pad(s, (0, 0, pad, pad)) for s in net.clean_states(codes)]  # zero beyond the row
    masked_input = net.masked_input()  # (D,)
    out = []
    step = net.site_chunk()
    for j in range(0, len(offsets), step):
        off = offsets[j:j + step]
        h, w_prev = masked_input.expand(len(off), 1, -1), 0  # (M, 1, D): the changed block input
        for b, (s, w) in enumerate(zip(plan.spans, plan.cone)):
            r_in = w + s
            rel = torch.arange(-r_in, r_in + 1)
            idx = off[:, None] + rel[None]  # (M, 2·r_in+1) positions in the row
            x = padded[b][idx + pad]
            x[:, r_in - w_prev:r_in + w_prev + 1] = h
            h = net.block_valid(b, x, (idx >= 0) & (idx < L))
            kept = idx[:, s:idx.shape[1] - s]
            h = h * ((kept >= 0) & (kept < L)).unsqueeze(-1)
            w_prev = w
        out.append(net.head(h[:, 0]))
    return torch.cat(out) if out else torch.zeros(0, 4)


@torch.inference_mode()
def single_mask_log_probs(model: ConvLM | ConeNet, rows: list[np.ndarray], row_of: np.ndarray, offsets: np.ndarray
                          ) -> np.ndarray:
    """(M, 4) log P(b | ``rows[row_of[m]]`` with only position ``offsets[m]`` masked), at that position.

    ``model``: a built-in ConvLM MLM or a :class:`ConeNet`. ``rows``: integer code arrays the network reads
    (ConvLM: 0–4, :func:`glm_explore.sequence.encode`), each the whole input the model sees (zero padding
    beyond both ends). Rows with many sites use the cone (one clean pass shared), the others the shrunken
    context, whichever :class:`ConePlan` says is cheaper; isolated sites of all rows are batched together.
    Equals the model's full forward on the row with that single mask (e.g. :meth:`ConvLM.forward_channels`).
    """
    net = as_cone_net(model)
    plan = cone_plan(net)
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
            lp = _cone(net, plan, torch.from_numpy(np.asarray(codes, dtype=np.int64)),
                       torch.from_numpy(offsets[sites]))
            out[sites] = lp.numpy()
            continue
        padded = np.concatenate([np.full(R, -1), np.asarray(codes, dtype=np.int64), np.full(R, -1)])
        shrink_windows.append(padded[offsets[sites][:, None] + np.arange(2 * R + 1)[None]])
        shrink_sites.append(sites)
    if shrink_sites:
        sites, windows = np.concatenate(shrink_sites), torch.from_numpy(np.concatenate(shrink_windows))
        step = net.site_chunk()
        for j in range(0, len(sites), step):
            out[sites[j:j + step]] = _shrink(net, plan, windows[j:j + step]).numpy()
    return out
