"""PyMuPDF, imported without the parts of it jixiao never uses.

PyMuPDF 2.0 imports its layout package and pymupdf4llm when it is imported, and the first loads an
ONNX layout model (numpy, onnxruntime and two sessions: about 0.45 s and 40 MB before the first
page).  jixiao builds its own layout from lines and rulings and never asks PyMuPDF for one
(Page.get_layout, to_markdown), so both are kept out: PyMuPDF treats them as not installed.
Every module of jixiao that needs PyMuPDF at its top imports it from here.
"""

import sys

if "pymupdf" not in sys.modules:
    sys.modules.setdefault("pymupdf.layout", None)
    sys.modules.setdefault("pymupdf4llm", None)

import pymupdf  # noqa: E402

__all__ = ["pymupdf"]
