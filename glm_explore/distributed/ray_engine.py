"""The generic half of the Ray engine: connect, map shards over an actor pool, store shards atomically, resume.

A job is cut into numbered **shards** (a batch of VCF alleles, a slice of windows, a genome chunk). The
driver sends the shards that are not yet done as rows of a Ray Dataset (``shard``: int, ``payload``:
bytes), ``map_batches`` runs them through a pool of actors of a callable class that loads its own model
from the CLI's spec string (a model is never pickled), and each result (bytes) streams back to the driver,
which saves it at once with :meth:`ShardStore.save` (write to a temp file, then ``os.replace``). A shard on
disk is therefore complete or absent: a run that dies (a killed worker, a lost node, Ctrl-C) keeps every
finished shard, and running the same command again computes only the rest (**resume**). The job's output
is assembled from the shards in shard order, so it does not depend on which actor finished first.

Results travel back to the driver rather than being written by the actors, so a cluster needs no shared
file system: only the genome and model specs (bundled keys, or paths present on every node) must resolve
on each node. Ray is imported lazily: the rest of ``glm_explore`` runs without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    GlmExploreError,
    RayEngineError,
)
from .actors import error_from_bytes

INSTALL_HINT = 'pip install "ray[data]"'
FAIL_AFTER_ENV = "GLM_EXPLORE_RAY_FAIL_AFTER"  # testing: an actor dies (os._exit) when asked for one more shard


@dataclass(frozen=True)
class EngineOptions:
    """How to run a job on Ray.

    ``address``: an existing cluster (``ray://…`` or ``host:port``; None → ``$RAY_ADDRESS`` if set, else a
    local Ray on this machine's cores). ``actors``: actor-pool size (None → the cluster's CPUs (or GPUs) divided
    by what one actor asks for, at most one per pending shard). ``cpus_per_actor`` / ``gpus_per_actor``: the
    resources each actor reserves (its torch thread count follows ``cpus_per_actor``). ``shards_per_call``: the
    ``map_batches`` batch size, shards handed to one actor call. ``fail_after``: testing only — an actor exits
    (``os._exit``) when asked for a shard after finishing this many, and is not restarted.
    """

    address: str | None = None
    actors: int | None = None
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    shards_per_call: int = 1
    fail_after: int | None = None


def fail_after_from_env() -> int | None:
    """The ``GLM_EXPLORE_RAY_FAIL_AFTER`` test hook as an int (None when unset or empty)."""
    value = os.environ.get(FAIL_AFTER_ENV, "").strip()
    return int(value) if value else None


def require_ray():
    """Import Ray (with Ray Data) or raise a one-line :class:`RayEngineError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayEngineError(f"--engine ray needs Ray Data, which is not installed: run `{INSTALL_HINT}` "
                             "(or use --engine local).") from None
    return ray


PROBE_TIMEOUT_S = 5.0  # a cluster address that does not accept a TCP connection in this long is unreachable
GCS_TIMEOUT_S = "20"  # Ray's own wait for its cluster's control store (default 60 s)


def cluster_endpoint(address: str | None) -> tuple[str, int] | None:
    """``(host, port)`` of a cluster address (``HOST:PORT`` or ``ray://HOST:PORT``); None for a local Ray
    (no address, ``auto``, ``local``) or a form without a port."""
    if not address or address in {"auto", "local"}:
        return None
    rest = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]") or "127.0.0.1", int(port)


def check_reachable(address: str | None, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Fail at once, with one line, when nothing accepts a connection at a cluster ``address`` (None: the
    ``$RAY_ADDRESS`` variable, if set). Ray's own connect retries for minutes with no sign of life."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    endpoint = cluster_endpoint(address)
    if endpoint is None:
        return
    host, port = endpoint
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__).lower()
        raise RayEngineError(f"cannot reach a Ray cluster at {address}: a TCP connect to {host}:{port} failed "
                             f"({why}, {timeout:g} s limit). Check --address / $RAY_ADDRESS (start a cluster "
                             "with `ray start --head`), or leave it out for a local Ray.") from None


def connect(address: str | None = None) -> bool:
    """Make sure this process is connected to Ray; returns True when this call started the connection
    (the caller then shuts it down). An already initialised Ray (a notebook, a test) is reused as it is.
    A cluster address is probed first (:func:`check_reachable`), so an unreachable one fails in seconds."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    check_reachable(address)
    package_root = str(Path(__file__).resolve().parents[2])  # local workers can import glm_explore
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    # Ray Data's actors always warn (C++ log, stderr) that their constructor arguments sit in the object store
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    os.environ.setdefault("RAY_gcs_server_request_timeout_seconds", GCS_TIMEOUT_S)
    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", GCS_TIMEOUT_S)
    try:
        ray.init(address=address or None, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "a local Ray"
        raise RayEngineError(f"cannot connect to {where}: {' '.join(str(exc).split())[:300]} — check --address "
                             "(start a cluster with `ray start --head`)") from None
    return True


def job_key(params: dict) -> str:
    """A short digest of everything that decides a job's output (the resume manifest compares it)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_identity(path: str | Path) -> dict:
    """Name, size and modification time of an input file (a changed input invalidates saved shards)."""
    st = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def work_dir_for(out: str | Path) -> Path:
    """The resume folder next to an output: ``scores.parquet`` → ``scores.parquet.ray-work/``."""
    out = Path(out)
    return out.with_name(out.name + ".ray-work")


class ShardStore:
    """Finished shards of one job as files ``shard-000012.<suffix>`` in ``root``, each written atomically.

    ``root/manifest.json`` holds the job's :func:`job_key`; opening the store for a different job (another
    input, model or option that changes the output) clears the old shards first, so a resume never mixes
    two jobs. ``cleared`` says whether that happened.
    """

    def __init__(self, root: str | Path, params: dict, *, suffix: str = "bin") -> None:
        self.root = Path(root)
        self.suffix = suffix
        key = job_key(params)
        manifest = self.root / "manifest.json"
        self.cleared = False
        if self.root.exists():
            try:
                old = json.loads(manifest.read_text()).get("key")
            except (OSError, ValueError):
                old = None
            if old != key:
                shutil.rmtree(self.root)
                self.cleared = True
        self.root.mkdir(parents=True, exist_ok=True)
        if not manifest.exists():
            _atomic_write(manifest, json.dumps({"key": key, "params": params}, indent=1, default=str).encode())

    def path(self, shard: int) -> Path:
        return self.root / f"shard-{shard:06d}.{self.suffix}"

    def done(self, shard: int) -> bool:
        return self.path(shard).exists()

    def save(self, shard: int, data: bytes) -> None:
        _atomic_write(self.path(shard), data)

    def load(self, shard: int) -> bytes:
        return self.path(shard).read_bytes()

    def remove(self) -> None:
        """Delete the folder (after the job's output was written)."""
        shutil.rmtree(self.root, ignore_errors=True)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the whole file or none (temp file + ``os.replace``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pool_size(ray, opts: EngineOptions, pending: int) -> int:
    """Actors to start: ``opts.actors``, else what the cluster's CPUs / GPUs fit; never more than ``pending``."""
    if opts.actors:
        n = opts.actors
    else:
        res = ray.cluster_resources()
        n = int(res.get("CPU", 1) // max(opts.cpus_per_actor, 1e-9))
        if opts.gpus_per_actor > 0:
            n = min(n, int(res.get("GPU", 0) // opts.gpus_per_actor))
    return max(1, min(n, pending))


def map_shards(items: Iterable[tuple[int, bytes]], worker_cls: type, worker_kwargs: dict,
               on_result: Callable[[int, bytes], None], opts: EngineOptions) -> int:
    """Run ``worker_cls(**worker_kwargs)`` actors over ``items`` (``(shard, payload)``) with Ray Data and call
    ``on_result(shard, result)`` in the driver as each result arrives (in completion order). Returns the
    number of shards computed. ``worker_cls`` is a :class:`~.actors.ShardWorker`-style callable class.

    Any failure inside Ray becomes one :class:`RayEngineError` line (a user error raised in an actor, e.g.
    a bad model spec, is re-raised as itself); the shards already saved stay saved.
    """
    ray = require_ray()
    rows = [{"shard": int(i), "payload": p} for i, p in items]
    if not rows:
        return 0
    started = connect(opts.address)
    done = 0
    try:
        n_actors = pool_size(ray, opts, len(rows))
        ds = ray.data.from_items(rows, override_num_blocks=len(rows))
        del rows
        remote = {"max_restarts": 0}  # a dying actor stops the job at once (finished shards stay: rerun resumes)
        kwargs = {**worker_kwargs, "fail_after": opts.fail_after, "threads": max(1, int(opts.cpus_per_actor))}
        with _quiet_ray_data(ray):
            out = ds.map_batches(worker_cls, fn_constructor_kwargs=kwargs, batch_size=opts.shards_per_call,
                                 batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=n_actors),
                                 num_cpus=opts.cpus_per_actor, num_gpus=opts.gpus_per_actor or None, **remote)
            for batch in out.iter_batches(batch_size=1, batch_format="numpy", prefetch_batches=0):
                for shard, result, error in zip(batch["shard"], batch["result"], batch["error"]):
                    if error:  # a user error (bad spec, bad region …) raised in an actor: the same one line
                        raise error_from_bytes(error)
                    on_result(int(shard), bytes(result))
                    done += 1
    except GlmExploreError:
        raise
    except Exception as exc:
        raise _one_line_error(exc) from None
    finally:
        if started:
            ray.shutdown()
    return done


@contextmanager
def _quiet_ray_data(ray):
    """No Ray Data progress bars, INFO lines or logged tracebacks while a job runs (the CLI draws its own shard
    bar, and a failure reaches the user as one :class:`RayEngineError` line)."""
    ctx = ray.data.DataContext.get_current()
    logger = logging.getLogger("ray.data")
    before = (ctx.enable_progress_bars, ctx.print_on_execution_start, logger.level)
    ctx.enable_progress_bars, ctx.print_on_execution_start = False, False
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():  # Ray deprecates passing max_restarts through map_batches' kwargs
            warnings.simplefilter("ignore")
            yield
    finally:
        ctx.enable_progress_bars, ctx.print_on_execution_start = before[:2]
        logger.setLevel(before[2])


def _one_line_error(exc: BaseException) -> GlmExploreError:
    """A :class:`RayEngineError` naming Ray's reason in one line (the innermost ``SomeError: message`` line of
    a worker's traceback, else Ray's first line) and how to resume."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception): \S", ln)]
    why = (errors[-1] if errors else lines[0] if lines else type(exc).__name__)[:200]
    return RayEngineError(f"the Ray job stopped ({type(exc).__name__}: {why}); finished shards are kept — run the "
                          "same command again to resume")
