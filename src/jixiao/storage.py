"""Inputs and outputs in object storage or any fsspec filesystem (`s3://bucket/in/`, `gs://…`).

- An input URL is a `Url`: it names its object like a path does (name, stem, suffix), and the
  driver hashes it by streaming it; a Ray worker copies the object to a local temporary file,
  reads that, and names the URL in provenance (distributed.py).
- An output URL is a `StagedFolder`: a local folder the run writes as usual (manifest, atomic
  writes, reports), filled from the URL at the start (so a killed run resumes from what reached
  storage) and copied back after each file and at the end.  Object stores write whole objects,
  so nobody reading the bucket ever sees half a file; an output is sent before the manifest
  that names it.

fsspec (and s3fs for s3://) is needed only when a URL is given: `pip install "jixiao[ray]"`.
Credentials and endpoints come from the usual places (AWS_* variables, ~/.aws, or
`$JIXIAO_S3_ENDPOINT` for an S3-compatible server such as MinIO).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
import time
from pathlib import Path, PurePosixPath

_SCHEME_SEP = "://"


def is_url(path) -> bool:
    text = str(path)
    return _SCHEME_SEP in text and not text.startswith("file://")


def filesystem(url: str):
    """The fsspec filesystem of a URL and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise OSError(f"{url}: reading URLs needs fsspec (and s3fs for s3://): pip install 'jixiao[ray]'") from None
    protocol = url.split(_SCHEME_SEP, 1)[0]
    options = {}
    if protocol in ("s3", "s3a") and os.environ.get("JIXIAO_S3_ENDPOINT"):
        options["client_kwargs"] = {"endpoint_url": os.environ["JIXIAO_S3_ENDPOINT"]}
    fs = fsspec.filesystem(protocol, **options)
    return fs, fs._strip_protocol(url)


class Url:
    """An input named by URL, standing in for a Path where the batch runner uses one."""

    def __init__(self, url: str):
        self.url = url
        self._pure = PurePosixPath(url.split(_SCHEME_SEP, 1)[1])

    name = property(lambda self: self._pure.name)
    stem = property(lambda self: self._pure.stem)
    suffix = property(lambda self: self._pure.suffix)

    def __str__(self) -> str:
        return self.url

    __fspath__ = __str__

    def __repr__(self) -> str:
        return f"Url({self.url!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Url) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __reduce__(self):
        return Url, (self.url,)

    def open(self, mode: str = "rb"):
        fs, path = filesystem(self.url)
        return fs.open(path, mode)

    def is_file(self) -> bool:
        fs, path = filesystem(self.url)
        return fs.isfile(path)

    def exists(self) -> bool:
        fs, path = filesystem(self.url)
        return fs.exists(path)

    def resolve(self) -> Url:
        """A URL names one object already (the manifest and output names key inputs by this)."""
        return self


def expand(url: str, suffixes: set[str]) -> list[Url]:
    """The objects a URL names: itself, every readable object under it (a prefix), or a glob's matches."""
    fs, path = filesystem(url)
    protocol = url.split(_SCHEME_SEP, 1)[0]
    if any(ch in path for ch in "*?["):
        found = sorted(fs.glob(path))
    elif fs.isdir(path):
        found = sorted(p for p in fs.find(path) if PurePosixPath(p).suffix.lower() in suffixes)
    else:
        found = [path]
    return [Url(f"{protocol}{_SCHEME_SEP}{p}") for p in found]


@contextlib.contextmanager
def local_copy(url: str):
    """The object at `url` as a local file of the same name, removed afterwards."""
    fs, path = filesystem(url)
    with tempfile.TemporaryDirectory(prefix="jixiao-") as tmp:
        local = Path(tmp) / posixpath.basename(path)
        fs.get_file(path, str(local))
        yield local


def read_url(url: str, extractor, read, config=None, debug: bool = False, on_table=None):
    """`batch.read_one` of an object in storage: read from a local copy, named by its URL (in
    provenance and in the outcome), as a local run names a file by the path it was given."""
    from .batch import read_one

    with local_copy(url) as local:
        outcome = read_one(local, extractor, read, config, debug, on_table=on_table, source=url)
    outcome.path = Url(url)
    return outcome


class StagedFolder:
    """An output folder at a URL, worked on locally and copied back (see the module's docstring)."""

    def __init__(self, url: str, local: Path | None = None, every: float = 2.0):
        self.url = url.rstrip("/")
        self.fs, self.root = filesystem(self.url)
        self.local = local or Path(tempfile.mkdtemp(prefix="jixiao-out-"))
        self.every, self.last = every, 0.0
        self.sent: dict[str, tuple[int, int]] = {}
        if self.fs.isdir(self.root):
            for remote in self.fs.find(self.root):
                rel = posixpath.relpath(remote, self.root)
                target = self.local / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(remote, str(target))
                self.sent[rel] = self._stamp(target)

    @staticmethod
    def _stamp(p: Path) -> tuple[int, int]:
        st = p.stat()
        return st.st_size, st.st_mtime_ns

    def sync(self, force: bool = True) -> None:
        """Copy what changed locally to the URL: outputs first, the manifest last."""
        from .manifest import LOCK, MANIFEST

        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        changed = []
        for p in self.local.rglob("*"):
            if not p.is_file() or p.name.endswith((".tmp", "-journal")) or p.name == LOCK:
                continue
            rel = p.relative_to(self.local).as_posix()
            stamp = self._stamp(p)
            if self.sent.get(rel) != stamp:
                changed.append((rel.startswith(MANIFEST), rel, p, stamp))  # its journal too
        for _manifest_last, rel, p, stamp in sorted(changed):
            self.fs.put_file(str(p), f"{self.root}/{rel}")
            self.sent[rel] = stamp

    def close(self) -> None:
        """The local copy removed (what matters was sent by sync)."""
        import shutil

        shutil.rmtree(self.local, ignore_errors=True)
