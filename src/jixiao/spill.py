"""The checked tables of a run, kept on disk between the review and the reports (`CheckedSpill`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

from .check import Checked, Grounding
from .findings import Finding
from .models import ExtractedTable


@functools.cache  # made once, on the first table
def _spill_adapters():
    from pydantic import TypeAdapter

    return TypeAdapter(list[Grounding]), TypeAdapter(list[Finding])


class CheckedSpill:
    """The checked tables of a run, kept in an anonymous temporary file (gone with the process,
    even a killed one) and read back one by one each time they are iterated: the reports make a
    few passes over them without holding the run in memory.  len(), totals and per-file counts
    are kept as they are added."""

    def __init__(self, folder: Path | None = None):
        import tempfile

        self.file = tempfile.TemporaryFile("w+b", dir=folder)
        self.n = 0
        self.indicators = 0
        self.findings = 0
        self.totals = {"错误": 0, "警告": 0, "建议": 0}
        self.by_file: dict[str, dict[str, int]] = {}

    def add(self, c: Checked, path: Path | None = None) -> None:
        # four lines a table, the models through pydantic's own JSON (serialised and validated in
        # Rust: the reports read every table back, and this is most of what that costs)
        a = _spill_adapters()
        self.file.seek(0, 2)
        self.file.write(b"\n".join((json.dumps([c.ref, c.grade, c.outcomes, c.score], ensure_ascii=False).encode(),
                                    c.table.model_dump_json().encode(), a[0].dump_json(c.groundings),
                                    a[1].dump_json(c.findings))) + b"\n")
        self.n += 1
        self.indicators += len(c.table.indicators)
        self.findings += len(c.findings)
        counts = self.by_file.setdefault(str(path if path is not None else c.table.provenance.source_file),
                                         {"错误": 0, "警告": 0, "建议": 0})
        for f in c.findings:
            self.totals[f.severity] += 1
            counts[f.severity] += 1

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Checked]:
        self.file.flush()
        self.file.seek(0)
        at = 0
        groundings, findings = _spill_adapters()
        while True:
            self.file.seek(at)  # another pass may have moved the file between two tables of this one
            head = self.file.readline()
            if not head:
                return
            table, grounded, found = self.file.readline(), self.file.readline(), self.file.readline()
            at = self.file.tell()
            ref, grade, outcomes, score = json.loads(head)
            yield Checked(ref, ExtractedTable.model_validate_json(table), groundings.validate_json(grounded),
                          findings.validate_json(found), grade, outcomes, score)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        for n, c in enumerate(self):
            if n == index:
                return c
        raise IndexError(index)

    def close(self) -> None:
        self.file.close()
