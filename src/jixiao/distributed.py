"""`jixiao run --ray ADDRESS`: the files of a batch read on a Ray cluster.

Ray's own machinery does the work: a pool of actors (`ray.util.ActorPool`), one per worker CPU,
each holding its extractor (and so its OCR engine and model client) for its whole life; a file
is the unit of work; results come back to the driver in input order.  The driver keeps
everything else exactly as a local run does (batch.py): the manifest, output names, atomic
writes, the review rules and the reports.  So a Ray run writes byte for byte what a local run
writes, a driver killed and started again resumes from the manifest, and a worker that dies
(a killed process, a lost node) costs only the files it held: its actor is restarted and
those files are read again (`max_restarts`, `max_task_retries`).

Inputs may be local paths on a filesystem every node shares, or fsspec URLs (`s3://…`, see
storage.py) that each worker reads itself.

Nothing here is imported unless `--ray` is given; `ray` is the optional extra `jixiao[ray]`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from .settings import Settings


class RayUnavailable(Exception):
    """Ray is not installed or the cluster cannot be reached: the message says what to do."""


def _ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--ray needs Ray: pip install 'jixiao[ray]'") from None
    return ray


def connect(address: str | None, num_cpus: int | None = None):
    """Join the cluster at `address`, or start a local one (None) with `num_cpus` workers."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    env = {"env_vars": {"JIXIAO_OCR_THREADS": os.environ.get("JIXIAO_OCR_THREADS", "1")}}
    try:
        if address:
            ray.init(address=address, runtime_env=env, log_to_driver=False, logging_level="error")
        else:
            ray.init(num_cpus=num_cpus, runtime_env=env, log_to_driver=False, logging_level="error",
                     include_dashboard=False)
    except Exception as e:  # ConnectionError, a bad address, a version mismatch
        raise RayUnavailable(f"cannot start or join the Ray cluster {address or '(local)'}: "
                             f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return ray


class FileReader:
    """A Ray actor's body: the extractor built once, then whole files read one by one."""

    def __init__(self, settings: Settings, debug: bool):
        from .extract import build_extractor

        self.settings, self.debug = settings, debug
        self.extractor = build_extractor(settings)

    def pid(self) -> int:
        return os.getpid()

    def read(self, path: str):
        """One file's reading.FileRead; `path` as the driver was given it (what provenance names)."""
        from . import storage
        from .batch import read_whole

        s = self.settings
        return read_whole(storage.Url(path) if storage.is_url(path) else Path(path), self.extractor, s.read,
                          s.review, self.debug)


def actors(settings: Settings, count: int | None = None, debug: bool = False) -> list:
    """One FileReader actor per worker CPU of the cluster, restarted (and its files retried) when it dies."""
    from .jobs import portable

    ray = _ray()
    remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(FileReader)
    n = count or max(1, int(ray.cluster_resources().get("CPU", 1)))
    shared = portable(settings, n)  # with a model, each actor keeps to 1/n of --rpm and --tpm
    return [remote.remote(shared, debug) for _ in range(n)]


def read_files(files: list, pool_actors: list) -> Iterator:
    """Each file's reading.FileRead, in input order, read by the actors (ray.util.ActorPool)."""
    from ray.util import ActorPool

    if not files:
        return
    pool = ActorPool(pool_actors)
    yield from pool.map(lambda actor, path: actor.read.remote(str(path)), files)


def reader(address: str | None, settings: Settings, debug: bool = False,
           workers: int | None = None) -> Callable[[list[Path]], Iterator]:
    """The batch runner's hook (batch.run_batch(reader=…)): files to read -> what was read, in order."""
    connect(address, workers)
    made: list = []

    def read(files: list[Path]) -> Iterator:
        if not made:
            made.extend(actors(settings, workers, debug))
        return read_files(files, made)

    return read
