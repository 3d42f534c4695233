"""Field-F1 of the rules extractor on the real published tables (tests/data/real/).

Each real-NN.txt starts with a 3-line '# ' header (source, issuer, year) that the tool never sees
in real use: it is stripped into a temporary copy of the same name, which is read as `jixiao
extract` reads it.  Prints each file's field-F1 and the mean; --verbose adds the misses.

usage: python bench/real.py [--verbose] [NN ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from jixiao.pipeline import extract_file
from jixiao.score import compare

REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"


def stripped_copy(src: Path, folder: Path) -> Path:
    """The page text without the 3 '# ' header lines, under the same file name."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines[3:] if all(x.startswith("#") for x in lines[:3]) else lines
    out = folder / src.name
    out.write_text("".join(body), encoding="utf-8")
    return out


def score_file(src: Path, folder: Path, verbose: bool = False) -> tuple[float, list[str], list[dict]]:
    tables = [json.loads(t.model_dump_json()) for t in extract_file(stripped_copy(src, folder))]
    gold = json.loads(src.with_name(src.stem + ".gold.json").read_text(encoding="utf-8"))
    _p, _r, f1, _m, lines = compare(gold, tables, verbose)
    return f1, lines, tables


def main(argv: list[str]) -> None:
    verbose = "--verbose" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    files = sorted(REAL.glob("real-*.txt"))
    if wanted:
        files = [f for f in files if any(f.stem.endswith(w) for w in wanted)]
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            f1, lines, _tables = score_file(f, Path(tmp), verbose)
            scores.append(f1)
            print(f"{f.stem}  field-F1 {f1:.3f}")
            for line in lines:
                print("   ", line)
    print(f"mean field-F1 {sum(scores) / len(scores):.3f} over {len(scores)} files, min {min(scores):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
