"""The `jixiao` command line."""

from __future__ import annotations

import json
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .fileio import write_atomic
from .ingest import TEXT_SUFFIXES, InputError
from .models import SCHEMAS, schema_text
from .check import check
from .findings import ReviewConfig
from .ingest import sha256_of
from .models import ExtractedTable
from .pipeline import BACKENDS, extract_with_chunks
from .report import write_reports

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="jixiao (绩效): read budget performance target tables (绩效目标表) into strict JSON.",
)


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jixiao {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    pass


def _inputs(paths: list[Path]) -> list[Path]:
    """Files named, and the PDFs and text files inside folders named (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.suffix.lower() in {".pdf"} | TEXT_SUFFIXES))
        else:
            out.append(p)
    return out


def _dump(tables: list[dict], fmt: Format) -> str:
    if fmt is Format.jsonl:
        return "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tables)
    return json.dumps(tables, ensure_ascii=False, indent=2) + "\n"


def _error(path: Path, reason: str) -> None:
    typer.echo(f"jixiao: error: {path}: {reason}", err=True)


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


def _read_inputs(files: list[Path], backend: str, debug: bool):
    """(path, [(chunk, table)...]) for each input; one stderr line for each that fails.

    Tables read before a failure in the middle of a file are kept.  The last value yielded is
    the number of failed inputs (an int).
    """
    failed = 0
    for path in files:
        pairs = []
        try:
            for pair in extract_with_chunks(path, backend):
                pairs.append(pair)
        except Exception as e:  # one broken input must not stop the batch
            reason = str(e) if isinstance(e, InputError) else f"unexpected {type(e).__name__}: {e}"
            if debug and not isinstance(e, InputError):
                traceback.print_exc()
            kept = f" ({len(pairs)} table(s) read before it are kept)" if pairs else ""
            _error(path, reason.splitlines()[0] + kept)
            failed += 1
            if not pairs:
                continue
        else:
            if not pairs:
                typer.echo(f"jixiao: warning: {path}: no performance target table found", err=True)
        yield path, pairs
    yield failed


class _Names:
    """Output file names, one per input, unique even when two inputs share a name."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, path: Path, digest: str) -> str:
        name = path.stem
        if name in self.used:
            name = f"{name}-{digest[:8]}" if digest else f"{name}-{len(self.used)}"
        self.used.add(name)
        return name


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise typer.BadParameter(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="PDF or text files, or folders of them.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Folder for one output file per input; stdout if omitted.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json: a list per input; jsonl: one table per line.")] = Format.json,
    backend: Annotated[str, typer.Option(help=f"Extractor: {', '.join(BACKENDS)}.")] = "rules",
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    """Extract every performance-target table of each input into the output contract."""
    _check_backend(backend)
    files = _inputs(paths)
    if not files:
        typer.echo("jixiao: error: no PDF or text files found in the paths given", err=True)
        raise typer.Exit(2)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    everything: list[dict] = []
    names = _Names()
    for item in _read_inputs(files, backend, debug):
        if isinstance(item, int):
            failed = item
            break
        path, pairs = item
        tables = [t.model_dump(mode="json") for _c, t in pairs]
        if output is None:
            everything.extend(tables)
            continue
        target = output / f"{names(path, tables[0]['provenance']['sha256'] if tables else '')}.{fmt.value}"
        write_atomic(target, _dump(tables, fmt))
        typer.echo(f"{path}: {len(tables)} table(s) -> {target}", err=True)
    if output is None:
        sys.stdout.write(_dump(everything, fmt))
    if failed:
        typer.echo(f"jixiao: {failed} of {len(files)} input(s) failed", err=True)
        raise typer.Exit(1)


def _finish_review(checked, output: Path, fail_on: FailOn, images: bool, failed_inputs: int, total_inputs: int) -> None:
    paths = write_reports(checked, output, images=images)
    counts = {s: sum(f.severity == s for c in checked for f in c.findings) for s in ("错误", "警告", "建议")}
    typer.echo(f"{len(checked)} table(s) checked: 错误 {counts['错误']}, 警告 {counts['警告']}, 建议 {counts['建议']}"
               f" -> {', '.join(str(p) for p in paths)}", err=True)
    code = 0
    if failed_inputs:
        typer.echo(f"jixiao: {failed_inputs} of {total_inputs} input(s) failed", err=True)
        code = 1
    if (fail_on is FailOn.error and counts["错误"]) or (fail_on is FailOn.warning and (counts["错误"] or counts["警告"])):
        typer.echo(f"jixiao: findings at or above --fail-on {fail_on.value}", err=True)
        code = 1
    if code:
        raise typer.Exit(code)


