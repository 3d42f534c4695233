"""The `jixiao` command line."""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from . import config as settings
from .check import check
from .fileio import OutputNames, write_atomic
from .ingest import IMAGE_SUFFIXES, OCR_ENGINES, OCR_MODES, TEXT_SUFFIXES, InputError, ReadOptions, sha256_of
from .models import SCHEMAS, ExtractedTable, schema_text
from .pipeline import BACKENDS, extract_with_chunks
from .report import write_reports

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="jixiao (绩效): read budget performance target tables (绩效目标表) into strict JSON, check them "
         "and draft review comments (审核意见).",
)


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"


# the choices live with ReadOptions; these only give them to typer
OcrMode = Enum("OcrMode", {m: m for m in OCR_MODES}, type=str)
OcrEngine = Enum("OcrEngine", {e: e for e in OCR_ENGINES}, type=str)


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


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


# -- shared options ----------------------------------------------------------------------------
Paths = Annotated[list[Path], typer.Argument(help="PDF or text files, or folders of them.")]
Backend = Annotated[str, typer.Option(help="rules (offline), llm (a model), or auto: llm when a model is configured.")]
Model = Annotated[str | None, typer.Option(help="Model name (else $JIXIAO_MODEL or [llm] model).")]
BaseUrl = Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint (else $OPENAI_BASE_URL).")]
Mode = Annotated[str | None, typer.Option("--structured-mode", help="auto, json_schema, tools, json_object or prompt.")]
Workers = Annotated[int | None, typer.Option(help="Tables sent to the model at once (default 4).")]
Rpm = Annotated[float | None, typer.Option(help="At most this many model requests a minute.")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even for tables it already answered.")]
Config = Annotated[Path | None, typer.Option(help="TOML file with [llm] and [review] settings.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")]
FailOnOpt = Annotated[FailOn, typer.Option(help="Exit 1 when any finding is this severe (error: 错误; warning: 错误 or 警告).")]
Images = Annotated[bool, typer.Option(help="Page crops in review.html.")]
Password = Annotated[str | None, typer.Option(help="Password for encrypted PDFs.")]
OcrOpt = Annotated[OcrMode, typer.Option("--ocr", help="auto: OCR images and pages without a usable text layer; "
                                                    "force: OCR every page; off: never.")]
OcrEngineOpt = Annotated[OcrEngine, typer.Option("--ocr-engine", help="rapidocr (bundled models) or tesseract "
                                                                     "(needs tesseract-ocr and tesseract-ocr-chi-sim).")]


def _ocr_progress(path: Path, page: int) -> None:
    # OCR takes seconds a page: on a terminal, say where a long scan has got to
    typer.echo(f"jixiao: OCR {path.name} page {page} done", err=True)


def _read(password: str | None, ocr: OcrMode, engine: OcrEngine) -> ReadOptions:
    return ReadOptions(password=password, ocr=ocr.value, ocr_engine=engine.value)


def _fail(message: str, code: int = 2):
    typer.echo(f"jixiao: error: {message}", err=True)
    raise typer.Exit(code)


def _backend(backend: str, data: dict, **flags):
    """The backend to use and, for the model, its extractor."""
    if backend not in BACKENDS:
        _fail(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    try:
        llm_settings = settings.llm_settings(data, **flags)
    except settings.ConfigError as e:
        _fail(str(e))
    if backend == "auto":
        backend = "llm" if llm_settings else "rules"
    if backend == "rules":
        return "rules", None
    if llm_settings is None:
        _fail("the llm backend needs a model: --model, $JIXIAO_MODEL or [llm] model in --config")
    from .extract_llm import LLMExtractor
    from .llm_store import Store

    return "llm", LLMExtractor(llm_settings, Store(settings.cache_path(data)))


def _config(path: Path | None) -> dict:
    try:
        return settings.load(path)
    except settings.ConfigError as e:
        _fail(str(e))


def _inputs(paths: list[Path]) -> list[Path]:
    """Files named, the PDFs, images and text files inside folders named (sorted, recursive), and the
    files matching glob patterns the shell did not expand (quoted, or on Windows)."""
    import glob

    out: list[Path] = []
    for p in paths:
        if not p.exists() and any(ch in str(p) for ch in "*?["):
            out.extend(Path(m) for m in sorted(glob.glob(str(p), recursive=True)) if Path(m).is_file())
        elif p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.suffix.lower() in {".pdf"} | TEXT_SUFFIXES | IMAGE_SUFFIXES))
        else:
            out.append(p)
    if not out:
        _fail("no PDF, image or text files found in the paths given")
    return out


def _dump(tables: list[dict], fmt: Format) -> str:
    if fmt is Format.jsonl:
        return "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tables)
    return json.dumps(tables, ensure_ascii=False, indent=2) + "\n"


