"""jixiao (绩效): read Chinese budget performance target tables into strict structured data."""

import os
from importlib.metadata import PackageNotFoundError, version

# onnxruntime (loaded by PyMuPDF's layout module and by RapidOCR) writes a device id and telemetry
# events under ~/.cache/Microsoft on every start, and warns where HOME is read-only; jixiao runs on
# isolated government networks and wants none of it.  It reads this variable when it loads.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

try:
    __version__ = version("jixiao")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
