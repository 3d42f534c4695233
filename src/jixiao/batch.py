"""The batch runner behind `extract`, `run` and `review`: many files, one at a time, none stopping the rest.

- `read_one`: one input through readers -> chunk -> extract (-> verify); the one place where a
  broken input becomes one line of error, keeping the tables read before it;
- `run_batch`: `jixiao run`, durable and resumable (below);
- `review_results`: `jixiao review`, stored extraction outputs re-grounded in their sources.

In `run_batch`, each file is extracted and its tables verified against their source as soon as it
is read (its chunks are then dropped, so memory does not grow with the batch); its extraction is
written atomically and recorded in a SQLite manifest in the output folder (manifest.py).  A run
that is killed at any moment and started again skips the files already done (same sha256, same
settings) and carries on; the batch rules and the reports are computed at the end over every table
(the checked tables wait on disk, spill.py).  Files may be read on other processes (`--jobs`,
jobs.py) or a Ray cluster (`--ray`, distributed.py): they send each file's tables back whole
(`FileRead`), and this process alone writes them out and keeps the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .check import Checked, Verification, verify
from .check import conclude_stream as check_stream
from .document import InputError
from .extract import Extractor, RulesExtractor
from .fileio import OutputNames, atomic_file, not_regular, sha256_of, shown, unique_inputs
from .findings import ReviewConfig
from .jsonlist import JsonListWriter, read_json_list
from .manifest import Manifest, clean_temporaries, settings_key
from .models import ExtractedTable
from .pipeline import readings
from .reading import (DAMAGE_NOTE, FileOutcome, FileRead, OnTable, OnText, Packed, _damage_finding, _mark_table,
                      _say_damage, packing, table_ref)
from .settings import ReadOptions, Settings
from .spill import CheckedSpill

def read_one(path: Path, extractor: Extractor, read: ReadOptions, config: ReviewConfig | None = None,
             debug: bool = False, on_table: Callable[[ExtractedTable, Verification | None], None] | None = None,
             source: str | None = None) -> FileOutcome:
    """One input read (and verified against its source when `config` is given).

    An input that fails gets its reason in one line; tables read before a failure in the middle of
    a file are kept.  Damage the reader noticed (a repaired PDF, a page whose content could not be
    decoded) and tables whose cells are all empty are said: a note on each table concerned, an
    SRC-01 finding when verifying, and a warning line for the file.

    With `on_table`, each table (and its verification) is handed over as soon as it is read and not
    kept (memory stays flat over a file of any number of tables): `outcome.count` counts them,
    `outcome.tables` keeps a slim copy of those a model read (for the usage lines).  `source`: the
    name provenance gives the file when `path` is a local copy of it (storage.read_url).
    """
    from .readers import collecting_damage

    outcome = FileOutcome(path)
    if (why := not_regular(path)) is not None:
        outcome.error = why
        return outcome
    damage: list[tuple[int | None, str]] = []
    marked = 0
    try:
        with collecting_damage(damage):
            for reading in readings(path, extractor, read, source):
                for table in reading.tables:
                    ref = table_ref(table, outcome.count)
                    v = verify(table, ref, reading.chunk, config, reading.rules) if config is not None else None
                    marked += _mark_table(table, v, ref, damage)
                    outcome.count += 1
                    if on_table is not None:  # the caller keeps the table and its verification
                        on_table(table, v)
                        if table.llm is not None:
                            outcome.tables.append(_slim(table))
                    else:
                        outcome.tables.append(table)  # the chunk is not kept
                        if v is not None:
                            outcome.verifications.append(v)
    except Exception as e:  # one broken input must not stop the batch
        _failed(outcome, e, debug)
    if on_table is None:  # damage noticed only after a table was read (a repair at the end) is added to it
        for n, t in enumerate(outcome.tables):
            v = outcome.verifications[n] if n < len(outcome.verifications) else None
            marked += _mark_table(t, v, table_ref(t, n), damage)
    _say_damage(outcome, damage, marked)
    if not outcome.count and not outcome.error:
        outcome.warning = "no performance target table found"
    return outcome


Reader = Callable[[list[Path]], Iterable[FileRead]]  # files to read -> what was read of each, in order


def read_any(path: Path, extractor: Extractor, read: ReadOptions, config: ReviewConfig | None, debug: bool,
             on_table: OnTable) -> FileOutcome:
    """`read_one` of a path, or of an object in storage (a storage.Url: read from a local copy)."""
    if getattr(path, "url", None):
        from .storage import read_url

        return read_url(path.url, extractor, read, config, debug, on_table)
    return read_one(path, extractor, read, config, debug, on_table=on_table)


def read_whole(path: Path, extractor: Extractor, read: ReadOptions, config: ReviewConfig | None = None,
               debug: bool = False) -> FileRead:
    """`read_one` on a worker: the tables kept to be sent back (what the driver writes out)."""
    packed: list[Packed] = []
    outcome = read_any(path, extractor, read, config, debug, lambda t, v: packed.append(FileRead.pack(t, v)))
    return FileRead(outcome, packed)


def _failed(outcome: FileOutcome, e: Exception, debug: bool) -> None:
    if debug and not isinstance(e, InputError):
        import traceback

        traceback.print_exc()
    reason = str(e) if isinstance(e, InputError) else readable_error(e)
    kept = f" ({outcome.count} table(s) read before it are kept)" if outcome.count else ""
    outcome.error = reason.splitlines()[0] + kept


_MUPDF = {"FzErrorLimit": "the file exceeds a safety limit of the PDF/image library (too large or a decompression bomb)",
          "FzErrorFormat": "damaged file (format error)", "FzErrorSyntax": "damaged file (syntax error)",
          "FzErrorBase": "damaged file", "FzErrorArgument": "damaged file", "FzErrorSystem": "the file cannot be read",
          "FzErrorTrylater": "damaged file", "FzErrorAbort": "reading was aborted", "FzErrorRepaired": "damaged file"}


def readable_error(e: BaseException) -> str:
    """One line a person can read for an unexpected exception (MuPDF's own included)."""
    name = type(e).__name__
    if isinstance(e, PermissionError):
        return "cannot read: permission denied"
    if isinstance(e, MemoryError):
        return "too large to read in memory"
    if isinstance(e, RecursionError):
        return "damaged file: its structure loops or nests too deeply (e.g. a cyclic page tree)"
    if isinstance(e, OSError):
        return f"cannot read: {e.strerror or e}"
    if name in _MUPDF:
        return _MUPDF[name]
    text = str(e).splitlines()[0] if str(e).strip() else ""
    if text.startswith("code=") or "FzError" in text:
        return "damaged file: " + text.split(":", 1)[-1].strip()
    return f"unexpected {name}: {text}"


def run_batch(files: list[Path], out: Path, settings: Settings, extractor: Extractor | None = None, *,
              force: bool = False, on_file: Callable[[FileOutcome], None] | None = None,
              debug: bool = False, jobs: int = 1, reader: Reader | None = None,
              on_reading: Callable[[], None] | None = None) -> tuple[list[FileOutcome], CheckedSpill]:
    """`jixiao run`: every file extracted, verified and recorded; then the review rules over all tables.

    Memory does not grow with the batch: each file's tables are written out and dropped as soon as
    it is read (only those with a model's usage keep a slim copy for the usage lines), and the
    review reads them back file by file (see conclude_stream).  The caller holds the output
    folder's lock (OutputLock) around this and the reports.

    `jobs` > 1 reads files on that many processes (jobs.py) where that pays; `reader` reads them
    elsewhere (a Ray cluster, distributed.py).  Either way this process alone keeps the manifest
    and writes every output, in input order, through the same path as a one-process run.

    `on_reading()` is called once the reading has begun, its processes (if any) started: a
    progress bar started only then keeps its drawing thread out of the way of their fork (jobs.py
    forks only a process of one thread)."""
    out.mkdir(parents=True, exist_ok=True)
    clean_temporaries(out)
    files, _repeats = unique_inputs(files)
    manifest = Manifest(out)
    extractor = extractor or RulesExtractor()
    key = settings_key(extractor, settings.read)
    outcomes: list[FileOutcome] = []
    try:
        names = OutputNames(files, manifest.outputs())
        if reader is None and jobs > 1:
            from .jobs import reader as pool_reader

            reader = pool_reader(files, settings, jobs, debug=debug)  # None where processes would not pay
        for outcome in _files_done(files, out, extractor, settings, manifest, key, names, force, debug, reader,
                                   on_reading or (lambda: None)):
            if on_file:
                on_file(outcome)
            outcome.verifications = []
            outcomes.append(outcome)
    finally:
        manifest.close()

    def load(o: FileOutcome):
        # a file's tables and verifications, one at a time: a file of any number of tables is never held
        if not o.count or o.output is None:
            return [], []
        return ((ExtractedTable.model_validate(t) for t in read_json_list(out / o.output)), _recorded(out, o.path))

    return outcomes, conclude_stream(outcomes, load, settings.review, out)


def _recorded(out: Path, path: Path) -> Iterator[Verification]:
    """An input's verifications, read from the manifest as they are needed."""
    manifest = Manifest(out)
    try:
        yield from manifest.verifications(path)
    finally:
        manifest.close()


def _slim(t: ExtractedTable) -> ExtractedTable:
    """What the usage lines need of a table read by a model."""
    return t.model_copy(update={"indicators": [], "evidence": {}, "overall_goals": [], "annual_goals": []})


def same_content(shas: list[str]) -> dict[int, int]:
    """Index -> index of the earlier one with the same content (sha256), for every copy."""
    first: dict[str, int] = {}
    copies: dict[int, int] = {}
    for i, sha in enumerate(shas):
        if sha and sha in first:
            copies[i] = first[sha]
        elif sha:
            first[sha] = i
    return copies


def conclude_outcomes(outcomes: list[FileOutcome], config: ReviewConfig) -> list[Checked]:
    """The review rules (batch rules included) over every verified table of a batch held in memory
    (`jixiao review`): the same conclusion as a run's, as a list."""
    return list(conclude_stream(outcomes, lambda o: (o.tables, o.verifications), config, None))


def conclude_stream(outcomes: list[FileOutcome], load: Callable, config: ReviewConfig,
                    folder: Path | None) -> CheckedSpill:
    """The review (check.conclude_stream) over every verified table of a batch, streamed.

    `load(outcome)` gives a file's tables and verifications; it is called twice per file.  Each
    checked table goes to a spill file that the reports read back, so memory holds one file's tables
    at a time, whatever the size of the run.  A file whose content is identical to an earlier one's is
    one submission made twice: it gets a warning line here, and DUP-01 from the review rules."""
    shas = [o.sha for o in outcomes]
    for i, j in same_content(shas).items():
        line = f"same content as {shown(outcomes[j].path)}: one submission given twice"
        if line not in outcomes[i].warnings:
            outcomes[i].warnings.append(line)
    from collections import deque

    paths: deque[Path] = deque()  # the input of each table under review: one or two at a time

    def verified():
        paths.clear()
        per_source: dict[str, int] = {}  # a table's ref counts within its source file (see table_ref)
        for o in outcomes:
            tables, verifications = load(o)
            for t, v in zip(tables, verifications):
                n = per_source.get(t.provenance.source_file, 0)
                per_source[t.provenance.source_file] = n + 1
                paths.append(o.path)
                yield table_ref(t, n), t, v

    spill = CheckedSpill(folder)
    try:
        for c in check_stream(verified, config):
            spill.add(c, paths.popleft())
    except BaseException:
        spill.close()
        raise
    return spill


def _files_done(files: list[Path], out: Path, extractor: Extractor, settings: Settings, manifest: Manifest,
                key: str, names: OutputNames, force: bool, debug: bool, reader: Reader | None,
                on_reading: Callable[[], None]) -> Iterator[FileOutcome]:
    """Each file's outcome, in input order: planned and written here, read here or by `reader`."""
    if reader is None:
        on_reading()
        for path in files:
            planned = _plan(path, out, manifest, key, names, force)
            if isinstance(planned, FileOutcome):
                yield planned
            else:
                yield _write(path, out, manifest, key, *planned,
                             lambda on_text: read_any(path, extractor, settings.read, settings.review, debug,
                                                      packing(on_text)))
        return
    # every file planned first (finished ones never leave this process), the rest read by `reader`
    plans = [(path, _plan(path, out, manifest, key, names, force)) for path in files]
    results = iter(reader([path for path, p in plans if not isinstance(p, FileOutcome)]))
    on_reading()
    for path, planned in plans:
        if isinstance(planned, FileOutcome):
            yield planned
        else:
            yield _write(path, out, manifest, key, *planned, next(results).replay)


def _plan(path: Path, out: Path, manifest: Manifest, key: str, names: OutputNames,
          force: bool) -> FileOutcome | tuple[str, str]:
    """(sha256, output name) of a file to read, or its outcome when it needs no reading (finished by
    an earlier run, or unreadable)."""
    if (why := not_regular(path)) is not None:
        return FileOutcome(path, error=why)
    try:
        sha = sha256_of(path)
    except OSError as e:
        return FileOutcome(path, error=f"cannot read: {e.strerror or e}")
    name = names(path, sha) + ".json"
    done = None if force else manifest.done(path, sha, key)
    if done is not None:
        resumed = _resume(FileOutcome(path, sha=sha), out, done, sha)
        if resumed is not None:  # read back from its output, keeping no more than a read file does
            return resumed
    return sha, name


def _write(path: Path, out: Path, manifest: Manifest, key: str, sha: str, name: str,
           read: Callable[[OnText], FileOutcome]) -> FileOutcome:
    """A file's tables written to its output as `read(on_text)` hands them over (through a
    temporary file, renamed when the file is done: a file of any number of tables is never held in
    memory), then recorded in the manifest."""
    import tempfile

    writer = JsonListWriter()
    outcome = None
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=out) as spill:  # a verification a line

        def on_text(table: str, v: str | None) -> None:
            writer.add_json(table)
            if v is not None:
                spill.write(v + "\n")

        try:
            with atomic_file(out / name) as f:
                writer.f = f
                outcome = read(on_text)
                outcome.path = path  # as given here (a worker may have read it by another name)
                writer.close()
                if outcome.error and not outcome.count:
                    raise _Discard()
            outcome.output = name
        except _Discard:
            pass
        outcome.sha = sha
        spill.seek(0)
        manifest.record(path, sha, key, outcome, (line.rstrip("\n") for line in spill))
    return outcome


