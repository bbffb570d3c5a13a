"""The dashboard's plain parts (no Streamlit run): model keys, page parameters as URL text, and the
domain logic that moved out of the pages into the library (bits per base, the weights fingerprint)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from dashboard import params as pp
from dashboard.model_keys import HF_CHOICE, ModelKey, is_hf_text, shareable_text
from glm_explore.errors import GlmExploreError


# ------------------------------------------------------------------------------------------ model keys
@pytest.mark.parametrize("key", [ModelKey("default-mlm"), ModelKey("default-clm"), ModelKey.of_hf("/tmp/x:y"),
                                 ModelKey.of_hf("org/name", trust_remote_code=True), ModelKey.of_hf("C:\\models\\m")])
def test_model_key_text_round_trip(key):
    assert ModelKey.parse(key.text) == key


def test_model_key_parse_and_labels():
    assert ModelKey.parse("hf:  /some/folder ") == ModelKey("/some/folder", hf=True)
    assert ModelKey.parse("hf+code:org/m").trust_remote_code
    assert ModelKey.of_hf("org/m", True).shareable() == ModelKey.of_hf("org/m")
    assert shareable_text("hf+code:org/m") == "hf:org/m" and shareable_text(HF_CHOICE) == HF_CHOICE
    assert ModelKey.of_hf("org/m", True).label == "HF: org/m (remote code allowed)"
    assert is_hf_text("hf:org/m") and is_hf_text(HF_CHOICE) and not is_hf_text("default-mlm")
    for bad in ("", "hf:", "hf:   ", "nonsense", "gpt:org/m"):
        with pytest.raises(GlmExploreError, match="Unknown model"):
            ModelKey.parse(bad)


# ------------------------------------------------------------------------------------------ page params
@dataclass(frozen=True)
class Demo(pp.PageParams):
    PREFIX = "demo"
    name: str = pp.param("a", choices=("a", "b"))
    count: int = pp.param(3, lo=1, hi=9)
    share: float = 0.5
    on: bool = False
    layers: tuple[int, ...] = ()
    chroms: tuple[str, ...] = ()
    cls: str = pp.param("x", name="class")


def test_params_url_text_round_trip():
    p = Demo(name="b", count=7, share=0.05, on=True, layers=(0, 4), chroms=("chrI", "chrII"), cls="CDS")
    items = pp.url_items(p)
    assert items == {"name": "b", "count": "7", "share": "0.05", "on": "1", "layers": "0,4", "chroms": "chrI,chrII",
                     "class": "CDS"}
    specs = {s.url: s for s in pp._specs(Demo)}
    assert Demo(**{s.attr: pp._parse(items[s.url], s) for s in specs.values()}) == p
    assert Demo.widget_key("cls") == "demo_class"


@pytest.mark.parametrize("url, raw, problem", [
    ("count", "12", "between 1 and 9"), ("count", "2.5", "whole number"), ("name", "c", "choose one of a, b"),
    ("on", "maybe", "1 or 0"), ("share", "nan", "finite"), ("share", "x", "not a number"),
    ("layers", "1,x", "whole number"),
])
def test_params_bad_url_values_say_what_is_wrong(url, raw, problem):
    spec = next(s for s in pp._specs(Demo) if s.url == url)
    try:
        found = pp._problem(spec, pp._parse(raw, spec), None)
    except ValueError as exc:
        found = str(exc)
    assert found and problem in found


def test_params_allowed_values_and_checks():
    layers = next(s for s in pp._specs(Demo) if s.url == "layers")
    assert pp._problem(layers, (0, 9), range(5)).startswith("choose one of 0, 1, 2, 3, 4")
    assert pp._problem(layers, (0, 4), range(5)) is None
    name = next(s for s in pp._specs(Demo) if s.url == "name")
    assert pp._problem(name, "a", lambda v: "no a" if v == "a" else None) == "no a"


# ------------------------------------------------------------------------------------------ moved logic
def test_mean_bits_per_base_is_natural_log_over_ln2():
    from glm_explore.logits import mean_bits_per_base

    values = np.array([np.log(0.5), np.nan, np.log(0.25)])
    assert mean_bits_per_base(values) == pytest.approx(-1.5)  # (−1 − 2) / 2 bits; N skipped
    assert np.isnan(mean_bits_per_base(np.array([np.nan])))


def test_weights_fingerprint_follows_the_weights():
    import torch

    from glm_explore.models.builtin import load_builtin
    from glm_explore.models.fingerprint import weights_fingerprint

    a, b = load_builtin("default-mlm"), load_builtin("default-mlm")
    assert weights_fingerprint(a) == weights_fingerprint(b) != weights_fingerprint(load_builtin("default-clm"))
    with torch.no_grad():
        next(b.network.parameters()).add_(1e-3)
    assert weights_fingerprint(a) != weights_fingerprint(b)


def test_probe_digest_is_by_content():
    from dashboard.probe import probe_digest

    class Probe:
        def __init__(self, text: str) -> None:
            self.text = text

        def to_json(self) -> str:
            return self.text

    one, same, other = Probe('{"w": [1]}'), Probe('{"w": [1]}'), Probe('{"w": [2]}')
    assert probe_digest({"probe": one}) == probe_digest({"probe": same}) != probe_digest({"probe": other})
    assert probe_digest(None) is None
