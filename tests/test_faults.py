"""Fault injection: `jixiao run` killed (SIGKILL) at random points of every phase -- reading,
checking, and the writing of each report -- leaves every output either whole and identical to an
uninterrupted run's, or absent; and the run started again ends with the same outputs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES

CMD = [sys.executable, "-m", "jixiao.cli"]
FILES = 30  # 210 tables: more than one page of review.html/review.md (PART_SIZE 200)
REPORTS = ("findings.json", "review.md", "review.xlsx", "review.html")
PHASES = ("reading", "checking", *REPORTS)


def _outputs(out: Path) -> dict[str, Path]:
    """Every output in the folder (temporary files and the run's own records aside)."""
    return {p.name: p for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}


def _same(a: Path, b: Path) -> bool:
    if a.suffix != ".xlsx":
        return a.read_bytes() == b.read_bytes()
    # a workbook records the time it was written (docProps/core.xml): compare everything else
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = sorted(n for n in za.namelist() if n != "docProps/core.xml")
        return names == sorted(n for n in zb.namelist() if n != "docProps/core.xml") and all(
            za.read(n) == zb.read(n) for n in names)


def _kill_in(phase: str, folder: Path, out: Path, rng: random.Random) -> str:
    """Start a run and SIGKILL it once it is in `phase` (after a random extra delay); the phase it
    was killed in, or 'finished' when it ended first."""
    proc = subprocess.Popen([*CMD, "run", str(folder), "-o", str(out), "--no-images"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = rng.randint(1, FILES - 1)
    delay = rng.uniform(0, 0.03)
    deadline = time.monotonic() + 240
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                names = os.listdir(out)
            except FileNotFoundError:
                names = []
            done = sum(n.startswith("doc") and n.endswith(".json") for n in names)
            temps = {r for r in REPORTS for n in names if n.startswith(f".{r}.") and n.endswith(".tmp")}
            if phase == "reading":
                hit = done >= target
            elif phase == "checking":
                hit = done == FILES and not temps and "findings.json" not in names
            else:
                hit = phase in temps
            if hit:
                time.sleep(delay)
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return phase
                break
            time.sleep(0.001)
        proc.wait(timeout=240)
        return "finished"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_run_killed_anywhere_leaves_whole_outputs_or_none(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    seed = (FIXTURES / "seed-tables.txt").read_bytes()
    for i in range(FILES):
        (folder / f"doc{i:02d}.txt").write_bytes(seed + f"\n{i}\n".encode())  # 30 distinct submissions
    ref = tmp_path / "ref"
    done = subprocess.run([*CMD, "run", str(folder), "-o", str(ref), "--no-images"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reference = _outputs(ref)
    assert {"review-p001.html", "review-p002.md", *REPORTS} <= set(reference)

    rng = random.Random(16)
    killed: dict[str, int] = {}
    for trial in range(20):
        phase = PHASES[trial % len(PHASES)]
        out = tmp_path / f"out{trial}"
        at = _kill_in(phase, folder, out, rng)
        killed[at] = killed.get(at, 0) + 1
        present = _outputs(out) if out.exists() else {}
        assert set(present) <= set(reference), (at, set(present) - set(reference))
        for name, path in present.items():
            assert _same(path, reference[name]), (trial, at, name)  # whole and identical, never half
        if trial % 4 == 0 or at in REPORTS:
            again = subprocess.run([*CMD, "run", str(folder), "-o", str(out), "--no-images"],
                                   capture_output=True, text=True)
            assert again.returncode == 0, again.stderr
            final = _outputs(out)
            assert set(final) == set(reference), (at, set(final) ^ set(reference))
            assert all(_same(final[n], reference[n]) for n in final), at
            assert not [n for n in os.listdir(out) if n.endswith(".tmp")]  # the killed run's leftovers are gone
    # every phase was hit at least once
    assert set(PHASES) <= set(killed), killed