class _Discard(Exception):
    """Leave no output for a file that failed before any table was read."""


def _resume(outcome: FileOutcome, out: Path, done, sha: str) -> FileOutcome | None:
    """The outcome recorded for this very input, or None when its output is gone or is not its own."""
    output, verified, status, error = done
    outcome.resumed, outcome.error, outcome.output = True, error, output
    if status == "failed":
        return outcome
    damaged = 0
    try:  # the output read back a table at a time: only the slim copies of model-read tables are kept
        for data in read_json_list(out / output):
            t = ExtractedTable.model_validate(data)
            if t.provenance.sha256 != sha:
                return None  # the stored output holds another input's tables
            outcome.count += 1
            damaged += any(n.startswith(DAMAGE_NOTE) for n in t.notes)
            if t.llm is not None:
                outcome.tables.append(_slim(t))
    except Exception:  # missing, cut or replaced: read the input again
        return None
    if verified != outcome.count:
        return None
    if damaged:
        outcome.warnings.append(f"damaged source: {damaged} of {outcome.count} table(s) may be incomplete")
    if not outcome.count and not outcome.error:
        outcome.warning = "no performance target table found"
    return outcome


# -- jixiao review ------------------------------------------------------------------------------


def load_results(path: Path) -> list[ExtractedTable]:
    """The tables of an extraction output (json list, one object, or json lines)."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise InputError("empty file: not an extraction output")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise InputError(f"not an extraction output: invalid JSON ({e.msg} at line {e.lineno}); "
                             "the file may be truncated") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError("not an extraction output: expected a list of tables")
    try:
        return [ExtractedTable.model_validate(t) for t in data]
    except Exception as e:
        raise InputError(f"not an extraction output: {str(e).splitlines()[0]}") from None


def review_results(files: list[Path], config: ReviewConfig, on_warning: Callable[[Path, str], None],
                   debug: bool = False) -> list[FileOutcome]:
    """Stored extraction outputs, each table verified against its source re-read (when it is still
    there and unchanged) by the rules reader."""
    sources: dict[Path, list] = {}
    per_source: dict[str, int] = {}  # table refs count within each source file, as in a run
    outcomes = []
    for path in files:
        outcome = FileOutcome(path)
        try:
            tables = load_results(path)
        except Exception as e:
            _failed(outcome, e, debug)
            outcomes.append(outcome)
            continue
        for table in tables:
            reading = _source_reading(table, sources, on_warning)
            chunk, rules = (reading.chunk, reading.rules) if reading else (None, None)
            n = per_source.get(table.provenance.source_file, 0)
            per_source[table.provenance.source_file] = n + 1
            ref = table_ref(table, n)
            outcome.verifications.append(verify(table, ref, chunk, config, rules))
            if damaged := [x[len(DAMAGE_NOTE):] for x in table.notes if x.startswith(DAMAGE_NOTE)]:
                outcome.verifications[-1].findings.insert(0, _damage_finding(table, ref, "；".join(damaged)))
            outcome.tables.append(table)
        outcome.count = len(outcome.tables)
        outcomes.append(outcome)
    return outcomes


def _source_reading(table: ExtractedTable, cache: dict, on_warning):
    """The rules reading of the chunk a stored table was read from, by re-reading its source."""
    src = Path(table.provenance.source_file)
    if src not in cache:
        found = []
        try:
            if src.is_file() and sha256_of(src) == table.provenance.sha256:
                found = list(readings(src))
            else:
                on_warning(src, "source missing or changed; values are not grounded")
        except InputError:
            pass
        cache[src] = found
    same_pages = [(r, t) for r in cache[src] for t in r.tables if t.provenance.pages == table.provenance.pages]
    for r, t in same_pages:
        if t.project_name == table.project_name:
            return r
    return same_pages[0][0] if same_pages else None
