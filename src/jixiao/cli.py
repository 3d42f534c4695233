"""The `jixiao` command line: options in, settings loaded once, the batch runner, exit codes out.

Heavy libraries (PyMuPDF, OCR, the model client, spreadsheets) are imported inside the commands
that use them, so `jixiao --help` and reading a text file pay only for what they use.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .settings import BACKENDS, MODES, OCR_ENGINES, OCR_MODES, ConfigError, ReadOptions, Settings, load_settings

def _plain_arguments() -> None:
    """typer 0.29 prints arguments as `{paths}...` with a Python type (`<list[Path]>`) beside them;
    a user needs `PATH...` and the help text, as in any Unix tool."""
    from typer.core import TyperArgument

    TyperArgument.display_type = lambda self, ctx: ""
    TyperArgument._usage_display_name = lambda self: (self.display_name_raw if self.required
                                                      else f"[{self.display_name_raw}]") + ("..." if self.nargs != 1 else "")


_plain_arguments()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # help text is plain: "[llm]" is a TOML section, not markup
    help="jixiao (绩效): read budget performance target tables (绩效目标表) into strict JSON, check them "
         "and draft review comments (审核意见).",
)


def _choices(name: str, values) -> type[Enum]:
    # the choices live with the settings; these only give them to typer
    return Enum(name, {v: v for v in values}, type=str)


Format = _choices("Format", ("json", "jsonl"))
OcrMode = _choices("OcrMode", OCR_MODES)
OcrEngine = _choices("OcrEngine", OCR_ENGINES)
BackendChoice = _choices("BackendChoice", BACKENDS)
ModeChoice = _choices("ModeChoice", ("auto", *MODES))
FailOn = _choices("FailOn", ("error", "warning", "never"))


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
Paths = Annotated[list[Path], typer.Argument(
    metavar="PATH", show_default=False,
    help="PDFs, images (PNG/JPEG/TIFF), web pages (.html/.htm/.mhtml), spreadsheets (.xlsx/.xlsm/.xls/.et/.ods), "
         "Word documents (.docx) or text files; folders of them, or glob patterns.")]
Backend = Annotated[BackendChoice, typer.Option(
    help="rules (offline), llm (a model), or auto: llm when a model is configured.")]
Model = Annotated[str | None, typer.Option(metavar="NAME", help="Model name (else $JIXIAO_MODEL or model in [llm] of --config).")]
BaseUrl = Annotated[str | None, typer.Option(metavar="URL", help="OpenAI-compatible endpoint (else $OPENAI_BASE_URL).")]
Mode = Annotated[ModeChoice | None, typer.Option("--structured-mode", help="Structured-output mode (default: auto, probed).")]
Workers = Annotated[int | None, typer.Option(metavar="N", help="Tables sent to the model at once (default 4).")]
Rpm = Annotated[float | None, typer.Option(metavar="N", help="At most this many model requests a minute.")]
Tpm = Annotated[float | None, typer.Option(metavar="N", help="At most this many model tokens a minute (prompt and answer).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even for tables it already answered.")]
Config = Annotated[Path | None, typer.Option(metavar="FILE", help="TOML file with [llm] and [review] tables.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")]
FailOnOpt = Annotated[FailOn, typer.Option(help="Exit 1 when any finding is this severe (error: 错误; warning: 错误 or 警告).")]
Images = Annotated[bool, typer.Option(help="Page crops in review.html.")]
Password = Annotated[str | None, typer.Option(metavar="TEXT", help="Password for encrypted PDFs.")]
OcrOpt = Annotated[OcrMode, typer.Option("--ocr", help="auto: OCR images and pages without a usable text layer; "
                                                    "force: OCR every page; off: never.")]
Jobs = Annotated[int | None, typer.Option("--jobs", metavar="N", help="Files read at once, on N processes "
                                          "(default: the cores; 1 with a model, whose requests --workers spreads).")]
OcrEngineOpt = Annotated[OcrEngine, typer.Option("--ocr-engine", help="rapidocr (bundled models) or tesseract "
                                                                     "(needs tesseract-ocr and tesseract-ocr-chi-sim).")]


def _fail(message: str, code: int = 2):
    typer.echo(f"jixiao: error: {message}", err=True)
    raise typer.Exit(code)


def _error(path: Path, reason: str) -> None:
    from .fileio import shown

    typer.echo(f"jixiao: error: {shown(path)}: {_one_line(reason)}", err=True)


def _warning(path: Path, reason: str) -> None:
    from .fileio import shown

    typer.echo(f"jixiao: warning: {shown(path)}: {_one_line(reason)}", err=True)


def _one_line(text: str) -> str:
    return " ".join(str(text).splitlines()) if "\n" in str(text) or "\r" in str(text) else str(text)


def _output_error(e: BaseException, output: Path) -> str:
    """What went wrong writing into -o DIR, in one line."""
    import errno
    import sqlite3

    from .fileio import shown
    from .xlsxbook import BookError

    where = shown(output)
    if isinstance(e, BookError):
        return f"{where}: {e}; the reports are not written (the extractions are: run again to write them)"
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return f"{where}: no space left on device; the outputs written before it are kept, the reports are not written"
    if isinstance(e, (FileExistsError, NotADirectoryError)) or (output.exists() and not output.is_dir()):
        return f"{where}: not a folder (a file has that name, or a part of the path is a file)"
    if isinstance(e, PermissionError):
        return f"{where}: permission denied: cannot write there"
    if isinstance(e, sqlite3.Error):
        return f"{where}: cannot write the run's record there ({e})"
    if isinstance(e, OSError):
        return f"{where}: cannot write there: {e.strerror or e}"
    return f"{where}: {type(e).__name__}: {e}"


def _prepare_output(output: Path) -> None:
    """-o DIR made (or found) and writable, or one line and exit 2."""
    import os

    try:
        output.mkdir(parents=True, exist_ok=True)
        if not os.access(output, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except (OSError, ValueError) as e:
        _fail(_output_error(e, output))


def _settings(config: Path | None, backend: Enum = BackendChoice.rules, read: ReadOptions | None = None,
              **model_flags) -> Settings:
    """Flags, environment and the config file, once; a bad configuration is one line and exit 2."""
    flags = {k: (v.value if isinstance(v, Enum) else v) for k, v in model_flags.items()}
    try:
        return load_settings(config, backend=backend.value, read=read, **flags)
    except ConfigError as e:
        _fail(str(e))


def _extractor(settings: Settings):
    from .extract import build_extractor

    return build_extractor(settings)


def _inputs(paths: list[Path]) -> list[Path]:
    """Files named, the readable files inside folders named (sorted, recursive), and the files
    matching glob patterns the shell did not expand (quoted, or on Windows).

    Every file a folder holds that is not read gets one line saying why; a pattern that matches
    nothing says so; an input named twice (the same file by its resolved path) is read once."""
    import glob
    import os

    from .fileio import not_regular, shown, unique_inputs
    from .readers import SUFFIXES

    out: list[Path] = []
    for p in paths:
        if url := _url(p):  # an object or prefix in storage (storage.py)
            from .storage import expand

            try:
                found = expand(url, SUFFIXES)
            except OSError as e:
                _fail(f"{url}: {e}")
            if not found:
                typer.echo(f"jixiao: warning: {url}: no object found", err=True)
            out.extend(found)
        elif not os.path.lexists(p) and any(ch in str(p) for ch in "*?["):
            matches = [Path(m) for m in sorted(glob.glob(str(p), recursive=True))]
            files = [m for m in matches if not_regular(m) is None]
            for m in matches:
                if (why := not_regular(m)) is not None and why != "is a directory":
                    typer.echo(f"jixiao: warning: {shown(m)}: {why}: skipped", err=True)
            if not files:
                typer.echo(f"jixiao: warning: {shown(p)}: the pattern matches no file", err=True)
            out.extend(files)
        elif p.is_dir():
            out.extend(_folder(p, SUFFIXES))
        else:
            out.append(p)  # a file named is read (or said to be unreadable) whatever it is
    if not out:
        _fail("no PDF, image, web page, spreadsheet, Word or text files found in the paths given")
    out, repeats = unique_inputs(out)
    for given, kept in repeats:
        typer.echo(f"jixiao: warning: {shown(given)}: the same file as {shown(kept)}, given again: read once", err=True)
    return out


def _url(p: Path) -> str | None:
    """An fsspec URL given where a path goes (`s3://bucket/in`, which Path has made `s3:/bucket/in`)."""
    import re

    m = re.match(r"^([a-z][a-z0-9+.-]+):/+(.*)$", str(p))
    return f"{m.group(1)}://{m.group(2)}" if m and len(m.group(1)) > 1 else None


def _folder(folder: Path, suffixes) -> list[Path]:
    """The files of a folder to read, recursively and sorted; one line for each one skipped."""
    import os

    from .fileio import not_regular, shown

    found: list[Path] = []
    def unreadable(e: OSError) -> None:
        typer.echo(f"jixiao: warning: {shown(e.filename or folder)}: cannot list the folder: "
                   f"{e.strerror or e}: skipped", err=True)

    for root, dirs, names in os.walk(folder, followlinks=False, onerror=unreadable):
        here = Path(root)
        for d in sorted(dirs):
            if d.startswith("."):
                typer.echo(f"jixiao: warning: {shown(here / d)}: hidden folder: skipped", err=True)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names + [d for d in os.listdir(here) if (here / d).is_symlink() and (here / d).is_dir()]:
            p = here / name
            if name.startswith("."):
                why = "hidden file: skipped"
            elif (bad := not_regular(p)) is not None:
                why = f"{bad}: skipped"
            elif p.suffix.lower() not in suffixes:
                why = f"unsupported type {p.suffix or '(no suffix)'}: skipped"
            else:
                found.append(p)
                continue
            typer.echo(f"jixiao: warning: {shown(p)}: {why}", err=True)
    return sorted(found)


class _NoOutput(Exception):
    """No output file for an input that failed before any table was read."""


class _StdoutTables:
    """Tables written one at a time as `json` (one list) or `jsonl` (one a line)."""

    def __init__(self, fmt: str, out=None):
        from .jsonlist import JsonListWriter

        self.fmt, self.out = fmt, out or sys.stdout
        self.list = JsonListWriter(self.out)

    def add(self, text: str, _verification=None) -> None:
        """A table as reading.FileRead.pack encodes it (an item of a JSON list)."""
        if self.fmt == "jsonl":
            self.out.write(json.dumps(json.loads(text), ensure_ascii=False) + "\n")
            return
        self.list.add_json(text)

    def close(self) -> None:
        if self.fmt == "json":
            self.list.close()


def print_usage(tables, backend: str = "llm", read: int | None = None) -> None:
    """Model usage per table and in total, on stderr (it is stored with each table too); with the
    hybrid backend first how many of the `read` tables (default: all given) went to the model and why.
    A batch keeps only the tables a model touched, so it passes the number it read."""
    if backend == "hybrid":
        from collections import Counter

        from .extract.hybrid import reason_kinds

        routed = [t.llm.routed for t in tables if t.llm is not None and t.llm.routed]
        why = Counter(k for r in routed for k in reason_kinds(r))
        typer.echo(f"hybrid: {len(routed)} of {len(tables) if read is None else read} table(s) sent to the model, the others read by the rules "
                   f"with no doubt" + ("; why: " + ", ".join(f"{w} ({n})" for w, n in why.most_common()) if why else ""),
                   err=True)
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


def _said(outcome) -> None:
    """The one line a file gets when it failed or held no table."""
    if outcome.error:
        _error(outcome.path, outcome.error)
    elif outcome.warning:
        _warning(outcome.path, outcome.warning)
    for line in outcome.warnings:
        _warning(outcome.path, line)


def _totals(checked) -> dict[str, int]:
    """Findings by severity over a run (kept by a run's spill as it was made, else counted)."""
    from .findings import severity_counts

    totals = getattr(checked, "totals", None)
    return dict(totals) if totals is not None else severity_counts(f for c in checked for f in c.findings)


def _exit(outcomes, checked=None, fail_on: Enum = FailOn.never) -> None:
    """The exit-code policy of every command: 1 when an input failed or findings reach --fail-on."""
    code = 0
    failed = sum(1 for o in outcomes if o.error)
    if failed:
        typer.echo(f"jixiao: {failed} of {len(outcomes)} input(s) failed", err=True)
        code = 1
    runs = [t.llm for o in outcomes for t in o.tables if t.llm is not None]
    if runs and all(r.status == "failed" and not r.cache_hit for r in runs):
        reason = next((e for r in runs for e in r.errors), "no reason given")
        typer.echo(f"jixiao: error: every model call failed ({len(runs)} table(s)): {_one_line(reason)[:300]}", err=True)
        code = 1
    if checked is not None:
        counts = _totals(checked)
        if (fail_on.value == "error" and counts["错误"]) or (fail_on.value == "warning" and (counts["错误"] or counts["警告"])):
            typer.echo(f"jixiao: findings at or above --fail-on {fail_on.value}", err=True)
            code = 1
    if code:
        raise typer.Exit(code)


ReviewModel = Annotated[str | None, typer.Option(
    "--review-model", metavar="NAME", help="Ask this model for a second opinion on each checked table (AI-01..04, "
    "drafted by a model, kept only when held to the table); same endpoint settings as --model. Off by default.")]


def _second_opinion(checked, name: str | None, config: Path | None, settings: Settings, **flags):
    """The checked tables with the review model's findings added (off: as they are).  A run's checked
    tables stream from a spill file; with a model they are held, the model being far slower anyway."""
    if not name or not len(checked):
        return checked
    checked = list(checked)
    from .extract.llm_store import Store
    from .second_opinion import add_second_opinion
    from .settings import review_model_settings

    try:
        model = review_model_settings(config, name, **flags)
    except ConfigError as e:
        _fail(str(e))
    stats = add_second_opinion(checked, model, Store(settings.cache_path), config=settings.review)
    typer.echo(stats.line(), err=True)
    return checked


def _reports(checked, outcomes, output: Path, images: bool, max_crops: int) -> None:
    from .report import write_reports
    from .workbench.store import run_note  # what became of the reviewer's decisions in this folder

    if not any(o.tables or o.count for o in outcomes):
        typer.echo("jixiao: error: nothing was read: no table in any input; no reports written", err=True)
        raise typer.Exit(1)
    paths = write_reports(checked, output, images=images, max_crops=max_crops)
    if note := run_note(output):
        typer.echo(note, err=True)
    counts = _totals(checked)
    typer.echo(f"{len(checked)} table(s) checked: " + ", ".join(f"{s} {n}" for s, n in counts.items())
               + f" -> {', '.join(str(p) for p in paths)}", err=True)


def _jobs(jobs: int | None, settings: Settings) -> int:
    """Processes to read files on (jobs.py): the cores by default, one for a model backend (its
    requests are spread by --workers).  Processes start only where they pay (jobs.worth_spreading)."""
    if jobs is not None and jobs < 1:
        _fail("--jobs must be at least 1")
    if jobs is None:
        from .jobs import default_jobs

        jobs = 1 if settings.backend in ("llm", "hybrid") else default_jobs()
    return jobs


def _llm_batch_usable(settings: Settings) -> None:
    if settings.backend not in ("llm", "hybrid"):
        _fail("--llm-batch needs the model backend (--backend llm or auto, and a model)")
    if not settings.model.use_cache:
        _fail("--llm-batch works through the cache: drop --no-cache")


def _llm_batch(extractor, settings: Settings, files: list[Path], output: Path) -> None:
    """--llm-batch: the run's model requests answered by one Batch API batch first (extract/llm_batch.py);
    the run proper then finds the answers in the cache and asks online only what the batch did not answer."""
    import os

    from .extract.llm_batch import prefetch, run_chunks

    hybrid = settings.backend == "hybrid"
    report = prefetch(extractor.llm if hybrid else extractor, run_chunks(files, settings.read, doubtful_only=hybrid),
                      output, poll=float(os.environ.get("JIXIAO_BATCH_POLL", "30")),
                      on_status=lambda line: typer.echo(f"jixiao: {line}", err=True))
    typer.echo(f"jixiao: {report.line()}", err=True)
    for e in report.errors:
        typer.echo(f"jixiao: model batch: {e}", err=True)


def _ray_reader(address: str | None, settings: Settings, debug: bool, jobs: int | None):
    """--ray: the files read on a Ray cluster (distributed.py), by --jobs actors (default: one per
    CPU of the cluster); Ray is imported only then."""
    if address is None:
        return None
    from .distributed import RayUnavailable, reader

    try:
        return reader(None if address in ("", "local") else address, settings, debug, jobs)
    except RayUnavailable as e:
        _fail(str(e))


def _ocr_progress(path: Path, page: int) -> None:
    # OCR takes seconds a page: on a terminal, say where a long scan has got to
    typer.echo(f"jixiao: OCR {path.name} page {page} done", err=True)


# -- commands ----------------------------------------------------------------------------------
@app.command()
def extract(
    paths: Paths,
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="DIR", help="Folder for one output file per input; stdout if omitted.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json: a list per input; jsonl: one table per line.")] = Format.json,
    backend: Backend = BackendChoice.rules, model: Model = None, base_url: BaseUrl = None, structured_mode: Mode = None,
    workers: Workers = None, rpm: Rpm = None, tpm: Tpm = None, no_cache: NoCache = False, config: Config = None, debug: Debug = False,
    password: Password = None, ocr: OcrOpt = OcrMode.auto, ocr_engine: OcrEngineOpt = OcrEngine.rapidocr,
    jobs: Jobs = None,
) -> None:
    """Extract every performance-target table of each input into the output contract."""
    from .fileio import OutputNames, atomic_file, shown
    from .jobs import reader

    read = ReadOptions(password=password, ocr=ocr.value, ocr_engine=ocr_engine.value,
                       on_ocr=_ocr_progress if sys.stderr.isatty() else None)
    settings = _settings(config, backend, read, model=model, base_url=base_url, structured_mode=structured_mode,
                         workers=workers, rpm=rpm, tpm=tpm, use_cache=False if no_cache else None)
    # a model's settings are checked before any process starts; the rules need no checking
    extractor = _extractor(settings) if settings.backend != "rules" else None
    files = _inputs(paths)
    if output is not None:
        _prepare_output(output)
    pool = reader(files, settings, _jobs(jobs, settings), verify=False, debug=debug)
    reads = iter(pool(files)) if pool is not None else None  # its processes start up while this one goes on
    if reads is None:  # read here (else this process only writes: the reader is not even built)
        from .batch import read_any
        from .reading import packing

        extractor = extractor or _extractor(settings)
    names, outcomes = OutputNames(files), []
    stdout = _StdoutTables(fmt.value)
    for path in files:
        # tables are written as they are read, never held: a file of any size keeps memory flat (a
        # file read on another process comes back whole and is written the same way)
        if reads is None:
            read_file = lambda on_text, path=path: read_any(path, extractor, settings.read, None, debug,  # noqa: E731
                                                            packing(on_text))
        else:
            read_file = next(reads).replay
        if output is None:
            outcome = read_file(stdout.add)
            _said(outcome)
            outcomes.append(outcome)
            continue
        target = output / f"{names(path)}.{fmt.value}"
        outcome = None
        try:
            with atomic_file(target) as f:
                writer = _StdoutTables(fmt.value, f)
                outcome = read_file(writer.add)
                writer.close()
                if outcome.error and not outcome.count:
                    raise _NoOutput()
        except _NoOutput:
            pass
        except OSError as e:
            _fail(_output_error(e, output))
        _said(outcome)
        outcomes.append(outcome)
        if outcome.count or not outcome.error:
            typer.echo(f"{shown(path)}: {outcome.count} table(s) -> {shown(target)}", err=True)
    if output is None:
        stdout.close()
    print_usage([t for o in outcomes for t in o.tables], settings.backend,
                sum(max(o.count, len(o.tables)) for o in outcomes))
    _exit(outcomes)


