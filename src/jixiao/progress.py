"""Progress of a batch and its closing summary, on stderr (rich; plain lines when not a terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .fileio import shown
from .findings import SEVERITY_ORDER, severity_counts


class BatchProgress:
    def __init__(self, total: int):
        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                                 console=self.console, transient=False, disable=not self.console.is_terminal)
        self.task = self.progress.add_task("files", total=total, status="")
        self.tables = self.failed = self.calls = self.tokens = self.resumed = 0
        self.shown = False

    def __enter__(self) -> BatchProgress:
        return self

    def show(self) -> None:
        """The bar drawn from now on.  Not before the run has started its --jobs processes: on a
        terminal the bar is redrawn by a thread of its own, and a process with a second thread is
        not forked (jobs.py spawns its processes then, about 0.3 s slower)."""
        if not self.shown:
            self.shown = True
            self.progress.start()

    def __exit__(self, *exc) -> None:
        if self.shown:
            self.progress.stop()

    def file_done(self, outcome) -> None:
        self.show()
        self.tables += outcome.count or len(outcome.tables)
        self.failed += bool(outcome.error)
        self.resumed += outcome.resumed
        for t in outcome.tables:
            if t.llm is not None:
                self.calls += t.llm.calls
                self.tokens += t.llm.prompt_tokens + t.llm.completion_tokens
        status = f"{self.tables} tables, {self.failed} failed"
        if self.resumed:
            status += f", {self.resumed} done before"
        if self.calls:
            status += f", {self.calls} model calls, {self.tokens} tokens"
        self.progress.update(self.task, advance=1, status=status)

    def ocr_page(self, path, page: int) -> None:
        """OCR takes seconds a page: say where a long scan has got to."""
        self.show()
        self.progress.update(self.task, status=f"{self.tables} tables, {self.failed} failed; OCR {path.name} p{page}")

    def summary(self, outcomes, checked) -> None:
        """Per file: tables found, findings by severity, failures with their reasons."""
        by_file = getattr(checked, "by_file", None)  # a run's spill counted them as it was made
        if by_file is None:
            by_file = {}
            for c in checked:
                counts = by_file.setdefault(c.table.provenance.source_file, dict.fromkeys(SEVERITY_ORDER, 0))
                for k, v in severity_counts(c.findings).items():
                    counts[k] += v
        table = Table(title="jixiao run", show_lines=False)
        table.add_column("file", overflow="fold")  # the path as given, whole: never cut to a shared prefix
        for col in ("tables", *SEVERITY_ORDER):
            table.add_column(col)
        table.add_column("note", overflow="fold")
        for o in outcomes:
            counts = by_file.get(str(o.path)) or dict.fromkeys(SEVERITY_ORDER, 0)
            note = o.error or o.warning or ("done before (resumed)" if o.resumed else "")
            table.add_row(shown(o.path), str(o.count or len(o.tables)), *map(str, counts.values()), note)
        self.console.print(table)
