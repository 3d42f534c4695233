"""A run: many files through every stage, durable and resumable.

Each file is extracted and its tables verified against their source as soon as it is read (its
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
from .findings import Finding, ReviewConfig
from .fileio import OutputNames, write_atomic
from .ingest import InputError, ReadOptions, sha256_of
from .models import ExtractedTable
from .pipeline import extract_with_chunks

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
                                    "findings": [f.model_dump(mode="json") for f in v.findings]}
                                   for v in outcome.verifications], ensure_ascii=False)
        status = "failed" if outcome.error and not outcome.tables else "done"
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (str(path), sha, settings, outcome.output, len(outcome.tables), status,
                             outcome.error, verification, time.time()))

    def close(self) -> None:
        self.db.close()


def settings_key(backend: str, llm, read: ReadOptions) -> str:
    """What makes an extraction of the same file differ: redo the file when any of it changes."""
    parts = {"backend": backend, "version": __version__, "password": bool(read.password), "ocr": read.ocr,
             "ocr_engine": read.ocr_engine}
    if llm is not None:
        s = llm.s
        parts.update(model=s.model, base_url=llm.base_url, mode=s.structured_mode, prompt=llm.prompt_hash,
                     max_reasks=s.max_reasks, temperature=s.temperature, seed=s.seed)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def run_batch(files: list[Path], out: Path, backend: str, llm, config: ReviewConfig, *, force: bool = False,
              read: ReadOptions | None = None, on_file: Callable[[FileOutcome], None] | None = None,
              debug: bool = False) -> tuple[list[FileOutcome], list[Checked]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out)
    read = read or ReadOptions()
    settings = settings_key(backend, llm, read)
    names = OutputNames()
    outcomes: list[FileOutcome] = []
    try:
        for path in files:
            outcome = _one_file(path, out, backend, llm, config, manifest, settings, names, force, read, debug)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
    finally:
        manifest.close()
    verified = [(table_ref(t, n), t, v) for o in outcomes for n, (t, v) in enumerate(zip(o.tables, o.verifications))]
    return outcomes, conclude(verified, config)


def _one_file(path: Path, out: Path, backend: str, llm, config: ReviewConfig, manifest: Manifest, settings: str,
              names: OutputNames, force: bool, read: ReadOptions, debug: bool) -> FileOutcome:
    outcome = FileOutcome(path)
    try:
        sha = sha256_of(path)
    except OSError as e:
        outcome.error = f"cannot read: {e.strerror or e}"
        return outcome
    except Exception:
        sha = ""
    name = names(path, sha) + ".json"
    done = None if force else manifest.done(path, sha, settings)
    if done is not None and (done[2] == "failed" or (out / done[0]).is_file()):
        return _resume(outcome, out, done)
    try:
        for chunk, table in extract_with_chunks(path, backend, llm, read):
            ref = table_ref(table, len(outcome.tables))
            second = _rules_reading(chunk) if table.provenance.backend == "llm" else table
            outcome.verifications.append(verify(table, ref, chunk, config, second))
            outcome.tables.append(table)  # the chunk is not kept
    except Exception as e:  # one broken input must not stop the batch
        if debug and not isinstance(e, InputError):
            import traceback

            traceback.print_exc()
        reason = str(e) if isinstance(e, InputError) else f"unexpected {type(e).__name__}: {e}"
        kept = f" ({len(outcome.tables)} table(s) read before it are kept)" if outcome.tables else ""
        outcome.error = reason.splitlines()[0] + kept
    if not outcome.tables and not outcome.error:
        outcome.warning = "no performance target table found"
    if outcome.tables or not outcome.error:
        outcome.output = name
        write_atomic(out / name, json.dumps([t.model_dump(mode="json") for t in outcome.tables],
                                            ensure_ascii=False, indent=2) + "\n")
    manifest.record(path, sha, settings, outcome)
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
                     [Finding.model_validate(f) for f in v["findings"]])
        for v in json.loads(verification)]
    if not outcome.tables and not outcome.error:
        outcome.warning = "no performance target table found"
    return outcome


def _rules_reading(chunk):
    from .extract.rules import extract as rules_extract

    results = rules_extract(chunk)
    return results[0].table if len(results) == 1 else None
