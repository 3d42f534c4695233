"""One file through the stages: ingest -> chunk -> extract (checking and reports come after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import __version__, extract_rules
from .chunk import chunk_rows
from .ingest import read_pages, sha256_of
from .models import ExtractedTable, Provenance

BACKENDS = {extract_rules.NAME: extract_rules.extract}


def extract_file(path: Path, backend: str = "rules") -> Iterator[ExtractedTable]:
    """The tables of one PDF or text file, in page order, each with its provenance.

    Tables are yielded as their chunk ends, so a caller can write them out while the rest of a
    long document is still being read.
    """
    run = BACKENDS[backend]
    digest = sha256_of(path) if path.is_file() else ""
    for chunk in chunk_rows(read_pages(path)):
        result = run(chunk)
        yield ExtractedTable(
            **dict(result.table),  # validated once already: pass the instances, no dump
            provenance=Provenance(
                source_file=str(path), sha256=digest, pages=chunk.pages,
                table_index=chunk.index_on_page, backend=backend, tool_version=__version__,
            ),
            evidence=result.evidence,
            notes=result.notes,
        )
