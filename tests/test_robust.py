"""Issue #16: nothing lost, nothing misattributed, nothing silent -- batches under damage,
collisions, repeated inputs, FIFOs, unwritable outputs, concurrency, size and hostile names."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pymupdf
import pytest

from jixiao.report import read_findings

from conftest import FIXTURES

CMD = [sys.executable, "-m", "jixiao.cli"]
PDF = FIXTURES / "seed-tables.pdf"
TXT = FIXTURES / "seed-tables.txt"


def jixiao(*args, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, **kw)


def _tables(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def _sources(out: Path) -> dict[str, set[str]]:
    """Output file name -> the source files its tables come from."""
    return {p.name: {t["provenance"]["source_file"] for t in _tables(p)}
            for p in out.glob("*.json") if p.name != "findings.json"}


# -- 1. the same file stem ---------------------------------------------------------------------


def test_same_stem_in_two_folders_never_shares_an_output(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    (inp / "z").mkdir(parents=True)
    (inp / "z" / "表.pdf").write_bytes(PDF.read_bytes())
    assert jixiao("run", inp, "-o", out, "--no-images").returncode == 0
    (inp / "a").mkdir()
    (inp / "a" / "表.txt").write_bytes(TXT.read_bytes())
    r = jixiao("run", inp, "-o", out, "--no-images")
    assert r.returncode == 0, r.stderr
    sources = _sources(out)
    assert len(sources) == 2, sources
    # the PDF keeps the name it had; the newcomer gets its own
    assert sources["表.json"] == {str(inp / "z" / "表.pdf")}
    assert [s for n, s in sources.items() if n != "表.json"] == [{str(inp / "a" / "表.txt")}]
    # and a third run changes nothing: each input resumes from its own output
    again = jixiao("run", inp, "-o", out, "--no-images")
    assert again.stderr.count("done before") == 2 and _sources(out) == sources


def test_explicit_inputs_with_one_name(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.pdf").write_bytes(PDF.read_bytes() if d == "a" else _cut(0.75))
    out = tmp_path / "out"
    # b first on its own, then both: a must not take b's output, nor b resume from a's tables
    assert jixiao("run", tmp_path / "b" / "x.pdf", "-o", out, "--no-images").returncode == 0
    r = jixiao("run", tmp_path / "a" / "x.pdf", tmp_path / "b" / "x.pdf", "-o", out, "--no-images")
    assert r.returncode == 0, r.stderr
    sources = _sources(out)
    assert sorted(map(sorted, sources.values())) == [[str(tmp_path / "a" / "x.pdf")], [str(tmp_path / "b" / "x.pdf")]]
    # the extract command names them apart the same way
    e = jixiao("extract", tmp_path / "a" / "x.pdf", tmp_path / "b" / "x.pdf", "-o", tmp_path / "e")
    assert e.returncode == 0, e.stderr
    assert len(list((tmp_path / "e").glob("*.json"))) == 2


def test_an_input_named_findings_does_not_overwrite_the_report(tmp_path):
    src = tmp_path / "findings.txt"
    src.write_bytes(TXT.read_bytes())
    out = tmp_path / "out"
    assert jixiao("run", src, "-o", out, "--no-images").returncode == 0
    assert all("rule" in f for f in read_findings(out / "findings.json"))
    assert len([p for p in out.glob("findings-*.json")]) == 1


def test_manifest_never_hands_one_inputs_result_to_another(tmp_path):
    """A stored output whose tables are not the input's (replaced by hand) is read again."""
    src = tmp_path / "a.txt"
    src.write_bytes(TXT.read_bytes())
    out = tmp_path / "out"
    assert jixiao("run", src, "-o", out, "--no-images").returncode == 0
    other = _tables(out / "a.json")
    for t in other:
        t["provenance"]["sha256"] = "0" * 64
    (out / "a.json").write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    r = jixiao("run", src, "-o", out, "--no-images")
    assert "done before" not in r.stderr
    assert {t["provenance"]["sha256"] for t in _tables(out / "a.json")} != {"0" * 64}


# -- 2. damaged PDFs ---------------------------------------------------------------------------


def _cut(fraction: float) -> bytes:
    data = PDF.read_bytes()
    return data[: int(len(data) * fraction)]


