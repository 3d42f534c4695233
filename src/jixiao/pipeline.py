"""One file through the stages: ingest -> chunk -> extract (checking and reports come after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import __version__, extract_rules
from .chunk import Chunk, chunk_rows
from .ingest import read_pages, sha256_of
from .models import ExtractedTable, Provenance

BACKENDS = {extract_rules.NAME: extract_rules.extract}


def extract_file(path: Path, backend: str = "rules") -> Iterator[ExtractedTable]:
    """The tables of one PDF or text file, in page order, each with its provenance.

    Tables are yielded as their chunk ends, so a caller can write them out while the rest of a
    long document is still being read.
    """
    for _chunk, table in extract_with_chunks(path, backend):
        yield table


def extract_with_chunks(path: Path, backend: str = "rules") -> Iterator[tuple[Chunk, ExtractedTable]]:
    """Each table with the chunk it was read from (the checker grounds values in it)."""
    run = BACKENDS[backend]
    digest = sha256_of(path) if path.is_file() else ""
    on_page: dict[int | None, int] = {}
    for chunk in chunk_rows(read_pages(path)):
        results = run(chunk)
        for result in results:
            pages = chunk.pages
            if len(results) > 1:  # one table listing several projects: each spans its own rows
                pages = sorted({e.page for e in result.evidence.values()} & set(pages)) or pages
            first = pages[0] if pages else None
            on_page[first] = on_page.get(first, -1) + 1
            yield chunk, ExtractedTable(
                **dict(result.table),  # validated once already: pass the instances, no dump
                provenance=Provenance(
                    source_file=str(path), sha256=digest, pages=pages, table_index=on_page[first],
                    backend=backend, tool_version=__version__,
                ),
                evidence=result.evidence,
                notes=result.notes,
            )