def _error(path: Path, reason: str) -> None:
    typer.echo(f"jixiao: error: {path}: {reason}", err=True)


def print_usage(tables: list[ExtractedTable]) -> None:
    """Model usage per table and in total, on stderr (it is stored with each table too)."""
    runs = [t for t in tables if t.llm is not None]
    if not runs:
        return
    for t in runs:
        u = t.llm
        state = "cache" if u.cache_hit else u.status
        typer.echo(f"  {Path(t.provenance.source_file).name} p{','.join(map(str, t.provenance.pages))} "
                   f"{t.project_name or '?'}: {state}, {u.calls} call(s), {u.prompt_tokens}+{u.completion_tokens} "
                   f"tokens, mode {u.structured_mode or '-'}", err=True)
    total = lambda k: sum(getattr(t.llm, k) for t in runs)  # noqa: E731
    typer.echo(f"model usage: {len(runs)} table(s), {total('calls')} call(s), {total('prompt_tokens')} prompt + "
               f"{total('completion_tokens')} completion tokens, {sum(t.llm.cache_hit for t in runs)} from cache, "
               f"{sum(t.llm.status == 'failed' for t in runs)} failed", err=True)


class _Reader:
    """Reads each input in turn: one stderr line for each that fails, the batch goes on.

    Tables read before a failure in the middle of a file are kept.
    """

    def __init__(self, backend: str, llm, debug: bool, read: ReadOptions):
        self.backend, self.llm, self.debug, self.read = backend, llm, debug, read
        self.failed = 0
        self.tables: list[ExtractedTable] = []

    def __call__(self, files: list[Path]):
        for path in files:
            pairs = []
            try:
                for pair in extract_with_chunks(path, self.backend, self.llm, self.read):
                    pairs.append(pair)
            except Exception as e:  # one broken input must not stop the batch
                reason = str(e) if isinstance(e, InputError) else f"unexpected {type(e).__name__}: {e}"
                if self.debug and not isinstance(e, InputError):
                    traceback.print_exc()
                kept = f" ({len(pairs)} table(s) read before it are kept)" if pairs else ""
                _error(path, reason.splitlines()[0] + kept)
                self.failed += 1
                if not pairs:
                    continue
            else:
                if not pairs:
                    typer.echo(f"jixiao: warning: {path}: no performance target table found", err=True)
            self.tables.extend(t for _c, t in pairs)
            yield path, pairs

    def usage(self) -> None:
        print_usage(self.tables)


# -- commands ----------------------------------------------------------------------------------
@app.command()
def extract(
    paths: Paths,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Folder for one output file per input; stdout if omitted.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json: a list per input; jsonl: one table per line.")] = Format.json,
    backend: Backend = "rules", model: Model = None, base_url: BaseUrl = None, structured_mode: Mode = None,
    workers: Workers = None, rpm: Rpm = None, no_cache: NoCache = False, config: Config = None, debug: Debug = False,
    password: Password = None, ocr: OcrOpt = OcrMode.auto, ocr_engine: OcrEngineOpt = OcrEngine.rapidocr,
) -> None:
    """Extract every performance-target table of each input into the output contract."""
    data = _config(config)
    backend, llm = _backend(backend, data, model=model, base_url=base_url, structured_mode=structured_mode,
                            workers=workers, rpm=rpm, use_cache=False if no_cache else None)
    files = _inputs(paths)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    reader, names, everything = _Reader(backend, llm, debug, dataclasses.replace(
        _read(password, ocr, ocr_engine), on_ocr=_ocr_progress if sys.stderr.isatty() else None)), OutputNames(), []
    for path, pairs in reader(files):
        tables = [t.model_dump(mode="json") for _c, t in pairs]
        if output is None:
            everything.extend(tables)
            continue
        target = output / f"{names(path, tables[0]['provenance']['sha256'] if tables else '')}.{fmt.value}"
        write_atomic(target, _dump(tables, fmt))
        typer.echo(f"{path}: {len(tables)} table(s) -> {target}", err=True)
    if output is None:
        sys.stdout.write(_dump(everything, fmt))
    reader.usage()
    if reader.failed:
        typer.echo(f"jixiao: {reader.failed} of {len(files)} input(s) failed", err=True)
        raise typer.Exit(1)


def _finish_review(checked, output: Path, fail_on: FailOn, images: bool, failed_inputs: int, total_inputs: int,
                   max_crops: int = 400) -> None:
    paths = write_reports(checked, output, images=images, max_crops=max_crops)
    from .workbench.store import run_note  # what became of the reviewer's decisions in this folder

    if note := run_note(output):
        typer.echo(note, err=True)
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


