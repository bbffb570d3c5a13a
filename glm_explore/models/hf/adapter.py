"""The :class:`HFAdapter`: a transformers model + tokenizer behind the GenomicLM protocol.

Tokens ↔ bases are handled by :class:`~glm_explore.models.hf.alignment.TokenAligner` and its tokenizer
kind's strategy (:mod:`glm_explore.models.tokenization`).
``onehot_forward`` / ``onehot_hidden`` (gradients for attribution, the probe target) exist only for
character-level models with an embedding matrix (``inputs_embeds = one-hot @ embedding rows``) or
GPN's one-hot ``input_probs``; the adapter declares this in ``info.capabilities`` and other models
raise :class:`~glm_explore.errors.UnsupportedByModelError`.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import InputTooLargeError, UnsupportedByModelError
from ..adapter import BaseAdapter, batches_by_length, check_equal_lengths
from ..base import Capabilities, ModelInfo
from .alignment import TokenAligner, Tokens
from .config import hidden_dim, n_layers, token_limit


class HFAdapter(BaseAdapter):
    """:class:`~glm_explore.models.base.GenomicLM` over a transformers model + tokenizer.

    What it serves is declared in ``info.capabilities``. Kept for older callers: ``k`` (k-mer size,
    1 for char, 0 for BPE), ``tokenization``, ``supports_onehot``, ``approximations`` (what is not
    exact for this model) and ``remote_code`` (files allowed to run).
    """

    def __init__(self, model, tokenizer, *, objective: str, name: str, source: str,
                 remote_code: list[str] | None = None) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.network = model
        self.remote_code = remote_code or []
        cfg = model.config
        self.aligner = TokenAligner(tokenizer, objective=objective, name=name, config=cfg,
                                    max_tokens=token_limit(cfg))
        self.strategy = self.aligner.strategy
        self.tokenization, self.k = self.strategy.name, self.strategy.k
        self._route = self._onehot_route() if self.strategy.base_tokens else None
        self.supports_onehot = self._route is not None
        self.approximations = self._approximation_notes(objective)
        self.info = ModelInfo(
            name=name, objective=objective, tokenization=self.tokenization, max_len=self.aligner.max_len,
            n_layers=n_layers(cfg), dim=hidden_dim(cfg), source=source, receptive_field=None,
            n_parameters=sum(p.numel() for p in model.parameters()),
            card={"hf_model_type": getattr(cfg, "model_type", ""), "k": self.k,
                  "architectures": list(getattr(cfg, "architectures", None) or []),
                  "remote_code": self.remote_code},
            capabilities=Capabilities(
                onehot_forward=self.supports_onehot, onehot_hidden=self.supports_onehot, one_pass_layers=False,
                every_layer=self._exposes_every_layer(), snv_rule=self.strategy.snv_rule, k=self.k,
                approximations=tuple(self.approximations.items())),
        )

    # -- setup helpers -------------------------------------------------------------------------
    def _onehot_route(self) -> str | None:
        """How one-hot bases enter the model: ``inputs_embeds``, GPN's ``input_probs``, or None."""
        emb = self.model.get_input_embeddings() if hasattr(self.model, "get_input_embeddings") else None
        if isinstance(emb, torch.nn.Embedding):
            return "inputs_embeds"
        if getattr(self.model.config, "model_type", "") == "GPN" and getattr(self.model.config, "embedding",
                                                                             "") == "one_hot":
            return "input_probs"
        return None

    def _exposes_every_layer(self) -> bool:
        """Whether the model's outputs carry per-layer hidden states (one forward over a few bases)."""
        al = self.aligner
        ids = torch.tensor([al.prefix + [int(al.base_ids[0])] * 4 + al.suffix], dtype=torch.long)
        try:
            with torch.inference_mode():
                out = self.model(input_ids=ids, output_hidden_states=True)
        except Exception:  # cannot tell from a toy input: hidden_states says so when it is asked
            return True
        return getattr(out, "hidden_states", None) is not None

    def _approximation_notes(self, objective: str) -> dict[str, str]:
        notes = dict(self.strategy.approximations())
        if objective == "clm" and not self.aligner.prefix:
            notes["first_base"] = "no BOS token: the first base gets a uniform prediction"
        return notes

    # -- tokens --------------------------------------------------------------------------------
    def tokenize(self, seq: str) -> Tokens:
        """Token ids (with specials) and the base ↔ token map of one sequence."""
        return self.aligner.tokenize(seq)

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why a SNV at 0-based ``offset`` of ``seq`` cannot be scored (BPE rule), or None."""
        return self.aligner.snv_skip_reason(seq, offset, alt)

    def _forward(self, ids: torch.Tensor, hidden: bool = False):
        kw = {"output_hidden_states": True} if hidden else {}
        try:
            return self.model(input_ids=ids, **kw)
        except IndexError as exc:  # position embeddings exhausted
            raise InputTooLargeError(f"Input too long for {self.info.name} ({ids.shape[1]} tokens): use a "
                                     "shorter region.") from exc

    # -- protocol: log_probs -------------------------------------------------------------------
    @torch.inference_mode()
    def log_probs(self, seqs: list[str], masked: np.ndarray | None = None, *, batch_size: int = 64
                  ) -> np.ndarray:
        """(N, 4, L) natural-log probabilities over A,C,G,T per nucleotide (equal-length ``seqs``).

        MLM: every token holding a base with ``masked[n, i]`` is replaced by the mask token.
        CLM: column i is P(x_i | x_<i); ``masked`` must be None.
        """
        L = check_equal_lengths(seqs)
        mlm = self.info.objective == "mlm"
        if masked is not None:
            if not mlm:
                raise ValueError("a causal LM has no mask token: pass masked=None")
            masked = np.asarray(masked, dtype=bool)
            if masked.shape != (len(seqs), L):
                raise ValueError(f"masked has shape {masked.shape}, expected {(len(seqs), L)}")
        else:
            masked = np.zeros((len(seqs), L), dtype=bool)
        toks = {s: self.aligner.tokenize_cached(s) for s in set(seqs)}
        out = np.empty((len(seqs), 4, L), dtype=np.float32)
        for chunk in batches_by_length([len(toks[s].ids) for s in seqs], batch_size):
            ids = np.stack([toks[seqs[n]].ids for n in chunk]).copy()
            if mlm:
                for r, n in enumerate(chunk):
                    tok_masked = np.unique(toks[seqs[n]].base_tok[masked[n]])
                    ids[r, tok_masked] = self.aligner.mask_id
            logits = self._forward(torch.from_numpy(ids)).logits.float()
            for r, n in enumerate(chunk):
                out[n] = self.aligner.to_bases(logits[r], toks[seqs[n]], seqs[n], masked[n], mlm=mlm)
        return out

    # -- protocol: hidden_states ---------------------------------------------------------------
    @torch.inference_mode()
    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        """Per-nucleotide (L_n, D) float32 states after ``layer`` (0 = embeddings, -1 = last).

        Token states are broadcast to every base the token covers (k-mer / BPE).
        """
        upto = self.layer_index(layer)
        if upto != self.info.n_layers and not self.info.capabilities.every_layer:
            raise UnsupportedByModelError(f"{self.info.name} exposes only its last layer; choose layer -1.")
        toks = [self.aligner.tokenize(s) for s in seqs]
        out: list[np.ndarray | None] = [None] * len(seqs)
        for chunk in batches_by_length([len(t.ids) for t in toks], batch_size):
            h = self._layer_states(torch.from_numpy(np.stack([toks[i].ids for i in chunk])), upto)
            for r, i in enumerate(chunk):
                out[i] = self.aligner.states_to_bases(h[r], toks[i]).astype(np.float32)
        return out  # type: ignore[return-value]

    def _base_model(self):
        return getattr(self.model, self.model.base_model_prefix, None) or self.model.base_model

    def _layer_states(self, ids: torch.Tensor, upto: int) -> np.ndarray:
        out = self._forward(ids, hidden=True)
        hs = getattr(out, "hidden_states", None)
        if hs is not None:
            return hs[upto].float().numpy()
        if upto != self.info.n_layers:
            raise UnsupportedByModelError(f"{self.info.name} exposes only its last layer; choose layer -1.")
        return self._base_model()(input_ids=ids).last_hidden_state.float().numpy()

    # -- protocol: onehot_forward / onehot_hidden ----------------------------------------------
    def _onehot_inputs(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> dict:
        """Model keyword inputs for one-hot (N, 4, L) bases, framed by the special tokens (char models)."""
        if self._route is None:
            why = (f"{self.info.name} reads {self.tokenization} tokens, not bases" if not self.strategy.base_tokens
                   else f"{self.info.name} has no embedding matrix to feed one-hot bases through")
            raise UnsupportedByModelError(f"Gradient attributions need a per-base differentiable input, but {why}. "
                                          "Use in-silico mutagenesis (ISM) instead.")
        al = self.aligner
        N, _, L = x.shape
        base_ids = torch.from_numpy(al.base_ids)
        if self._route == "inputs_embeds":
            E = self.model.get_input_embeddings().weight
            emb = torch.einsum("nbl,bd->nld", x.to(E.dtype), E[base_ids])
            if masked is not None:
                m = masked.to(emb.dtype).unsqueeze(-1)
                emb = emb * (1 - m) + m * E[al.mask_id]
            pre = E[torch.tensor(al.prefix, dtype=torch.long)].expand(N, -1, -1)
            suf = E[torch.tensor(al.suffix, dtype=torch.long)].expand(N, -1, -1)
            return {"inputs_embeds": torch.cat([pre, emb, suf], dim=1)}
        V = self.model.config.vocab_size
        probs = torch.zeros(N, L, V, dtype=x.dtype)
        probs = probs.index_add(2, base_ids, x.transpose(1, 2))
        if masked is not None:
            m = masked.to(x.dtype).unsqueeze(-1)
            mask_row = torch.nn.functional.one_hot(torch.tensor(al.mask_id), V).to(x.dtype)
            probs = probs * (1 - m) + m * mask_row
        pre = torch.nn.functional.one_hot(torch.tensor(al.prefix, dtype=torch.long), V).to(x.dtype)
        suf = torch.nn.functional.one_hot(torch.tensor(al.suffix, dtype=torch.long), V).to(x.dtype)
        return {"input_probs": torch.cat([pre.expand(N, -1, -1), probs, suf.expand(N, -1, -1)], dim=1)}

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable one-hot (N, 4, L) → logits (N, 4, L) over A,C,G,T (character-level models).

        MLM: ``masked`` (N, L) positions get the mask token's embedding. CLM: column i are the logits
        predicting base i from bases < i (zeros at column 0 when the model has no BOS token).
        """
        L, P = x.shape[2], len(self.aligner.prefix)
        inputs = self._onehot_inputs(x, masked)
        logits = self.model(**inputs).logits[..., torch.from_numpy(self.aligner.base_ids)]
        if self.info.objective == "mlm":
            return logits[:, P:P + L].transpose(1, 2)
        if P:
            return logits[:, P - 1:P - 1 + L].transpose(1, 2)
        return torch.cat([torch.zeros_like(logits[:, :1]), logits[:, :L - 1]], dim=1).transpose(1, 2)

    def onehot_hidden(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Differentiable one-hot (N, 4, L) → per-base states (N, L, D) for each of ``layers`` (character
        models; 0 = embeddings, -1 = last), from one pass."""
        n, L, P = self.info.n_layers, x.shape[2], len(self.aligner.prefix)
        idx = self.layer_indices(layers)
        inputs = self._onehot_inputs(x)
        hs = getattr(self.model(**inputs, output_hidden_states=True), "hidden_states", None)
        if hs is None:  # e.g. GPN: only the base model's last state (as in hidden_states)
            if set(idx) != {n}:
                raise UnsupportedByModelError(f"{self.info.name} exposes only its last layer; choose layer -1.")
            hs = {n: self._base_model()(**inputs).last_hidden_state}
        return [hs[k][:, P:P + L] for k in idx]
