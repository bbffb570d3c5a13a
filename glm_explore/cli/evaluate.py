"""``python -m glm_explore evaluate``: held-out evaluation of a built-in model → its model card."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import GlmExploreError
from .common import int_range, note, weights_dir


def add_parser(subparsers) -> None:
    from .. import evaluate

    p = subparsers.add_parser("evaluate", help="held-out bits/base vs the count baseline → MODEL_CARD.md",
                              description=evaluate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", type=Path, help="a built-in model folder (config.json + model.safetensors); "
                   "with --select-only, the JSON file to write")
    p.add_argument("--offsets", type=int_range(1, 10_000), default=20)
    p.add_argument("--max-windows", type=int_range(1, None), default=None)
    p.add_argument("--threads", type=int_range(1, 256), default=2)
    p.add_argument("--dry-run", action="store_true", help="print the card, do not write it")
    p.add_argument("--selection", type=Path, default=None,
                   help="JSON written by --select-only (reuse a finished baseline grid search)")
    p.add_argument("--select-only", choices=["mlm", "clm"], default=None,
                   help="only run the baseline grid search for this objective; write JSON to model_dir")
    p.add_argument("--against", type=weights_dir, default=None,
                   help="the previous version's folder: compare on the same positions (paired, block-bootstrap CI) "
                        "and keep its held-out numbers in the card's history")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluate import baseline_from_selection, card_markdown, evaluate, select_baseline, write_card

    if args.select_only:
        spec = select_baseline(args.select_only)
        args.model_dir.write_text(json.dumps(spec))
        print(spec["name"])
        return 0
    if not (args.model_dir / "config.json").is_file():
        raise GlmExploreError(f"{args.model_dir} is not a built-in model folder (no config.json).")
    baseline, grid = None, None
    if args.selection:
        try:
            baseline, grid = baseline_from_selection(json.loads(args.selection.read_text()))
        except (ValueError, KeyError) as exc:
            raise GlmExploreError(f"--selection {args.selection} is not a file written by --select-only "
                                  f"({type(exc).__name__}: {exc}).") from None
    card = evaluate(args.model_dir, offsets=args.offsets, max_windows=args.max_windows, threads=args.threads,
                    baseline=baseline, grid=grid)
    if args.against:
        from ..evaluate import paired_comparison, previous_versions

        card["vs_previous"] = paired_comparison(args.model_dir, args.against, offsets=args.offsets,
                                                max_windows=args.max_windows, threads=args.threads)
        card["history"] = previous_versions(args.against)
    print(card_markdown(card) if args.dry_run else write_card(args.model_dir, card))
    if not args.dry_run:
        note(f"wrote {args.model_dir / 'card.json'} and {args.model_dir / 'MODEL_CARD.md'}")
    return 0
