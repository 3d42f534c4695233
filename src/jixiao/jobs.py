"""Files of a batch read on several processes at once (`--jobs N`), results in input order.

Each worker process (forked where that is safe, see `_start_method`; else spawned) builds its
extractor once (and with it, on the first scanned page, its own OCR engine) and reads whole files
with `batch.read_whole`, the same reading a one-process run does, sending each file's tables back;
the driver keeps everything else (the manifest, output names, the atomic streamed writes, the
reports), so a run with any number of jobs writes exactly what a one-process run writes.

OCR engines use every core by default: with N workers each one gets cores/N threads
(`JIXIAO_OCR_THREADS`, unless set), so N workers never oversubscribe the machine.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .settings import Settings

_worker: dict = {}  # this worker process's settings and extractor, made once by _init


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def portable(settings: Settings, share: int = 1) -> Settings:
    """The settings a worker process needs: callbacks (progress bars) stay with the driver, and
    with a model each of `share` processes gets its share of the request and token limits."""
    model = settings.model
    if model is not None and share > 1:
        model = dataclasses.replace(model, rpm=model.rpm and model.rpm / share, tpm=model.tpm and model.tpm / share)
    return dataclasses.replace(settings, read=dataclasses.replace(settings.read, on_ocr=None), model=model)


def _init(settings: Settings, threads: int, parent: int) -> None:
    os.environ.setdefault("JIXIAO_OCR_THREADS", str(threads))
    from .extract import build_extractor

    _worker["settings"] = settings
    _worker["extractor"] = build_extractor(settings)
    # a worker whose driver was killed (SIGKILL leaves no time to say so) ends itself
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _read(path: Path, verify: bool, debug: bool):
    from .batch import read_whole

    s = _worker["settings"]
    return read_whole(path, _worker["extractor"], s.read, s.review if verify else None, debug)


def ordered(submit: Callable, items: Iterable, window: int, recover: Callable | None = None) -> Iterator:
    """fn(item) for each item through `submit` (returning futures), yielded in input order, with at
    most `window` items in flight so a long batch is never all queued or all held.  The first
    `window` items are submitted at once, when this is called (their processes start while the
    caller goes on), the others as results are taken.

    When a process of the pool dies (BrokenProcessPool: killed, out of memory, a crash in a native
    library on a hostile file), every item then in flight has lost its result and none can be
    blamed: `recover(items)` gives their results again (jobs.read_files reads each one alone on
    a fresh pool, so that a file that crashes its reader is the only one to fail)."""
    from concurrent.futures.process import BrokenProcessPool

    pending: deque = deque()  # (item, future)

    def take():
        item, future = pending.popleft()
        try:
            return future.result()
        except BrokenProcessPool:
            if recover is None:
                raise
            again = [item] + [i for i, _f in pending]
            pending.clear()
            results = recover(again)
            pending.extend((i, _Done(r)) for i, r in zip(again[1:], results[1:]))
            return results[0]

    def push(item) -> None:
        try:
            future = submit(item)
        except BrokenProcessPool as e:  # the pool broke before this item was taken: recovered with the rest
            future = _Failed(e)
        pending.append((item, future))

    items = iter(items)
    for item in itertools.islice(items, window):
        push(item)

    def results() -> Iterator:
        while pending:
            yield take()
            for item in itertools.islice(items, 1):
                push(item)

    return results()


class _Done:
    """A result already at hand, as a future gives it."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Failed(_Done):
    """An error already at hand, as a future raises it."""

    def result(self):
        raise self.value


MIN_PART_PAGES = 32  # a PDF is read in parts when it has this many pages a process (any size when
# the batch has fewer files than processes: one long scan is then spread over them all)


def reader(files: list[Path], settings: Settings, jobs: int, *, verify: bool = True,
           debug: bool = False) -> Callable[[list[Path]], Iterator] | None:
    """The batch runner's hook (batch.Reader) reading on `jobs` processes, or None where starting
    them would not pay (the caller then reads here)."""
    if jobs < 2 or not worth_spreading(files, jobs):
        return None
    return lambda todo: read_files(todo, settings, jobs, verify=verify, debug=debug)


