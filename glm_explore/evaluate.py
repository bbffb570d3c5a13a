"""Held-out evaluation of a built-in model against its fair count baseline → the model card.

    python -m glm_explore.evaluate glm_explore/models/weights/yeast-mlm [--offsets 20] [--threads 2]

Writes ``card.json`` and ``MODEL_CARD.md`` next to the weights. Both the model and the baseline are
scored on the *same* positions of the held-out chromosome (chrXVI), in bits per base and top-1
accuracy; the margin (model − baseline, negative = model better) gets a 95 % block-bootstrap
confidence interval over evaluation windows (positions within a window are correlated).

MLM positions are exact masked marginals: positions ``R+1`` apart are masked together (R = receptive
field, see :func:`glm_explore.logits.mask_groups`), ``--offsets`` of the R+1 mask phases per window
are scored (a systematic sample of the chromosome). CLM positions: every position with a full left
context, one forward per window.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from .count_baselines import CountModel, cross_entropy_bits, select_count_model
from .io.datasets import DATASETS
from .io.genome import Genome
from .models.builtin import load_convlm_dir
from .models.convnet import channels_from_codes
from .train import VAL_SLICE, training_arrays

LN2 = np.log(2.0)
WINDOW = 4096
BASELINE_GRID = {
    "clm": (range(2, 31, 2), {"dirichlet": [2, 8, 32, 128], "witten-bell": [0.5, 1, 2]}),
    "mlm": (range(1, 15), {"dirichlet": [2, 8, 32, 128], "witten-bell": [0.5, 1, 2]}),
}


def model_positions_and_log_probs(adapter, codes: np.ndarray, *, offsets: int, max_windows: int | None,
                                  batch_size: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score held-out positions with the model: (positions (P,), log-probs (P, 4), window id (P,))."""
    model = adapter.model
    R = adapter.info.receptive_field
    L = len(codes)
    pos_all, lp_all = [], []
    if adapter.info.objective == "clm":
        starts = list(range(0, L - R, WINDOW - R))
    else:
        starts = list(range(0, L - 2 * R, WINDOW - 2 * R))
    if max_windows:
        starts = starts[:: max(1, len(starts) // max_windows)][:max_windows]
    with torch.inference_mode():
        for s in starts:
            seg = codes[s:s + WINDOW]
            if adapter.info.objective == "clm":
                x = channels_from_codes(torch.from_numpy(seg)[None])
                lp = torch.log_softmax(model.forward_channels(x), dim=1)[0].numpy()
                q = np.arange(R, len(seg))
                pos_all.append(s + q)
                lp_all.append(lp[:, q].T)
            else:
                inner = np.arange(R, len(seg) - R)
                phases = np.unique(np.linspace(0, R, offsets, dtype=int))
                groups = [inner[(inner - R) % (R + 1) == r] for r in phases]
                groups = [g for g in groups if len(g)]
                for b in range(0, len(groups), batch_size):
                    chunk = groups[b:b + batch_size]
                    mask = torch.zeros(len(chunk), len(seg), dtype=torch.bool)
                    for i, g in enumerate(chunk):
                        mask[i, g] = True
                    x = channels_from_codes(torch.from_numpy(seg)[None].repeat(len(chunk), 1), mask)
                    lp = torch.log_softmax(model.forward_channels(x), dim=1).numpy()
                    for i, g in enumerate(chunk):
                        pos_all.append(s + g)
                        lp_all.append(lp[i][:, g].T)
    pos = np.concatenate(pos_all)
    order = np.argsort(pos, kind="stable")
    # scored positions of window w lie in [start_w + R, next start + R): window id by position
    win = np.searchsorted(np.array(starts) + R, pos[order], side="right") - 1
    return pos[order], np.concatenate(lp_all)[order], win


def training_command(training: dict, objective: str, out: str) -> str:
    """The ``train`` command line that reproduces a run from its ``training.json`` (recipe options included)."""
    t = training
    parts = [f"python -m glm_explore.train --objective {objective} --steps {t.get('planned_steps')}"]
    if t.get("max_minutes") and t["max_minutes"] != float("inf"):
        parts.append(f"--max-minutes {t['max_minutes']:g}")
    if t.get("max_cpu_minutes") and t["max_cpu_minutes"] != float("inf"):
        parts.append(f"--max-cpu-minutes {t['max_cpu_minutes']:g}")
    if t.get("init_from"):
        parts.append(f"--init-from {t['init_from']} --lr {t.get('lr'):g}")
    if t.get("class_balance"):
        parts.append(f"--class-balance {t['class_balance']:g}")
    if t.get("repeat_weight") not in (None, 1, 1.0):
        parts.append(f"--repeat-weight {t['repeat_weight']:g}")
    parts.append(f"--threads {t.get('threads')} --out {out}")
    return " ".join(parts)


def block_bootstrap_ci(diff: np.ndarray, block: np.ndarray, *, reps: int = 2000, seed: int = 0
                       ) -> tuple[float, float]:
    """95 % CI of mean(diff), resampling whole blocks (windows) with replacement."""
    rng = np.random.default_rng(seed)
    ids, inv = np.unique(block, return_inverse=True)
    sums = np.bincount(inv, weights=diff)
    counts = np.bincount(inv)
    draws = rng.integers(0, len(ids), size=(reps, len(ids)))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def evaluate(model_dir: Path, *, offsets: int = 20, max_windows: int | None = None, threads: int = 2,
             baseline: CountModel | None = None, grid: list | None = None) -> dict:
    """Score model and baseline on the held-out chromosome; return the card dict."""
    torch.set_num_threads(threads)
    adapter = load_convlm_dir(model_dir)
    kind = adapter.info.objective
    ds = DATASETS["yeast"]
    train, val = training_arrays()
    t0 = time.time()
    if baseline is None:
        ks, params = BASELINE_GRID[kind]
        sel = select_count_model(kind, train, val, ks=ks, params=params)
        baseline, grid = sel.model, sel.grid
    t_base = time.time() - t0
    test = Genome(ds.fasta).codes(ds.heldout_chrom)
    t0 = time.time()
    pos, lp_model, win = model_positions_and_log_probs(adapter, test, offsets=offsets, max_windows=max_windows)
    t_model = time.time() - t0
    left, right = baseline.margin
    keep = (pos >= left) & (pos < len(test) - right) & (test[pos] < 4)
    pos, lp_model, win = pos[keep], lp_model[keep], win[keep]
    targets = test[pos]
    lp_base = baseline.log_probs(test, pos)
    bits_m = cross_entropy_bits(lp_model, targets)
    bits_b = cross_entropy_bits(lp_base, targets)
    diff = bits_m - bits_b
    lo, hi = block_bootstrap_ci(diff, win)
    training = json.loads((model_dir / "training.json").read_text()) if (model_dir / "training.json").exists() else {}
    cfg = adapter.model.config
    card = {
        "name": model_dir.name,
        "objective": kind,
        "architecture": (f"GPN-style dilated CNN ({'symmetric' if kind == 'mlm' else 'causal'}), "
                         f"{cfg.n_layers} blocks, width {cfg.width}, kernels {cfg.kernel_sizes}, "
                         f"dilations {cfg.dilations}, receptive field {cfg.receptive_field} bp "
                         f"{'each side' if kind == 'mlm' else 'to the left'}"),
        "n_parameters": adapter.info.n_parameters,
        "training": {k: training.get(k) for k in ("steps", "batch_size", "window", "windows_seen", "lr", "seed",
                                                   "threads", "device", "train_minutes", "train_chroms",
                                                   "rc_augmentation", "mlm_mask_rate", "max_minutes", "class_balance",
                                                   "repeat_weight", "init_from", "cpu_hours", "stopped")},
        "ledger": training.get("ledger", []),
        "training_command": training_command(training, kind, model_dir.as_posix()),
        "heldout": {
            "chrom": ds.heldout_chrom,
            "n_positions": int(len(pos)),
            "n_windows": int(len(np.unique(win))),
            "scoring": ("exact masked marginals, " + f"{offsets} mask phases per {WINDOW} bp window"
                        if kind == "mlm" else f"next-base probabilities, {WINDOW} bp windows, full left context"),
            "model": {"bits": round(float(bits_m.mean()), 4), "accuracy": round(float((lp_model.argmax(1) == targets).mean()), 4)},
            "baseline": {"name": baseline.name, "k": baseline.k, "scheme": baseline.scheme, "param": baseline.param,
                         "bits": round(float(bits_b.mean()), 4),
                         "accuracy": round(float((lp_base.argmax(1) == targets).mean()), 4)},
            "margin_bits": round(float(diff.mean()), 4),
            "margin_ci95": [round(lo, 4), round(hi, 4)],
            "model_beats_baseline": bool(hi < 0),
            "windows_model_better": int((np.bincount(np.unique(win, return_inverse=True)[1], weights=diff) < 0).sum()),
        },
        "baseline_selection": {"validation": f"last {VAL_SLICE[1] // 1000} kb of {VAL_SLICE[0]} (not used for training)",
                               "grid": grid},
        "timing_seconds": {"baseline_fit_and_selection": round(t_base, 1), "model_scoring": round(t_model, 1)},
    }
    return card


def paired_comparison(model_dir: Path, other_dir: Path, *, offsets: int = 20, max_windows: int | None = None,
                      threads: int = 2) -> dict:
    """Two built-in models of one objective on the SAME held-out positions: mean bits of each, the margin
    (``model_dir`` − ``other_dir``; negative = the first is better) with its 95 % block-bootstrap CI over windows,
    and how many windows each wins. The check a new default must pass before it replaces the old one."""
    torch.set_num_threads(threads)
    a, b = load_convlm_dir(model_dir), load_convlm_dir(other_dir)
    if (a.info.objective, a.info.receptive_field) != (b.info.objective, b.info.receptive_field):
        raise ValueError("paired comparison needs two models of one objective and receptive field")
    test = Genome(DATASETS["yeast"].fasta).codes(DATASETS["yeast"].heldout_chrom)
    pos, lp_a, win = model_positions_and_log_probs(a, test, offsets=offsets, max_windows=max_windows)
    pos_b, lp_b, _ = model_positions_and_log_probs(b, test, offsets=offsets, max_windows=max_windows)
    assert np.array_equal(pos, pos_b)
    keep = test[pos] < 4
    bits_a = cross_entropy_bits(lp_a[keep], test[pos[keep]])
    bits_b = cross_entropy_bits(lp_b[keep], test[pos[keep]])
    diff, win = bits_a - bits_b, win[keep]
    lo, hi = block_bootstrap_ci(diff, win)
    per_window = np.bincount(np.unique(win, return_inverse=True)[1], weights=diff)
    return {"model": str(model_dir), "other": str(other_dir), "n_positions": int(len(diff)),
            "bits": round(float(bits_a.mean()), 4), "other_bits": round(float(bits_b.mean()), 4),
            "margin_bits": round(float(diff.mean()), 4), "margin_ci95": [round(lo, 4), round(hi, 4)],
            "better": bool(hi < 0), "windows_better": int((per_window < 0).sum()),
            "n_windows": int(len(per_window))}


def previous_versions(model_dir: Path) -> list[dict]:
    """The held-out numbers of the model in ``model_dir`` (from its card) and of every version before it."""
    path = Path(model_dir) / "card.json"
    if not path.exists():
        return []
    old = json.loads(path.read_text())
    t = old.get("training", {})
    entry = {**old["heldout"], "version": f"{old.get('name')} ({t.get('steps')} steps, {t.get('windows_seen')} windows)",
             "cpu_hours": round(sum(e.get("cpu_hours") or 0 for e in old.get("ledger") or []), 4)}
    return [*old.get("history", []), entry]


def learning_curve(card: dict) -> list[dict]:
    """Held-out bits against accumulated training CPU-hours, one row per shipped version (oldest first).

    Rows: ``version``, ``cpu_hours`` (the ledger's total when that version was evaluated), ``model_bits``,
    ``baseline_bits``, ``margin_bits``, ``ci_lo``, ``ci_hi`` (95 % block bootstrap of model − baseline) and
    ``current``. Versions evaluated before cards kept ``cpu_hours`` get the ledger's cumulative CPU-hours at the
    run that reached their step count (``None`` when no run did).
    """
    ledger = card.get("ledger") or []
    cumulative = np.cumsum([e.get("cpu_hours") or 0 for e in ledger]) if ledger else np.zeros(0)

    def hours_at(version: str) -> float | None:
        m = re.search(r"\((\d+) steps", version or "")
        for i, e in enumerate(ledger):
            if m and int(m.group(1)) == e.get("steps_to") and e.get("windows"):
                return round(float(cumulative[i]), 4)
        return None

    versions = [*(card.get("history") or []),
                {**card["heldout"], "version": f"{card.get('name')} (current)", "current": True,
                 "cpu_hours": round(float(cumulative[-1]), 4) if len(cumulative) else None}]
    rows = []
    for v in versions:
        hours = v["cpu_hours"] if "cpu_hours" in v else hours_at(v.get("version", ""))
        rows.append(dict(version=v.get("version", "?"), cpu_hours=hours, model_bits=v["model"]["bits"],
                         baseline_bits=v["baseline"]["bits"], margin_bits=v["margin_bits"],
                         ci_lo=v["margin_ci95"][0], ci_hi=v["margin_ci95"][1], current=bool(v.get("current"))))
    return rows


def card_markdown(card: dict) -> str:
    h = card["heldout"]
    t = card["training"]
    best = h["baseline"]
    stop_note = f" The run was {t['stopped']}." if t.get("stopped") else ""
    if not stop_note and t.get("steps") and t.get("max_minutes") and t.get("planned_steps") and t["steps"] < t["planned_steps"]:
        stop_note = (f" The run stopped at its {t['max_minutes']:g}-minute cap after {t['steps']} of "
                     f"{t['planned_steps']} planned steps (the learning-rate schedule follows elapsed time then), "
                     f"so an exact re-run needs `--steps {t['steps']}` with no time cap — close, not bit-identical.")
    return f"""# Model card: {card['name']}

- **Objective:** {card['objective'].upper()}
- **Architecture:** {card['architecture']}
- **Parameters:** {card['n_parameters']:,}
- **Training:** {t.get('steps')} steps × {t.get('batch_size')} windows of {t.get('window')} bp
  ({t.get('windows_seen')} windows, reverse-complement augmentation), {t.get('train_minutes')} min on
  {t.get('threads')} CPU thread(s) (two models trained side by side on a 2-core machine), seed {t.get('seed')}.
  Data: yeast S288c {t.get('train_chroms')}; {h['chrom']} held out.
- **Reproduce:** `{card['training_command']}` then
  `python -m glm_explore.evaluate glm_explore/models/weights/{card['name']}`.{stop_note}

## Held-out {h['chrom']} ({h['n_positions']:,} positions in {h['n_windows']} windows; {h['scoring']})

| | cross-entropy (bits/base) | top-1 accuracy |
|---|---|---|
| model | {h['model']['bits']:.4f} | {h['model']['accuracy']:.4f} |
| count baseline ({best['name']}) | {best['bits']:.4f} | {best['accuracy']:.4f} |

Margin (model − baseline): **{h['margin_bits']:+.4f} bits/base**, 95 % block-bootstrap CI
[{h['margin_ci95'][0]:+.4f}, {h['margin_ci95'][1]:+.4f}] — {'the model beats the baseline' if h['model_beats_baseline'] else 'the interval includes 0: the model does not beat the baseline with 95 % confidence'}.
The model has the lower cross-entropy in {h.get('windows_model_better', '?')} of {h['n_windows']} windows.

{_recipe_markdown(card)}
The baseline's order and smoothing were chosen on {card['baseline_selection']['validation']}, never on {h['chrom']}.
Long contexts keep helping the count model because yeast repeats (Ty elements, subtelomeric
Y′ regions, paralogs) recur across chromosomes: it memorises them exactly.
"""


def _recipe_markdown(card: dict) -> str:
    """Recipe, ledger of training runs and the numbers of earlier versions (for the model card)."""
    t = card["training"]
    lines = [f"**Recipe:** class-balanced windows {t.get('class_balance') or 0:g} (fraction centred on a uniformly "
             f"chosen region class), repeat loss weight {t.get('repeat_weight') if t.get('repeat_weight') is not None else 1:g}"
             + (f", continued from `{t['init_from']}`" if t.get("init_from") else "") + "."]
    ledger = card.get("ledger") or []
    if ledger:
        lines += ["", "| run | steps | windows | CPU-hours | threads | class balance | repeat weight |",
                  "|---|---|---|---|---|---|---|"]
        for i, e in enumerate(ledger, 1):
            lines.append(f"| {i} | {e.get('steps_from', 0)}→{e.get('steps_to')} | {e.get('windows')} | "
                         f"{e.get('cpu_hours')} | {e.get('threads')} | {e.get('class_balance', 0)} | "
                         f"{e.get('repeat_weight', 1)} |")
        lines.append(f"\nTotal: {sum(e.get('cpu_hours') or 0 for e in ledger):.2f} CPU-hours.")
    history = card.get("history") or []
    if history:
        lines += ["", "**Earlier versions on held-out data** (kept when a better model replaced them):", "",
                  "| version | model bits | baseline bits | margin (CI) | positions |", "|---|---|---|---|---|"]
        for v in history:
            lines.append(f"| {v.get('version', '?')} | {v['model']['bits']:.4f} | {v['baseline']['bits']:.4f} | "
                         f"{v['margin_bits']:+.4f} [{v['margin_ci95'][0]:+.4f}, {v['margin_ci95'][1]:+.4f}] | "
                         f"{v['n_positions']:,} |")
    curve = learning_curve(card)
    if len(curve) > 1:
        lines += ["", "**Learning curve** (held-out bits against accumulated training CPU-hours, one row per version):",
                  "", "| version | CPU-hours | model bits | baseline bits | margin (CI) |", "|---|---|---|---|---|"]
        for r in curve:
            hours = "?" if r["cpu_hours"] is None else f"{r['cpu_hours']:.2f}"
            lines.append(f"| {r['version']} | {hours} | {r['model_bits']:.4f} | {r['baseline_bits']:.4f} | "
                         f"{r['margin_bits']:+.4f} [{r['ci_lo']:+.4f}, {r['ci_hi']:+.4f}] |")
    if card.get("vs_previous"):
        c = card["vs_previous"]
        lines += ["", f"**Against the previous version on the same positions:** {c['bits']:.4f} vs {c['other_bits']:.4f} "
                      f"bits/base, margin {c['margin_bits']:+.4f} [{c['margin_ci95'][0]:+.4f}, {c['margin_ci95'][1]:+.4f}]"
                      f"; better in {c['windows_better']} of {c['n_windows']} windows."]
    return "\n".join(lines) + "\n"


def select_baseline(objective: str) -> dict:
    """Grid-search the count baseline for ``objective`` on the validation slice → a JSON-ready spec
    (``kind, k, scheme, param, grid``) for :func:`baseline_from_selection`."""
    train, val = training_arrays()
    ks, params = BASELINE_GRID[objective]
    sel = select_count_model(objective, train, val, ks=ks, params=params)
    m = sel.model
    return dict(kind=m.kind, k=m.k, scheme=m.scheme, param=m.param, grid=sel.grid, name=m.name)


def baseline_from_selection(spec: dict) -> tuple[CountModel, list]:
    """(fitted count model, grid) from a :func:`select_baseline` spec."""
    model = CountModel(spec["kind"], spec["k"], spec["scheme"], spec["param"]).fit(training_arrays()[0])
    return model, spec["grid"]


def write_card(model_dir: Path, card: dict) -> str:
    """Write ``card.json`` and ``MODEL_CARD.md`` next to the weights; returns the markdown. The ``history`` of an
    existing card there is kept (a card carries the held-out numbers of every earlier version)."""
    old = model_dir / "card.json"
    if old.exists() and "history" not in card:
        card = {**card, "history": json.loads(old.read_text()).get("history", [])}
    md = card_markdown(card)
    (model_dir / "card.json").write_text(json.dumps(card, indent=2))
    (model_dir / "MODEL_CARD.md").write_text(md)
    return md


if __name__ == "__main__":  # ``python -m glm_explore.evaluate …`` = ``python -m glm_explore evaluate …``
    import sys

    from .cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
