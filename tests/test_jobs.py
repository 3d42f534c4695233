"""--jobs N: files read on N processes give exactly what one process gives, in input order."""

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import FIXTURES, descendants

CMD = [sys.executable, "-m", "jixiao.cli"]


def _inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(4):
        (d / f"doc{i}.pdf").write_bytes((FIXTURES / "seed-tables.pdf").read_bytes())
    (d / "a.txt").write_bytes((FIXTURES / "seed-tables.txt").read_bytes())
    (d / "bad.pdf").write_bytes(b"%PDF-1.7\nnot really")
    return d


def _compare(a, b):
    names = sorted(p.name for p in a.iterdir() if p.suffix in (".json", ".md"))
    assert names == sorted(p.name for p in b.iterdir() if p.suffix in (".json", ".md"))
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    return names


def test_a_run_on_two_processes_writes_what_one_process_writes(tmp_path):
    d = _inputs(tmp_path)
    one = subprocess.run([*CMD, "run", str(d), "-o", str(tmp_path / "one"), "--no-images", "--jobs", "1"],
                         capture_output=True, text=True)
    two = subprocess.run([*CMD, "run", str(d), "-o", str(tmp_path / "two"), "--no-images", "--jobs", "2"],
                         capture_output=True, text=True)
    assert one.returncode == two.returncode == 1  # bad.pdf fails in both, the batch goes on
    assert "bad.pdf" in two.stderr
    names = _compare(tmp_path / "one", tmp_path / "two")
    assert "findings.json" in names and "doc3.json" in names


def test_extract_on_two_processes_prints_what_one_process_prints(tmp_path):
    d = _inputs(tmp_path)
    one = subprocess.run([*CMD, "extract", str(d), "--jobs", "1", "--format", "jsonl"], capture_output=True, text=True)
    two = subprocess.run([*CMD, "extract", str(d), "--jobs", "2", "--format", "jsonl"], capture_output=True, text=True)
    assert one.stdout == two.stdout and one.stdout.count("\n") == 35
    assert one.returncode == two.returncode == 1


def test_results_come_back_in_input_order_with_a_bounded_window():
    from jixiao.jobs import ordered

    in_flight, most = [0], [0]
    lock = threading.Lock()

    def work(i):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01 * ((7 * i) % 5))  # later items often finish first
        with lock:
            in_flight[0] -= 1
        return i

    with ThreadPoolExecutor(4) as pool:
        out = list(ordered(lambda i: pool.submit(work, i), range(40), 4))
    assert out == list(range(40))
    assert most[0] <= 4


def test_a_dead_process_costs_only_the_files_in_flight_and_only_the_culprit_fails():
    """BrokenProcessPool on item 5: every item then in flight is handed to `recover`, which reads
    them again (here: 5 fails again, the others are read), and the run goes on in order."""
    from concurrent.futures.process import BrokenProcessPool

    from jixiao.jobs import _Done, _Failed, ordered

    recovered = []

    def submit(i):
        return _Failed(BrokenProcessPool("a process died")) if i == 5 else _Done(f"read {i}")

    def recover(items):
        recovered.append(list(items))
        return ["died" if i == 5 else f"again {i}" for i in items]

    out = list(ordered(submit, range(10), 3, recover))
    assert recovered == [[5, 6, 7]]  # 5 and those submitted after it, still in flight
    assert out == ["read 0", "read 1", "read 2", "read 3", "read 4", "died", "again 6", "again 7", "read 8", "read 9"]


def _long_pdfs(tmp_path, n: int):
    """A folder of n 28-page copies of the seed (doc00.pdf, …): long enough to catch a run mid-way."""
    import pymupdf

    src, doc = pymupdf.open(FIXTURES / "seed-tables.pdf"), pymupdf.open()
    while doc.page_count < 28:
        doc.insert_pdf(src)
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        doc.save(d / f"doc{i:02}.pdf")
    return d


