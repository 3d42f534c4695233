"""jixiao (绩效): read Chinese budget performance target tables into strict structured data."""

import os

# The one place the version is written (pyproject.toml reads it from here).  Not asked of
# importlib.metadata at run time: importing it (and the email package it parses metadata with)
# was a fifth of `jixiao --help`.
__version__ = "0.1.0"

# onnxruntime (loaded by PyMuPDF's layout module and by RapidOCR) writes a device id and telemetry
# events under ~/.cache/Microsoft on every start, and warns where HOME is read-only; jixiao runs on
# isolated government networks and wants none of it.  It reads this variable when it loads.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
