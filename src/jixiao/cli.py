"""The `jixiao` command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .ingest import TEXT_SUFFIXES, InputError
from .models import SCHEMAS, schema_text
from .pipeline import BACKENDS, extract_file

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


def _write_atomic(path: Path, text: str) -> None:
    # a temporary file renamed into place: a killed run never leaves half a JSON file behind
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump(tables: list[dict], fmt: Format) -> str:
    if fmt is Format.jsonl:
        return "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tables)
    return json.dumps(tables, ensure_ascii=False, indent=2) + "\n"


def _error(path: Path, reason: str) -> None:
    typer.echo(f"jixiao: error: {path}: {reason}", err=True)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="PDF or text files, or folders of them.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Folder for one output file per input; stdout if omitted.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json: a list per input; jsonl: one table per line.")] = Format.json,
    backend: Annotated[str, typer.Option(help=f"Extractor: {', '.join(BACKENDS)}.")] = "rules",
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    """Extract every performance-target table of each input into the output contract."""
    if backend not in BACKENDS:
        raise typer.BadParameter(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    files = _inputs(paths)
    if not files:
        typer.echo("jixiao: error: no PDF or text files found in the paths given", err=True)
        raise typer.Exit(2)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    failed = 0
    everything: list[dict] = []
    used_names: set[str] = set()
    for path in files:
        tables: list[dict] = []
        try:
            for table in extract_file(path, backend):
                tables.append(table.model_dump(mode="json"))
        except Exception as e:  # one broken input must not stop the batch
            reason = str(e) if isinstance(e, InputError) else f"unexpected {type(e).__name__}: {e}"
            if debug and not isinstance(e, InputError):
                traceback.print_exc()
            kept = f" ({len(tables)} table(s) read before it are kept)" if tables else ""
            _error(path, reason.splitlines()[0] + kept)
            failed += 1
            if not tables:
                continue
        else:
            if not tables:
                typer.echo(f"jixiao: warning: {path}: no performance target table found", err=True)
        if output is None:
            everything.extend(tables)
            continue
        name = path.stem
        if name in used_names:  # two inputs with one name in different folders
            name = f"{name}-{tables[0]['provenance']['sha256'][:8]}" if tables else f"{name}-{len(used_names)}"
        used_names.add(name)
        target = output / f"{name}.{fmt.value}"
        _write_atomic(target, _dump(tables, fmt))
        typer.echo(f"{path}: {len(tables)} table(s) -> {target}", err=True)
    if output is None:
        sys.stdout.write(_dump(everything, fmt))
    if failed:
        typer.echo(f"jixiao: {failed} of {len(files)} input(s) failed", err=True)
        raise typer.Exit(1)


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