def read_files(files: list[Path], settings: Settings, jobs: int, *, verify: bool = True,
               debug: bool = False) -> Iterator:
    """Each file's reading.FileRead, in input order, read on `jobs` processes: started, and the first
    files handed to them, when this is called, so that they start up while the caller goes on.

    Files are the unit of work; a long PDF, or any PDF of a batch smaller than `jobs`, is read in
    parts of consecutive pages, each part on a process of its own (see `_read_part`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if not files:
        return iter(())
    from concurrent.futures.process import BrokenProcessPool

    few = len(files) < jobs
    threads = max(1, default_jobs() // jobs)

    def start() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(_start_method()), initializer=_init,
                                   initargs=(portable(settings, jobs), threads, os.getpid()))

    pool = start()

    def submit(path):
        bounds = _parts(path, jobs, few) if settings.backend == "rules" else None
        if bounds is None:
            return pool.submit(_read, path, verify, debug)
        return _Whole(path, [pool.submit(_read_part, path, bounds, k, verify, debug) for k in range(len(bounds))],
                      lambda: pool.submit(_read, path, verify, debug).result())

    def restart() -> None:
        nonlocal pool
        pool.shutdown(wait=False, cancel_futures=True)
        pool = start()

    def recover(paths: list[Path]) -> list:
        """After a process died: each file in flight read again, alone, on a fresh pool."""
        restart()
        results = []
        for path in paths:
            try:
                results.append(pool.submit(_read, path, verify, debug).result())
            except BrokenProcessPool:  # it dies again alone: this file kills its reader
                results.append(_died(path))
                restart()
        return results

    results = ordered(submit, files, 2 * jobs, recover)  # the first files submitted now

    def drained() -> Iterator:
        try:
            yield from results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return drained()


def _start_method() -> str:
    """fork where it is safe, spawn elsewhere.  A forked worker starts in milliseconds with the
    modules already imported here (a spawned one takes about 0.3 s: a new interpreter, imports).
    Fork is safe only in a process of one thread: a fork copies every other thread's locks as
    they stand, held or not, and not the threads that would release them.  Threads of native
    libraries (ONNX Runtime's, a model client's) count too, so the kernel's count is asked, not
    Python's; and only on Linux (macOS's system libraries are not fork-safe, Windows has none)."""
    try:
        alone = len(os.listdir("/proc/self/task")) == 1
    except OSError:  # not Linux
        return "spawn"
    return "fork" if alone else "spawn"


def _died(path: Path):
    from .reading import FileOutcome, FileRead

    return FileRead(FileOutcome(path, error="the process reading it died (killed, out of memory, or a crash in a "
                                            "library it uses); the other files were read"), [])


_IMAGES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def worth_spreading(files: list[Path], jobs: int) -> bool:
    """Whether starting processes pays (each costs about a second): a batch of a few files a process,
    an image (OCR), or a PDF that would be read in parts (long, or a scan)."""
    if len(files) >= 2 * jobs:
        return True
    few = len(files) < jobs
    return any(isinstance(f, Path) and (f.suffix.lower() in _IMAGES or _parts(f, jobs, few))
               for f in files)


def _parts(path: Path, jobs: int, few: bool) -> tuple[int, ...] | None:
    """The first page of each part a PDF is read in, or None to read it whole."""
    if jobs < 2 or not isinstance(path, Path) or path.suffix.lower() != ".pdf":
        return None
    try:
        st = path.stat()
    except OSError:  # gone: read whole, where its error is worded
        return None
    return _parts_of(path, st.st_size, st.st_mtime_ns, jobs, few)


@functools.lru_cache(maxsize=64)  # asked once to decide whether processes pay, once to cut it
def _parts_of(path: Path, _size: int, _mtime: int, jobs: int, few: bool) -> tuple[int, ...] | None:
    try:
        from .readers._mupdf import pymupdf

        with pymupdf.open(path, filetype="pdf") as doc:
            if doc.needs_pass or doc.is_repaired or doc.page_count < 2:
                return None
            n = doc.page_count
            # a scan (no text on its first page) is worth spreading page by page: OCR takes seconds a page
            scan = few and len(doc[0].get_text("text").strip()) < 30
    except Exception:  # a damaged file: read whole, where its error is worded
        return None
    parts = min(jobs, n // (1 if scan else MIN_PART_PAGES))
    return tuple(n * k // parts for k in range(parts)) if parts >= 2 else None


class _Whole:
    """The parts of one PDF put back together, exactly as if it had been read whole (else read whole)."""

    def __init__(self, path: Path, futures: list, whole: Callable):
        self.path, self.futures, self.whole = path, futures, whole

    def result(self):
        from .reading import FileOutcome, FileRead, _say_damage

        parts = [f.result() for f in self.futures]
        joined = all(p["error"] is None for p in parts) and all(
            a["stop"] == b["start"] and (a["safe"] or a["stop"] == a["pages"]) for a, b in zip(parts, parts[1:]))
        if not joined:
            return self.whole()  # a damaged page, or a part starting inside a table: read it whole
        outcome, packed = FileOutcome(self.path), []
        for part in parts:
            for n, (table, v) in enumerate(part["packed"]):
                if v is not None and outcome.count:  # its findings name its place in the whole file
                    v = _renumbered(v, part["source"], n, outcome.count + n)
                packed.append((table, v))
            outcome.count += len(part["packed"])
        _say_damage(outcome, [], sum(p["marked"] for p in parts))
        if not outcome.count:
            outcome.warning = "no performance target table found"
        return FileRead(outcome, packed)


def _renumbered(verification: str, source: str, was: int, now: int) -> str:
    """A verification's text (reading.verification_json) with its findings' table_ref, `source#was`
    as the part counted, made `source#now`.  Only the value of a "table_ref" key can be preceded
    by `"table_ref": ` in the text (a string holding it would have its quotes escaped)."""
    from .reading import table_ref_of

    def pair(n: int) -> str:
        return '"table_ref": ' + json.dumps(table_ref_of(source, n), ensure_ascii=False)

    return verification.replace(pair(was), pair(now))


def _read_part(path: Path, bounds: list[int], k: int, verify: bool, debug: bool) -> dict:
    """Part k of a PDF: the tables starting in it, exactly as a read of the whole file gives them.

    Part k is nominally pages bounds[k] to bounds[k+1]; it really starts at the first page from
    bounds[k] on that opens with a table heading (part 0 at page 0), and ends where part k+1
    really starts, reading on past its nominal end to finish its last table.  Where a part starts
    the chunker of the part before must be at rest (Chunker.at_rest); the driver checks that and
    the starts and ends, and reads the file whole where they do not fit, or where a reader noticed
    damage (whose notes and warnings a whole read words)."""
    from . import __version__
    from .reading import FileRead, _mark_table, table_ref
    from .chunk import Chunker, is_title
    from .fileio import sha256_of
    from .models import Provenance
    from .readers import collecting_damage
    from .readers.pdf import pdf_pages

    s, extractor = _worker["settings"], _worker["extractor"]
    first, end = bounds[k], bounds[k + 1] if k + 1 < len(bounds) else None
    state = {"start": 0 if k == 0 else None, "stop": None, "safe": True, "pages": None}
    digest = sha256_of(path)
    on_page: dict[int | None, int] = {}
    chunker = Chunker()

    def provenance(pages: list[int], used: str) -> Provenance:  # as pipeline.readings gives it
        p = pages[0] if pages else None
        on_page[p] = on_page.get(p, -1) + 1
        return Provenance(source_file=str(path), sha256=digest, pages=pages, table_index=on_page[p],
                          backend=used, tool_version=__version__)

    def chunks():
        number = first
        for number, rows in enumerate(pdf_pages(path, s.read, first), start=first):
            opens = bool(rows) and is_title(rows[0])
            if state["start"] is None:
                if not opens:
                    continue
                state["start"] = number
                if end is not None and number >= end:  # no table starts in this part: it is empty
                    state["stop"] = number
                    break
            elif end is not None and number >= end and opens:
                state["stop"], state["safe"] = number, chunker.at_rest
                break
            yield from chunker.feed(rows)
        else:
            number += 1
        yield from chunker.finish()
        state["pages"] = number if state["stop"] is None else None

    packed, marked, error, damage = [], 0, None, []
    try:
        with collecting_damage(damage):
            for reading in extractor.readings(chunks(), str(path), provenance):
                for table in reading.tables:
                    ref = table_ref(table, len(packed))  # its place in this part: the driver renumbers
                    v = None
                    if verify:
                        from .check import verify as verify_table  # the checker only where it verifies

                        v = verify_table(table, ref, reading.chunk, s.review, reading.rules)
                    marked += _mark_table(table, v, ref, [])  # every cell empty (damage sends it whole)
                    packed.append(FileRead.pack(table, v))
    except Exception as e:  # the driver reads the file whole, and words the error as a whole read does
        error = f"{type(e).__name__}: {e}"
    if damage:
        error = "damaged"
    pages = state["pages"]
    if state["stop"] is None:  # ran to the end of the document
        state["stop"] = pages
    if state["start"] is None:
        state["start"] = pages
    return {"start": state["start"], "stop": state["stop"], "safe": state["safe"], "pages": pages,
            "packed": packed, "marked": marked, "source": str(path), "error": error}
