"""Loading a Hugging Face DNA language model safely and offline.

Loading is strictly offline: a local folder (``save_pretrained`` output) or a model id already in the
local Hugging Face cache. Nothing is ever downloaded (every ``from_pretrained`` / ``snapshot_download``
call passes ``local_files_only=True``; the process environment is left untouched);
``trust_remote_code`` is off unless asked for; weights are read from safetensors, or from
``pytorch_model.bin`` only through torch's ``weights_only`` unpickler (arbitrary pickles are refused).

Heads: masked LMs through ``AutoModelForMaskedLM`` (BERT / RoBERTa / ESM / Nucleotide Transformer,
GPN via the ``gpn`` package) and causal LMs through ``AutoModelForCausalLM`` (GPT-2 / Llama / Mistral;
HyenaDNA / Caduceus when their remote code is allowed).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch

from ...errors import ModelLoadError
from ..runtime import fuse_activations
from .adapter import HFAdapter
from .config import GPN_MODEL_TYPES

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


def detect_objective(config, trust_remote_code: bool) -> str:
    """``mlm`` or ``clm`` from a transformers config's architectures / auto classes / auto_map."""
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


def _supports_sdpa(auto, config) -> bool:
    """Whether the model class ``auto`` picks for ``config`` offers SDPA attention (False when unknown)."""
    try:
        return bool(getattr(auto._model_mapping[type(config)], "_supports_sdpa", False))
    except Exception:  # remote code, or a mapping that cannot say: transformers' own default
        return False


def load_hf_model(spec: str, *, trust_remote_code: bool = False) -> HFAdapter:
    """Load a Hugging Face DNA LM from a local folder or the local HF cache, offline.

    Parameters
    ----------
    spec : folder path or model id (``org/name``) present in the local Hugging Face cache.
    trust_remote_code : allow the model's own Python files (``auto_map``) to run. Off by default.
    """
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
        objective = detect_objective(config, trust_remote_code)
        auto = AutoModelForMaskedLM if objective == "mlm" else AutoModelForCausalLM
        if _supports_sdpa(auto, config):  # PyTorch's fused scaled-dot-product attention where offered
            kw["attn_implementation"] = "sdpa"
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
    model = model.float().eval()
    fuse_activations(model)
    return HFAdapter(model, tokenizer, objective=objective, name=name, source=str(path),
                     remote_code=code if trust_remote_code else [])