_FAIL_ON_HELP = "Exit 1 when any finding is this severe (error: 错误; warning: 错误 or 警告)."


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="PDF or text files, or folders of them.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for extractions and reports.")],
    backend: Annotated[str, typer.Option(help=f"Extractor: {', '.join(BACKENDS)}.")] = "rules",
    config: Annotated[Path | None, typer.Option(help="TOML file overriding review thresholds.")] = None,
    fail_on: Annotated[FailOn, typer.Option(help=_FAIL_ON_HELP)] = FailOn.never,
    images: Annotated[bool, typer.Option(help="Page crops in review.html.")] = True,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    """Extract, check and report: one JSON per input plus findings.json, review.md/.xlsx/.html."""
    _check_backend(backend)
    cfg = ReviewConfig.load(config)
    files = _inputs(paths)
    if not files:
        typer.echo("jixiao: error: no PDF or text files found in the paths given", err=True)
        raise typer.Exit(2)
    output.mkdir(parents=True, exist_ok=True)
    items, names, failed = [], _Names(), 0
    for item in _read_inputs(files, backend, debug):
        if isinstance(item, int):
            failed = item
            break
        path, pairs = item
        tables = [t for _c, t in pairs]
        digest = tables[0].provenance.sha256 if tables else ""
        write_atomic(output / f"{names(path, digest)}.json",
                     _dump([t.model_dump(mode="json") for t in tables], Format.json))
        items.extend((t, c, None) for c, t in pairs)
    _finish_review(check(items, cfg), output, fail_on, images, failed, len(files))


def _load_results(path: Path) -> list[ExtractedTable]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = [data]
    return [ExtractedTable.model_validate(t) for t in data]


def _sources(table: ExtractedTable, cache: dict) -> tuple:
    """The chunk a stored table was read from, and the rules reading of it, by re-reading its source."""
    src = Path(table.provenance.source_file)
    if src not in cache:
        pairs = []
        try:
            if src.is_file() and sha256_of(src) == table.provenance.sha256:
                pairs = list(extract_with_chunks(src, "rules"))
            else:
                typer.echo(f"jixiao: warning: {src}: source missing or changed; values are not grounded", err=True)
        except InputError:
            pass
        cache[src] = pairs
    same_pages = [(c, t) for c, t in cache[src] if t.provenance.pages == table.provenance.pages]
    for c, t in same_pages:
        if t.project_name == table.project_name:
            return c, t
    return same_pages[0] if same_pages else (None, None)


@app.command()
def review(
    results: Annotated[list[Path], typer.Argument(help="Extraction outputs (json or jsonl) of `jixiao extract`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the reports.")],
    config: Annotated[Path | None, typer.Option(help="TOML file overriding review thresholds.")] = None,
    fail_on: Annotated[FailOn, typer.Option(help=_FAIL_ON_HELP)] = FailOn.never,
    images: Annotated[bool, typer.Option(help="Page crops in review.html.")] = True,
) -> None:
    """Check extraction outputs against their sources and write the reports."""
    cfg = ReviewConfig.load(config)
    items, cache, failed = [], {}, 0
    for path in results:
        try:
            tables = _load_results(path)
        except Exception as e:
            _error(path, f"not an extraction output: {str(e).splitlines()[0]}")
            failed += 1
            continue
        for table in tables:
            chunk, rules_table = _sources(table, cache)
            second = rules_table if table.provenance.backend != "rules" else None
            items.append((table, chunk, second))
    _finish_review(check(items, cfg), output, fail_on, images, failed, len(results))


@app.command()
def schema(
    write: Annotated[Path | None, typer.Option("--write", help="Write every schema file into this folder.")] = None,
) -> None:
    """Print the JSON Schema of one table (the contract), or write all schema files."""
    if write is None:
        sys.stdout.write(schema_text(SCHEMAS["table.schema.json"]))
        return
    write.mkdir(parents=True, exist_ok=True)
    for filename, model in SCHEMAS.items():
        (write / filename).write_text(schema_text(model), encoding="utf-8")
        typer.echo(f"wrote {write / filename}", err=True)


if __name__ == "__main__":
    app()