def test_a_worker_killed_mid_run_costs_only_its_files(tmp_path):
    """SIGKILL one --jobs process in the middle of a run: the files it and the others had in
    flight are read again, the run completes, and it writes what a one-process run writes."""
    import os
    import signal

    d = _long_pdfs(tmp_path, 16)
    one = subprocess.run([*CMD, "run", str(d), "-o", str(tmp_path / "one"), "--no-images", "--jobs", "1"],
                         capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    two = tmp_path / "two"
    proc = subprocess.Popen([*CMD, "run", str(d), "-o", str(two), "--no-images", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver = " ".join([*CMD, "run", str(d), "-o", str(two), "--no-images", "--jobs", "2"]) + " "
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        # the --jobs processes: forked from the run (its command line), or spawned (multiprocessing's)
        # where the run had threads.  Asked before the outputs are counted: while fewer than all are
        # written, review.xlsx's process (spawned for the reports, after the last file) cannot exist yet
        workers = [pid for pid, cmd in descendants(proc.pid).items()
                   if cmd == driver or "multiprocessing.spawn" in cmd and "resource_tracker" not in cmd]
        if workers and 2 <= len(list(two.glob("doc*.json"))) < 16:  # mid-run: some files written, more to go
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        time.sleep(0.05)
    _out, err = proc.communicate(timeout=300)
    assert killed is not None, "the run ended before a worker could be killed"
    assert len(list(two.glob("doc*.json"))) == 16 and proc.returncode == 0, err
    _compare(tmp_path / "one", two)


def test_workers_share_the_cores_and_the_model_limits():
    from jixiao.jobs import portable
    from jixiao.settings import ModelSettings, ReadOptions, Settings

    s = Settings(backend="llm", read=ReadOptions(on_ocr=print), model=ModelSettings(model="m", rpm=60))
    p = portable(s, 3)
    assert p.read.on_ocr is None and p.model.rpm == 20
    assert s.model.rpm == 60 and s.read.on_ocr is print  # the driver's settings are untouched


def test_jobs_must_be_positive(tmp_path):
    r = subprocess.run([*CMD, "run", str(FIXTURES / "seed-tables.txt"), "-o", str(tmp_path / "o"), "--jobs", "0"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--jobs" in r.stderr


def _parts_joined(path, bounds, monkeypatch):
    """A PDF read in parts (in this process) and put back together by the driver's code."""
    from jixiao import jobs
    from jixiao.extract import RulesExtractor
    from jixiao.settings import Settings

    monkeypatch.setitem(jobs._worker, "settings", Settings())
    monkeypatch.setitem(jobs._worker, "extractor", RulesExtractor())
    parts = [jobs._read_part(path, bounds, k, True, False) for k in range(len(bounds))]
    wholes = []
    joined = jobs._Whole(path, [jobs._Done(p) for p in parts], lambda: wholes.append(1) or "read whole").result()
    return parts, joined, wholes


def _same_read(a, b):
    """Two reading.FileRead: the same tables, findings and groundings, in the same order."""
    assert [t.model_dump_json() for t, _v in a.tables] == [t.model_dump_json() for t, _v in b.tables]
    assert [[f.model_dump_json() for f in v.findings] for _t, v in a.tables] == \
        [[f.model_dump_json() for f in v.findings] for _t, v in b.tables]
    assert [[g.model_dump_json() for g in v.groundings] for _t, v in a.tables] == \
        [[g.model_dump_json() for g in v.groundings] for _t, v in b.tables]
    assert (a.outcome.count, a.outcome.warnings, a.outcome.warning) == \
        (b.outcome.count, b.outcome.warnings, b.outcome.warning)


def test_a_pdf_read_in_parts_is_the_pdf_read_whole(tmp_path, monkeypatch):
    """Parts start mid-table (nominal bounds anywhere) yet join to exactly the whole reading."""
    import pymupdf

    from jixiao.batch import read_whole
    from jixiao.extract import RulesExtractor
    from jixiao.settings import Settings

    doc = pymupdf.open()
    for name in ("seed-tables-messy.pdf", "seed-tables.pdf") * 3:  # messy: two tables on a page, one over two
        doc.insert_pdf(pymupdf.open(FIXTURES / name))
    path = tmp_path / "long.pdf"
    doc.save(path)
    whole = read_whole(path, RulesExtractor(), Settings().read, Settings().review)
    assert len(whole.tables) >= 42 and [4, 5] in [t.provenance.pages for t, _v in whole.tables]
    for bounds in ([0, 17], [0, 4, 11, 30], [0, 1, 2, 3, 4, 5, 34], [0, 18, 19]):
        parts, joined, wholes = _parts_joined(path, bounds, monkeypatch)
        assert not wholes, bounds  # joined from the parts, not read again
        assert [p["start"] for p in parts[1:]] == [p["stop"] for p in parts[:-1]]
        assert parts[-1]["stop"] == 42
        _same_read(joined, whole)


def test_parts_that_do_not_join_are_read_whole(tmp_path, monkeypatch):
    from jixiao import chunk

    path = tmp_path / "long.pdf"
    path.write_bytes((FIXTURES / "seed-tables.pdf").read_bytes())
    monkeypatch.setattr(chunk.Chunker, "at_rest", property(lambda self: False))  # as inside a table
    _, joined, wholes = _parts_joined(path, [0, 3], monkeypatch)
    assert joined == "read whole" and wholes == [1]


def test_one_long_pdf_on_two_processes(tmp_path):
    import pymupdf

    src = pymupdf.open(FIXTURES / "seed-tables.pdf")
    doc = pymupdf.open()
    while doc.page_count < 70:
        doc.insert_pdf(src)
    path = tmp_path / "long.pdf"
    doc.save(path)
    one = subprocess.run([*CMD, "extract", str(path), "--jobs", "1"], capture_output=True, text=True)
    two = subprocess.run([*CMD, "extract", str(path), "--jobs", "2"], capture_output=True, text=True)
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and one.stdout.count('"provenance"') == 70


def test_processes_start_only_where_they_pay(tmp_path):
    import pymupdf

    from jixiao.jobs import worth_spreading

    txt = [tmp_path / f"{i}.txt" for i in range(3)]
    assert not worth_spreading(txt, 2)  # three small text files: quicker here
    assert worth_spreading(txt + [tmp_path / "4.txt"], 2)  # two files a process
    assert worth_spreading([tmp_path / "scan.png"], 2)  # OCR
    assert not worth_spreading([FIXTURES / "seed-tables.pdf"], 2)  # seven text pages
    assert worth_spreading([FIXTURES / "seed-tables-scan.pdf"], 2)  # a scan: its pages spread
    long = pymupdf.open()
    while long.page_count < 64:
        long.insert_pdf(pymupdf.open(FIXTURES / "seed-tables.pdf"))
    long.save(tmp_path / "long.pdf")
    assert worth_spreading([tmp_path / "long.pdf", txt[0], txt[1]], 2)  # read in parts


def test_a_run_on_a_terminal_forks_its_processes_and_draws_its_bar(tmp_path):
    """On a terminal the progress bar is redrawn by a thread of its own, and a process of two
    threads is not forked (jobs._start_method): the bar is drawn only once the --jobs processes
    are started, so that they are forked there too."""
    import os
    import pty

    d = _long_pdfs(tmp_path, 6)
    args = [*CMD, "run", str(d), "-o", str(tmp_path / "out"), "--no-images", "--jobs", "2"]
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    shown = bytearray()

    def drain():  # the terminal read, or the command would block once its buffer is full
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the command ended: the terminal is closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    kinds = set()
    while proc.poll() is None:
        for pid, cmd in descendants(proc.pid).items():
            if cmd == " ".join(args) + " ":
                kinds.add("forked")
            elif "multiprocessing.spawn" in cmd and "resource_tracker" not in cmd and \
                    len(list((tmp_path / "out").glob("doc*.json"))) < 6:  # (review.xlsx's comes after)
                kinds.add("spawned")
        time.sleep(0.05)
    reader.join(timeout=10)
    os.close(master)
    assert proc.returncode == 0, shown.decode(errors="replace")[-2000:]
    assert kinds == {"forked"}
    assert "files" in shown.decode(errors="replace") and "6/6" in shown.decode(errors="replace")  # the bar
