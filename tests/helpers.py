"""Plain helpers shared by test modules (import with ``from helpers import …``; conftest names clash)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def random_dna(rng: np.random.Generator, n: int) -> str:
    """A uniform random A/C/G/T string of length ``n``."""
    return "".join(rng.choice(list("ACGT"), n))


def app_on_page(page: str, dataset: str = "chloroplast", timeout: float = 300):
    """An AppTest of the whole app (app.py's navigation + sidebar) switched to ``pages/<page>.py`` on ``dataset``,
    already run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["dataset_key"] = dataset
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    return at
