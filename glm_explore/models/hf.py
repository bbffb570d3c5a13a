"""Any Hugging Face DNA language model behind the :class:`~glm_explore.models.base.GenomicLM` protocol.

Loading is strictly offline: a local folder (``save_pretrained`` output) or a model id already in the
local Hugging Face cache. Nothing is ever downloaded; ``trust_remote_code`` is off unless asked for;
weights are read from safetensors, or from ``pytorch_model.bin`` only through torch's
``weights_only`` unpickler (arbitrary pickles are refused).

Heads: masked LMs through ``AutoModelForMaskedLM`` (BERT / RoBERTa / ESM / Nucleotide Transformer,
GPN via the ``gpn`` package) and causal LMs through ``AutoModelForCausalLM`` (GPT-2 / Llama / Mistral;
HyenaDNA / Caduceus when their remote code is allowed).

Tokens → nucleotides
--------------------
Every output is per nucleotide: log-probs (N, 4, L) over A,C,G,T and hidden states (L, D).

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
  (:meth:`HFAdapter.snv_skip_reason` says why not, as DNALLM does).

Hidden states of k-mer / BPE models are broadcast from each token to the bases it covers.
``onehot_forward`` (gradients for attribution) exists only for character-level models, through
``inputs_embeds = one-hot @ embedding rows`` (or GPN's ``input_probs``); other tokenizations raise
:class:`~glm_explore.errors.UnsupportedByModelError`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import InputTooLargeError, ModelLoadError, UnsupportedByModelError
from ..sequence import ALPHABET
from .base import ModelInfo

__all__ = ["HFAdapter", "load_hf_model", "resolve_model_dir", "remote_code_files", "HOW_TO_DOWNLOAD"]

GPN_MODEL_TYPES = {"GPN", "ConvNet", "GPNRoFormer", "GPNStar"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "tokenizer.model",
                   "special_tokens_map.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
HOW_TO_DOWNLOAD = (
    "glm-explore never downloads models. On a machine with network run `hf download {spec}` "
    "(older huggingface_hub: `huggingface-cli download {spec}`) and copy the folder "
    "`models--{folder}` from its ~/.cache/huggingface/hub/ into this machine's cache ({cache}); "
    "or run `hf download {spec} --local-dir SOME/FOLDER`, copy that folder here and enter its path."
)
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


# ----------------------------------------------------------------------------------------- loading

def _hf_cache_dir() -> str:
    try:
        from huggingface_hub.constants import HF_HUB_CACHE
        return str(HF_HUB_CACHE)
    except ImportError:  # pragma: no cover
        return "~/.cache/huggingface/hub"


def resolve_model_dir(spec: str) -> Path:
    """The local folder of ``spec``: an existing directory, or a model id found in the local HF cache.

    Raises :class:`ModelLoadError` saying how to download the model elsewhere when it is absent.
    """
    spec = spec.strip()
    if not spec:
        raise ModelLoadError("Enter a model folder path or a Hugging Face model id (e.g. songlab/gpn-brassicales).")
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.exists():
        raise ModelLoadError(f"{spec} is a file: enter the folder that holds config.json and the weights.")
    looks_like_path = spec.startswith(("/", ".", "~")) or spec.count("/") > 1 or os.sep != "/" and os.sep in spec
    if looks_like_path or not _REPO_ID.match(spec):
        raise ModelLoadError(f"No model folder at {spec}. Enter an existing folder (saved with "
                             "`save_pretrained`) or a model id from the local Hugging Face cache.")
    try:
        from huggingface_hub import snapshot_download
        return Path(snapshot_download(repo_id=spec, local_files_only=True))
    except Exception as exc:  # LocalEntryNotFoundError, HFValidationError, offline errors …
        how = HOW_TO_DOWNLOAD.format(spec=spec, folder=spec.replace("/", "--"), cache=_hf_cache_dir())
        raise ModelLoadError(f"Model {spec!r} is not on this machine ({type(exc).__name__}). {how}") from exc


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} is not valid JSON ({exc}); re-save the model with save_pretrained.") from exc


def remote_code_files(spec_or_dir: str | Path) -> list[str]:
    """Python files a model would run with ``trust_remote_code=True`` ([] when none, or not found).

    Read from the ``auto_map`` entries of ``config.json`` / ``tokenizer_config.json`` plus any
    ``*.py`` in the folder, so the UI can name them before the user allows them.
    """
    try:
        path = resolve_model_dir(str(spec_or_dir))
    except ModelLoadError:
        return []
    files: set[str] = set()
    for name in ("config.json", "tokenizer_config.json"):
        try:
            auto_map = _read_json(path / name).get("auto_map", {})
        except ModelLoadError:
            continue
        for ref in auto_map.values():
            for r in ref if isinstance(ref, list) else [ref]:
                if isinstance(r, str) and "." in r:
                    mod = r.split("--")[-1].rsplit(".", 1)[0]
                    files.add(f"{mod}.py" if "--" not in r else f"{r.split('--')[0]}: {mod}.py")
    files.update(p.name for p in path.glob("*.py"))
    return sorted(files)


def _check_weights(path: Path) -> bool:
    """True if safetensors weights exist; else verify torch weights load with ``weights_only``."""
    if list(path.glob("*.safetensors")):
        return True
    pickles = [p for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES]
    if not pickles:
        raise ModelLoadError(f"{path} has no weights (*.safetensors or pytorch_model.bin).")
    for p in pickles:
        try:
            torch.load(p, map_location="cpu", weights_only=True, mmap=True)
        except Exception as exc:
            raise ModelLoadError(
                f"Refusing {p.name}: it is a pickle that needs arbitrary code to load ({type(exc).__name__}). "
                "Convert the weights to safetensors on a machine where you trust the file "
                "(`model.save_pretrained(folder, safe_serialization=True)`) and load that folder."
            ) from exc
    return False


def _register_gpn(model_type: str) -> None:
    try:
        import gpn
    except ImportError as exc:
        raise ModelLoadError(f"This is a GPN model ({model_type}): install the `gpn` package "
                             "(`pip install gpn`) to load it.") from exc
    if hasattr(gpn, "register_auto_classes"):
        gpn.register_auto_classes()
    else:  # gpn < 0.9 registers its auto classes on import
        import gpn.model  # noqa: F401


def _objective(config, trust_remote_code: bool) -> str:
    archs = " ".join(getattr(config, "architectures", None) or [])
    if "MaskedLM" in archs:
        return "mlm"
    if "CausalLM" in archs or "LMHeadModel" in archs:
        return "clm"
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM
    if type(config) in AutoModelForMaskedLM._model_mapping:
        return "mlm"
    if type(config) in AutoModelForCausalLM._model_mapping or getattr(config, "is_decoder", False):
        return "clm"
    auto_map = getattr(config, "auto_map", None) or {}
    if trust_remote_code and "AutoModelForMaskedLM" in auto_map:
        return "mlm"
    if trust_remote_code and "AutoModelForCausalLM" in auto_map:
        return "clm"
    raise ModelLoadError(f"{type(config).__name__} has neither a masked-LM nor a causal-LM head "
                         f"(architectures: {archs or 'none'}); glm-explore needs a language-model head.")


def load_hf_model(spec: str, *, trust_remote_code: bool = False) -> HFAdapter:
    """Load a Hugging Face DNA LM from a local folder or the local HF cache, offline.

    Parameters
    ----------
    spec : folder path or model id (``org/name``) present in the local Hugging Face cache.
    trust_remote_code : allow the model's own Python files (``auto_map``) to run. Off by default.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = resolve_model_dir(spec)
    cfg_json = _read_json(path / "config.json")
    if not cfg_json:
        raise ModelLoadError(f"{path} has no config.json: it is not a Hugging Face model folder "
                             "(save one with model.save_pretrained(folder)).")
    code = remote_code_files(path)
    needs_code = bool(cfg_json.get("auto_map") or _read_json(path / "tokenizer_config.json").get("auto_map"))
    if needs_code and not trust_remote_code:
        raise ModelLoadError(f"{spec} ships its own Python code ({', '.join(code) or 'auto_map'}). Allow it with "
                             "'trust remote code' (trust_remote_code=True) only if you trust its author.")
    model_type = cfg_json.get("model_type", "")
    if model_type in GPN_MODEL_TYPES:
        _register_gpn(model_type)
    has_safetensors = _check_weights(path)

    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer
    transformers.utils.logging.disable_progress_bar()
    kw = {"local_files_only": True, "trust_remote_code": trust_remote_code}
    try:
        config = AutoConfig.from_pretrained(path, **kw)
        objective = _objective(config, trust_remote_code)
        auto = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
        model = auto.from_pretrained(path, use_safetensors=has_safetensors, **kw)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"Cannot load the model in {path}: {type(exc).__name__}: {exc}") from exc
    if not any((path / f).exists() for f in TOKENIZER_FILES):
        raise ModelLoadError(f"{path} has no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, …); save the "
                             "tokenizer next to the model with tokenizer.save_pretrained(folder).")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kw)
    except Exception as exc:
        raise ModelLoadError(f"{path} has no usable tokenizer ({type(exc).__name__}: {exc}); save the "
                             "tokenizer next to the model with tokenizer.save_pretrained(folder).") from exc
    name = spec if not Path(spec).expanduser().is_dir() else Path(spec).expanduser().resolve().name
    return HFAdapter(model.float().eval(), tokenizer, objective=objective, name=name, source=str(path),
                     remote_code=code if trust_remote_code else [])


