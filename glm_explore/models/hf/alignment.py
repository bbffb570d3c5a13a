"""Tokens ↔ nucleotides for Hugging Face DNA tokenizers: the :class:`TokenAligner`.

Every output of the adapter is per nucleotide: log-probs (N, 4, L) over A,C,G,T and hidden states (L, D).

* **char** (one token per base, e.g. GPN, HyenaDNA, Caduceus): direct. Log-probs are the model's
  softmax restricted to the four base tokens and renormalised.
* **kmer** (non-overlapping k-mers from the left, single-base tokens for the leftover tail and around
  N, as the Nucleotide Transformer tokenizer does): a base is predicted through the token that
  contains it. Masking base i masks its whole k-mer token; the model then gives a joint distribution
  P(w) over the 4^k k-mers at that token. The base's distribution is that joint conditioned on the
  reference at the token's other k−1 (unmasked) positions::

      P(x_i = b | rest) ∝ Σ_{w : w_i = b, w_j = x_j for unmasked j ≠ i in the token} P(w)

  (summing over any other masked positions of the same token). This is an **approximation** of a
  per-base masked marginal: the model never sees the other k−1 bases of the token as input, and
  probability it puts on non-k-mer tokens at that slot is dropped. Causal k-mer models use the
  same idea left to right: P(x_i = b | x_<i) ∝ Σ over tokens whose first bases match the reference
  prefix inside the token and whose next base is b.
* **bpe** (variable-length tokens, DNABERT-2): bases are aligned to tokens through the tokenizer's
  offsets. Predictions use the same conditioning over tokens **of the same length** as the reference
  token (an approximation: a different-length token would shift the alignment). A SNV is scorable
  only when ref and alt tokenize to the same number of tokens differing in one token
  (:meth:`TokenAligner.snv_skip_reason` says why not, as DNALLM does).

Hidden states of k-mer / BPE models are broadcast from each token to the bases it covers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from ...errors import InputTooLargeError, ModelLoadError, UnsupportedByModelError
from ...sequence import ALPHABET

UNBOUNDED_LEN = 100_000  # max_len (bp) reported for models without a position limit


@dataclass(frozen=True)
class Tokens:
    """One sequence's tokens and its base ↔ token map (indices into ``ids``, specials included)."""

    ids: np.ndarray        # (T,) int64 token ids incl. special tokens
    base_tok: np.ndarray   # (L,) token index holding base i
    tok_start: np.ndarray  # (T,) first base of each token (-1 for special tokens)
    tok_len: np.ndarray    # (T,) bases covered by each token (0 for special tokens)


def nucleotide_vocab(tokenizer) -> dict[str, int]:
    """Vocabulary entries made of A/C/G/T only (upper-cased) → id."""
    out: dict[str, int] = {}
    for tok, i in tokenizer.get_vocab().items():
        s = tok.upper()
        if s and set(s) <= set(ALPHABET) and s not in out:
            out[s] = int(i)
    return out


def detect_tokenization(tokenizer, nuc: dict[str, int]) -> tuple[str, int]:
    """``("char", 1)``, ``("kmer", k)`` or ``("bpe", 0)`` from the nucleotide vocabulary ``nuc``."""
    lengths: dict[int, int] = {}
    for s in nuc:
        lengths[len(s)] = lengths.get(len(s), 0) + 1
    singles = all(b in nuc for b in ALPHABET)
    if not singles:  # every DNA tokenizer (char, k-mer, BPE) has A, C, G and T; else predictions are meaningless
        missing = ", ".join(b for b in ALPHABET if b not in nuc)
        raise ModelLoadError(f"This tokenizer ({type(tokenizer).__name__}) has no token for {missing}: it is not a "
                             "DNA tokenizer. Save the model's own tokenizer next to it (tokenizer.save_pretrained).")
    if set(lengths) == {1}:
        return "char", 1
    multi = [m for m in lengths if m > 1]
    if singles and len(multi) == 1 and lengths[multi[0]] == 4 ** multi[0]:
        return "kmer", multi[0]
    if getattr(tokenizer, "is_fast", False):
        return "bpe", 0
    raise ModelLoadError(f"Cannot map this tokenizer ({type(tokenizer).__name__}) to nucleotides: it is not "
                         "character-level, non-overlapping k-mer, nor a fast (offset-reporting) BPE tokenizer.")


