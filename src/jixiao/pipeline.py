"""One file through the stages: ingest -> chunk -> extract (checking and reports come after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .extract import rules as extract_rules
from .chunk import Chunk, chunk_rows
from .diff import diff_tables
from .extract_llm import LLMExtractor, Outcome
from .ground import evidence_for
from .ingest import ReadOptions, read_pages, sha256_of
from .llm_store import public_url
from .models import ExtractedTable, FieldDiff, LLMInfo, Provenance, Reading

BACKENDS = ("rules", "llm", "auto")


def extract_file(path: Path, backend: str = "rules", llm: LLMExtractor | None = None) -> Iterator[ExtractedTable]:
    """The tables of one PDF or text file, in page order, each with its provenance.

    Tables are yielded as their chunk ends, so a caller can write them out while the rest of a
    long document is still being read.
    """
    for _chunk, table in extract_with_chunks(path, backend, llm):
        yield table


def extract_with_chunks(path: Path, backend: str = "rules", llm: LLMExtractor | None = None,
                        read: ReadOptions | None = None) -> Iterator[tuple[Chunk, ExtractedTable]]:
    """Each table with the chunk it was read from (the checker grounds values in it).

    With the model backend, the rules extractor reads every chunk too: it is the second opinion
    the output is compared with, and the fallback when the model fails on a table.
    """
    digest = sha256_of(path) if path.is_file() else ""
    on_page: dict[int | None, int] = {}

    def provenance(pages: list[int], used: str) -> Provenance:
        first = pages[0] if pages else None
        on_page[first] = on_page.get(first, -1) + 1
        return Provenance(source_file=str(path), sha256=digest, pages=pages, table_index=on_page[first],
                          backend=used, tool_version=__version__)

    chunks = chunk_rows(read_pages(path, read))
    if backend == "llm":
        if llm is None:
            raise ValueError("the llm backend needs an LLMExtractor")
        for chunk, outcome in llm.map(chunks, str(path)):
            rules = extract_rules.extract(chunk)
            yield from ((chunk, t) for t in _model_tables(chunk, outcome, rules, llm, provenance))
        return
    for chunk in chunks:
        results = extract_rules.extract(chunk)
        for result in results:
            result.notes.extend(ocr_notes(chunk))
            pages = chunk.pages
            if len(results) > 1:  # one table listing several projects: each spans its own rows
                pages = sorted({e.page for e in result.evidence.values()} & set(pages)) or pages
            yield chunk, ExtractedTable(
                **dict(result.table),  # validated once already: pass the instances, no dump
                provenance=provenance(pages, "rules"), evidence=result.evidence, notes=result.notes,
                reading=_reading(result),
            )


def _reading(result) -> Reading | None:
    r = result.reading
    return None if r is None else Reading(coverage=r.coverage, unknown_labels=r.unknown_labels, lost_values=r.lost_values)


def ocr_notes(chunk: Chunk) -> list[str]:
    """What a reader of the output must know about a table read from a page image."""
    pages = {r.page: r.ocr for r in chunk.rows if r.ocr}
    notes = []
    for page, info in sorted(pages.items(), key=lambda p: p[0] or 0):
        how = [f"turned {info.turns * 90}° clockwise"] if info.turns else []
        how += [f"straightened {abs(info.skew):.1f}°"] if abs(info.skew) >= 0.1 else []
        done = f" ({', '.join(how)})" if how else ""
        if info.engine == "tesseract":
            notes.append(f"page {page} read by OCR (tesseract){done}, which gives no confidences: "
                         "check the values against the page")
        else:
            notes.append(f"page {page} read by OCR ({info.engine}){done}: values read with low confidence are "
                         "flagged OCR-01")
    return notes


def _model_tables(chunk: Chunk, outcome: Outcome, rules: list, llm: LLMExtractor, provenance) -> list[ExtractedTable]:
    info = dict(model=llm.s.model, base_url=public_url(llm.base_url), structured_mode=outcome.mode,
                prompt_hash=outcome.prompt_hash, cache_hit=outcome.cache_hit, calls=outcome.calls,
                attempts=outcome.attempts, prompt_tokens=outcome.prompt_tokens,
                completion_tokens=outcome.completion_tokens, errors=outcome.errors)
    if outcome.table is None:
        # the model failed on this table: the rules reading stays available, marked as such
        return [ExtractedTable(**dict(r.table), provenance=provenance(chunk.pages, "rules"), evidence=r.evidence,
                               notes=r.notes + ocr_notes(chunk) + ["model failed: " + "; ".join(outcome.errors[-2:])],
                               llm=LLMInfo(**info, status="failed", disagreements=[]))
                for r in rules]
    diffs = []
    if len(rules) == 1:
        diffs = [FieldDiff(field=f, llm=m, rules=r) for f, m, r in diff_tables(rules[0].table, outcome.table)]
    notes = ocr_notes(chunk) + ([] if len(rules) == 1 else [f"the rules extractor read {len(rules)} projects in this table"])
    return [ExtractedTable(**dict(outcome.table), provenance=provenance(chunk.pages, "llm"),
                           evidence=evidence_for(outcome.table, chunk), notes=notes,
                           llm=LLMInfo(**info, status="ok", disagreements=diffs))]