@app.command()
def run(
    paths: Paths,
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Folder for extractions and reports.")],
    backend: Backend = BackendChoice.rules, model: Model = None, base_url: BaseUrl = None, structured_mode: Mode = None,
    workers: Workers = None, rpm: Rpm = None, tpm: Tpm = None, no_cache: NoCache = False, config: Config = None,
    fail_on: FailOnOpt = FailOn.never, images: Images = True,
    force: Annotated[bool, typer.Option("--force", help="Redo every file, also those a killed run finished.")] = False,
    password: Password = None, ocr: OcrOpt = OcrMode.auto, ocr_engine: OcrEngineOpt = OcrEngine.rapidocr,
    debug: Debug = False, review_model: ReviewModel = None, jobs: Jobs = None,
    llm_batch: Annotated[bool, typer.Option("--llm-batch", help="Send the model requests through the OpenAI Batch "
                                                                "API (half the price; answers within 24 h).")] = False,
    ray: Annotated[str | None, typer.Option("--ray", metavar="ADDRESS", show_default=False,
                                            help="Read the files on a Ray cluster (pip install 'jixiao[ray]'): "
                                                 "ADDRESS, or 'local' for one started here.")] = None,
) -> None:
    """Extract, check and report: one JSON per input plus findings.json, review.md/.xlsx/.html.

    Paths may be files, folders or glob patterns.  The run is durable: started again after being
    killed, it skips the files already done and finishes the rest.
    """
    import dataclasses
    import sqlite3

    from .batch import run_batch
    from .manifest import OutputLock
    from .progress import BatchProgress

    settings = _settings(config, backend, ReadOptions(password=password, ocr=ocr.value, ocr_engine=ocr_engine.value),
                         model=model, base_url=base_url, structured_mode=structured_mode, workers=workers, rpm=rpm, tpm=tpm,
                         use_cache=False if no_cache else None)
    if llm_batch:
        _llm_batch_usable(settings)
    extractor = _extractor(settings)
    files = _inputs(paths)
    reader = _ray_reader(ray, settings, debug, jobs)
    staged = None
    if url := _url(output):  # an output folder in storage: worked on here, copied there (storage.StagedFolder)
        from .storage import StagedFolder

        try:
            staged = StagedFolder(url)
        except OSError as e:
            _fail(f"{url}: {e}")
        output = staged.local
    _prepare_output(output)
    try:
        with OutputLock(output, on_wait=lambda line: typer.echo(f"jixiao: {line}", err=True)):
            if llm_batch:
                _llm_batch(extractor, settings, files, output)
            with BatchProgress(len(files)) as progress:
                settings.read = dataclasses.replace(settings.read, on_ocr=progress.ocr_page)
                on_file = progress.file_done if staged is None else \
                    (lambda o: (progress.file_done(o), staged.sync(force=False)))
                outcomes, checked = run_batch(files, output, settings, extractor, force=force, on_file=on_file,
                                              debug=debug, jobs=_jobs(jobs, settings),
                                              reader=reader, on_reading=progress.show)
            for o in outcomes:
                _said(o)
            progress.summary(outcomes, checked)
            print_usage([t for o in outcomes for t in o.tables], settings.backend,
                sum(max(o.count, len(o.tables)) for o in outcomes))
            checked = _second_opinion(checked, review_model, config, settings, base_url=base_url,
                                      structured_mode=structured_mode, workers=workers, rpm=rpm, tpm=tpm,
                                      use_cache=False if no_cache else None)
            _reports(checked, outcomes, output, images, settings.review.max_crops)
            if staged is not None:
                staged.sync()
    except (OSError, sqlite3.Error) as e:
        if debug:
            raise
        _fail(_output_error(e, output))
    finally:
        if staged is not None:
            staged.close()
    _exit(outcomes, checked, fail_on)


