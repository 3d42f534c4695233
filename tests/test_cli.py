"""The extract command: outputs per input, formats, and one clear line for each bad input."""

import json
import subprocess
import sys

from conftest import FIXTURES


def jixiao(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_bad_inputs_are_named_and_the_rest_written(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    fake = tmp_path / "fake.pdf"
    fake.write_text("this is not a pdf", encoding="utf-8")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes((FIXTURES / "seed-tables.pdf").read_bytes()[:2000])
    image = tmp_path / "scan.bmp"
    image.write_bytes(b"BM" + bytes(range(256)) * 4)
    out = tmp_path / "out"
    r = jixiao("extract", empty, fake, FIXTURES / "seed-tables.pdf", broken, tmp_path / "missing.pdf", image, "-o", out)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith("jixiao: error:")]
    assert len(errors) == 5, r.stderr
    for bad in (empty, fake, broken, tmp_path / "missing.pdf", image):
        assert sum(str(bad) in line for line in errors) == 1
    assert "Traceback" not in r.stderr
    written = json.loads((out / "seed-tables.json").read_text(encoding="utf-8"))
    assert len(written) == 7
    assert sorted(p.name for p in out.iterdir()) == ["seed-tables.json"]  # no temporary files left


def test_encrypted_pdf_is_named(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((50, 50), "x")
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    r = jixiao("extract", path)
    assert r.returncode == 1 and "locked.pdf: encrypted PDF" in r.stderr


def test_jsonl_and_folder_input(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes((FIXTURES / "seed-tables.txt").read_bytes())
    (folder / "notes.pptx").write_bytes(b"ignored: not a kind of input jixiao reads")
    r = jixiao("extract", folder, "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 7
    assert json.loads(lines[0])["provenance"]["source_file"].endswith("a.txt")


def test_pdf_without_tables_is_a_warning(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((50, 50), "hello")
    path = tmp_path / "plain.pdf"
    doc.save(path)
    r = jixiao("extract", path)
    assert r.returncode == 0
    assert json.loads(r.stdout) == []
    assert "plain.pdf: no performance target table found" in r.stderr


def test_same_stem_in_two_folders_writes_two_files(tmp_path):
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "t.txt").write_bytes((FIXTURES / "seed-tables.txt").read_bytes()[: 700 if d == "x" else None])
    r = jixiao("extract", tmp_path / "x" / "t.txt", tmp_path / "y" / "t.txt", "-o", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "o").glob("t*.json"))) == 2


def test_version():
    r = jixiao("--version")
    assert r.returncode == 0 and r.stdout.startswith("jixiao ")