# ---------------------------------------------------------------------------------- tokenization

@dataclass(frozen=True)
class _Tokens:
    """One sequence's tokens and its base ↔ token map (indices into ``ids``, specials included)."""

    ids: np.ndarray        # (T,) int64 token ids incl. special tokens
    base_tok: np.ndarray   # (L,) token index holding base i
    tok_start: np.ndarray  # (T,) first base of each token (-1 for special tokens)
    tok_len: np.ndarray    # (T,) bases covered by each token (0 for special tokens)


def _nucleotide_vocab(tokenizer) -> dict[str, int]:
    """Vocabulary entries made of A/C/G/T only (upper-cased) → id."""
    out: dict[str, int] = {}
    for tok, i in tokenizer.get_vocab().items():
        s = tok.upper()
        if s and set(s) <= set(ALPHABET) and s not in out:
            out[s] = int(i)
    return out


def _detect_tokenization(tokenizer, nuc: dict[str, int]) -> tuple[str, int]:
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


def _split_kmers(seq: str, k: int) -> list[str]:
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


def _codes(seq: str) -> np.ndarray:
    lut = np.full(256, 4, dtype=np.int64)
    for i, b in enumerate(ALPHABET):
        lut[ord(b)] = i
    return lut[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


# -------------------------------------------------------------------------------------- adapter

class HFAdapter:
    """:class:`~glm_explore.models.base.GenomicLM` over a transformers model + tokenizer.

    Attributes beyond the protocol: ``k`` (k-mer size, 1 for char, 0 for BPE), ``supports_onehot``,
    ``approximations`` (what is not exact for this model), ``remote_code`` (files allowed to run).
    """

    def __init__(self, model, tokenizer, *, objective: str, name: str, source: str,
                 remote_code: list[str] | None = None) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.remote_code = remote_code or []
        nuc = _nucleotide_vocab(tokenizer)
        self.tokenization, self.k = _detect_tokenization(tokenizer, nuc)
        vocab = tokenizer.get_vocab()
        self._lower = "A" not in vocab and "a" in vocab
        self._nuc = nuc
        self._base_ids = np.array([nuc[b] for b in ALPHABET], dtype=np.int64) if self.tokenization != "bpe" else \
            np.array([nuc.get(b, -1) for b in ALPHABET], dtype=np.int64)
        self._unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0
        n_id = vocab.get("n" if self._lower else "N", vocab.get("N", vocab.get("n")))
        self._n_id = int(n_id) if n_id is not None else int(self._unk)
        self._pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self._unk
        self._mask_id = tokenizer.mask_token_id
        if objective == "mlm" and self._mask_id is None:
            raise ModelLoadError(f"{name} is a masked LM but its tokenizer has no mask token.")
        self._prefix, self._suffix = self._special_frame(objective)
        # nucleotide tokens grouped by length: codes (n, m) and ids (n,) for marginalisation
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for s, i in nuc.items():
            self._groups.setdefault(len(s), ([], []))
            self._groups[len(s)][0].append(_codes(s))
            self._groups[len(s)][1].append(i)
        self._groups = {m: (np.stack(c), np.array(i)) for m, (c, i) in self._groups.items()}
        cfg = model.config
        n_layers = _first_attr(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers") or 0
        dim = _first_attr(cfg, "hidden_size", "n_embd", "d_model", "dim") or 0
        self._max_tokens = self._token_limit(cfg)
        per_token = self.k if self.tokenization == "kmer" else 1
        specials = len(self._prefix) + len(self._suffix)
        max_len = (self._max_tokens - specials) * per_token if self._max_tokens else 100_000
        self.info = ModelInfo(
            name=name, objective=objective, tokenization=self.tokenization, max_len=int(max_len),
            n_layers=int(n_layers), dim=int(dim), source=source, receptive_field=None,
            n_parameters=sum(p.numel() for p in model.parameters()),
            card={"hf_model_type": getattr(cfg, "model_type", ""), "k": self.k,
                  "architectures": list(getattr(cfg, "architectures", None) or []),
                  "remote_code": self.remote_code},
        )
        self._cache: dict = {}  # tokenizations / substitution tables of recent sequences
        self._cache_lock = threading.Lock()  # the adapter is shared between Streamlit sessions
        self.supports_onehot = self.tokenization == "char" and self._onehot_route() is not None
        self.approximations = self._approximation_notes()

    # -- setup helpers -------------------------------------------------------------------------
    def _special_frame(self, objective: str) -> tuple[list[int], list[int]]:
        """Token ids the tokenizer puts before / after a sequence (e.g. [CLS] … [SEP]); CLMs get BOS."""
        tok = self.tokenizer
        probe_id = int(self._base_ids[0]) if self._base_ids[0] >= 0 else None
        prefix: list[int] = []
        suffix: list[int] = []
        if probe_id is not None:
            try:
                ids = list(tok("a" if self._lower else "A", add_special_tokens=True)["input_ids"])
                if probe_id in ids:
                    at = ids.index(probe_id)
                    prefix, suffix = ids[:at], ids[at + 1:]
            except Exception:  # tokenizers with unusual call signatures: no specials
                pass
        if objective == "clm":
            suffix = []  # nothing after the last base matters to a causal model
            if not prefix:
                bos = tok.bos_token_id if tok.bos_token_id is not None else getattr(tok, "eos_token_id", None)
                if bos is None:
                    bos = getattr(self.model.config, "bos_token_id", None)
                prefix = [int(bos)] if bos is not None else []
        return [int(i) for i in prefix], [int(i) for i in suffix]

    @staticmethod
    def _token_limit(cfg) -> int | None:
        if getattr(cfg, "model_type", "") in GPN_MODEL_TYPES and getattr(cfg, "encoder", "") != "roformer":
            return None  # convolutional GPN: no position embeddings, any length
        n = _first_attr(cfg, "max_position_embeddings", "n_positions", "max_seq_len", "max_sequence_length")
        if not n or getattr(cfg, "position_embedding_type", "absolute") not in ("absolute", None):
            return None if not n or getattr(cfg, "model_type", "") != "esm" else int(n) - 2
        if getattr(cfg, "model_type", "") in {"roberta", "xlm-roberta", "camembert", "esm"}:
            n -= (getattr(cfg, "pad_token_id", 0) or 0) + 1  # positions start after padding_idx
        return int(n)

    def _onehot_route(self) -> str | None:
        emb = self.model.get_input_embeddings() if hasattr(self.model, "get_input_embeddings") else None
        if isinstance(emb, torch.nn.Embedding):
            return "inputs_embeds"
        if getattr(self.model.config, "model_type", "") == "GPN" and getattr(self.model.config, "embedding",
                                                                             "") == "one_hot":
            return "input_probs"
        return None

    def _approximation_notes(self) -> dict[str, str]:
        notes: dict[str, str] = {}
        if self.tokenization == "kmer":
            notes["log_probs"] = (f"a base's prediction is the masked {self.k}-mer token distribution conditioned on "
                                  f"the token's other {self.k - 1} reference bases (the model does not see them)")
            notes["hidden_states"] = f"token states broadcast to the {self.k} bases each token covers"
        elif self.tokenization == "bpe":
            notes["log_probs"] = ("a base's prediction is the masked token distribution over same-length tokens "
                                  "that agree with the reference at the token's other positions")
            notes["hidden_states"] = "token states broadcast to the bases each token covers (tokenizer offsets)"
        if self.info.objective == "clm" and not self._prefix:
            notes["first_base"] = "no BOS token: the first base gets a uniform prediction"
        return notes

    # -- tokenization --------------------------------------------------------------------------
    def _encode_core(self, seq: str) -> tuple[list[int], list[int], list[int]]:
        """Token ids, start base and length of each token for ``seq`` (no specials)."""
        seq = seq.upper()
        if self.tokenization == "char":
            ids = [int(self._base_ids[c]) if c < 4 else self._n_id for c in _codes(seq)]
            return ids, list(range(len(seq))), [1] * len(seq)
        if self.tokenization == "kmer":
            toks = _split_kmers(seq, self.k)
            vocab = self._nuc
            ids, starts, lens, at = [], [], [], 0
            for t in toks:
                ids.append(vocab.get(t, self._n_id if t == "N" else self._unk))
                starts.append(at)
                lens.append(len(t))
                at += len(t)
            return ids, starts, lens
        text = seq.lower() if self._lower else seq
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
            raise UnsupportedByModelError(f"{self.info.name}'s tokenizer drops bases (e.g. at position "
                                          f"{int(np.argmin(covered)) + 1}); it cannot be aligned per nucleotide.")
        return ids, starts, lens

    def tokenize(self, seq: str) -> _Tokens:
        """Token ids (with specials) and the base ↔ token map of one sequence."""
        core, starts, lens = self._encode_core(seq)
        P, T = len(self._prefix), len(core)
        ids = np.array(self._prefix + core + self._suffix, dtype=np.int64)
        tok_start = np.full(len(ids), -1, dtype=np.int64)
        tok_len = np.zeros(len(ids), dtype=np.int64)
        tok_start[P:P + T], tok_len[P:P + T] = starts, lens
        base_tok = np.repeat(np.arange(P, P + T), lens)
        if self._max_tokens and len(ids) > self._max_tokens:
            raise InputTooLargeError(f"{len(seq):,} bp make {len(ids):,} tokens but {self.info.name} reads at most "
                                     f"{self._max_tokens:,} tokens (~{self.info.max_len:,} bp): use a shorter region.")
        return _Tokens(ids, base_tok, tok_start, tok_len)

    def snv_skip_reason(self, seq: str, offset: int, alt: str) -> str | None:
        """Why a SNV at 0-based ``offset`` of ``seq`` cannot be scored exactly-enough, or None.

        Character and k-mer models score every SNV (k-mer: through the token containing it). A BPE
        model scores it only when the ref and alt sequences tokenize to the same number of tokens
        differing in exactly one token (DNALLM's rule); otherwise the reason is returned.
        """
        if self.tokenization != "bpe":
            return None
        ref_ids = self._encode_core(seq)[0]
        alt_ids = self._encode_core(seq[:offset] + alt + seq[offset + 1:])[0]
        if len(ref_ids) != len(alt_ids):
            return f"alt changes the BPE tokenization ({len(ref_ids)} → {len(alt_ids)} tokens)"
        n_diff = sum(a != b for a, b in zip(ref_ids, alt_ids))
        if n_diff != 1:
            return f"alt changes {n_diff} BPE tokens (scored only when exactly one token differs)"
        return None

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
        lengths = {len(s) for s in seqs}
        if len(lengths) != 1:
            raise ValueError(f"sequences in one call must have equal length, got lengths {sorted(lengths)[:5]}")
        L = lengths.pop()
        if masked is not None:
            if self.info.objective != "mlm":
                raise ValueError("a causal LM has no mask token: pass masked=None")
            masked = np.asarray(masked, dtype=bool)
            if masked.shape != (len(seqs), L):
                raise ValueError(f"masked has shape {masked.shape}, expected {(len(seqs), L)}")
        else:
            masked = np.zeros((len(seqs), L), dtype=bool)
        toks = {s: self._tokenize_cached(s) for s in set(seqs)}
        out = np.empty((len(seqs), 4, L), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for n, s in enumerate(seqs):
            by_len.setdefault(len(toks[s].ids), []).append(n)
        for rows in by_len.values():
            for j in range(0, len(rows), batch_size):
                chunk = rows[j:j + batch_size]
                ids = np.stack([toks[seqs[n]].ids for n in chunk]).copy()
                if self.info.objective == "mlm":
                    for r, n in enumerate(chunk):
                        tok_masked = np.unique(toks[seqs[n]].base_tok[masked[n]])
                        ids[r, tok_masked] = self._mask_id
                logits = self._forward(torch.from_numpy(ids)).logits.float()
                for r, n in enumerate(chunk):
                    out[n] = self._to_bases(logits[r], toks[seqs[n]], seqs[n], masked[n])
        return out

    def _to_bases(self, logits: torch.Tensor, tk: _Tokens, seq: str, masked: np.ndarray) -> np.ndarray:
        """(T, V) logits of one sequence → (4, L) log-probs per base."""
        L = len(seq)
        mlm = self.info.objective == "mlm"
        if self.tokenization == "char":
            pos = tk.base_tok if mlm else tk.base_tok - 1
            ok = pos >= 0
            lp = np.full((4, L), -np.log(4.0), dtype=np.float32)
            sel = logits[torch.from_numpy(pos[ok])][:, torch.from_numpy(self._base_ids)]
            lp[:, ok] = torch.log_softmax(sel, dim=-1).numpy().T
            return lp
        probs = torch.softmax(logits, dim=-1).numpy().astype(np.float64)
        codes = _codes(seq.upper())
        if not mlm:
            p = np.zeros((4, L), dtype=np.float64)
            for t in np.nonzero(tk.tok_len)[0]:
                a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
                p[:, a:a + m] = self._clm_token(probs[t - 1] if t > 0 else None, codes[a:a + m])
            return _normalise_log(p)
        # fast path (no masked base in the token): the agreeing tokens are the 4 substitutions
        subst = self._substitutions(seq)  # (4, L) vocab ids, -1 = not in vocabulary
        p = np.where(subst >= 0, probs[tk.base_tok[None, :], np.maximum(subst, 0)], 0.0)
        n_masked = np.bincount(tk.base_tok[masked], minlength=len(tk.ids))
        for t in np.nonzero(n_masked)[0]:  # masked token: its other bases sum over the masked ones
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            p[:, a:a + m] = self._mlm_token(probs[t], codes[a:a + m], masked[a:a + m])
        return _normalise_log(p)

    def _tokenize_cached(self, seq: str) -> _Tokens:
        with self._cache_lock:
            hit = self._cache.get(seq)
        if hit is None:
            hit = self.tokenize(seq)
            with self._cache_lock:
                if len(self._cache) > 8:
                    self._cache.clear()
                self._cache[seq] = hit
        return hit

    def _substitutions(self, seq: str) -> np.ndarray:
        """(4, L) id of the token holding base i with base i replaced by b (-1 if not in the vocabulary)."""
        key = ("subst", seq)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        tk, up = self._tokenize_cached(seq), seq.upper()
        out = np.full((4, len(seq)), -1, dtype=np.int64)
        for t in np.nonzero(tk.tok_len)[0]:
            a, m = int(tk.tok_start[t]), int(tk.tok_len[t])
            word = up[a:a + m]
            for j in range(m):
                for b, base in enumerate(ALPHABET):
                    out[b, a + j] = self._nuc.get(word[:j] + base + word[j + 1:], -1)
        with self._cache_lock:
            self._cache[key] = out
        return out

    def _mlm_token(self, probs: np.ndarray, ref: np.ndarray, masked: np.ndarray) -> np.ndarray:
        """(4, m) unnormalised P(base b at offset j) from a token-level distribution ``probs`` (V,).

        Σ over same-length nucleotide tokens w with w_j = b that match ``ref`` at the token's
        unmasked offsets other than j (masked offsets other than j are summed over).
        """
        m = len(ref)
        if m not in self._groups:
            return np.ones((4, m))
        cand, ids = self._groups[m]
        pw = probs[ids]  # (n,)
        neq = (cand != ref[None, :]) & ~masked[None, :]  # mismatches at known offsets
        mism = neq.sum(axis=1)
        agree = (mism[:, None] - neq) == 0  # (n, m): agrees at every known offset except j
        onehot = cand[:, :, None] == np.arange(4)[None, None, :]  # (n, m, 4)
        return np.einsum("w,wj,wjb->bj", pw, agree, onehot)

    def _clm_token(self, probs: np.ndarray | None, ref: np.ndarray) -> np.ndarray:
        """(4, m) unnormalised P(x_{a+j} = b | x_<a+j) from the next-token distribution ``probs`` (V,).

        Σ over nucleotide tokens w longer than j whose first j bases match the reference and w_j = b.
        """
        m = len(ref)
        p = np.zeros((4, m))
        if probs is None:
            return np.ones((4, m))
        for mm, (cand, ids) in self._groups.items():
            jmax = min(m, mm)
            eq = cand[:, :jmax] == ref[None, :jmax]
            prefix_ok = np.concatenate([np.ones((len(cand), 1), bool), np.cumprod(eq, axis=1)[:, :-1].astype(bool)],
                                       axis=1)  # (n, jmax): w_<j matches
            onehot = cand[:, :jmax, None] == np.arange(4)[None, None, :]
            p[:, :jmax] += np.einsum("w,wj,wjb->bj", probs[ids], prefix_ok, onehot)
        return p

    # -- protocol: hidden_states ---------------------------------------------------------------
    @torch.inference_mode()
    def hidden_states(self, seqs: list[str], layer: int = -1, *, batch_size: int = 64) -> list[np.ndarray]:
        """Per-nucleotide (L_n, D) float32 states after ``layer`` (0 = embeddings, -1 = last).

        Token states are broadcast to every base the token covers (k-mer / BPE).
        """
        n = self.info.n_layers
        upto = n + 1 + layer if layer < 0 else layer
        if not 0 <= upto <= n:
            raise ValueError(f"layer must be in [-{n + 1}, {n}], got {layer}")
        toks = [self.tokenize(s) for s in seqs]
        out: list[np.ndarray | None] = [None] * len(seqs)
        by_len: dict[int, list[int]] = {}
        for i, t in enumerate(toks):
            by_len.setdefault(len(t.ids), []).append(i)
        for idx in by_len.values():
            for j in range(0, len(idx), batch_size):
                chunk = idx[j:j + batch_size]
                ids = torch.from_numpy(np.stack([toks[i].ids for i in chunk]))
                h = self._layer_states(ids, upto)
                for r, i in enumerate(chunk):
                    out[i] = h[r][toks[i].base_tok].astype(np.float32)
        return out  # type: ignore[return-value]

    def _layer_states(self, ids: torch.Tensor, upto: int) -> np.ndarray:
        out = self._forward(ids, hidden=True)
        hs = getattr(out, "hidden_states", None)
        if hs is not None:
            return hs[upto].float().numpy()
        if upto != self.info.n_layers:
            raise UnsupportedByModelError(f"{self.info.name} exposes only its last layer; choose layer -1.")
        base = getattr(self.model, self.model.base_model_prefix, None) or self.model.base_model
        return base(input_ids=ids).last_hidden_state.float().numpy()

    # -- protocol: onehot_forward --------------------------------------------------------------
    def _onehot_inputs(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> dict:
        """Model keyword inputs for one-hot (N, 4, L) bases, framed by the special tokens (char models)."""
        route = self._onehot_route() if self.tokenization == "char" else None
        if route is None:
            why = (f"{self.info.name} reads {self.tokenization} tokens, not bases" if self.tokenization != "char"
                   else f"{self.info.name} has no embedding matrix to feed one-hot bases through")
            raise UnsupportedByModelError(f"Gradient attributions need a per-base differentiable input, but {why}. "
                                          "Use in-silico mutagenesis (ISM) instead.")
        N, _, L = x.shape
        base_ids = torch.from_numpy(self._base_ids)
        if route == "inputs_embeds":
            E = self.model.get_input_embeddings().weight
            emb = torch.einsum("nbl,bd->nld", x.to(E.dtype), E[base_ids])
            if masked is not None:
                m = masked.to(emb.dtype).unsqueeze(-1)
                emb = emb * (1 - m) + m * E[self._mask_id]
            pre = E[torch.tensor(self._prefix, dtype=torch.long)].expand(N, -1, -1)
            suf = E[torch.tensor(self._suffix, dtype=torch.long)].expand(N, -1, -1)
            return {"inputs_embeds": torch.cat([pre, emb, suf], dim=1)}
        V = self.model.config.vocab_size
        probs = torch.zeros(N, L, V, dtype=x.dtype)
        probs = probs.index_add(2, base_ids, x.transpose(1, 2))
        if masked is not None:
            m = masked.to(x.dtype).unsqueeze(-1)
            mask_row = torch.nn.functional.one_hot(torch.tensor(self._mask_id), V).to(x.dtype)
            probs = probs * (1 - m) + m * mask_row
        pre = torch.nn.functional.one_hot(torch.tensor(self._prefix, dtype=torch.long), V).to(x.dtype)
        suf = torch.nn.functional.one_hot(torch.tensor(self._suffix, dtype=torch.long), V).to(x.dtype)
        return {"input_probs": torch.cat([pre.expand(N, -1, -1), probs, suf.expand(N, -1, -1)], dim=1)}

    def onehot_forward(self, x: torch.Tensor, masked: torch.Tensor | None = None) -> torch.Tensor:
        """Differentiable one-hot (N, 4, L) → logits (N, 4, L) over A,C,G,T (character-level models).

        MLM: ``masked`` (N, L) positions get the mask token's embedding. CLM: column i are the logits
        predicting base i from bases < i (zeros at column 0 when the model has no BOS token).
        """
        L, P = x.shape[2], len(self._prefix)
        logits = self.model(**self._onehot_inputs(x, masked)).logits[..., torch.from_numpy(self._base_ids)]
        if self.info.objective == "mlm":
            return logits[:, P:P + L].transpose(1, 2)
        if P:
            return logits[:, P - 1:P - 1 + L].transpose(1, 2)
        return torch.cat([torch.zeros_like(logits[:, :1]), logits[:, :L - 1]], dim=1).transpose(1, 2)

    def onehot_hidden(self, x: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Differentiable one-hot (N, 4, L) → per-base states (N, L, D) for each of ``layers`` (character
        models; 0 = embeddings, -1 = last), from one pass."""
        n, L, P = self.info.n_layers, x.shape[2], len(self._prefix)
        idx = [n + 1 + k if k < 0 else k for k in layers]
        if not all(0 <= k <= n for k in idx):
            raise ValueError(f"layers must be in [-{n + 1}, {n}], got {layers}")
        inputs = self._onehot_inputs(x)
        hs = getattr(self.model(**inputs, output_hidden_states=True), "hidden_states", None)
        if hs is None:  # e.g. GPN: only the base model's last state (as in hidden_states)
            if set(idx) != {n}:
                raise UnsupportedByModelError(f"{self.info.name} exposes only its last layer; choose layer -1.")
            base = getattr(self.model, self.model.base_model_prefix, None) or self.model.base_model
            hs = {n: base(**inputs).last_hidden_state}
        return [hs[k][:, P:P + L] for k in idx]


def _first_attr(obj, *names):
    for n in names:
        v = getattr(obj, n, None)
        if v is not None:
            return v
    return None


def _normalise_log(p: np.ndarray) -> np.ndarray:
    """(4, L) non-negative weights → log-probabilities; columns with no mass become uniform."""
    total = p.sum(axis=0, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 0.25)
    p = np.clip(p, 1e-12, None)
    return np.log(p / p.sum(axis=0, keepdims=True)).astype(np.float32)