@app.command()
def review(
    results: Annotated[list[Path], typer.Argument(metavar="RESULTS", show_default=False,
                                                  help="Extraction outputs (json or jsonl) of `jixiao extract`.")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Folder for the reports.")],
    config: Config = None, fail_on: FailOnOpt = FailOn.never, images: Images = True, debug: Debug = False,
    review_model: ReviewModel = None,
) -> None:
    """Check extraction outputs against their sources and write the reports."""
    from .batch import conclude_outcomes, review_results
    from .manifest import OutputLock

    settings = _settings(config)
    outcomes = review_results(results, settings.review, _warning, debug)
    for o in outcomes:
        if o.error or o.warnings:
            _said(o)
    checked = conclude_outcomes(outcomes, settings.review)
    _prepare_output(output)
    try:
        with OutputLock(output, on_wait=lambda line: typer.echo(f"jixiao: {line}", err=True)):
            checked = _second_opinion(checked, review_model, config, settings)
            _reports(checked, outcomes, output, images, settings.review.max_crops)
    except OSError as e:
        if debug:
            raise
        _fail(_output_error(e, output))
    _exit(outcomes, checked, fail_on)


@app.command()
def logs(
    n: Annotated[int, typer.Option("-n", metavar="N", help="How many of the latest calls.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Full records (request and response) as JSON lines.")] = False,
    source: Annotated[str | None, typer.Option(metavar="TEXT", help="Only calls for source files whose path contains this.")] = None,
    config: Config = None,
) -> None:
    """Show the latest model calls from the log (every prompt and response is kept there)."""
    from .extract.llm_store import Store

    store = Store(_settings(config).cache_path)
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
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The output folder of `jixiao run`.")],
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


Per = _choices("Per", ("department", "project"))


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The output folder of `jixiao run` (with the reviewer's decisions).")],
    docx: Annotated[Path, typer.Option("--docx", metavar="OUTDIR", help="Folder for the 审核意见书 (.docx) and decisions.json/.xlsx.")],
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
    write: Annotated[Path | None, typer.Option("--write", metavar="DIR", help="Write every schema file into this folder.")] = None,
) -> None:
    """Print the JSON Schema of one table (the contract), or write all schema files."""
    from .models import SCHEMAS, schema_text

    if write is None:
        sys.stdout.write(schema_text(SCHEMAS["table.schema.json"]))
        return
    write.mkdir(parents=True, exist_ok=True)
    for filename, model in SCHEMAS.items():
        (write / filename).write_text(schema_text(model), encoding="utf-8")
        typer.echo(f"wrote {write / filename}", err=True)


@app.command()
def rules(
    write: Annotated[Path | None, typer.Option("--write", metavar="FILE",
                                               help="Replace the generated table in this Markdown file (docs/rules.md).")] = None,
) -> None:
    """Print the review-rule catalogue (ID, 审核维度, severity, condition, comment template, basis) as Markdown."""
    from .findings import catalogue_markdown, with_catalogue

    if write is None:
        sys.stdout.write(catalogue_markdown())
        return
    write.write_text(with_catalogue(write.read_text(encoding="utf-8")), encoding="utf-8")
    typer.echo(f"wrote {write}", err=True)


if __name__ == "__main__":
    app()
