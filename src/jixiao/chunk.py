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
    current: Chunk | None = None
    has_project = False
    last_title: Row | None = None
    pending_titles: list[Row] = []  # headings seen before their table's first row

    def start(first_rows: list[Row]) -> Chunk:
        return Chunk(rows=list(first_rows))

    for rows in pages:
        for row in rows:
            if is_title(row):
                if current is not None and not has_project:
                    current.rows.append(row)  # a second heading line of the same table
                else:
                    pending_titles.append(row)
                last_title = row
                continue
            if pending_titles:
                # a heading opens a new table at its first row
                if current is not None:
                    yield current
                current = start(pending_titles)
                pending_titles = []
                has_project = False
            if is_project_row(row):
                if current is not None and has_project:
                    yield current
                    current = None
                if current is None:
                    current = start([row])
                    current.inherited_title = last_title
                else:
                    current.rows.append(row)
                has_project = True
                continue
            if current is not None:
                current.rows.append(row)
    if current is not None:
        current.rows.extend(pending_titles)
        yield current
    elif pending_titles:
        yield start(pending_titles)
