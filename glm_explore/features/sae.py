"""A TopK sparse autoencoder (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"), plain torch on CPU.

    z = TopK_k(ReLU(W_enc (x̃ − b_dec) + b_enc)),   x̂̃ = W_dec z + b_dec,   x̃ = (x − μ) / s

with μ the data mean and s the root mean squared norm of x − μ divided by √D (so E‖x̃‖² = D); decoder
columns are kept at unit norm; loss = mean squared error. Quality numbers (on the given evaluation rows):

* **FVE** (fraction of variance explained) = 1 − Σ‖x − x̂‖² / Σ‖x − μ‖²;
* **L0** = mean number of non-zero latents per row (≤ k by construction);
* **dead features** = latents never non-zero on the evaluation rows.

The fit is cached and resumable (:func:`fit_sae` with ``cache``): ``sae.safetensors`` (weights, μ, s) and
``sae.json`` (settings, steps done, data fingerprint, quality). A call with the same settings and data
loads it; more ``steps`` than were done continue from the saved weights (a fresh Adam state).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import GlmExploreError


@dataclass(frozen=True)
class SAESettings:
    """What a fit depends on: latents, active latents per row, steps, batch, learning rate, seed."""

    n_features: int = 256
    k: int = 8
    steps: int = 1500
    batch_size: int = 512
    lr: float = 2e-3
    seed: int = 0

    def check(self) -> None:
        if self.n_features < 1 or not 1 <= self.k <= self.n_features:
            raise GlmExploreError(f"An SAE needs 1 ≤ k ≤ n_features; got k={self.k}, n_features={self.n_features}.")
        if self.steps < 1 or self.batch_size < 1 or not self.lr > 0:
            raise GlmExploreError("SAE steps, batch size and learning rate must be positive.")


class TopKSAE(nn.Module):
    """The autoencoder of the module docstring (on standardised inputs)."""

    def __init__(self, dim: int, n_features: int, k: int, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(dim, n_features, generator=g)
        w = w / w.norm(dim=0, keepdim=True)
        self.k = k
        self.W_dec = nn.Parameter(w.clone())  # (D, F), unit columns
        self.W_enc = nn.Parameter(w.t().clone())  # (F, D), tied at init
        self.b_enc = nn.Parameter(torch.zeros(n_features))
        self.b_dec = nn.Parameter(torch.zeros(dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        pre = torch.relu((x - self.b_dec) @ self.W_enc.t() + self.b_enc)
        top = torch.topk(pre, self.k, dim=-1)
        return torch.zeros_like(pre).scatter_(-1, top.indices, top.values)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.W_dec.t() + self.b_dec

    @torch.no_grad()
    def normalise_decoder(self) -> None:
        self.W_dec /= self.W_dec.norm(dim=0, keepdim=True).clamp_min(1e-8)


@dataclass(frozen=True)
class SAEFit:
    """A fitted SAE: the module, the standardisation (``mean`` (D,), ``scale``), settings and quality."""

    sae: TopKSAE
    mean: np.ndarray
    scale: float
    settings: SAESettings
    steps_done: int
    fve: float
    l0: float
    dead: int
    fingerprint: str

    @property
    def n_features(self) -> int:
        return self.settings.n_features

    @property
    def directions(self) -> np.ndarray:
        """(F, D) unit decoder directions in standardised input space."""
        return self.sae.W_dec.detach().t().numpy().copy()

    @torch.no_grad()
    def encode(self, x: np.ndarray, *, batch_size: int = 8192) -> np.ndarray:
        """(..., D) inputs → (..., F) float32 latents."""
        x = np.asarray(x, dtype=np.float32)
        flat = x.reshape(-1, x.shape[-1])
        out = [self.sae.encode(torch.from_numpy((flat[i:i + batch_size] - self.mean) / self.scale)).numpy()
               for i in range(0, len(flat), batch_size)]
        z = np.concatenate(out) if out else np.zeros((0, self.n_features), np.float32)
        return z.reshape(*x.shape[:-1], self.n_features)

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        z = torch.from_numpy(self.encode(x).reshape(-1, self.n_features))
        xh = self.sae.decode(z).numpy() * self.scale + self.mean
        return xh.reshape(np.shape(x))


def data_fingerprint(x: np.ndarray) -> str:
    """16 hex digits of SHA-1 over the training rows' shape and bytes."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    return hashlib.sha1(repr(a.shape).encode() + a.tobytes()).hexdigest()[:16]


@torch.no_grad()
def sae_quality(sae: TopKSAE, x: np.ndarray, mean: np.ndarray, scale: float) -> tuple[float, float, int]:
    """(FVE, L0, dead latents) of ``sae`` on rows ``x`` (N, D) — see the module docstring."""
    xt = torch.from_numpy((np.asarray(x, np.float32) - mean) / scale)
    z = sae.encode(xt)
    err = ((sae.decode(z) - xt) ** 2).sum()
    total = ((xt - xt.mean(0)) ** 2).sum()
    fve = float(1 - err / total.clamp_min(1e-12))
    return fve, float((z > 0).sum(1).float().mean()), int(((z > 0).sum(0) == 0).sum())


