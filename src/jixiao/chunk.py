"""Chunk: the row stream of a document cut into exactly one chunk per table.

A table starts at its heading (…绩效目标…表) or, when it has none, at its 项目名称 row.  Rows at
the top of a page before any new start continue the table of the previous page; a header row
repeated there is dropped by the extractor, and a blank fragment of a merged cell simply has no
text, so the label above it stays in force.  Chunks are yielded as soon as they end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .document import Row
from .values import fold

_TITLE = re.compile(r"绩效目标.{0,8}表|绩效目标表|绩效指标表")
_PROJECT = re.compile(r"^项目名称")


def is_title(row: Row) -> bool:
    if len(row.cells) > 2:
        return False
    s = fold(row.cells[0].text)
    return bool(_TITLE.search(s)) and len(s) <= 60 and not s.startswith(("项目名称", "注", "说明"))


def is_project_row(row: Row) -> bool:
    return bool(_PROJECT.match(fold(row.cells[0].text)))


@dataclass
class Chunk:
    rows: list[Row] = field(default_factory=list)
    inherited_title: Row | None = None  # a heading shared by several tables above them

    @property
    def pages(self) -> list[int]:
        return sorted({r.page for r in self.rows if r.page is not None})

    @property
    def text(self) -> str:
        """The chunk as text, one row a line, cells separated by ' | ' (what a model is sent)."""
        return "\n".join(r.text for r in self.rows)


def chunk_rows(pages: Iterable[list[Row]]) -> Iterator[Chunk]:
    chunker = Chunker()
    for rows in pages:
        yield from chunker.feed(rows)
    yield from chunker.finish()


class Chunker:
    """chunk_rows one page at a time, its state open to view: a document read in parts on several
    processes (jobs.py) is cut exactly as one read whole only where a part starts `at_rest`."""

    def __init__(self) -> None:
        self.current: Chunk | None = None
        self.has_project = False
        self.last_title: Row | None = None
        self.pending_titles: list[Row] = []  # headings seen before their table's first row

    @property
    def at_rest(self) -> bool:
        """Whether a heading coming next opens a new table whatever came before (so a fresh Chunker
        starting at that heading cuts the rest of the document exactly as this one does)."""
        return not self.pending_titles and (self.current is None or self.has_project)

    def feed(self, rows: list[Row]) -> Iterator[Chunk]:
        for row in rows:
            if is_title(row):
                if self.current is not None and not self.has_project:
                    self.current.rows.append(row)  # a second heading line of the same table
                else:
                    self.pending_titles.append(row)
                self.last_title = row
                continue
            if self.pending_titles:
                # a heading opens a new table at its first row
                if self.current is not None:
                    yield self.current
                self.current = Chunk(rows=list(self.pending_titles))
                self.pending_titles = []
                self.has_project = False
            if is_project_row(row):
                if self.current is not None and self.has_project:
                    yield self.current
                    self.current = None
                if self.current is None:
                    self.current = Chunk(rows=[row])
                    self.current.inherited_title = self.last_title
                else:
                    self.current.rows.append(row)
                self.has_project = True
                continue
            if self.current is not None:
                self.current.rows.append(row)

    def finish(self) -> Iterator[Chunk]:
        if self.current is not None:
            self.current.rows.extend(self.pending_titles)
            yield self.current
        elif self.pending_titles:
            yield Chunk(rows=list(self.pending_titles))
        self.current, self.pending_titles, self.has_project = None, [], False
