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
from ..cone import single_mask_log_probs
from ..runtime import batch_size_for
from .alignment import TokenAligner, Tokens
from .config import hidden_dim, n_layers, token_limit
from .gpn import gpn_cone_net, gpn_receptive_field


class HFAdapter(BaseAdapter):
    """:class:`~glm_explore.models.base.GenomicLM` over a transformers model + tokenizer.

    What it serves is declared in ``info.capabilities``. Kept for older callers: ``k`` (k-mer size,
    1 for char, 0 for BPE), ``tokenization``, ``supports_onehot``, ``approximations`` (what is not
    exact for this model), ``remote_code`` (files allowed to run) and ``caches_prefix`` (read from
    ``info.capabilities``).
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
        self._cache_kw = _cache_keyword(model)
        self._cone = gpn_cone_net(model, self.aligner) if objective == "mlm" else None  # GPN ConvNet: cones
        self.info = ModelInfo(
            name=name, objective=objective, tokenization=self.tokenization, max_len=self.aligner.max_len,
            n_layers=n_layers(cfg), dim=hidden_dim(cfg), source=source, receptive_field=gpn_receptive_field(cfg),
            n_parameters=sum(p.numel() for p in model.parameters()),
            card={"hf_model_type": getattr(cfg, "model_type", ""), "k": self.k,
                  "architectures": list(getattr(cfg, "architectures", None) or []),
                  "remote_code": self.remote_code},
            capabilities=Capabilities(
                onehot_forward=self.supports_onehot, onehot_hidden=self.supports_onehot, one_pass_layers=False,
                every_layer=self._exposes_every_layer(), snv_rule=self.strategy.snv_rule, k=self.k,
                masked_sites=self._cone is not None, caches_prefix=objective == "clm" and self._cache_works(),
                approximations=tuple(self.approximations.items())),
        )

    @property
    def caches_prefix(self) -> bool:
        """Whether :meth:`log_probs_shared_prefix` reuses a key / value cache (``info.capabilities.caches_prefix``)."""
        return self.info.capabilities.caches_prefix

    # -- setup helpers -------------------------------------------------------------------------
    def _onehot_route(self) -> str | None:
        """How one-hot bases enter the model: ``inputs_embeds``, GPN's ``input_probs``, or None."""
        try:
            emb = self.model.get_input_embeddings() if hasattr(self.model, "get_input_embeddings") else None
        except NotImplementedError:  # e.g. gpn's legacy ConvNet: transformers finds no embedding module
            emb = None
        if isinstance(emb, torch.nn.Embedding):
            return "inputs_embeds"
        cfg = self.model.config
        if getattr(cfg, "model_type", "") == "ConvNet" or (  # legacy GPN: always one-hot
                getattr(cfg, "model_type", "") == "GPN" and getattr(cfg, "embedding", "") == "one_hot"):
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

    def _cache_works(self) -> bool:
        """Whether ``past_key_values`` reproduces a full forward (GPT-2, Llama, …): checked on a toy input."""
        ids = torch.tensor([self.aligner.prefix + [int(b) for b in self.aligner.base_ids] * 2], dtype=torch.long)
        try:
            with torch.inference_mode():
                full = self.model(input_ids=ids).logits
                head = self.model(input_ids=ids[:, :3], use_cache=True)
                if _cache_of(head) is None:
                    return False
                tail = self.model(input_ids=ids[:, 3:], **{self._cache_kw: _cache_of(head)}).logits
        except Exception:  # no cache support: the scorers run full windows
            return False
        return bool(torch.allclose(torch.cat([head.logits, tail], dim=1), full, atol=1e-4, rtol=1e-4))

    def _approximation_notes(self, objective: str) -> dict[str, str]:
        notes = dict(self.strategy.approximations())
        if objective == "clm" and not self.aligner.prefix:
            notes["first_base"] = "no BOS token: the first base gets a uniform prediction"
        return notes

    def _fit(self, batch_size: int, seq_len: int) -> int:
        """``batch_size`` windows of ``seq_len`` bases, fewer when their activations would not fit in free memory
        (:func:`~glm_explore.models.runtime.batch_size_for`; the results do not depend on the batching)."""
        return batch_size_for(self, seq_len, requested=batch_size)

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
        for chunk in batches_by_length([len(toks[s].ids) for s in seqs], self._fit(batch_size, L)):
            ids = np.stack([toks[seqs[n]].ids for n in chunk]).copy()
            if mlm:
                for r, n in enumerate(chunk):
                    tok_masked = np.unique(toks[seqs[n]].base_tok[masked[n]])
                    ids[r, tok_masked] = self.aligner.mask_id
            logits = self._forward(torch.from_numpy(ids)).logits.float()
            for r, n in enumerate(chunk):
                out[n] = self.aligner.to_bases(logits[r], toks[seqs[n]], seqs[n], masked[n], mlm=mlm)
        return out

    # -- causal LMs: a shared prefix run once -------------------------------------------------
    @torch.inference_mode()
    def log_probs_shared_prefix(self, groups: list[list[str]], *, batch_size: int = 64) -> list[np.ndarray]:
        """For a CLM: one (n_g, 4, L) array per group of equal-length sequences, equal to ``log_probs(group)``.

        The tokens every sequence of a group shares at its start (e.g. a variant's ref and alt windows, left of
        the variant) are run once and their keys / values (``past_key_values``) reused for each sequence's own
        tokens. Models without a working cache (``capabilities.caches_prefix`` False) run every sequence in full.
        """
        if self.info.objective != "clm" or not self.info.capabilities.caches_prefix:
            return super().log_probs_shared_prefix(groups, batch_size=batch_size)
        toks = [[self.aligner.tokenize(s) for s in g] for g in groups]
        shared = [_common_prefix([t.ids for t in ts]) for ts in toks]
        batch_size = self._fit(batch_size, max(len(s) for g in groups for s in g)) if groups else batch_size
        out: list[np.ndarray] = [np.empty((len(g), 4, len(g[0])), dtype=np.float32) for g in groups]
        by_len: dict[int, list[int]] = {}
        for k, p in enumerate(shared):
            by_len.setdefault(p, []).append(k)
        for p, members in by_len.items():
            if p == 0:  # nothing shared (no BOS token and a difference at the first base)
                for k in members:
                    out[k] = self.log_probs(groups[k], batch_size=batch_size)
                continue
            chunk: list[int] = []
            for k in members + [-1]:  # -1 flushes the last chunk
                if k >= 0 and (not chunk or sum(len(groups[j]) for j in chunk) + len(groups[k]) <= batch_size):
                    chunk.append(k)
                    continue
                self._prefix_chunk(groups, toks, chunk, p, out)
                chunk = [k]
        return out

    def _prefix_chunk(self, groups, toks, chunk: list[int], p: int, out: list[np.ndarray]) -> None:
        """Run the shared ``p`` tokens of the groups in ``chunk`` once, then every member's own tokens.

        Member ``m`` of every group (the ref window first, then each alt) runs as one batch on the prefix's cache
        itself, which is cropped back to the ``p`` prefix tokens afterwards (``Cache.crop``): no copy of the cache.
        Where only some groups have a member ``m`` (sites with several alts), or their own tokens differ in length,
        or the cache cannot be cropped, those rows get a copy of the cache's rows instead."""
        import copy

        head = self._forward_cached(torch.from_numpy(np.stack([toks[k][0].ids[:p] for k in chunk])))
        cache = _cache_of(head)
        for m in range(max(len(groups[k]) for k in chunk)):
            rows = [c for c, k in enumerate(chunk) if m < len(groups[k])]
            lengths = {len(toks[chunk[c]][m].ids) for c in rows}
            if len(rows) == len(chunk) and len(lengths) == 1 and hasattr(cache, "crop") \
                    and hasattr(cache, "get_seq_length"):
                subs, shared = [rows], True
            else:
                subs, shared = [[rows[i] for i in sub] for sub in batches_by_length(
                    [len(toks[chunk[c]][m].ids) for c in rows], len(rows))], False
            for sub in subs:
                use = cache if shared else _select_rows(copy.deepcopy(cache), torch.tensor(sub, dtype=torch.long))
                ids = np.stack([toks[chunk[c]][m].ids[p:] for c in sub])
                tail = self.model(input_ids=torch.from_numpy(ids), **{self._cache_kw: use}).logits.float()
                if shared:
                    _crop_to(cache, p)
                for row, c in enumerate(sub):
                    k = chunk[c]
                    logits = torch.cat([head.logits[c].float(), tail[row]], dim=0)
                    out[k][m] = self.aligner.to_bases(logits, toks[k][m], groups[k][m],
                                                      np.zeros(len(groups[k][m]), dtype=bool), mlm=False)

    def _forward_cached(self, ids: torch.Tensor):
        try:
            return self.model(input_ids=ids, use_cache=True)
        except IndexError as exc:  # position embeddings exhausted
            raise InputTooLargeError(f"Input too long for {self.info.name} ({ids.shape[1]} tokens): use a "
                                     "shorter region.") from exc

    # -- protocol: masked_sites ----------------------------------------------------------------
    @torch.inference_mode()
    def masked_sites(self, seqs: list[str], row_of: np.ndarray, offsets: np.ndarray, *, batch_size: int = 64
                     ) -> np.ndarray:
        """(M, 4) log P over A,C,G,T at ``offsets[m]`` of ``seqs[row_of[m]]`` with only that base masked (MLM).

        A GPN ConvNet (``capabilities.masked_sites``) runs one clean pass per row plus each site's
        receptive-field cone (:func:`~glm_explore.models.cone.single_mask_log_probs`). Other models: masking a
        base masks its whole token, so every requested base of one token is read from one masked copy
        (:meth:`TokenAligner.masked_token_to_bases`): one copy per token, batched, instead of one per base (a
        6-mer model runs 1/6 of the forwards). Equal to :meth:`log_probs` with each base masked alone.
        """
        if self.info.objective != "mlm":
            raise ValueError("a causal LM has no mask token: masked sites need an MLM")
        row_of, offsets = np.asarray(row_of, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
        if self._cone is not None:
            return single_mask_log_probs(self._cone, [self.aligner.tokenize(s).ids for s in seqs], row_of, offsets)
        toks = {s: self.aligner.tokenize(s) for s in set(seqs)}
        units: dict[tuple[int, int], list[int]] = {}  # (row, token index) → the sites it serves
        for m, (r, o) in enumerate(zip(row_of, offsets)):
            units.setdefault((int(r), int(toks[seqs[r]].base_tok[o])), []).append(m)
        keys = list(units)
        out = np.zeros((len(offsets), 4), dtype=np.float64)
        batch_size = self._fit(batch_size, max((len(s) for s in seqs), default=0))
        for chunk in batches_by_length([len(toks[seqs[r]].ids) for r, _ in keys], batch_size):
            ids = np.stack([toks[seqs[keys[i][0]]].ids for i in chunk]).copy()
            ids[np.arange(len(chunk)), [keys[i][1] for i in chunk]] = self.aligner.mask_id
            logits = self._forward(torch.from_numpy(ids)).logits.float()
            for row, i in enumerate(chunk):
                r, t = keys[i]
                tk = toks[seqs[r]]
                lp = self.aligner.masked_token_to_bases(logits[row, t], tk, t, seqs[r])
                sites = units[keys[i]]
                out[sites] = lp[:, offsets[sites] - int(tk.tok_start[t])].T
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
        batch_size = self._fit(batch_size, max((len(s) for s in seqs), default=0))
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


def _common_prefix(rows: list[np.ndarray]) -> int:
    """Tokens every row shares at its start, leaving each row at least one token of its own."""
    n = min(len(r) for r in rows) - 1
    for r in rows[1:]:
        diff = np.nonzero(rows[0][:n] != r[:n])[0]
        n = int(diff[0]) if diff.size else n
    return max(0, n)


def _cache_keyword(model) -> str:
    """The forward's keyword for a key / value cache: ``cache`` (transformers ≥ 5.x) or ``past_key_values``."""
    import inspect

    try:
        return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    except (TypeError, ValueError):
        return "past_key_values"


def _cache_of(out):
    """The key / value cache a forward returned (``cache`` or ``past_key_values``), or None."""
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


def _crop_to(cache, length: int) -> None:
    """Cut a transformers ``Cache`` back to its first ``length`` tokens, in place (``crop`` of minus the extra
    tokens: the form both older and newer transformers take)."""
    extra = int(cache.get_seq_length()) - int(length)
    if extra > 0:
        cache.crop(-extra)


def _select_rows(cache, rows: torch.Tensor):
    """Batch ``rows`` (kept, repeated) of a transformers cache: a ``Cache`` object or legacy key / value tuples."""
    if hasattr(cache, "reorder_cache"):
        cache.reorder_cache(rows)
        return cache
    return tuple(tuple(t.index_select(0, rows) for t in layer) for layer in cache)
