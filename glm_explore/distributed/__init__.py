"""Genome-scale jobs beyond one process: ``score-vcf``, ``embed`` and ``track`` on Ray Data.

* :mod:`.ray_engine` — connect to Ray (local or ``--address``), map shards over an actor pool with
  ``map_batches``, store finished shards atomically, resume; :class:`EngineOptions`, :class:`RayEngineError`;
* :mod:`.actors` — :class:`~.actors.ShardWorker`, the callable class holding one model per actor;
* :mod:`.jobs` — :func:`score_vcf_ray`, :func:`embed_windows_ray`, :func:`track_chunks_ray`.

Ray is optional (``pip install "ray[data]"``) and imported only when a job runs; importing this package
does not import it. The local engine (the default) is the in-process code these jobs reuse.
"""

from .jobs import RayRun, embed_store, embed_windows_ray, score_vcf_ray, track_chunks_ray, vcf_store
from .ray_engine import EngineOptions, RayEngineError, ShardStore, connect, require_ray, work_dir_for

__all__ = ["EngineOptions", "RayEngineError", "RayRun", "ShardStore", "connect", "embed_store", "embed_windows_ray",
           "require_ray", "score_vcf_ray", "track_chunks_ray", "vcf_store", "work_dir_for"]
