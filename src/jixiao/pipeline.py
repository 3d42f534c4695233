"""One file through the stages: readers -> chunk -> extract (checking and reports come after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .chunk import Chunk, chunk_rows
from .extract import Extractor, Reading, RulesExtractor
from .fileio import sha256_of
from .models import ExtractedTable, Provenance
from .readers import read_pages
from .settings import ReadOptions


def readings(path: Path, extractor: Extractor | None = None, read: ReadOptions | None = None,
             source: str | None = None) -> Iterator[Reading]:
    """Each table chunk of one file with what the extractor read from it, in page order.

    Readings are yielded as their chunk ends, so a caller can write tables out while the rest of a
    long document is still being read.  `source` names the file in provenance when `path` is a
    local copy of it (an object in storage, storage.read_url).
    """
    extractor = extractor or RulesExtractor()
    digest = sha256_of(path) if path.is_file() else ""
    on_page: dict[int | None, int] = {}

    def provenance(pages: list[int], used: str) -> Provenance:
        first = pages[0] if pages else None
        on_page[first] = on_page.get(first, -1) + 1
        return Provenance(source_file=source or str(path), sha256=digest, pages=pages, table_index=on_page[first],
                          backend=used, tool_version=__version__)

    yield from extractor.readings(chunk_rows(read_pages(path, read)), source or str(path), provenance)


def extract_with_chunks(path: Path, extractor: Extractor | None = None,
                        read: ReadOptions | None = None) -> Iterator[tuple[Chunk, ExtractedTable]]:
    """Each table with the chunk it was read from (the checker grounds values in it)."""
    for reading in readings(path, extractor, read):
        for table in reading.tables:
            yield reading.chunk, table


def extract_file(path: Path, extractor: Extractor | None = None, read: ReadOptions | None = None) -> Iterator[ExtractedTable]:
    """The tables of one file, in page order, each with its provenance."""
    for _chunk, table in extract_with_chunks(path, extractor, read):
        yield table
