"""A batch on a local Ray cluster: tables/s, and tables/s per worker, for 1 and N workers.

FILES copies of the seed PDF (7 tables each) go through the batch runner (`jixiao run` without
its reports: rules backend, checker, manifest, outputs) with `--ray` actors; the same run in one
process (no Ray) is the reference.  Each is timed after a warm-up run of a few files, so neither
the cluster's start-up (several seconds) nor the actors' is counted: the figures are steady-state
throughput, what a long batch sees.

usage: python bench/ray_load.py [--files 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker(folder: str, workers: int) -> None:
    from jixiao.batch import run_batch
    from jixiao.settings import Settings

    files = sorted(Path(folder, "in").glob("*.pdf"))
    settings = Settings()
    reader = None
    if workers:
        from jixiao.distributed import reader as ray_reader

        reader = ray_reader(None, settings, workers=workers)
    run_batch(files[:max(2, workers)], Path(folder, f"warm{workers}"), settings, reader=reader)  # start-up
    t0 = time.perf_counter()
    outcomes, _checked = run_batch(files, Path(folder, f"out{workers}"), settings, reader=reader)
    wall = time.perf_counter() - t0
    print(json.dumps({"seconds": wall, "tables": sum(o.count for o in outcomes)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    source = ROOT / "tests" / "data" / "seed-tables.pdf"
    if not source.exists():
        source = ROOT / "examples" / "seed-tables.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        for i in range(args.files):
            shutil.copy(source, Path(tmp) / "in" / f"doc{i:04d}.pdf")
        print(f"{7 * args.files} tables in {args.files} files; load average {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} CPU(s)")
        for w in [0] + sorted({1, args.workers}):
            run = subprocess.run([sys.executable, __file__, "--worker", tmp, str(w)], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(run.stderr[-2000:])
            r = json.loads(run.stdout.strip().splitlines()[-1])
            rate = r["tables"] / r["seconds"]
            name = "one process, no Ray" if not w else f"Ray, {w} worker(s)"
            print(f"{name:20s} {r['seconds']:6.1f} s  {rate:6.1f} tables/s  {rate / max(w, 1):6.1f} tables/s per worker")


if __name__ == "__main__":
    main()
