"""The built-in character-level DNA language models: GPN-style dilated convolutions.

Two objectives share one architecture:

* ``mlm`` — symmetric ("same") dilated convolutions; a masked position is fed the MASK channel
  and predicted from both sides (GPN, Benegas et al. 2023).
* ``clm`` — causal (left-padded) dilated convolutions over ``[BOS] + x``; the output at index i
  has seen ``x_<i`` only and predicts ``x_i``; the output at index i+1 (which has seen ``x_≤i``)
  is the hidden state of nucleotide i.

Inputs are channel-first one-hot tensors ``(N, 6, L)`` over ``A, C, G, T, N, MASK/BOS``; the
first four channels are the ordinary one-hot DNA so captum can differentiate through
:meth:`ConvLM.forward_channels`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .adapter import layer_index

N_CHANNELS = 6  # A, C, G, T, N, MASK (MLM) / BOS (CLM)
MASK_CHANNEL = 5


@dataclass
class ConvLMConfig:
    """Architecture of a :class:`ConvLM`. Saved as JSON next to the weights."""

    objective: str = "mlm"  # "mlm" or "clm"
    width: int = 96
    kernel_sizes: list[int] = field(default_factory=lambda: [9] + [5] * 8)
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32, 1, 2, 4])

    def __post_init__(self) -> None:
        if self.objective not in {"mlm", "clm"}:
            raise ValueError(f"objective must be 'mlm' or 'clm', got {self.objective!r}")
        if len(self.kernel_sizes) != len(self.dilations):
            raise ValueError("kernel_sizes and dilations must have the same length")
        if self.objective == "mlm" and any(k % 2 == 0 for k in self.kernel_sizes):
            raise ValueError("MLM kernels must be odd so the convolution is centred")

    @property
    def n_layers(self) -> int:
        return len(self.dilations)

    @property
    def receptive_field(self) -> int:
        """Bases on each side (MLM) or to the left (CLM) that can influence one output."""
        total = sum((k - 1) * d for k, d in zip(self.kernel_sizes, self.dilations))
        return total // 2 if self.objective == "mlm" else total + 1  # +1: the BOS shift

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ConvLMConfig:
        data = json.loads(text)
        return cls(**{k: data[k] for k in ("objective", "width", "kernel_sizes", "dilations")})


class ConvBlock(nn.Module):
    """GPN conv layer: x + LN(GELU(dilated conv(x))), then x + LN(GELU(Linear(x)))."""

    def __init__(self, width: int, kernel: int, dilation: int, causal: bool) -> None:
        super().__init__()
        span = (kernel - 1) * dilation
        self.pad = (span, 0) if causal else (span // 2, span // 2)
        self.conv = nn.Conv1d(width, width, kernel, dilation=dilation)
        self.act1 = nn.GELU()
        self.norm1 = nn.LayerNorm(width)
        self.ffn = nn.Linear(width, width)
        self.act2 = nn.GELU()
        self.norm2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (N, L, D) → (N, L, D)."""
        h = self.conv(F.pad(x.transpose(1, 2), self.pad)).transpose(1, 2)
        x = x + self.norm1(self.act1(h))
        return x + self.norm2(self.act2(self.ffn(x)))


class ConvLM(nn.Module):
    """Dilated-CNN language model over nucleotides (see module docstring)."""

    def __init__(self, config: ConvLMConfig) -> None:
        super().__init__()
        self.config = config
        causal = config.objective == "clm"
        self.embed = nn.Linear(N_CHANNELS, config.width)
        self.blocks = nn.ModuleList(
            ConvBlock(config.width, k, d, causal) for k, d in zip(config.kernel_sizes, config.dilations)
        )
        self.head = nn.Sequential(
            nn.Linear(config.width, config.width), nn.GELU(), nn.LayerNorm(config.width), nn.Linear(config.width, 4)
        )

    def trunk(self, x: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """``x``: (N, 6, L) channels → (N, L, D) after ``upto`` blocks (default all; 0 = embedding)."""
        h = self.embed(x.transpose(1, 2))
        n = len(self.blocks) if upto is None else upto
        for block in self.blocks[:n]:
            h = block(h)
        return h

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """For the CLM, prepend the BOS column: (N, 6, L) → (N, 6, L+1). MLM: unchanged."""
        if self.config.objective == "mlm":
            return x
        bos = torch.zeros(x.shape[0], N_CHANNELS, 1, dtype=x.dtype, device=x.device)
        bos[:, MASK_CHANNEL] = 1.0
        return torch.cat([bos, x], dim=2)

    def forward_channels(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 4, L) over A,C,G,T for input channels (N, 6, L).

        MLM: logits at i from the whole (possibly masked) input. CLM: logits at i from x_<i.
        """
        h = self.head(self.trunk(self.prepare(x)))
        if self.config.objective == "clm":
            h = h[:, :-1]
        return h.transpose(1, 2)

    def hidden(self, x: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Per-nucleotide hidden states (N, L, D) after block ``layer`` (0 = embedding, -1 = last).

        CLM: the state of nucleotide i is the output that has seen x_≤i.
        """
        return self.layer_states(x, [layer])[0]

    def layer_states(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Per-nucleotide states (N, L, D) after each block in ``layers`` (0 = embedding, -1 = last),
        all from ONE pass over channels ``x`` (N, 6, L). CLM: the state of base i has seen x_≤i."""
        idx = [layer_index(k, len(self.blocks), "the ConvLM") for k in layers]
        h = self.embed(self.prepare(x).transpose(1, 2))
        states = [h]
        for block in self.blocks[:max(idx)]:
            h = block(h)
            states.append(h)
        clm = self.config.objective == "clm"
        return [states[k][:, 1:] if clm else states[k] for k in idx]


def channels_from_codes(codes: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Integer codes (N, L) in 0..4 (+ optional boolean mask (N, L)) → channels (N, 6, L) float32."""
    x = F.one_hot(codes.clamp(0, 4), N_CHANNELS).float()
    if mask is not None:
        x[mask] = 0.0
        x[..., MASK_CHANNEL][mask] = 1.0
    return x.transpose(1, 2).contiguous()


def channels_from_onehot(onehot: torch.Tensor) -> torch.Tensor:
    """Differentiable: one-hot (N, 4, L) → channels (N, 6, L) with zero N/MASK channels."""
    return F.pad(onehot, (0, 0, 0, N_CHANNELS - 4))
