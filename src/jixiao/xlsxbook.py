"""review.xlsx's workbook: its sheets, formats and typed cells through XlsxWriter, here or on a
process of its own.

XlsxWriter is pure Python and writing the cells is about half of what the reports of a large run
cost; the rows themselves are made by report.py.  So on a machine with a core to spare, a large
run's workbook is written by a child process (`Book.start`) that is sent the rows a part at a
time, while this process renders the other reports: the two run side by side.  Cells arrive
already typed (see `Book.append`), so the child needs nothing of jixiao but this module.
"""

from __future__ import annotations

from pathlib import Path

SEVERITY_COLOURS = {"错误": "F8D7DA", "警告": "FFF3CD", "建议": "D1ECF1"}

# how a cell is written: text, text that looks like a formula (shown as text, never run), a number,
# a blank that carries its column's style
TEXT, FORMULA_LIKE, NUMBER, BLANK = "s", "f", "n", "b"


class Book:
    """review.xlsx through XlsxWriter in its constant-memory mode, which streams each sheet's rows to
    a temporary file of its own (linear time, flat memory).  (XlsxWriter writes a cell in about half
    the time openpyxl's write-only mode takes; openpyxl stays the reader of workbooks.)"""

    def __init__(self, path: Path, sheets: dict[str, tuple[list[str], list[int], set[int]]]):
        """`sheets`: each sheet's title, headers, column widths and the columns that get a style."""
        import xlsxwriter

        # every cell typed by its writer (write_string, write_number): no string becomes a formula,
        # a number or a link by its looks
        self.wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                                  "strings_to_numbers": False, "strings_to_urls": False})
        bold = self.wb.add_format({"bold": True})
        # one format per severity (None: wrapped text only), and the same as text for cells that
        # look like a formula (=, +, -, @): shown as they are, with Excel's quote prefix, never run
        self.formats = {}
        for severity in (None, *SEVERITY_COLOURS):
            props = {"text_wrap": True, "valign": "top"}
            if severity:
                props.update(pattern=1, bg_color="#" + SEVERITY_COLOURS[severity])
            self.formats[severity] = (self.wb.add_format(props),
                                      self.wb.add_format({**props, "quote_prefix": True, "num_format": "@"}))
        self.layout = sheets
        self.sheets, self.rows = {}, {}
        for title, (headers, widths, _styled) in sheets.items():
            ws = self.wb.add_worksheet(title)
            for col, width in enumerate(widths):
                ws.set_column(col, col, width)
            ws.freeze_panes(1, 0)
            for col, h in enumerate(headers):
                ws.write_string(0, col, h, bold)
            self.sheets[title], self.rows[title] = ws, 0

    def append(self, title: str, cells: list[tuple[str, object]], severity: str | None) -> None:
        """One row: (how, value) per column, `how` one of TEXT, FORMULA_LIKE, NUMBER, BLANK, or
        None for a cell left empty."""
        ws, styled = self.sheets[title], self.layout[title][2]
        style, as_text = self.formats.get(severity, self.formats[None])
        self.rows[title] = row = self.rows[title] + 1
        for col, (how, v) in enumerate(cells):
            if how == TEXT:
                ws.write_string(row, col, v, style if col in styled else None)
            elif how == NUMBER:
                ws.write_number(row, col, v, style if col in styled else None)
            elif how == FORMULA_LIKE:
                ws.write_string(row, col, v, as_text)
            elif how == BLANK:
                ws.write_blank(row, col, None, style)

    def flush(self) -> None:
        """Nothing to send: rows written here are written as they come (see Remote.flush)."""

    def close(self) -> None:
        for title, (headers, _widths, _styled) in self.layout.items():  # written after the rows, so counted now
            self.sheets[title].autofilter(0, 0, self.rows[title], len(headers) - 1)
        self.wb.close()

    def abort(self) -> None:
        """Remove the sheets' temporary files (XlsxWriter removes them only as it closes the workbook)."""
        for ws in self.sheets.values():
            if getattr(ws, "row_data_fh", None) is not None:
                ws.row_data_fh.close()
            if getattr(ws, "row_data_filename", None):
                Path(ws.row_data_filename).unlink(missing_ok=True)

    # -- on a process of its own -------------------------------------------------------------

    @staticmethod
    def start(path: Path, sheets: dict) -> Remote:
        """A Book written by a child process; the same calls, sent to it."""
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # not fork: this process may hold threads (OCR, progress)
        mine, theirs = ctx.Pipe()
        child = ctx.Process(target=_serve, args=(str(path), sheets, theirs), name="jixiao-xlsx", daemon=True)
        child.start()
        theirs.close()
        return Remote(child, mine)


class BookError(OSError):
    """review.xlsx could not be written on its process (an OSError: the reports are not written,
    as when the disk is full)."""


class Remote:
    """A Book on a child process: rows are sent in batches; close() waits for the workbook, and
    raises what the child raised (BookError, also when the child died)."""

    def __init__(self, child, conn):
        self.child, self.conn, self.batch = child, conn, []

    def append(self, title: str, cells: list, severity: str | None) -> None:
        self.batch.append((title, cells, severity))

    def flush(self) -> None:
        if self.batch:
            self._send(("rows", self.batch))
            self.batch = []

    def close(self) -> None:
        self.flush()
        self._send(("close", None))
        try:
            answer = self.conn.recv()
        except EOFError:
            answer = ("error", self._ended())
        self.child.join()
        self.conn.close()
        if answer[0] == "error":
            raise BookError(f"review.xlsx: {answer[1]}")

    def _send(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except OSError:  # a broken pipe: the child died (killed, out of memory)
            raise BookError(f"review.xlsx: {self._ended()}") from None

    def _ended(self) -> str:
        self.child.join(timeout=5)
        code = self.child.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"the process writing it ended ({how})"

    def abort(self) -> None:
        try:
            self.conn.send(("abort", None))
            self.conn.recv()
        except (OSError, EOFError):
            pass
        self.child.join(timeout=10)
        if self.child.is_alive():
            self.child.kill()
        self.conn.close()


def _serve(path: str, sheets: dict, conn) -> None:
    """The child's side: a Book fed from `conn` until told to close or abort."""
    book = None
    try:
        book = Book(Path(path), sheets)
        while True:
            what, rows = conn.recv()
            if what == "rows":
                for title, cells, severity in rows:
                    book.append(title, cells, severity)
            elif what == "close":
                book.close()
                conn.send(("ok", None))
                return
            else:  # abort
                book.abort()
                conn.send(("ok", None))
                return
    except BaseException as e:  # said to the parent, which raises it
        if book is not None:
            book.abort()
        try:
            conn.send(("error", f"{type(e).__name__}: {e}"))
        except OSError:
            pass
