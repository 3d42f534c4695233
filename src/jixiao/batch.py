"""The batch runner behind `extract`, `run` and `review`: many files, one at a time, none stopping the rest.

- `read_one`: one input through readers -> chunk -> extract (-> verify); the one place where a
  broken input becomes one line of error, keeping the tables read before it;
- `run_batch`: `jixiao run`, durable and resumable (below);
- `review_results`: `jixiao review`, stored extraction outputs re-grounded in their sources.

In `run_batch`, each file is extracted and its tables verified against their source as soon as it is read (its
chunks are then dropped, so memory does not grow with the batch); its extraction is written
atomically and recorded in a SQLite manifest in the output folder.  A run that is killed at any
moment and started again skips the files already done (same sha256, same settings) and carries
on; the batch rules and the reports are computed at the end over every table.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .check import Checked, Grounding, Verification, conclude, table_ref, verify
from .document import InputError
from .extract import Extractor, RulesExtractor
from .fileio import OutputNames, sha256_of, write_atomic
from .findings import Finding, ReviewConfig
from .models import ExtractedTable
from .pipeline import readings
from .settings import ReadOptions, Settings

MANIFEST = ".jixiao-run.sqlite"


@dataclass
class FileOutcome:
    path: Path
    output: str | None = None
    tables: list[ExtractedTable] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None
    resumed: bool = False


class Manifest:
    """Which inputs of this output folder are done, under which settings."""

    def __init__(self, folder: Path):
        self.db = sqlite3.connect(folder / MANIFEST)
        with self.db:
            self.db.execute("""CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY, sha256 TEXT, settings TEXT, output TEXT, tables INTEGER,
                status TEXT, error TEXT, verification TEXT, ts REAL)""")

    def done(self, path: Path, sha: str, settings: str) -> sqlite3.Row | None:
        row = self.db.execute("SELECT output, verification, status, error FROM files WHERE path = ? AND sha256 = ? "
                              "AND settings = ? AND status IN ('done', 'failed')",
                              (str(path), sha, settings)).fetchone()
        return row

    def record(self, path: Path, sha: str, settings: str, outcome: FileOutcome) -> None:
        verification = json.dumps([{"groundings": [g.model_dump(mode="json") for g in v.groundings],
                                    "findings": [f.model_dump(mode="json") for f in v.findings],
                                    "facts": v.facts_json()}
                                   for v in outcome.verifications], ensure_ascii=False)
        status = "failed" if outcome.error and not outcome.tables else "done"
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (str(path), sha, settings, outcome.output, len(outcome.tables), status,
                             outcome.error, verification, time.time()))

    def close(self) -> None:
        self.db.close()


def read_one(path: Path, extractor: Extractor, read: ReadOptions, config: ReviewConfig | None = None,
             debug: bool = False) -> FileOutcome:
    """One input read (and verified against its source when `config` is given).

    An input that fails gets its reason in one line; tables read before a failure in the middle of
    a file are kept.
    """
    outcome = FileOutcome(path)
    try:
        for reading in readings(path, extractor, read):
            for table in reading.tables:
                if config is not None:
                    ref = table_ref(table, len(outcome.tables))
                    outcome.verifications.append(verify(table, ref, reading.chunk, config, reading.rules))
                outcome.tables.append(table)  # the chunk is not kept
    except Exception as e:  # one broken input must not stop the batch
        _failed(outcome, e, debug)
    if not outcome.tables and not outcome.error:
        outcome.warning = "no performance target table found"
    return outcome


def _failed(outcome: FileOutcome, e: Exception, debug: bool) -> None:
    if debug and not isinstance(e, InputError):
        import traceback

        traceback.print_exc()
    reason = str(e) if isinstance(e, InputError) else f"unexpected {type(e).__name__}: {e}"
    kept = f" ({len(outcome.tables)} table(s) read before it are kept)" if outcome.tables else ""
    outcome.error = reason.splitlines()[0] + kept


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


def run_batch(files: list[Path], out: Path, settings: Settings, extractor: Extractor | None = None, *,
              force: bool = False, on_file: Callable[[FileOutcome], None] | None = None,
              debug: bool = False) -> tuple[list[FileOutcome], list[Checked]]:
    """`jixiao run`: every file extracted, verified and recorded; then the review rules over all tables."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out)
    extractor = extractor or RulesExtractor()
    key = settings_key(extractor, settings.read)
    names = OutputNames()
    outcomes: list[FileOutcome] = []
    try:
        for path in files:
            outcome = _one_file(path, out, extractor, settings, manifest, key, names, force, debug)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
    finally:
        manifest.close()
    return outcomes, conclude_outcomes(outcomes, settings.review)


def conclude_outcomes(outcomes: list[FileOutcome], config: ReviewConfig) -> list[Checked]:
    """The review rules (batch rules included) over every verified table of a batch."""
    per_source: dict[str, int] = {}  # a table's ref counts within its source file (see table_ref)
    verified = []
    for o in outcomes:
        for t, v in zip(o.tables, o.verifications):
            n = per_source.get(t.provenance.source_file, 0)
            per_source[t.provenance.source_file] = n + 1
            verified.append((table_ref(t, n), t, v))
    return conclude(verified, config)


def _one_file(path: Path, out: Path, extractor: Extractor, settings: Settings, manifest: Manifest, key: str,
              names: OutputNames, force: bool, debug: bool) -> FileOutcome:
    try:
        sha = sha256_of(path)
    except OSError as e:
        return FileOutcome(path, error=f"cannot read: {e.strerror or e}")
    except Exception:
        sha = ""
    name = names(path, sha) + ".json"
    done = None if force else manifest.done(path, sha, key)
    if done is not None and (done[2] == "failed" or (out / done[0]).is_file()):
        return _resume(FileOutcome(path), out, done)
    outcome = read_one(path, extractor, settings.read, settings.review, debug)
    if outcome.tables or not outcome.error:
        outcome.output = name
        write_atomic(out / name, json.dumps([t.model_dump(mode="json") for t in outcome.tables],
                                            ensure_ascii=False, indent=2) + "\n")
    manifest.record(path, sha, key, outcome)
    return outcome


def _resume(outcome: FileOutcome, out: Path, done) -> FileOutcome:
    output, verification, status, error = done
    outcome.resumed, outcome.error, outcome.output = True, error, output
    if status == "failed":
        return outcome
    data = json.loads((out / output).read_text(encoding="utf-8"))
    outcome.tables = [ExtractedTable.model_validate(t) for t in data]
    outcome.verifications = [
        Verification([Grounding.model_validate(g) for g in v["groundings"]],
                     [Finding.model_validate(f) for f in v["findings"]], Verification.facts_from(v.get("facts")))
        for v in json.loads(verification)]
    if not outcome.tables and not outcome.error:
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
            outcome.verifications.append(verify(table, table_ref(table, n), chunk, config, rules))
            outcome.tables.append(table)
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