def _flipped() -> bytes:
    """The seed PDF with 20 bytes flipped inside the first page's compressed content stream."""
    doc = pymupdf.open(PDF)
    raw = max((doc.xref_stream_raw(x) for x in doc[0].get_contents()), key=len)
    data = bytearray(PDF.read_bytes())
    start = data.find(raw)
    assert start > 0 and len(raw) > 100
    step = (len(raw) - 20) // 20
    for i in range(20):
        data[start + 10 + step * i] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.75])
def test_a_cut_pdf_is_said_and_can_fail_the_run(tmp_path, fraction):
    src = tmp_path / "cut.pdf"
    src.write_bytes(_cut(fraction))
    out = tmp_path / "out"
    r = jixiao("run", src, "-o", out, "--no-images", "--fail-on", "error")
    assert "Traceback" not in r.stderr
    assert r.returncode == 1
    if (out / "cut.json").exists():  # tables were read: each says its source is damaged
        tables = _tables(out / "cut.json")
        assert len(tables) < 7
        assert all(any(n.startswith("原件损坏") for n in t["notes"]) for t in tables)
        findings = read_findings(out / "findings.json")
        assert sum(f["rule"] == "SRC-01" for f in findings) == len(tables)
        assert re.search(r"jixiao: warning: .*cut\.pdf: damaged PDF", r.stderr)
    else:
        assert re.search(r"jixiao: error: .*cut\.pdf: damaged PDF", r.stderr)


def test_a_garbled_content_stream_is_not_blamed_on_the_department(tmp_path):
    src = tmp_path / "flip.pdf"
    src.write_bytes(_flipped())
    out = tmp_path / "out"
    r = jixiao("run", src, "-o", out, "--no-images")
    assert re.search(r"jixiao: warning: .*flip\.pdf: damaged PDF", r.stderr), r.stderr
    findings = read_findings(out / "findings.json")
    damaged = {f["table_ref"] for f in findings if f["rule"] == "SRC-01"}
    assert damaged
    # no completeness comment for a table whose source is damaged: SRC-01 says why instead
    assert not [f for f in findings if f["table_ref"] in damaged and f["dimension"] == "完整性"]
    src01 = next(f for f in findings if f["rule"] == "SRC-01")
    assert src01["severity"] == "错误" and "原件已损坏" in src01["message"]
    assert "原件已损坏" in (out / "review.md").read_text(encoding="utf-8")  # said to the reviewer, without rule codes
    assert jixiao("run", src, "-o", out, "--no-images", "--fail-on", "error").returncode == 1
    # `jixiao review` of the stored extraction says the same
    rv = jixiao("review", out / "flip.json", "-o", tmp_path / "rv", "--no-images")
    assert {f["rule"] for f in read_findings(tmp_path / "rv" / "findings.json")} >= {"SRC-01"}
    assert not [f for f in read_findings(tmp_path / "rv" / "findings.json")
                if f["table_ref"] in damaged and f["dimension"] == "完整性"], rv.stderr


def test_a_table_with_every_cell_empty_is_said(tmp_path):
    from jixiao.reading import FileOutcome, _mark_damage
    from jixiao.models import ExtractedTable

    table = ExtractedTable.model_validate(_tables_of_seed()[0])
    empty = table.model_copy(update={"indicators": [], "overall_goals": [], "annual_goals": [], "project_name": None,
                                     "competent_department": None, "implementing_unit": None,
                                     "funds": type(table.funds).model_validate(dict.fromkeys(type(table.funds).model_fields)),
                                     "notes": []})
    outcome = FileOutcome(Path("x.pdf"), tables=[table, empty])
    _mark_damage(outcome, [], verifying=False)
    assert not table.notes or not any(n.startswith("原件损坏") for n in table.notes)
    assert any("全部为空" in n for n in empty.notes)
    assert outcome.warnings == ["1 table(s) with every cell empty"]


def _tables_of_seed() -> list[dict]:
    r = jixiao("extract", TXT)
    return json.loads(r.stdout)


def test_mupdf_errors_read_as_words():
    from jixiao.batch import readable_error

    FzErrorLimit = type("FzErrorLimit", (Exception,), {})
    assert "code=" not in readable_error(FzErrorLimit("code=5: image too large"))
    assert "safety limit" in readable_error(FzErrorLimit("code=5: image too large"))
    assert readable_error(RuntimeError("code=2: cycle in page tree")) == "damaged file: cycle in page tree"
    assert readable_error(PermissionError(13, "Permission denied")) == "cannot read: permission denied"