def _train(sae: TopKSAE, xt: torch.Tensor, settings: SAESettings, start: int, progress=None) -> None:
    opt = torch.optim.Adam(sae.parameters(), lr=settings.lr)
    g = torch.Generator().manual_seed(settings.seed + start)
    n = len(xt)
    for step in range(start, settings.steps):
        batch = xt[torch.randint(0, n, (min(settings.batch_size, n),), generator=g)]
        loss = ((sae.decode(sae.encode(batch)) - batch) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sae.normalise_decoder()
        if progress is not None and (step + 1) % 100 == 0:
            progress((step + 1) / settings.steps, f"SAE step {step + 1}/{settings.steps}, loss {float(loss):.4f}")


def fit_sae(x: np.ndarray, settings: SAESettings = SAESettings(), *, eval_x: np.ndarray | None = None,
            cache: str | Path | None = None, progress=None) -> SAEFit:
    """Fit a TopK SAE to rows ``x`` (N, D); quality on ``eval_x`` (default ``x``). See the module docstring."""
    from safetensors.torch import load_file, save_file

    settings.check()
    x = np.asarray(x, dtype=np.float32).reshape(-1, np.shape(x)[-1])
    if len(x) < 2:
        raise GlmExploreError("An SAE needs at least 2 rows of activations.")
    fp = data_fingerprint(x)
    mean = x.mean(0)
    scale = float(np.sqrt(((x - mean) ** 2).sum(1).mean() / x.shape[1])) or 1.0
    torch.manual_seed(settings.seed)
    sae = TopKSAE(x.shape[1], settings.n_features, settings.k, settings.seed)
    start = 0
    cache = Path(cache) if cache is not None else None
    if cache is not None and (cache / "sae.json").exists() and (cache / "sae.safetensors").exists():
        meta = json.loads((cache / "sae.json").read_text())
        same = meta.get("fingerprint") == fp and all(
            meta["settings"].get(f) == v for f, v in asdict(settings).items() if f != "steps")
        if same and meta["steps_done"] <= settings.steps:
            sae.load_state_dict(load_file(str(cache / "sae.safetensors")))
            start = int(meta["steps_done"])
    xt = torch.from_numpy((x - mean) / scale)
    if start < settings.steps:
        _train(sae, xt, settings, start, progress)
    fve, l0, dead = sae_quality(sae, x if eval_x is None else np.asarray(eval_x).reshape(-1, x.shape[1]), mean, scale)
    fit = SAEFit(sae=sae.eval(), mean=mean, scale=scale, settings=settings, steps_done=settings.steps, fve=fve, l0=l0,
                 dead=dead, fingerprint=fp)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().contiguous() for k, v in sae.state_dict().items()}, str(cache / "sae.safetensors"))
        (cache / "sae.json").write_text(json.dumps({
            "settings": asdict(settings), "steps_done": settings.steps, "fingerprint": fp, "mean": mean.tolist(),
            "scale": scale, "fve": fve, "l0": l0, "dead": dead}, indent=1))
    return fit


def encoder_arrays(fit: SAEFit) -> dict:
    """What encoding needs, as plain arrays: ``W_enc`` (F, D), ``b_enc`` (F,), ``b_dec`` (D,), ``mean`` (D,) and
    the scalars ``scale``, ``k`` (what a :class:`~glm_explore.results.features.FeatureDictionary` carries)."""
    sd = fit.sae.state_dict()
    return {"W_enc": sd["W_enc"].numpy().copy(), "b_enc": sd["b_enc"].numpy().copy(),
            "b_dec": sd["b_dec"].numpy().copy(), "mean": np.asarray(fit.mean, np.float32), "scale": float(fit.scale),
            "k": int(fit.settings.k)}


def fit_from_encoder(enc: dict) -> SAEFit:
    """An :class:`SAEFit` that encodes like the one :func:`encoder_arrays` read (decoder = encoderᵀ, unused; quality
    numbers NaN)."""
    w = torch.as_tensor(np.asarray(enc["W_enc"], np.float32))
    n_features, dim = w.shape
    sae = TopKSAE(dim, n_features, int(enc["k"]))
    sae.load_state_dict({"W_enc": w, "W_dec": w.t().contiguous(), "b_enc": torch.as_tensor(np.asarray(enc["b_enc"], np.float32)),
                         "b_dec": torch.as_tensor(np.asarray(enc["b_dec"], np.float32))})
    settings = SAESettings(n_features=n_features, k=int(enc["k"]))
    return SAEFit(sae=sae.eval(), mean=np.asarray(enc["mean"], np.float32), scale=float(enc["scale"]), settings=settings,
                  steps_done=0, fve=float("nan"), l0=float("nan"), dead=-1, fingerprint="")
