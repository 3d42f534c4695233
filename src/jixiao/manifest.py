"""What a run keeps in its output folder to be durable, and to be the only run there.

- the manifest (DIR/.jixiao-run.sqlite): which inputs are done, under which settings, with the
  verification of each of their tables, so that a run killed at any moment and started again skips
  what is done (`batch.run_batch`); `jixiao run --llm-batch` keeps its batch IDs there too;
- the lock (DIR/.jixiao.lock): one run at a time in a folder (`OutputLock`);
- the temporary files a killed run left behind (`clean_temporaries`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .fileio import shown
from .reading import FileOutcome, _verification

if TYPE_CHECKING:
    from .check import Verification
    from .extract import Extractor
    from .settings import ReadOptions

MANIFEST = ".jixiao-run.sqlite"
LOCK = ".jixiao.lock"


class Manifest:
    """Which inputs of this output folder are done, under which settings.

    Rows are keyed by the input's resolved path: two inputs never share a row, whatever their names.
    """

    def __init__(self, folder: Path):
        self.db = sqlite3.connect(folder / MANIFEST, timeout=30)
        with self.db:
            self.db.execute("""CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY, sha256 TEXT, settings TEXT, output TEXT, tables INTEGER,
                status TEXT, error TEXT, verification TEXT, ts REAL)""")
            # a row per verified table (a file of any number of tables is never one value in memory);
            # files.verification is left empty (manifests of earlier versions are read again)
            self.db.execute("""CREATE TABLE IF NOT EXISTS verifications (
                path TEXT, n INTEGER, json TEXT, PRIMARY KEY (path, n))""")

    def done(self, path: Path, sha: str, settings: str) -> sqlite3.Row | None:
        """(output, number of verifications recorded, status, error) of a finished input, or None."""
        row = self.db.execute("SELECT output, (SELECT COUNT(*) FROM verifications v WHERE v.path = files.path), "
                              "status, error FROM files WHERE path = ? AND sha256 = ? "
                              "AND settings = ? AND status IN ('done', 'failed')",
                              (str(path.resolve()), sha, settings)).fetchone()
        return row

    def outputs(self) -> dict[str, str]:
        """Output stem -> the resolved input path it belongs to, for every input recorded here."""
        rows = self.db.execute("SELECT output, path FROM files WHERE output IS NOT NULL").fetchall()
        return {Path(output).stem: path for output, path in rows}

    def record(self, path: Path, sha: str, settings: str, outcome: FileOutcome, verifications: Iterable[str] = ()) -> None:
        """The input done, with its verifications (each as `verification_json` gives it), at once."""
        status = "failed" if outcome.error and not outcome.count else "done"
        key = str(path.resolve())
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (key, sha, settings, outcome.output, outcome.count, status,
                             outcome.error, None, time.time()))
            self.db.execute("DELETE FROM verifications WHERE path = ?", (key,))
            self.db.executemany("INSERT INTO verifications VALUES (?, ?, ?)",
                                ((key, n, text) for n, text in enumerate(verifications)))

    def verifications(self, path: Path) -> Iterator[Verification]:
        """An input's verifications in order, one at a time."""
        for (text,) in self.db.execute("SELECT json FROM verifications WHERE path = ? ORDER BY n",
                                       (str(path.resolve()),)):
            yield _verification(json.loads(text))

    def close(self) -> None:
        self.db.close()


class OutputLock:
    """One run at a time in an output folder: an exclusive lock (flock) on DIR/.jixiao.lock, which
    holds the pid of its owner and is removed when it is released.  A second run says who holds it
    and waits for it."""

    def __init__(self, folder: Path, on_wait: Callable[[str], None] | None = None):
        self.path = folder / LOCK
        self.on_wait = on_wait
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        said = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not said and self.on_wait:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    self.on_wait(f"{shown(self.path.parent)} is in use by another jixiao run (pid {holder}); "
                                 "waiting for it to finish")
                    said = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:  # the holder removes the file as it lets go: lock the file that is there now
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        _LOCKS.add(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)
            _LOCKS.discard(self.fd)
            os.close(self.fd)  # closing releases the lock
            self.fd = None


# A flock belongs to the open file, which a fork shares: a --jobs process forked from a run would
# hold its folder's lock until it ended, after the run itself (a run killed and started again
# would wait for them).  So a forked process closes its copies (the run's own stay locked).
_LOCKS: set[int] = set()


def _forget_locks() -> None:
    for fd in _LOCKS:
        os.close(fd)
    _LOCKS.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forget_locks)


def clean_temporaries(out: Path) -> None:
    """Temporary files a killed run left in the output folder (`.<name>.<random>.tmp`): removed
    by the next run, which holds the folder's lock, so they are no other run's."""
    for p in out.glob(".*.tmp"):
        if p.is_file() and not p.is_symlink():
            p.unlink(missing_ok=True)


def settings_key(extractor: Extractor, read: ReadOptions) -> str:
    """What makes an extraction of the same file differ: redo the file when any of it changes."""
    parts = {"backend": extractor.name, "version": __version__, "password": bool(read.password), "ocr": read.ocr,
             "ocr_engine": read.ocr_engine}
    llm = extractor if extractor.name == "llm" else None
    if llm is not None:
        s = llm.s
        parts.update(model=s.model, base_url=llm.base_url, mode=s.structured_mode, prompt=llm.prompt_hash,
                     max_reasks=s.max_reasks, temperature=s.temperature, seed=s.seed)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