def split_kmers(seq: str, k: int) -> list[str]:
    """Non-overlapping k-mers from the left; single bases for the leftover tail and around N."""
    out, i = [], 0
    while i < len(seq):
        chunk = seq[i:i + k]
        if len(chunk) == k and set(chunk) <= set(ALPHABET):
            out.append(chunk)
            i += k
        else:
            out.append(seq[i])
            i += 1
    return out


def codes(seq: str) -> np.ndarray:
    """(L,) int64 codes of an upper-case sequence: A,C,G,T → 0..3, anything else → 4."""
    lut = np.full(256, 4, dtype=np.int64)
    for i, b in enumerate(ALPHABET):
        lut[ord(b)] = i
    return lut[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def token_groups(nuc: dict[str, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Nucleotide tokens grouped by length m: ``{m: (codes (n, m), ids (n,))}`` for marginalisation."""
    groups: dict[int, tuple[list, list]] = {}
    for s, i in nuc.items():
        groups.setdefault(len(s), ([], []))
        groups[len(s)][0].append(codes(s))
        groups[len(s)][1].append(i)
    return {m: (np.stack(c), np.array(i)) for m, (c, i) in groups.items()}


def mlm_token(groups, probs: np.ndarray, ref: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """(4, m) unnormalised P(base b at offset j) from a token-level distribution ``probs`` (V,).

    Σ over same-length nucleotide tokens w with w_j = b that match ``ref`` at the token's
    unmasked offsets other than j (masked offsets other than j are summed over).
    """
    m = len(ref)
    if m not in groups:
        return np.ones((4, m))
    cand, ids = groups[m]
    pw = probs[ids]  # (n,)
    neq = (cand != ref[None, :]) & ~masked[None, :]  # mismatches at known offsets
    mism = neq.sum(axis=1)
    agree = (mism[:, None] - neq) == 0  # (n, m): agrees at every known offset except j
    onehot = cand[:, :, None] == np.arange(4)[None, None, :]  # (n, m, 4)
    return np.einsum("w,wj,wjb->bj", pw, agree, onehot)


def clm_token(groups, probs: np.ndarray | None, ref: np.ndarray) -> np.ndarray:
    """(4, m) unnormalised P(x_{a+j} = b | x_<a+j) from the next-token distribution ``probs`` (V,).

    Σ over nucleotide tokens w longer than j whose first j bases match the reference and w_j = b.
    """
    m = len(ref)
    p = np.zeros((4, m))
    if probs is None:
        return np.ones((4, m))
    for mm, (cand, ids) in groups.items():
        jmax = min(m, mm)
        eq = cand[:, :jmax] == ref[None, :jmax]
        prefix_ok = np.concatenate([np.ones((len(cand), 1), bool), np.cumprod(eq, axis=1)[:, :-1].astype(bool)],
                                   axis=1)  # (n, jmax): w_<j matches
        onehot = cand[:, :jmax, None] == np.arange(4)[None, None, :]
        p[:, :jmax] += np.einsum("w,wj,wjb->bj", probs[ids], prefix_ok, onehot)
    return p


def normalise_log(p: np.ndarray) -> np.ndarray:
    """(4, L) non-negative weights → log-probabilities; columns with no mass become uniform."""
    total = p.sum(axis=0, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.25)
    p = np.clip(p, 1e-12, None)
    return np.log(p / p.sum(axis=0, keepdims=True)).astype(np.float32)


def special_frame(tokenizer, base_id: int | None, *, lower: bool, objective: str, config
                  ) -> tuple[list[int], list[int]]:
    """Token ids the tokenizer puts before / after a sequence (e.g. [CLS] … [SEP]); CLMs get BOS."""
    prefix: list[int] = []
    suffix: list[int] = []
    if base_id is not None:
        try:
            ids = list(tokenizer("a" if lower else "A", add_special_tokens=True)["input_ids"])
            if base_id in ids:
                at = ids.index(base_id)
                prefix, suffix = ids[:at], ids[at + 1:]
        except Exception:  # tokenizers with unusual call signatures: no specials
            pass
    if objective == "clm":
        suffix = []  # nothing after the last base matters to a causal model
        if not prefix:
            bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else \
                getattr(tokenizer, "eos_token_id", None)
            if bos is None:
                bos = getattr(config, "bos_token_id", None)
            prefix = [int(bos)] if bos is not None else []
    return [int(i) for i in prefix], [int(i) for i in suffix]


class TokenAligner:
    """How one DNA tokenizer turns sequences into tokens and token predictions back into bases.

    ``tokenization`` is ``char`` / ``kmer`` / ``bpe`` and ``k`` the bases per token (1, k, 0);
    ``prefix`` / ``suffix`` the special token ids around every sequence; ``max_tokens`` the model's
    token limit (None = unbounded). Thread-safe: it is shared between Streamlit sessions.
    """

    def __init__(self, tokenizer, *, objective: str, name: str, config, max_tokens: int | None) -> None:
        self.tokenizer, self.name, self.max_tokens = tokenizer, name, max_tokens
        nuc = nucleotide_vocab(tokenizer)
        self.tokenization, self.k = detect_tokenization(tokenizer, nuc)
        vocab = tokenizer.get_vocab()
        self.lower = "A" not in vocab and "a" in vocab
        self.nuc = nuc
        self.base_ids = np.array([nuc.get(b, -1) for b in ALPHABET], dtype=np.int64)
        self.unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        n_id = vocab.get("n" if self.lower else "N", vocab.get("N", vocab.get("n")))
        self.n_id = int(n_id) if n_id is not None else int(self.unk)
        self.mask_id = tokenizer.mask_token_id
        if objective == "mlm" and self.mask_id is None:
            raise ModelLoadError(f"{name} is a masked LM but its tokenizer has no mask token.")
        base_id = int(self.base_ids[0]) if self.base_ids[0] >= 0 else None
        self.prefix, self.suffix = special_frame(tokenizer, base_id, lower=self.lower, objective=objective,
                                                 config=config)
        self.groups = token_groups(nuc)
        self._cache: dict = {}  # tokenizations / substitution tables of recent sequences
        self._cache_lock = threading.Lock()

    @property
    def max_len(self) -> int:
        """Longest sequence (bp) that fits in ``max_tokens`` (k bases per k-mer token)."""
        if not self.max_tokens:
            return UNBOUNDED_LEN
        per_token = self.k if self.tokenization == "kmer" else 1
        return int((self.max_tokens - len(self.prefix) - len(self.suffix)) * per_token)

    # -- sequence → tokens ---------------------------------------------------------------------
    def encode_core(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        """Token ids, start base and length of each token for ``seq`` (no specials)."""
        seq = seq.upper()
        if self.tokenization == "char":
            ids = [int(self.base_ids[c]) if c < 4 else self.n_id for c in codes(seq)]
            return ids, list(range(len(seq))), [1] * len(seq)
        if self.tokenization == "kmer":
            ids, starts, lens, at = [], [], [], 0
            for t in split_kmers(seq, self.k):
                ids.append(self.nuc.get(t, self.n_id if t == "N" else self.unk))
                starts.append(at)
                lens.append(len(t))
                at += len(t)
            return ids, starts, lens
        text = seq.lower() if self.lower else seq
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, starts, lens = [], [], []
        for i, (a, b) in zip(enc["input_ids"], enc["offset_mapping"]):
            if b > a:
                ids.append(int(i))
                starts.append(int(a))
                lens.append(int(b - a))
        covered = np.zeros(len(seq), dtype=bool)
        for a, m in zip(starts, lens):
            covered[a:a + m] = True
        if not covered.all():
            raise UnsupportedByModelError(f"{self.name}'s tokenizer drops bases (e.g. at position "
                                          f"{int(np.argmin(covered)) + 1}); it cannot be aligned per nucleotide.")
        return ids, starts, lens

    def tokenize(self, seq: str) -> Tokens:
        """Token ids (with specials) and the base ↔ token map of one sequence."""
        core, starts, lens = self.encode_core(seq)
        P, T = len(self.prefix), len(core)
        ids = np.array(self.prefix + core + self.suffix, dtype=np.int64)
        tok_start = np.full(len(ids), -1, dtype=np.int64)
        tok_len = np.zeros(len(ids), dtype=np.int64)
        tok_start[P:P + T], tok_len[P:P + T] = starts, lens
        base_tok = np.repeat(np.arange(P, P + T), lens)
        if self.max_tokens and len(ids) > self.max_tokens:
            raise InputTooLargeError(f"{len(seq):,} bp make {len(ids):,} tokens but {self.name} reads at most "
                                     f"{self.max_tokens:,} tokens (~{self.max_len:,} bp): use a shorter region.")
        return Tokens(ids, base_tok, tok_start, tok_len)

    def tokenize_cached(self, seq: str) -> Tokens:
        """:meth:`tokenize`, remembered for the last few sequences."""
        with self._cache_lock:
            hit = self._cache.get(seq)
        if hit is None:
            hit = self.tokenize(seq)
            with self._cache_lock:
                if len(self._cache) > 8:
                    self._cache.clear()
                self._cache[seq] = hit
        return hit

    def substitutions(self, seq: str) -> np.ndarray:
        """(4, L) id of the token holding base i with base i replaced by b (-1 if not in the vocabulary)."""
        key = ("subst", seq)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        tk, up = self.tokenize_cached(seq), seq.upper()
        out = np.full((4, len(seq)), -1, dtype=np.int64)
        for t in np.nonzero(tk.tok_len)[0]:
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            word = up[a:a + m]
            for j in range(m):
                for b, base in enumerate(ALPHABET):
                    out[b, a + j] = self.nuc.get(word[:j] + base + word[j + 1:], -1)
        with self._cache_lock:
            self._cache[key] = out
        return out

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why a SNV at 0-based ``offset`` of ``seq`` cannot be scored exactly-enough, or None.

        Character and k-mer models score every SNV (k-mer: through the token containing it). A BPE
        model scores it only when the ref and alt sequences tokenize to the same number of tokens
        differing in exactly one token (DNALLM's rule); otherwise the reason is returned.
        """
        if self.tokenization != "bpe":
            return None
        ref_ids = self.encode_core(seq)[0]
        alt_ids = self.encode_core(seq[:offset] + alt + seq[offset + 1:])[0]
        if len(ref_ids) != len(alt_ids):
            return f"alt changes the BPE tokenization ({len(ref_ids)} → {len(alt_ids)} tokens)"
        n_diff = sum(a != b for a, b in zip(ref_ids, alt_ids))
        if n_diff != 1:
            return f"alt changes {n_diff} BPE tokens (scored only when exactly one token differs)"
        return None

    # -- token predictions → bases -------------------------------------------------------------
    def to_bases(self, logits: torch.Tensor, tk: Tokens, seq: str, masked: np.ndarray, *, mlm: bool
                 ) -> np.ndarray:
        """(T, V) logits of one sequence → (4, L) log-probs per base (see the module docstring)."""
        L = len(seq)
        if self.tokenization == "char":
            pos = tk.base_tok if mlm else tk.base_tok - 1
            ok = pos >= 0
            lp = np.full((4, L), -np.log(4.0), dtype=np.float32)
            sel = logits[torch.from_numpy(pos[ok])][:, torch.from_numpy(self.base_ids)]
            lp[:, ok] = torch.log_softmax(sel, dim=-1).numpy().T
            return lp
        probs = torch.softmax(logits, dim=-1).numpy().astype(np.float64)
        ref = codes(seq.upper())
        if not mlm:
            p = np.zeros((4, L), dtype=np.float64)
            for t in np.nonzero(tk.tok_len)[0]:
                a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
                p[:, a:a + m] = clm_token(self.groups, probs[t - 1] if t > 0 else None, ref[a:a + m])
            return normalise_log(p)
        # fast path (no masked base in the token): the agreeing tokens are the 4 substitutions
        subst = self.substitutions(seq)  # (4, L) vocab ids, -1 = not in vocabulary
        p = np.where(subst >= 0, probs[tk.base_tok[None, :], np.maximum(subst, 0)], 0.0)
        n_masked = np.bincount(tk.base_tok[masked], minlength=len(tk.ids))
        for t in np.nonzero(n_masked)[0]:  # masked token: its other bases sum over the masked ones
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            p[:, a:a + m] = mlm_token(self.groups, probs[t], ref[a:a + m], masked[a:a + m])
        return normalise_log(p)