@app.command()
def run(
    paths: Paths,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for extractions and reports.")],
    backend: Backend = "rules", model: Model = None, base_url: BaseUrl = None, structured_mode: Mode = None,
    workers: Workers = None, rpm: Rpm = None, no_cache: NoCache = False, config: Config = None,
    fail_on: FailOnOpt = FailOn.never, images: Images = True,
    force: Annotated[bool, typer.Option("--force", help="Redo every file, also those a killed run finished.")] = False,
    password: Password = None, ocr: OcrOpt = OcrMode.auto, ocr_engine: OcrEngineOpt = OcrEngine.rapidocr,
    debug: Debug = False,
) -> None:
    """Extract, check and report: one JSON per input plus findings.json, review.md/.xlsx/.html.

    Paths may be files, folders or glob patterns.  The run is durable: started again after being
    killed, it skips the files already done and finishes the rest.
    """
    from .progress import BatchProgress
    from .run import run_batch

    data = _config(config)
    try:
        review_cfg = settings.review_config(data)
    except settings.ConfigError as e:
        _fail(str(e))
    backend, llm = _backend(backend, data, model=model, base_url=base_url, structured_mode=structured_mode,
                            workers=workers, rpm=rpm, use_cache=False if no_cache else None)
    files = _inputs(paths)
    with BatchProgress(len(files)) as progress:
        read = dataclasses.replace(_read(password, ocr, ocr_engine), on_ocr=progress.ocr_page)
        outcomes, checked = run_batch(files, output, backend, llm, review_cfg, force=force, read=read,
                                      on_file=progress.file_done, debug=debug)
    for o in outcomes:
        if o.error:
            _error(o.path, o.error)
        elif o.warning:
            typer.echo(f"jixiao: warning: {o.path}: {o.warning}", err=True)
    progress.summary(outcomes, checked)
    print_usage([t for o in outcomes for t in o.tables])
    failed = sum(1 for o in outcomes if o.error)
    _finish_review(checked, output, fail_on, images, failed, len(files), review_cfg.max_crops)


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
    config: Config = None, fail_on: FailOnOpt = FailOn.never, images: Images = True,
) -> None:
    """Check extraction outputs against their sources and write the reports."""
    try:
        review_cfg = settings.review_config(_config(config))
    except settings.ConfigError as e:
        _fail(str(e))
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
            second = rules_table if table.provenance.backend != "rules" and rules_table is not None else None
            items.append((table, chunk, second))
    _finish_review(check(items, review_cfg), output, fail_on, images, failed, len(results), review_cfg.max_crops)


@app.command()
def logs(
    n: Annotated[int, typer.Option("-n", help="How many of the latest calls.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Full records (request and response) as JSON lines.")] = False,
    source: Annotated[str | None, typer.Option(help="Only calls for source files whose path contains this.")] = None,
    config: Config = None,
) -> None:
    """Show the latest model calls from the log (every prompt and response is kept there)."""
    from .llm_store import Store

    store = Store(settings.cache_path(_config(config)))
    rows = store.calls(n, source)
    if as_json:
        for r in rows:
            for k in ("request", "response"):
                if r.get(k):
                    r[k] = json.loads(r[k])
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    typer.echo(f"{store.path}: {len(rows)} call(s), latest first")
    for r in rows:
        status = r["error"] or "ok"
        typer.echo(f"#{r['id']} {r['model']} {r['mode']} attempt {r['attempt']} {Path(r['source_file'] or '-').name} "
                   f"p{r['pages']}: {r['prompt_tokens'] or 0}+{r['completion_tokens'] or 0} tokens, "
                   f"{r['duration_ms']} ms, {status[:120]}")


@app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="The output folder of `jixiao run`.")],
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8600,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    reviewer: Annotated[str | None, typer.Option(help="Reviewer name recorded with each decision (default: the OS user).")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Look only: refuse every change.")] = False,
    token: Annotated[str | None, typer.Option(help="Access token every request must carry (required off loopback).")] = None,
) -> None:
    """The reviewer's workbench: check, decide and sign off a run's findings in a browser."""
    from .workbench.app import serve as serve_app

    try:
        serve_app(folder, host, port, not no_browser, reviewer, read_only, token)
    except (ValueError, FileNotFoundError) as e:
        _fail(str(e))


class Per(str, Enum):
    department = "department"
    project = "project"


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(help="The output folder of `jixiao run` (with the reviewer's decisions).")],
    docx: Annotated[Path, typer.Option("--docx", help="Folder for the 审核意见书 (.docx) and decisions.json/.xlsx.")],
    per: Annotated[Per, typer.Option(help="One document per department or per project.")] = Per.department,
    org: Annotated[str, typer.Option(help="The reviewing body named in the documents.")] = "审核单位",
) -> None:
    """Export the 审核意见书 in Word (accepted comments only) and every decision as JSON and xlsx."""
    from .workbench.export import export as export_docs

    try:
        written = export_docs(folder, docx, per.value, org)
    except FileNotFoundError as e:
        _fail(str(e))
    for path in written:
        typer.echo(f"wrote {path}", err=True)


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
