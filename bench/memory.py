"""Memory benchmark: peak RSS of `jixiao run` (extraction, checker and every report) against the
number of tables, to show it stays flat.  Inputs replicate tests/data/seed-tables.txt (7 tables)
into text exports of --per-file tables each, in one folder.

By default each copy of the seed gets its own project and indicator names (a 4-character code
appended), as a real batch of distinct projects has; `--identical` keeps the copies identical,
the worst case for the batch rules (BATCH-01/02 compare every table with every other one holding
the same indicator name, and each of the seven seed projects is then held by tables/7 tables).

Prints, for each size, tables, files, wall time, peak RSS and the growth over the smallest size
(goal: flat within 20 % from 1k to 30k tables).

usage: python bench/memory.py [--sizes 1000,10000,30000] [--per-file 700] [--command run|extract]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seed-tables.txt"


_CODE = "甲乙丙丁戊己庚辛壬癸"
_NAMES = re.compile(r"^(\s*指标\d+：|项目名称 )(\S+)", re.M)


def _copy(seed: str, number: int, identical: bool) -> str:
    if identical:
        return seed
    # a fixed-width code, so that no copy's name is part of another copy's name
    code = "".join(_CODE[int(d)] for d in f"{number:05d}")
    return _NAMES.sub(lambda m: m.group(1) + m.group(2) + code, seed)


def make_inputs(folder: Path, tables: int, per_file: int, identical: bool = False) -> int:
    """Text exports holding `tables` tables in all (each the seed, 7 tables, repeated)."""
    seed = SEED.read_text(encoding="utf-8").rstrip("\n") + "\n\f\n"  # a form feed between copies
    copies, files, number = -(-tables // 7), 0, 0
    per = max(1, per_file // 7)
    folder.mkdir(parents=True, exist_ok=True)
    while copies > 0:
        n = min(per, copies)
        text = "".join(_copy(seed, number + k, identical) for k in range(n))
        (folder / f"export{files:05d}.txt").write_text(text, encoding="utf-8")
        number += n
        copies -= n
        files += 1
    return files


def measure(command: str, tables: int, per_file: int, tmp: Path, identical: bool) -> tuple[int, float, float]:
    inp, out = tmp / f"in{tables}", tmp / f"out{tables}"
    files = make_inputs(inp, tables, per_file, identical)
    args = [str(inp), "-o", str(out)] + (["--no-images"] if command == "run" else [])
    # a child of its own, so that its peak RSS (ru_maxrss of the waited-for child) is its alone
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "jixiao.cli", command, *args],
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rc, kb = map(int, done.stdout.split())
    # rc 1 is findings at --fail-on's level; a run that died in its reports wrote no findings.json
    if rc not in (0, 1) or (command == "run" and not (out / "findings.json").exists()):
        raise SystemExit(f"jixiao {command} failed with {rc}")
    return files, wall, kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,30000")
    ap.add_argument("--per-file", type=int, default=700, help="tables per text export")
    ap.add_argument("--command", default="run", choices=("run", "extract"))
    ap.add_argument("--identical", action="store_true", help="identical copies (the batch rules' worst case)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as t:
        for n in sizes:
            files, wall, mb = measure(args.command, n, args.per_file, Path(t), args.identical)
            rows.append((n, files, wall, mb))
            growth = mb / rows[0][3] - 1
            print(f"{n:>7} tables  {files:>4} files  {wall:8.1f} s  peak RSS {mb:8.1f} MB  "
                  f"({growth:+.0%} over {rows[0][0]})", flush=True)
    if len(rows) > 1:
        (n0, _f0, _w0, m0), (n1, _f1, _w1, m1) = rows[0], rows[-1]
        slope = (m1 - m0) / (n1 - n0) * 1000
        print(f"slope: {slope:.2f} MB per 1,000 tables; {m1 / m0 - 1:+.0%} from {n0} to {n1} tables "
              f"({'flat within 20 %' if m1 <= 1.2 * m0 else 'NOT flat'})")


if __name__ == "__main__":
    main()
