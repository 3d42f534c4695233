"""Start-up: how long `jixiao --help` and `jixiao extract` of one text file take, whole commands
(interpreter start included), best of several, and which heavy libraries each loads (none should).
Target (issue 14): --help under 0.3 s.

usage: python bench/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pymupdf", "onnxruntime", "rapidocr", "cv2", "numpy", "openai", "httpx2", "openpyxl", "xlrd", "lxml",
         "docx", "ray", "fsspec")


def best(cmd: list[str], repeat: int) -> tuple[float, float]:
    """The least wall time and the least CPU time (user + system) of the command over the runs;
    on a busy machine the CPU time is the steadier of the two."""
    times, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(times), min(cpus)


def loaded(argv: list[str]) -> list[str]:
    code = (f"import sys, runpy\nsys.argv = {argv!r}\n"
            "try:\n    runpy.run_module('jixiao.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules))")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
    mods = {m.split(".")[0] for m in err.rsplit("MODULES ", 1)[-1].split()}
    return sorted(mods & set(HEAVY))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    text = str(ROOT / "tests" / "data" / "seed-tables.txt")
    if not Path(text).exists():
        text = str(ROOT / "examples" / "seed-tables.txt")
    cli = [sys.executable, "-m", "jixiao.cli"]
    bare, bare_cpu = best([sys.executable, "-c", "pass"], args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}; python itself starts in {bare:.3f} s (cpu {bare_cpu:.3f} s)")
    for name, argv in (("jixiao --help", ["--help"]), ("jixiao extract <text file>", ["extract", text])):
        took, cpu = best(cli + argv, args.repeat)
        heavy = loaded(["jixiao", *argv])
        target = "  (target < 0.3 s)" if argv == ["--help"] else ""
        print(f"{name:28s} {took:6.3f} s (cpu {cpu:.3f} s){target}; heavy libraries loaded: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
