"""Embedding explorer speed, measured in one run (not a test; prints numbers and ratios).

1. windows/s of ``embed_windows`` vs the raw model forward (``hidden_states`` on the same batches,
   forward + reverse strand): pipeline overhead ratio, with and without the exact centre crop;
2. PCA and UMAP wall time on 3,000 and 10,000 windows (first UMAP call = numba compile, reported apart);
3. the page: first run after "Embed windows" vs a cached rerun (AppTest, fresh ~/.streamlit cache).

    .venv/bin/python bench/bench_embed.py [--model default-mlm] [--n 512] [--dataset yeast] [--page-cap 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from glm_explore import reduce as rd
from glm_explore.embed import embed_windows
from glm_explore.io.datasets import load_dataset
from glm_explore.models import load_model
from glm_explore.region_windows import make_windows
from glm_explore.sequence import reverse_complement

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def bench_embedding(model_spec: str, dataset: str, n: int, batch_size: int) -> None:
    model = load_model(model_spec)
    ws = make_windows(load_dataset(dataset), cap_per_class=max(1, n // 6), seed=0)
    seqs = ws.sequences[:n]
    rc = model.info.is_mlm

    def raw():
        for i in range(0, len(seqs), batch_size):
            b = seqs[i:i + batch_size]
            model.hidden_states(b, layer=-1, batch_size=batch_size)
            if rc:
                model.hidden_states([reverse_complement(s) for s in b], layer=-1, batch_size=batch_size)

    raw()  # warm-up (allocator, threads)
    _, t_raw = timed(raw)
    _, t_full = timed(embed_windows, model, seqs, rc=rc, crop=False, batch_size=batch_size)
    _, t_crop = timed(embed_windows, model, seqs, rc=rc, crop=True, batch_size=batch_size)
    _, t_all = timed(embed_windows, model, seqs, layers="all", rc=rc, crop=True, batch_size=batch_size)
    print(f"\n## Embedding {len(seqs)} windows of 512 bp, {model.info.name}, RC={'on' if rc else 'off'}, "
          f"batch {batch_size}, {os.cpu_count()} CPUs (torch threads: {__import__('torch').get_num_threads()})")
    print(f"raw model forward (hidden_states, same batches): {len(seqs) / t_raw:8.1f} windows/s")
    print(f"embed_windows, whole window (crop=False):         {len(seqs) / t_full:8.1f} windows/s  "
          f"overhead ratio {t_full / t_raw:.3f}")
    print(f"embed_windows, exact centre crop (default):       {len(seqs) / t_crop:8.1f} windows/s  "
          f"ratio {t_crop / t_raw:.3f}")
    print(f"embed_windows, all {model.info.n_layers + 1} layers (one pass, crop):  {len(seqs) / t_all:8.1f} windows/s  "
          f"ratio {t_all / t_raw:.3f}")


def bench_projection() -> None:
    rng = np.random.default_rng(0)
    print("\n## Projections (96-d embeddings, 6 Gaussian classes)")
    _, t_warm = timed(rd.warm_umap)
    print(f"UMAP numba warm-up (first call in a process): {t_warm:.1f} s")
    for n in (3000, 10_000):
        centres = rng.normal(size=(6, 96)) * 2
        X = (centres[rng.integers(0, 6, n)] + rng.normal(size=(n, 96))).astype(np.float32)
        _, t_pca = timed(rd.pca_coords, X)
        _, t_umap = timed(rd.umap_coords, X)
        print(f"{n:>6,} windows: PCA {t_pca:6.2f} s   UMAP {t_umap:6.1f} s")


def bench_page(dataset: str, cap: int) -> None:
    from unittest import mock

    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as home, mock.patch.dict(os.environ, {"HOME": home}), \
            mock.patch.object(rd, "warm_umap", lambda: None):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1200)
        at.session_state["dataset_key"] = dataset
        at.run()
        at.switch_page("pages/embeddings.py")
        at.run()
        at.number_input(key="embeddings_cap").set_value(cap)
        at.button(key="embeddings_go").click()
        _, t_first = timed(at.run)
        assert not at.exception, at.exception
        n = at.session_state["embeddings_params"]
        _, t_again = timed(at.run)
        # a new session (fresh AppTest) hits the same process-wide st.cache_data
        at2 = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1200)
        at2.session_state["dataset_key"] = dataset
        at2.session_state["embeddings_params"] = n
        at2.run()
        at2.switch_page("pages/embeddings.py")
        _, t_new = timed(at2.run)
        print(f"\n## Page on {dataset}, cap {cap} per class and split")
        print(f"first run (windows + embeddings + probes + PCA): {t_first:6.1f} s")
        print(f"rerun, same session (cached):                    {t_again:6.2f} s  ({t_first / t_again:.0f}x faster)")
        print(f"new session, same parameters (cached):           {t_new:6.2f} s  ({t_first / t_new:.0f}x faster)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default-mlm")
    ap.add_argument("--dataset", default="yeast")
    ap.add_argument("--n", type=int, default=512, help="windows for the embedding benchmark")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--page-cap", type=int, default=100)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: embed,projection,page")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    if "embed" not in skip:
        bench_embedding(args.model, args.dataset, args.n, args.batch_size)
    if "projection" not in skip:
        bench_projection()
    if "page" not in skip:
        bench_page(args.dataset, args.page_cap)


if __name__ == "__main__":
    main()
