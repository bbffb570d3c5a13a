"""The shipped default models (safetensors + JSON config inside the package)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from ..errors import ModelLoadError
from ..sequence import encode
from .adapter import BaseAdapter, batches_by_length, check_equal_lengths
from .base import Capabilities, ModelInfo
from .cone import single_mask_log_probs
from .convnet import ConvLM, ConvLMConfig, channels_from_codes, channels_from_onehot
from .tokenization.char import CharTokenization

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
BUILTIN_MODELS = {
    "default-mlm": ("yeast-mlm", "Default MLM (GPN-style dilated CNN, yeast)"),
    "default-clm": ("yeast-clm", "Default CLM (causal dilated CNN, yeast)"),
}
DEFAULT_MODEL = "default-mlm"


class ConvLMAdapter(BaseAdapter):
    """:class:`~glm_explore.models.base.GenomicLM` over a :class:`ConvLM` (character level).

    Declares every optional feature: one-hot logits and hidden states, all layers in one pass.
    """

    def __init__(self, model: ConvLM, name: str, source: str, card: dict | None = None) -> None:
        self.model = model.eval()
        self.network = self.model
        cfg = model.config
        self.info = ModelInfo(
            name=name, objective=cfg.objective, tokenization=CharTokenization.name, max_len=100_000,
            n_layers=cfg.n_layers, dim=cfg.width, source=source, receptive_field=cfg.receptive_field,
            n_parameters=sum(p.numel() for p in model.parameters()), card=card or {},
            capabilities=Capabilities(onehot_forward=True, onehot_hidden=True, one_pass_layers=True,
                                      masked_sites=cfg.objective == "mlm"),
        )

    def _codes(self, seqs: list[str]) -> torch.Tensor:
        check_equal_lengths(seqs)
        return torch.from_numpy(np.stack([encode(s) for s in seqs]))

    @torch.inference_mode()
    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64
                  ) -> np.ndarray:
        codes = self._codes(seqs)
        if masked is not None:
            if self.info.objective != "mlm":
                raise ValueError("a causal LM has no mask token: pass masked=None")
            masked = torch.as_tensor(np.asarray(masked, dtype=bool))
            if masked.shape != codes.shape:
                raise ValueError(f"masked has shape {tuple(masked.shape)}, expected {tuple(codes.shape)}")
        out = []
        for chunk in batches_by_length([len(s) for s in seqs], batch_size):
            m = None if masked is None else masked[chunk]
            logits = self.model.forward_channels(channels_from_codes(codes[chunk], m))
            out.append(torch.log_softmax(logits.float(), dim=1).numpy())
        return np.concatenate(out)

    @torch.inference_mode()
    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        self.layer_index(layer)
        out: list[np.ndarray | None] = [None] * len(seqs)
        for chunk in batches_by_length([len(s) for s in seqs], batch_size):
            codes = self._codes([seqs[k] for k in chunk])
            h = self.model.hidden(channels_from_codes(codes), layer=layer).numpy()
            for k, row in zip(chunk, h):
                out[k] = row
        return out  # type: ignore[return-value]

    @torch.inference_mode()
    def hidden_layers(self, seqs: list[str], layers: list[int], *, batch_size: int = 64) -> list[np.ndarray]:
        """Equal-length ``seqs`` → one (N, L, D) float32 array per entry of ``layers``, all from one pass."""
        idx = self.layer_indices(layers)
        codes = self._codes(seqs)
        parts = [self.model.layer_states(channels_from_codes(codes[chunk]), idx)
                 for chunk in batches_by_length([len(s) for s in seqs], batch_size)]
        return [np.concatenate([p[j].float().numpy() for p in parts]) for j in range(len(idx))]

    def masked_sites(self, seqs: list[str], row_of: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(M, 4) log P over A,C,G,T at ``offsets[m]`` of ``seqs[row_of[m]]`` with only that position masked:
        what :meth:`log_probs` gives there for a single mask, from one clean pass per row plus a cone per site
        (:func:`~glm_explore.models.cone.single_mask_log_probs`). MLM only."""
        if self.info.objective != "mlm":
            raise ValueError("a causal LM has no mask token")
        return single_mask_log_probs(self.model, [encode(s) for s in seqs], row_of, offsets)

    def onehot_hidden(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Differentiable one-hot (N, 4, L) → per-nucleotide states (N, L, D), one per layer in ``layers``
        (0 = embedding, -1 = last), all from one pass. CLM: the state of base i has seen x_≤i."""
        return self.model.layer_states(channels_from_onehot(x), self.layer_indices(layers))

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        ch = channels_from_onehot(x)
        if masked is not None:
            keep = (~masked).unsqueeze(1).to(ch.dtype)
            mask_col = torch.zeros_like(ch)
            mask_col[:, 5] = masked.to(ch.dtype)
            ch = ch * keep + mask_col
        return self.model.forward_channels(ch)


def load_convlm_dir(path: str | Path, name: str | None = None) -> ConvLMAdapter:
    """Load a ConvLM saved as ``config.json`` + ``model.safetensors`` (never unpickles)."""
    path = Path(path)
    cfg_file, weights = path / "config.json", path / "model.safetensors"
    if not weights.exists():
        raise ModelLoadError(f"{path} has no model.safetensors: train it with `python -m glm_explore.train` first.")
    try:
        config = ConvLMConfig.from_json(cfg_file.read_text())
        model = ConvLM(config)
        model.load_state_dict(load_file(str(weights)))
    except (OSError, KeyError, ValueError, RuntimeError, SafetensorError) as exc:
        raise ModelLoadError(f"Cannot load built-in model from {path}: {exc}") from exc
    card_file = path / "card.json"
    card = json.loads(card_file.read_text()) if card_file.exists() else {}
    return ConvLMAdapter(model, name or path.name, source=str(path), card=card)


def load_builtin(key: str = DEFAULT_MODEL) -> ConvLMAdapter:
    """One of :data:`BUILTIN_MODELS` (``default-mlm`` / ``default-clm``)."""
    if key not in BUILTIN_MODELS:
        raise ModelLoadError(f"Unknown built-in model {key!r}; choose one of {', '.join(BUILTIN_MODELS)}.")
    folder, label = BUILTIN_MODELS[key]
    return load_convlm_dir(WEIGHTS_DIR / folder, name=key)
