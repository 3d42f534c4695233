"""Files: their content hash, names shown safely, and writing outputs so that a killed run never
leaves half a file behind (every temporary name is unique: two runs never share one)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


def shown(path: Path | str) -> str:
    """A file name as a message may print it: as given, or quoted (repr-like) when it holds control
    characters (a newline in a name must not forge another line of output)."""
    s = str(path)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in s) or s != s.strip():
        return repr(s)
    return s


def not_regular(path: Path) -> str | None:
    """Why a path cannot be read as an input file (None when it is a regular file); never opens it,
    so a FIFO or a device never blocks."""
    if hasattr(path, "url"):  # storage.Url: an object in storage
        return None if path.is_file() else "no such object"
    try:
        st = path.stat()
    except FileNotFoundError:
        try:
            path.lstat()
            return "broken symbolic link"
        except OSError:
            return "no such file"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"cannot read: {e.strerror or e}"
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file: not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file: not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file: not read"
    return "not a regular file: not read"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO]:
    """A file written under a unique temporary name beside `path` and renamed into place when the
    block ends without an error (else removed): readers see the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file beside path, then rename it into place."""
    with atomic_file(path) as f:
        f.write(text)


def write_lines_atomic(path: Path, parts: Iterable[str]) -> None:
    """Like write_atomic, from pieces of text (never joined in memory)."""
    with atomic_file(path) as f:
        for part in parts:
            f.write(part)


def temp_path(path: Path) -> Path:
    """A unique temporary name beside `path` (the file is created empty; the caller replaces it)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def path_digest(path: Path) -> str:
    """8 hex characters naming a file by its resolved path: stable across runs."""
    return hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:8]


class OutputNames:
    """Output file stems, one per input: unique, and stable across runs into the same folder.

    An input gets its own file stem unless another input already holds that stem (earlier in this
    batch, or -- given `taken`, from the folder's manifest -- in an earlier run); then stem + 8 hex
    characters of the hash of its resolved path, which the same file always gets again.  An input
    recorded in `taken` keeps the name it had.
    """

    RESERVED = {"findings"}  # findings.json is the run's report

    def __init__(self, inputs: Iterable[Path] = (), taken: dict[str, str] | None = None) -> None:
        self.taken = dict(taken or {})  # stem -> resolved path holding it
        self.taken.update({r: "" for r in self.RESERVED})
        self.mine = {path: stem for stem, path in self.taken.items()}
        self.used: dict[str, str] = {}

    def __call__(self, path: Path, digest: str = "") -> str:
        resolved = str(path.resolve())
        name = self.mine.get(resolved) or path.stem
        holder = self.taken.get(name, self.used.get(name))
        if holder is not None and holder != resolved:
            name = f"{path.stem}-{path_digest(path)}"
        self.used[name] = resolved
        return name


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with (path.open("rb") if hasattr(path, "url") else open(path, "rb")) as f:  # storage.Url: an object in storage
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unique_inputs(files: list[Path]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """Each input once, by resolved path; (dropped, the one kept) for every repeat."""
    seen: dict[str, Path] = {}
    kept, dropped = [], []
    for p in files:
        key = str(p.resolve())
        if key in seen:
            dropped.append((p, seen[key]))
        else:
            seen[key] = p
            kept.append(p)
    return kept, dropped
