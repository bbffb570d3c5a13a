"""Ship the "Which score?" method comparison of the default models on bundled yeast (issue 26 §2).

Writes ``glm_explore/data/score_methods/<model>__yeast.json`` (:meth:`MethodComparison.save`), read by the variants
page and the model report so they open without computing. The default MLM's comparison includes the default CLM's
Δ log-likelihood as a method; the CLM's own LLR is its Δ log-likelihood. Held-out chrXVI, 150 SNVs per class
(seed 0), 1,000 bootstrap resamples per CI. Usage: ``python scripts/make_score_methods.py [default-mlm default-clm]``.
"""

from __future__ import annotations

import sys

from glm_explore.calibration.methods import (
    DEFAULT_PER_CLASS,
    compare_methods,
    heldout_method_snvs,
    shipped_comparison_path,
)
from glm_explore.io.datasets import load_dataset
from glm_explore.models.builtin import load_builtin


def main(names: list[str]) -> None:
    data = load_dataset("yeast")
    snvs = heldout_method_snvs(data, per_class=DEFAULT_PER_CLASS, seed=0)
    for name in names:
        model = load_builtin(name)
        clm = load_builtin("default-clm") if model.info.objective == "mlm" else None
        res = compare_methods(model, data, snvs, clm=clm, reps=1000, seed=0,
                              progress=lambda f, msg, name=name: print(f"{name}: {f:.0%} {msg}", flush=True))
        path = shipped_comparison_path(model.info.name, data.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        res.save(path)
        print(res.ranking.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"{name}: {res.notes['seconds']} s (under load) → {path}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["default-mlm", "default-clm"])
