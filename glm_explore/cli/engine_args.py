"""``--engine {local,ray}`` and the Ray options shared by ``score-vcf``, ``embed`` and ``track``.

The local engine (default) runs in this process. ``--engine ray`` runs the same computation as a Ray Data
job (:mod:`glm_explore.distributed`) on ``--address`` (an existing cluster; default ``$RAY_ADDRESS``, else a
local Ray on this machine's cores), resuming from the shards a stopped run left next to ``--out``.
"""

from __future__ import annotations

import argparse
import sys

from ..distributed.ray_engine import EngineOptions, check_reachable, fail_after_from_env, require_ray
from .common import float_range, int_range

RAY_ONLY = ("address", "actors", "cpus_per_actor", "gpus_per_actor", "shards_per_call")


def add_engine_args(p: argparse.ArgumentParser, *, shard_help: str | None = None) -> None:
    """Add the engine options to a command's parser (``shard_help``: what one shard is, for ``--engine``'s help)."""
    g = p.add_argument_group("engine", "where the job runs; the Ray options apply with --engine ray only")
    g.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: in this process (default); ray: a Ray Data job with resume"
                        + (f" (one shard = {shard_help})" if shard_help else ""))
    g.add_argument("--address", default=None,
                   help="existing Ray cluster (HOST:PORT or ray://HOST:10001); default $RAY_ADDRESS, "
                        "else a local Ray on this machine's cores")
    g.add_argument("--actors", type=int_range(1, None), default=None,
                   help="actor-pool size (default: cluster CPUs / --cpus-per-actor, or GPUs / --gpus-per-actor)")
    g.add_argument("--cpus-per-actor", type=float_range(0, 1024, open_lo=True), default=None,
                   help="CPUs reserved per actor = its torch threads (default 1)")
    g.add_argument("--gpus-per-actor", type=float_range(0, 64), default=None,
                   help="GPUs reserved per actor (default 0; today's model adapters run on CPU, so this only "
                        "reserves them)")
    g.add_argument("--shards-per-call", type=int_range(1, 10_000), default=None,
                   help="shards per actor call (Ray Data batch size; default 1)")


def engine_options(args: argparse.Namespace, *, also: tuple[str, ...] = ()) -> EngineOptions | None:
    """The :class:`EngineOptions` of ``--engine ray`` (None for the local engine).

    Raises a one-line error when Ray options (those of :data:`RAY_ONLY` and the command's own ``also``) are
    given to the local engine, or when Ray is not installed.
    """
    given = [f"--{name.replace('_', '-')}" for name in (*RAY_ONLY, *also) if getattr(args, name, None) is not None]
    if args.engine != "ray":
        if given:
            from . import UsageError

            raise UsageError(f"{', '.join(given)} only apply with --engine ray (add --engine ray or drop them)")
        return None
    require_ray()
    check_reachable(args.address)  # an unreachable --address fails now, in seconds, before any work
    return EngineOptions(address=args.address, actors=args.actors, cpus_per_actor=args.cpus_per_actor or 1.0,
                         gpus_per_actor=args.gpus_per_actor or 0.0, shards_per_call=args.shards_per_call or 1,
                         fail_after=fail_after_from_env())


def shard_progress(enabled: bool = True, unit: str = "shard"):
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr (None when disabled)."""
    if not enabled:
        return None
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=unit, file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
    return progress
