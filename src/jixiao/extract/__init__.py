"""Extractors: the chunk of one table in, contract records out; one interface, chosen once.

- `rules/`: the deterministic reader (vocabulary, segmentation, one reader per section), the
  offline default;
- `llm`: a model behind any OpenAI-compatible endpoint (llm.py), with its cache and call log
  (llm_store.py);
- `hybrid`: the rules read every chunk, and only the chunks whose rules reading is unsure
  (`doubts`, the test the checker's EXTRACT-01 uses too) go to the model; grounding in the source
  decides, field by field, between the two readings (hybrid.py).

Every extractor yields a `Reading` per chunk: the tables it read and the rules reading of the same
chunk.  The rules reader runs once per chunk whatever the backend: it is the model's second
opinion (the disagreements are computed once, here) and the checker's count of the source's rows.

To add a backend: a class with `name` and `readings()` below (or in a module of its own), and one
branch in `build_extractor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ..chunk import Chunk
from ..models import ExtractedTable, Provenance, ReadingQuality, TableData
from ..settings import Settings

# (pages, backend name) -> the provenance of one table of the file being read
ProvenanceFor = Callable[[list[int], str], Provenance]


@dataclass
class Reading:
    """What an extractor made of one chunk."""

    chunk: Chunk
    tables: list[ExtractedTable]
    rules: list[TableData]  # the rules reader's tables for the same chunk (one per project it found)


class Extractor(Protocol):
    name: str

    def readings(self, chunks: Iterable[Chunk], source: str, provenance: ProvenanceFor) -> Iterator[Reading]:
        """One Reading per chunk, in chunk order."""
        ...


class RulesExtractor:
    """The deterministic reader: no model, no network."""

    name = "rules"

    def readings(self, chunks: Iterable[Chunk], source: str, provenance: ProvenanceFor) -> Iterator[Reading]:
        for chunk in chunks:
            results = rules_results(chunk)
            yield Reading(chunk, rules_tables(chunk, results, provenance), [r.table for r in results])


def doubts(reading) -> list[str]:
    """Why a rules reading (a ReadingQuality, or the rules reader's own) is unsure, one reason a
    part (empty: it is confident).

    The one test behind both EXTRACT-01 (check.py) and the hybrid backend's choice of the tables
    it sends to the model."""
    from .rules.coverage import MIN_COVERAGE

    if reading is None:
        return []
    why = []
    if reading.coverage < MIN_COVERAGE:
        why.append(f"coverage {reading.coverage:.0%} below {MIN_COVERAGE:.0%}")
    if reading.unknown_labels:
        why.append(f"{len(reading.unknown_labels)} unknown label(s): {'、'.join(reading.unknown_labels)}")
    if reading.lost_values:
        why.append(f"{len(reading.lost_values)} value(s) reaching no field: {'、'.join(reading.lost_values)}")
    return why


def rules_results(chunk: Chunk) -> list:
    from .rules import extract

    return extract(chunk)


def rules_tables(chunk: Chunk, results: list, provenance: ProvenanceFor, extra_notes: list[str] = ()) -> list[ExtractedTable]:
    """The rules reader's results as records of the output contract."""
    tables = []
    for result in results:
        pages = chunk.pages
        if len(results) > 1:  # one table listing several projects: each spans its own rows
            pages = sorted({e.page for e in result.evidence.values()} & set(pages)) or pages
        tables.append(ExtractedTable(
            **dict(result.table),  # validated once already: pass the instances, no dump
            provenance=provenance(pages, "rules"), evidence=result.evidence,
            notes=result.notes + ocr_notes(chunk) + list(extra_notes), reading=_quality(result),
        ))
    return tables


def _quality(result) -> ReadingQuality | None:
    r = result.reading
    return None if r is None else ReadingQuality(coverage=r.coverage, unknown_labels=r.unknown_labels,
                                                 lost_values=r.lost_values)


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


def build_extractor(settings: Settings) -> Extractor:
    """The extractor the settings ask for (settings.backend is already resolved: rules, llm or hybrid)."""
    if settings.backend in ("llm", "hybrid"):
        from .llm import LLMExtractor
        from .llm_store import Store

        llm = LLMExtractor(settings.model, Store(settings.cache_path), fuzzy_threshold=settings.review.fuzzy_threshold)
        if settings.backend == "hybrid":
            from .hybrid import HybridExtractor

            return HybridExtractor(llm)
        return llm
    return RulesExtractor()
