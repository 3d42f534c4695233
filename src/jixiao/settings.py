"""Settings: how files are read, and (later) the model and review settings, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OCR_MODES = ("auto", "force", "off")
OCR_ENGINES = ("rapidocr", "tesseract")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How files are opened: a password for encrypted PDFs, and when and how pages are OCR'd."""

    password: str | None = None
    ocr: str = "auto"  # auto: pages without a usable text layer, and images; force: every page; off: never
    ocr_engine: str = "rapidocr"
    on_ocr: Callable[[Path, int], None] | None = None  # told of each page OCR'd (seconds each): progress