def test_a_cyclic_page_tree_is_one_line(tmp_path):
    src = tmp_path / "cyclic.pdf"
    src.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                    b"3 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >> endobj\n"
                    b"trailer << /Root 1 0 R >>\n%%EOF\n")
    r = jixiao("extract", src)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "code=" not in r.stderr
    assert len([line for line in r.stderr.splitlines() if "cyclic.pdf" in line]) == 1


# -- 3. the same input twice -------------------------------------------------------------------


def test_one_file_given_three_times_is_read_once(tmp_path):
    (tmp_path / "a.txt").write_bytes(TXT.read_bytes())
    r = jixiao("run", "a.txt", "a.txt", "./a.txt", "-o", "out", "--no-images", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("given again: read once") == 2
    findings = read_findings(tmp_path / "out" / "findings.json")
    assert len(findings) == 45  # the seed's own findings, once
    assert len(_tables(tmp_path / "out" / "a.json")) == 7


def test_identical_content_under_two_names_is_one_submission(tmp_path):
    for name in ("a.txt", "copy.txt"):
        (tmp_path / name).write_bytes(TXT.read_bytes())
    r = jixiao("run", tmp_path / "a.txt", tmp_path / "copy.txt", "-o", tmp_path / "out", "--no-images")
    assert r.returncode == 0, r.stderr
    assert len([line for line in r.stderr.splitlines() if "same content as" in line]) == 1
    findings = read_findings(tmp_path / "out" / "findings.json")
    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f["table_ref"].split("#")[0], []).append(f)
    # each copy gets the findings of the table on its own (the seed's 45), none between the copies;
    # each table of the copy is a duplicate submission (DUP-01)
    assert {k: len(v) for k, v in by_file.items()} == {str(tmp_path / "a.txt"): 45, str(tmp_path / "copy.txt"): 52}
    assert not [f for f in findings if f["rule"] == "BATCH-01"]  # no table is its own copy's twin
    copy_rules = [f["rule"] for f in by_file[str(tmp_path / "copy.txt")]]
    assert copy_rules.count("DUP-01") == 7
    assert sorted(f["rule"] for f in by_file[str(tmp_path / "a.txt")]) == sorted(r for r in copy_rules if r != "DUP-01")


# -- 4. FIFOs and 5. unreadable files ----------------------------------------------------------


def test_a_fifo_is_named_and_never_opened(tmp_path):
    fifo = tmp_path / "f.pdf"
    os.mkfifo(fifo)
    r = jixiao("extract", fifo, timeout=60)
    assert r.returncode == 1
    assert [line for line in r.stderr.splitlines() if "f.pdf" in line] == [
        f"jixiao: error: {fifo}: a named pipe (FIFO), not a regular file: not read"]
    # inside a folder: skipped with a line, the rest read
    (tmp_path / "good.txt").write_bytes(TXT.read_bytes())
    r = jixiao("run", tmp_path, "-o", tmp_path / "out", "--no-images", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "f.pdf: a named pipe (FIFO), not a regular file: not read: skipped" in r.stderr


def test_one_unreadable_file_does_not_stop_the_batch(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from jixiao import batch, cli

    # no path option checks that would abort the whole command on one bad file
    for command in (cli.run, cli.extract, cli.review):
        import inspect

        for p in inspect.signature(command).parameters.values():
            meta = getattr(p.annotation, "__metadata__", ())
            for m in meta:
                assert not getattr(m, "exists", False) and not getattr(m, "readable", False), (command, p.name)
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a.txt", "secret.txt", "c.txt"):
        (d / name).write_bytes(TXT.read_bytes())
    real = batch.sha256_of

    def sha(path):
        if path.name == "secret.txt":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(batch, "sha256_of", sha)
    for args in ([str(d)], [str(d / "a.txt"), str(d / "secret.txt"), str(d / "c.txt")]):
        out = tmp_path / f"out{len(args)}"
        r = CliRunner().invoke(cli.app, ["run", *args, "-o", str(out), "--no-images"])
        assert r.exit_code == 1
        assert "secret.txt: cannot read: Permission denied" in r.output
        assert (out / "a.json").is_file() and (out / "c.json").is_file()


# -- 6. output folders that cannot be written --------------------------------------------------


def test_bad_output_folders_are_one_line(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TXT.read_bytes())
    afile = tmp_path / "afile"
    afile.write_text("x")
    for target in (afile, afile / "sub"):
        r = jixiao("run", src, "-o", target, "--no-images")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.strip().splitlines() == [f"jixiao: error: {target}: not a folder (a file has that name, "
                                                 "or a part of the path is a file)"]
        e = jixiao("extract", src, "-o", target)
        assert e.returncode == 2 and "Traceback" not in e.stderr


def test_a_read_only_output_folder_is_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from jixiao import cli

    src = tmp_path / "a.txt"
    src.write_bytes(TXT.read_bytes())
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse as it would for a user
        real = os.access
        monkeypatch.setattr(os, "access",
                            lambda p, m, **kw: False if Path(p) == ro and m & os.W_OK else real(p, m, **kw))
    r = CliRunner().invoke(cli.app, ["run", str(src), "-o", str(ro), "--no-images"])
    assert r.exit_code == 2 and r.exception is None or isinstance(r.exception, SystemExit)
    assert f"jixiao: error: {ro}: permission denied: cannot write there" in r.output


def test_a_full_disk_is_one_line_and_leaves_no_half_reports(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from jixiao import cli, report

    src = tmp_path / "a.txt"
    src.write_bytes(TXT.read_bytes())
    out = tmp_path / "out"
    assert CliRunner().invoke(cli.app, ["run", str(src), "-o", str(out), "--no-images"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    real = report.ReportSet.write

    def full(self, name, parts):
        if name == "review.md":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, name, parts)

    monkeypatch.setattr(report.ReportSet, "write", full)
    r = CliRunner().invoke(cli.app, ["run", str(src), "-o", str(out), "--no-images", "--force"])
    assert r.exit_code == 2 and not isinstance(r.exception, OSError)
    assert "no space left on device" in r.output and "Traceback" not in r.output
    # the reports are the earlier set, whole; no temporary file is left behind
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != ".jixiao-run.sqlite"} == \
           {k: v for k, v in before.items() if k != ".jixiao-run.sqlite"}


def test_nothing_read_writes_no_reports(tmp_path):
    r = jixiao("run", tmp_path / "nosuch.pdf", "-o", tmp_path / "out")
    assert r.returncode == 1
    assert "nothing was read" in r.stderr and "Traceback" not in r.stderr
    assert not list((tmp_path / "out").glob("review*")) and not (tmp_path / "out" / "findings.json").exists()


# -- 7. two runs on one output folder ----------------------------------------------------------


def test_two_runs_on_one_output_folder(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(6):
        (d / f"doc{i}.txt").write_bytes(TXT.read_bytes())
    out = tmp_path / "out"
    procs = [subprocess.Popen([*CMD, "run", str(d), "-o", str(out), "--no-images"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    waited = [err for _o, err in results if "in use by another jixiao run (pid" in err]
    assert len(waited) == 1  # the second said who held the folder, then waited for it
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp") or p.name == ".jixiao.lock"]
    ref = tmp_path / "ref"
    assert jixiao("run", d, "-o", ref, "--no-images").returncode == 0
    for name in ["findings.json", "review.md"] + [f"doc{i}.json" for i in range(6)]:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


def test_temporary_names_are_unique(tmp_path):
    from jixiao.fileio import temp_path

    names = {temp_path(tmp_path / "review.xlsx") for _ in range(20)}
    assert len(names) == 20


# -- 8. size -----------------------------------------------------------------------------------


def test_a_huge_cell_is_capped_in_every_report(tmp_path):
    lines = TXT.read_text(encoding="utf-8").splitlines()
    # a goal line of 300,000 characters (a whole document pasted into one cell)
    i = next(n for n, line in enumerate(lines) if "年度绩效目标" in line)
    lines[i] = lines[i] + "很长的目标" * 60000
    src = tmp_path / "big.txt"
    src.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    r = jixiao("run", src, "-o", out, "--no-images")
    assert r.returncode == 0, r.stderr
    for name in ("findings.json", "review.md", "review.html"):
        size = (out / name).stat().st_size
        assert size < 400_000, (name, size)
    assert "已截断" in (out / "review.html").read_text(encoding="utf-8")


def test_a_huge_project_name_is_capped_in_findings_json(tmp_path):
    """Every finding names its project: a 1 MB name must not be written 45 times over."""
    from jixiao import report
    from jixiao.check import check
    from jixiao.models import ExtractedTable

    tables = [ExtractedTable.model_validate(t) for t in _tables_of_seed()]
    tables = [t.model_copy(update={"project_name": "名" * 1_000_000}) for t in tables]
    report.write_reports(check([(t, None, None) for t in tables]), tmp_path / "r", images=False)
    findings = read_findings(tmp_path / "r" / "findings.json")
    assert findings and all(len(f["table"]) < report.CELL_CAP + 50 and "已截断" in f["table"] for f in findings)
    for name in ("findings.json", "review.md", "review.html", "review.xlsx"):
        assert (tmp_path / "r" / name).stat().st_size < 10_000_000, name


def test_a_big_run_is_split_into_pages(tmp_path, monkeypatch):
    from jixiao import report
    from jixiao.check import check
    from jixiao.models import ExtractedTable

    monkeypatch.setattr(report, "PART_SIZE", 3)
    tables = [ExtractedTable.model_validate(t) for t in _tables_of_seed()]
    checked = check([(t, None, None) for t in tables])
    out = tmp_path / "out"
    (out).mkdir()
    (out / "review-p009.html").write_text("stale")
    paths = report.write_reports(checked, out, images=False)
    assert [p.name for p in paths] == ["findings.json", "review.md", "review.xlsx", "review.html"]
    pages = sorted(p.name for p in out.glob("review-p*"))
    assert pages == ["review-p001.html", "review-p001.md", "review-p002.html", "review-p002.md",
                     "review-p003.html", "review-p003.md"]
    index = (out / "review.html").read_text(encoding="utf-8")
    assert index.count('href="review-p002.html#p') == 3 and "共审核 7 个项目" in index
    p3 = (out / "review-p003.html").read_text(encoding="utf-8")
    assert 'id="p7"' in p3 and 'id="p1"' not in p3
    md = (out / "review.md").read_text(encoding="utf-8")
    assert "(review-p001.md)" in md
    # every project is on exactly one page
    assert sum((out / f"review-p00{k}.md").read_text(encoding="utf-8").count("\n## ") for k in (1, 2, 3)) == 7


# -- 9. reports as one set ---------------------------------------------------------------------


def test_reports_are_moved_into_place_together_or_not_at_all(tmp_path, monkeypatch):
    from jixiao import report
    from jixiao.check import check
    from jixiao.models import ExtractedTable

    checked = check([(ExtractedTable.model_validate(t), None, None) for t in _tables_of_seed()])
    out = tmp_path / "out"
    report.write_reports(checked, out, images=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*a, **kw):
        raise RuntimeError("the html template failed")

    monkeypatch.setattr(report, "render_html_parts", broken)
    with pytest.raises(RuntimeError):
        report.write_reports(checked[:3], out, images=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old set whole, no temporaries


# -- 10. review.md escaping --------------------------------------------------------------------


def test_review_md_escapes_table_syntax_and_html(tmp_path):
    from jixiao import report
    from jixiao.check import check
    from jixiao.models import ExtractedTable

    tables = [ExtractedTable.model_validate(t) for t in _tables_of_seed()]
    tables[0] = tables[0].model_copy(update={"project_name": "项目|A|B <b>x</b>", "competent_department": "部|门"})
    report.write_reports(check([(t, None, None) for t in tables]), tmp_path / "r", images=False)
    md = (tmp_path / "r" / "review.md").read_text(encoding="utf-8")
    assert "<b>" not in md and "&lt;b&gt;x&lt;/b&gt;" in md
    row = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    header = next(line for line in md.splitlines() if line.startswith("| 序号 |"))
    assert len(re.split(r"(?<!\\)\|", row)) == len(header.split("|"))  # escaped pipes do not split cells
    assert "## 1. 项目\\|A\\|B &lt;b&gt;x&lt;/b&gt;" in md
    assert "部门：部\\|门" in md


def test_script_from_a_text_export_is_no_markup_in_review_md(tmp_path):
    text = TXT.read_text(encoding="utf-8")
    name = re.search(r"项目名称 (\S+)", text).group(1)
    src = tmp_path / "evil.txt"
    src.write_text(text.replace(name, name + "<script>alert(1)</script>", 1), encoding="utf-8")
    out = tmp_path / "out"
    assert jixiao("run", src, "-o", out, "--no-images").returncode == 0
    md = (out / "review.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_md_text_escapes():
    from jixiao.report import md_text

    assert md_text("a|b<i>\nc&`") == "a\\|b&lt;i&gt; c&amp;\\`"


# -- 11. names in messages ---------------------------------------------------------------------


def test_a_newline_in_a_file_name_forges_no_line(tmp_path):
    evil = tmp_path / "a\njixiao: error: forged.pdf"
    evil.write_bytes(b"")
    r = jixiao("extract", evil)
    assert "\njixiao: error: forged.pdf" not in r.stderr
    assert [line for line in r.stderr.splitlines() if line.startswith("jixiao: error:")][0].startswith(
        "jixiao: error: '")


def test_every_skipped_file_in_a_folder_gets_a_line(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_bytes(TXT.read_bytes())
    (d / ".hidden.txt").write_bytes(TXT.read_bytes())
    (d / "notes.docx.bak").write_text("x")
    os.symlink(d / "missing.pdf", d / "broken.pdf")
    os.symlink(d / "loop2.pdf", d / "loop1.pdf")
    os.symlink(d / "loop1.pdf", d / "loop2.pdf")
    os.mkfifo(d / "pipe.pdf")
    r = jixiao("run", d, "-o", tmp_path / "out", "--no-images", timeout=120)
    assert r.returncode == 0, r.stderr
    for name, why in ((".hidden.txt", "hidden file"), ("notes.docx.bak", "unsupported type .bak"),
                      ("broken.pdf", "broken symbolic link"), ("loop1.pdf", "symbolic link loop"),
                      ("loop2.pdf", "symbolic link loop"), ("pipe.pdf", "named pipe")):
        assert len([line for line in r.stderr.splitlines() if name in line and why in line]) == 1, (name, r.stderr)


def test_a_glob_matching_nothing_says_so(tmp_path):
    r = jixiao("extract", str(tmp_path / "*.pdf"))
    assert "the pattern matches no file" in r.stderr and r.returncode == 2


def test_the_summary_names_files_by_the_path_given(tmp_path):
    d = tmp_path / ("a-rather-long-folder-name-" * 4)
    d.mkdir()
    (d / "one.txt").write_bytes(TXT.read_bytes())
    (d / "two.txt").write_bytes(TXT.read_bytes() + b"\n")
    r = jixiao("run", d / "one.txt", d / "two.txt", "-o", tmp_path / "out", "--no-images",
               env={**os.environ, "COLUMNS": "80"})
    first_column = "".join(line.split("│")[1].strip() for line in r.stderr.splitlines() if line.startswith("│"))
    assert str(d / "one.txt") + str(d / "two.txt") == first_column


# -- 12. failing models and results files ------------------------------------------------------


def test_an_unreachable_model_fails_the_run(tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(TXT.read_bytes())
    env = {**os.environ, "OPENAI_API_KEY": "x", "JIXIAO_HOME": str(tmp_path / "home")}
    r = jixiao("run", src, "-o", tmp_path / "out", "--no-images", "--backend", "llm", "--model", "m",
               "--base-url", "http://127.0.0.1:9/v1", env=env)
    assert r.returncode == 1
    lines = [line for line in r.stderr.splitlines() if "every model call failed" in line]
    assert len(lines) == 1 and "cannot reach" in lines[0]


@pytest.mark.parametrize("content,said", [("", "empty file"), ('[{"title": "x",', "the file may be truncated"),
                                          ('{"a": 1}', "not an extraction output")])
def test_review_of_a_bad_results_file_says_what_is_wrong(tmp_path, content, said):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    r = jixiao("review", bad, "-o", tmp_path / "out")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    line = next(line for line in r.stderr.splitlines() if line.startswith("jixiao: error:"))
    assert str(bad) in line and said in line


def test_a_process_forked_by_a_run_does_not_keep_its_folder_locked(tmp_path):
    """--jobs processes are forked from the run where that is safe: killed, the run leaves its
    lock file behind, and the next run must not wait for the run's children to end first."""
    script = f"""
import multiprocessing, os, signal, time
from pathlib import Path
from jixiao.manifest import OutputLock

lock = OutputLock(Path({str(tmp_path)!r})).__enter__()
child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
child.start()
print(child.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the run killed: no release, the lock file stays
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())  # (not read to its end: the child holds the pipe open)
    proc.wait(timeout=60)
    try:
        assert (tmp_path / ".jixiao.lock").exists()
        from jixiao.manifest import OutputLock

        waits = []
        waiter = threading.Thread(target=lambda: OutputLock(tmp_path, on_wait=waits.append).__enter__().__exit__())
        waiter.start()
        waiter.join(timeout=10)
        assert not waiter.is_alive() and waits == []  # taken at once, though the child still lives
    finally:
        os.kill(child, 9)
